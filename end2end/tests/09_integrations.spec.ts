import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { admin, signIn, snapshot, waitForHydration, watchForBrowserErrors } from '../support/helpers';

// An admin connects an identity provider: creates its integration, copies
// the token shown once, and the provider adds a person with it; then the
// admin turns on automatic invitations and finally revokes the integration.
test('an admin connects an identity provider through an integration and revokes it', async ({ page, request }) => {
  const errors = watchForBrowserErrors(page);
  await signIn(page, admin.email, admin.password);
  await page.goto('/admin/integrations');
  await waitForHydration(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Integrations' })).toBeVisible();
  await snapshot(page, 'integrations-empty');

  await page.getByLabel('Name').fill('Okta');
  await page.getByLabel('Description').fill('Our identity provider');
  await page.getByRole('button', { name: 'Create integration' }).click();
  const token = page.getByLabel('Token (Authorization: Bearer)');
  await expect(token).toHaveValue(/^embark_scim_/);
  await snapshot(page, 'integrations-token-shown-once');
  const secret = await token.inputValue();
  const scimUrl = await page.getByLabel(/^SCIM base URL/).inputValue();
  await expect(page.getByLabel('Name')).toHaveValue('');

  // The identity provider adds someone with the token.
  const created = await request.post(`${scimUrl}/Users`, {
    headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/scim+json' },
    data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'lin.okta@example.com', name: { givenName: 'Lin', familyName: 'Okta' } },
  });
  expect(created.status()).toBe(201);

  await page.reload();
  await waitForHydration(page);
  const card = page.getByRole('listitem').filter({ hasText: 'Our identity provider' });
  await expect(card).toContainText('No: they wait in Unsent Invitations');
  await expect(card).not.toContainText('Never');
  await expect(card.getByRole('list')).toContainText('Account created: Lin Okta <lin.okta@example.com>');
  await expect(page.getByLabel('Token (Authorization: Bearer)')).toHaveCount(0);
  await card.getByRole('button', { name: 'Invite people automatically as soon as this integration adds them' }).click();
  await expect(page.getByRole('status')).toContainText('invited as soon as they arrive');
  await expect(card).toContainText('Yes, as soon as they are added');

  await card.getByRole('link', { name: 'Revoke…' }).click();
  await expect(page.getByRole('alertdialog')).toContainText('Its tokens stop working at once');
  await snapshot(page, 'integrations-revoke-confirm');
  await page.getByRole('button', { name: 'Revoke Okta' }).click();
  await expect(page.getByRole('status')).toContainText('The integration was revoked');
  await expect(card).toContainText('Revoked on');
  const refused = await request.get(`${scimUrl}/Users`, { headers: { Authorization: `Bearer ${secret}` } });
  expect(refused.status()).toBe(401);

  // The person it added is in Embark, uninvited.
  await page.goto('/admin/people?status=uninvited');
  await expect(page.getByRole('link', { name: 'Lin Okta' }).first()).toBeVisible();
  expect(errors).toEqual([]);
});

