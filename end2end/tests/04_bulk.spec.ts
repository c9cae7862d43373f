import { test, expect } from '@playwright/test';
import { admin, emailTo, signIn, snapshot, waitForHydration } from '../support/helpers';

const people = [
  ['marie.curie@acme.test', 'S-1', 'Marie Curie', 'Physicist', 'Research', 'Paris', '', '', 'Research; Nobel laureates'],
  ['pierre.curie@acme.test', 'S-2', 'Pierre Curie', 'Physicist', 'Research', 'Paris', '', 'marie.curie@acme.test', 'Research'],
  ['lise.meitner@acme.test', 'S-3', 'Lise Meitner', 'Physicist', 'Research', 'Berlin', '', 'marie.curie@acme.test', 'research'],
];

test('an admin imports a CSV to invite later, then Invite All delivers every claim email', async ({ page }) => {
  await signIn(page, admin.email, admin.password);
  await page.getByRole('navigation', { name: 'Admin panel' }).getByRole('link', { name: 'Import', exact: true }).click();
  await waitForHydration(page);
  await expect(page.getByRole('heading', { name: 'Import people' })).toBeVisible();

  // A semicolon-separated file saved with a byte-order mark, with one bad row.
  const header = 'Email;External ID;Full name;Title;Department;Location;Phone;Manager email;Groups';
  const rows = people.map((row) => row.map((cell) => (cell.includes(';') ? `"${cell}"` : cell)).join(';'));
  const csv = '\ufeff' + [header, ...rows, 'not-an-address;S-9;Broken Row;;;;;;'].join('\r\n') + '\r\n';
  await page.getByLabel('Spreadsheet of people (.csv or .xlsx)').setInputFiles({ name: 'scientists.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Check the file' }).click();

  await expect(page.getByRole('heading', { name: 'Import preview' })).toBeVisible();
  const counts = page.getByRole('list', { name: 'What the file contains' });
  await expect(counts.getByRole('listitem').filter({ hasText: /^3\s*New/ })).toBeVisible();
  await expect(counts.getByRole('listitem').filter({ hasText: /^1\s*Invalid/ })).toBeVisible();
  await expect(page.getByRole('row', { name: /5 not-an-address/ })).toContainText('Email:');
  await expect(page.getByText('New groups: Nobel laureates, Research.')).toBeVisible();
  await snapshot(page, 'admin-import-preview');

  await page.getByLabel(/Invite later/).check();
  await page.getByRole('button', { name: 'Apply: add 3 and update 0' }).click();
  await expect(page.getByRole('status')).toContainText('3 people added, 0 updated');

  // They wait in Unsent Invitations.
  await page.getByRole('navigation', { name: 'Admin panel' }).getByRole('link', { name: 'Unsent Invitations' }).click();
  for (const [, , name] of people) await expect(page.getByRole('link', { name })).toBeVisible();
  await snapshot(page, 'admin-unsent-invitations');

  // Invite All: customise, preview, send, confirm.
  await page.getByLabel('Personal message (optional)').fill('Welcome to the lab!');
  await page.getByRole('button', { name: 'Preview the email' }).click();
  await expect(page.getByRole('region', { name: 'Email preview' })).toContainText('Welcome to the lab!');
  await page.getByRole('button', { name: /^Send to \d+ people…$/ }).click();
  await expect(page.getByRole('alert')).toContainText('Each person gets an email with their own claim link');
  const sent = new Date();
  await page.getByRole('button', { name: /^Yes, send \d+ invitations$/ }).click();
  await expect(page.getByRole('status')).toContainText('invitations queued');

  for (const [email] of people) {
    const mail = await emailTo(email, sent);
    expect(mail.text).toContain('Welcome to the lab!');
    expect(mail.text).toMatch(/\/claim\/[A-Za-z0-9_-]{20,}/);
  }
  await expect(page.getByRole('heading', { name: /0 people are waiting/ })).toBeVisible();
});

test('Invite Selected takes an LDIF export from the directory and invites whom it names', async ({ page }) => {
  await signIn(page, admin.email, admin.password);
  // Two people wait uninvited (imported to invite later).
  await page.goto('/admin/import');
  await waitForHydration(page);
  const csv = 'Email,External ID,Full name\nkatherine.johnson@acme.test,AD-1,Katherine Johnson\ndorothy.vaughan@acme.test,AD-2,Dorothy Vaughan\n';
  await page.getByLabel('Spreadsheet of people (.csv or .xlsx)').setInputFiles({ name: 'pioneers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Check the file' }).click();
  await page.getByLabel(/Invite later/).check();
  await page.getByRole('button', { name: 'Apply: add 2 and update 0' }).click();
  await expect(page.getByRole('status')).toContainText('2 people added, 0 updated');

  // The directory's export names Katherine by mail, Dorothy by employeeID, and a printer.
  const ldif = [
    'version: 1',
    'dn: uid=kjohnson,ou=people,dc=acme,dc=test',
    'objectClass: inetOrgPerson',
    'cn: Katherine Johnson',
    'mail: katherine.johnson@acme.test',
    '',
    'dn: CN=Dorothy Vaughan,OU=Staff,DC=acme,DC=test',
    'cn: Dorothy Vaughan',
    'employeeID: AD-2',
    '',
    'dn: cn=printer-3,ou=devices,dc=acme,dc=test',
    'cn: printer-3',
    '',
  ].join('\n');
  await page.goto('/admin/invitations');
  await waitForHydration(page);
  await page.getByLabel('List of people to invite').setInputFiles({ name: 'directory.ldif', mimeType: 'text/plain', buffer: Buffer.from(ldif) });
  await page.getByRole('button', { name: 'Check the list' }).click();

  await expect(page.getByRole('heading', { name: 'Invite Selected' })).toBeVisible();
  await expect(page.getByText('“directory.ldif” lists 3 entries.')).toBeVisible();
  const matched = page.getByRole('list', { name: 'What the list matched' });
  await expect(matched.getByRole('listitem').filter({ hasText: /^2\s*Matched, ready to invite/ })).toBeVisible();
  await expect(matched.getByRole('listitem').filter({ hasText: /^1\s*Not found/ })).toBeVisible();
  // The printer is named with the line of its dn, and why it matched nobody.
  await expect(page.getByRole('row', { name: /^11 printer-3 Has no email address or external ID/ })).toBeVisible();
  await snapshot(page, 'admin-invite-selected-ldif');

  await page.getByRole('button', { name: 'Preview the email' }).click();
  await page.getByRole('button', { name: 'Send to 2 people…' }).click();
  const sent = new Date();
  await page.getByRole('button', { name: 'Yes, send 2 invitations' }).click();
  await expect(page.getByRole('status')).toContainText('invitations queued');
  for (const email of ['katherine.johnson@acme.test', 'dorothy.vaughan@acme.test']) {
    expect((await emailTo(email, sent)).text).toMatch(/\/claim\/[A-Za-z0-9_-]{20,}/);
  }
});
