import { test, expect } from '@playwright/test';
import { admin, signIn, snapshot, waitForHydration, watchForBrowserErrors } from '../support/helpers';

// Someone without an email address: the admin adds them, prints their card,
// and they set up their account with the code on it.
test('a person without email claims with the code from their printed card and signs in with a username', async ({ page, browser }) => {
  const errors = watchForBrowserErrors(page);
  await signIn(page, admin.email, admin.password);
  await page.goto('/admin/people/new');
  await waitForHydration(page);
  await page.getByLabel('Full name').fill('Rosa Parks');
  await page.getByLabel('Department').fill('Warehouse');
  await page.getByRole('button', { name: 'Add and send invitation' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Rosa Parks' })).toBeVisible();
  await expect(page.getByRole('status')).toContainText('A new access code is ready');
  await expect(page.getByRole('region', { name: 'Access code' })).toContainText('Works until');
  await page.getByRole('button', { name: 'Show code' }).click();
  const codePattern = /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/;
  await expect(page.getByRole('status').filter({ hasText: 'Access code:' })).toHaveText(/Access code: [A-Z2-9]{4}-/);
  await snapshot(page, 'person-access-code');

  // The print sheet for the warehouse: one card, read as the person would.
  await page.goto('/admin/invitations');
  await page.getByLabel('Department (optional)').fill('warehouse');
  await page.getByRole('button', { name: 'Print access codes' }).click();
  await expect(page.getByRole('heading', { level: 1, name: '1 access code' })).toBeVisible();
  const card = page.getByRole('article').filter({ hasText: 'Rosa Parks' });
  await expect(card.getByRole('img', { name: /QR code/ })).toBeVisible();
  await snapshot(page, 'access-code-print-sheet');
  const code = (await card.getByText(codePattern).textContent())!.trim();

  // Rosa, in her own browser, types it as she reads it.
  const context = await browser.newContext();
  const person = await context.newPage();
  const personErrors = watchForBrowserErrors(person);
  await person.goto('/sign-in');
  await person.getByRole('link', { name: 'I have an access code' }).click();
  await expect(person.getByRole('heading', { name: 'Enter your access code' })).toBeVisible();
  await waitForHydration(person);
  await person.getByLabel('Access code').fill('ABCD-EFGH-JKLM-NPQ');
  await person.getByRole('button', { name: 'Continue' }).click();
  await expect(person.getByLabel('Access code')).toHaveAttribute('aria-invalid', 'true');
  await expect(person.getByText('like ABCD-EFGH-JKLM-NPQR. Check it and try again.')).toBeVisible();
  await snapshot(person, 'claim-code-malformed');
  await person.getByLabel('Access code').fill(code.toLowerCase().replace(/-/g, ' '));
  await snapshot(person, 'claim-code-entry');
  await person.getByRole('button', { name: 'Continue' }).click();

  await expect(person).toHaveURL(/\/claim$/);
  await person.getByLabel('I have read and accept the terms of use').check();
  await person.getByRole('button', { name: 'Accept and continue' }).click();
  await expect(person.getByRole('heading', { name: 'Check your profile' })).toBeVisible();
  await person.getByRole('button', { name: 'Continue' }).click();
  await expect(person.getByRole('heading', { name: 'Choose your username and password' })).toBeVisible();
  await expect(person.getByLabel('Username')).toHaveValue('rosa.parks');
  await person.getByLabel('Username').fill('rosa.p');
  await person.getByLabel('Password', { exact: true }).fill('montgomery bus boycott 1955');
  await person.getByLabel('Repeat the password').fill('montgomery bus boycott 1955');
  await snapshot(person, 'claim-code-username');
  await person.getByRole('button', { name: 'Set password' }).click();
  await person.getByRole('button', { name: 'Finish and go to Embark' }).click();
  await expect(person.getByRole('heading', { name: 'Welcome, Rosa' })).toBeVisible();

  await person.getByRole('button', { name: 'Sign out' }).click();
  await expect(person).toHaveURL(/\/sign-in$/);
  await person.getByLabel('Email address or username').fill('Rosa.P');
  await person.getByLabel('Password').fill('montgomery bus boycott 1955');
  await person.getByRole('button', { name: 'Sign in' }).click();
  await expect(person.getByRole('heading', { name: 'Welcome, Rosa' })).toBeVisible();
  await person.getByRole('link', { name: 'Your profile' }).click();
  await expect(person.getByRole('heading', { level: 1, name: 'Your profile' })).toBeVisible();
  await snapshot(person, 'profile-username');
  expect(personErrors).toEqual([]);
  await context.close();
  expect(errors).toEqual([]);
});
