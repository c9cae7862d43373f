import { test, expect } from '@playwright/test';
import { admin, emailTo, signIn, snapshot, waitForHydration } from '../support/helpers';

test('an admin previews and resends an invitation, then deactivates and deletes the person', async ({ page }) => {
  await signIn(page, admin.email, admin.password);
  await page.goto('/admin/people/new');
  await page.getByLabel('Email address', { exact: true }).fill('alan.turing@acme.test');
  await page.getByLabel('Full name').fill('Alan Turing');
  const sent = new Date();
  await page.getByRole('button', { name: 'Add and send invitation' }).click();
  await expect(page.getByRole('status')).toContainText('invitation is on its way');
  const first = await emailTo('alan.turing@acme.test', sent);

  // The Outgoing mail page shows it delivered.
  await page.getByRole('navigation', { name: 'Admin panel' }).getByRole('link', { name: 'Outgoing mail' }).click();
  await expect(page.getByRole('row', { name: /Invitation for Alan Turing/ })).toContainText('Sent');
  await snapshot(page, 'admin-outgoing-mail');
  await page.goto('/admin/people');

  // The row's Resend action opens the preview straight away.
  await page.getByRole('link', { name: 'Resend Alan Turing' }).click();
  await waitForHydration(page);
  await expect(page.getByRole('heading', { name: 'Alan Turing' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Email preview' })).toContainText('alan.turing@acme.test');
  await page.getByRole('link', { name: 'Cancel' }).click();
  await page.getByLabel('Personal message (optional)').fill('Your desk is on the 3rd floor.');
  await page.getByRole('button', { name: 'Resend invitation: preview the email' }).click();
  const preview = page.getByRole('region', { name: 'Email preview' });
  await expect(preview).toContainText('Your desk is on the 3rd floor.');
  await expect(preview).toContainText('alan.turing@acme.test');
  await snapshot(page, 'admin-invitation-preview');
  await page.getByRole('button', { name: /Send this email/ }).click();
  await expect(page.getByRole('status')).toContainText('Any earlier link no longer works');
  await expect(page.getByRole('cell', { name: 'Invitation sent again' })).toBeVisible();

  await page.getByRole('link', { name: 'Deactivate…' }).click();
  await expect(page.getByRole('alert')).toContainText('signs them out everywhere');
  await page.getByRole('button', { name: 'Deactivate now' }).click();
  await expect(page.getByRole('status')).toContainText('Deactivated');
  await expect(page.getByText('Deactivated', { exact: true }).first()).toBeVisible();

  await page.getByRole('link', { name: 'Delete…' }).click();
  await page.getByRole('button', { name: 'Delete permanently' }).click();
  await expect(page).toHaveURL(/\/admin\/people\?deleted=1$/);
  await expect(page.getByRole('link', { name: 'Alan Turing' })).toHaveCount(0);

  // The first email's link was replaced, then the account removed: it is dead.
  const link = first.text.match(/https?:\/\/\S+\/claim\/[A-Za-z0-9_-]+/)![0];
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.goto(link);
  await expect(page.getByRole('heading', { name: "We don't recognise this link" })).toBeVisible();
});
