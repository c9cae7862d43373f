import { test, expect } from '@playwright/test';
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