// An owner connects the directory (scripts/test's OpenLDAP, over ldaps://
// with its test CA pasted) and tests the connection.
test('an owner connects an OpenLDAP directory and tests the connection', async ({ page }) => {
  const errors = watchForBrowserErrors(page);
  const ldapsUrl = process.env.EMBARK_TEST_LDAPS_URL ?? '';
  const ca = readFileSync(process.env.EMBARK_TEST_LDAP_CA ?? '', 'utf8');
  await signIn(page, admin.email, admin.password);
  await page.goto('/admin/integrations');
  await page.getByRole('link', { name: 'Set up directory sync' }).click();
  await waitForHydration(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Directory sync' })).toBeVisible();
  await expect(page.getByText('Save the directory\'s settings first')).toBeVisible();

  // The OpenLDAP suggestions fill in the filter and the attributes.
  await page.getByRole('link', { name: 'OpenLDAP', exact: true }).click();
  await expect(page.getByLabel('OpenLDAP (inetOrgPerson)')).toBeChecked();
  await expect(page.getByLabel('External ID', { exact: true })).toHaveValue('entryUUID');
  await expect(page.getByLabel('Search filter')).toHaveValue('(&(objectClass=inetOrgPerson)(!(pwdAccountLockedTime=000001010000Z)))');
  await page.getByLabel('Server address').fill(ldapsUrl);
  await page.getByLabel(/^TLS \(an ldaps/).check();
  await page.getByLabel('CA certificate (optional)').fill(ca);
  await page.getByLabel('Bind DN').fill('cn=embark-sync,ou=services,dc=embark,dc=test');
  await page.getByLabel('Bind password', { exact: true }).fill('sync-secret-for-tests');
  await page.getByLabel('Base DN').fill('dc=embark,dc=test');
  await page.getByRole('button', { name: 'Save directory settings' }).click();
  await expect(page.getByRole('status')).toContainText('the directory\'s settings are stored');
  // A suggestion link fills the form over saved settings too, the filter
  // included; nothing is saved until Save.
  await page.getByRole('link', { name: 'Active Directory', exact: true }).click();
  await expect(page.getByLabel('Active Directory', { exact: true })).toBeChecked();
  await expect(page.getByLabel('Search filter')).toHaveValue(/^\(&\(objectCategory=person\)/);
  await page.goto('/admin/integrations/directory');
  await waitForHydration(page);
  await expect(page.getByLabel('Search filter')).toHaveValue(/inetOrgPerson/);

  await page.getByRole('button', { name: 'Test connection' }).click();
  const result = page.getByRole('status').filter({ hasText: 'Connected.' });
  await expect(result).toContainText('The filter finds 290 people.');
  await expect(result.getByRole('definition').filter({ hasText: /@embark\.test$/ })).toBeVisible();
  await snapshot(page, 'admin-directory-sync-tested');
  // The password is never shown again; the form says one is saved.
  await expect(page.getByText('A password is saved and is never shown again.')).toBeVisible();

  // What a sync does: deactivate people who leave, every hour.
  await page.getByLabel(/^Deactivate them/).check();
  await page.getByLabel('Sync automatically').selectOption({ label: 'Every hour' });
  await page.getByRole('button', { name: 'Save what a sync does' }).click();
  // The connection test's result may still be shown beside the saved notice.
  await expect(page.getByRole('status').filter({ hasText: 'what a sync does is stored' })).toBeVisible();
  await expect(page.getByLabel(/^Deactivate them/)).toBeChecked();
  const syncNow = page.getByRole('region', { name: 'Sync now' });
  await expect(syncNow.getByRole('definition').first()).toHaveText('Never');

  // Sync now: the directory's people, previewed like a spreadsheet import.
  await page.getByRole('button', { name: 'Sync now: preview the changes' }).click();
  await expect(page.getByRole('heading', { name: 'Sync preview' })).toBeVisible();
  // The admin menu shows the preview under Integrations, where the sync is.
  await expect(page.getByRole('navigation', { name: 'Admin panel' }).getByRole('link', { name: 'Integrations' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('navigation', { name: 'Admin panel' }).getByRole('link', { name: 'Import' })).not.toHaveAttribute('aria-current', 'page');
  await waitForHydration(page);
  const counts = page.getByRole('list', { name: 'What the directory lists' });
  await expect(counts.getByRole('listitem').filter({ hasText: /^290\s*New/ })).toBeVisible();
  await expect(counts.getByRole('listitem').filter({ hasText: /^0\s*Left the directory/ })).toBeVisible();
  await expect(counts.getByRole('listitem').filter({ hasText: /^0\s*Invalid/ })).toBeVisible();
  await expect(page.getByText('The new people are added uninvited and wait in Unsent Invitations')).toBeVisible();
  await snapshot(page, 'admin-directory-sync-preview');
  await page.getByRole('button', { name: 'Apply: add 290, update 0, deactivate 0' }).click();
  await expect(page.getByRole('status')).toContainText('290 people added, 0 updated');

  // The schedule counts from this first applied sync.
  await page.getByRole('link', { name: '← Directory sync' }).click();
  await expect(syncNow.getByRole('definition').first()).toHaveText(/UTC$/);
  await expect(syncNow.getByRole('definition').nth(1)).toHaveText(/UTC$/);
  await snapshot(page, 'admin-directory-sync-scheduled');

  // The people are in Embark with their details from the directory (the
  // search index catches up in the background, so the search is repeated).
  await expect(async () => {
    await page.goto('/admin/people?q=Person%2000030');
    await expect(page.getByRole('link', { name: 'Person 00030', exact: true })).toBeVisible({ timeout: 1000 });
  }).toPass();
  await page.getByRole('link', { name: 'Person 00030', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Person 00030' })).toBeVisible();
  await expect(page.getByRole('definition').filter({ hasText: 'Account executive' })).toBeVisible();
  expect(errors).toEqual([]);
});
