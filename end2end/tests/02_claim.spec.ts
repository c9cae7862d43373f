import { test, expect, request } from '@playwright/test';
import { admin, emailTo, signIn, snapshot, waitForHydration, watchForBrowserErrors } from '../support/helpers';

/** A valid 1×1 PNG: enough for the server to decode, crop and re-encode. */
const onePixelPng = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const grace = {
  email: 'grace.hopper@acme.test',
  name: 'Grace Hopper',
  password: 'nanoseconds on a wire',
};

test('an admin adds a colleague, who claims the account from the email and lands home', async ({ browser, page }) => {
  // The admin adds Grace: she is invited at once.
  await signIn(page, admin.email, admin.password);
  await expect(page).toHaveURL(/\/admin$/);

  // A group everyone is offered when they claim.
  await page.getByRole('navigation', { name: 'Admin panel' }).getByRole('link', { name: 'Groups' }).click();
  await page.getByLabel('Name').fill('Engineering');
  await page.getByLabel('Description').fill('Everyone who builds things');
  await page.getByLabel(/^Suggested/).check();
  await page.getByRole('button', { name: 'Create group' }).click();
  await expect(page.getByRole('status')).toContainText('The group was created.');

  // Everyone accepts the terms of use first.
  await page.getByRole('navigation', { name: 'Admin panel' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByLabel(/^Require terms/).check();
  await page.getByLabel('Terms text').fill('Be kind. Keep company information inside the company.');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('status')).toContainText('your settings are in force');

  await page.getByRole('navigation', { name: 'Admin panel' }).getByRole('link', { name: 'People' }).click();
  await page.getByRole('link', { name: 'Add person' }).click();
  await page.getByLabel('Email address', { exact: true }).fill(grace.email);
  await page.getByLabel('Full name').fill(grace.name);
  await page.getByLabel('Job title').fill('Computer scientist');
  await page.getByLabel('Department').fill('Research');
  await page.getByLabel("Manager's email address").fill(admin.email);
  await page.getByRole('group', { name: 'Groups (optional)' }).getByLabel('Engineering').check();
  await page.getByLabel('Personal message (optional)').fill('Welcome aboard, Grace!');
  const sent = new Date();
  await page.getByRole('button', { name: 'Add and send invitation' }).click();
  await expect(page.getByRole('status')).toContainText('invitation is on its way');
  const row = page.getByRole('row', { name: new RegExp(grace.name) });
  await expect(row).toContainText('Invited');
  await snapshot(page, 'admin-people');

  // The invitation arrives at the real SMTP server.
  const email = await emailTo(grace.email, sent);
  expect(email.subject).toContain(admin.organisation);
  expect(email.text).toContain('Welcome aboard, Grace!');
  const link = email.text.match(/https?:\/\/\S+\/claim\/[A-Za-z0-9_-]+/)?.[0];
  expect(link, 'the email carries a claim link').toBeTruthy();
  const preview = await browser.newPage();
  await preview.setContent(email.html);
  await snapshot(preview, 'claim-email');
  await preview.close();

  // A mail scanner opens the link first; that must not spend it.
  const scanner = await request.newContext();
  expect((await scanner.get(link!, { maxRedirects: 0 })).status()).toBe(303);
  await scanner.dispose();

  // Grace, in her own browser.
  const context = await browser.newContext();
  const person = await context.newPage();
  const errors = watchForBrowserErrors(person);
  await person.goto(link!);
  await expect(person).toHaveURL(/\/claim$/);
  await waitForHydration(person);
  await expect(person.getByText('Step 1 of 4')).toBeVisible();
  await expect(person.getByRole('region', { name: 'Terms of use' })).toContainText('Be kind.');
  await snapshot(person, 'claim-1-terms');
  await person.getByLabel('I have read and accept the terms of use').check();
  await person.getByRole('button', { name: 'Accept and continue' }).click();

  await expect(person.getByRole('heading', { name: 'Check your profile' })).toBeVisible();
  await expect(person.getByText('Step 2 of 4')).toBeVisible();
  await expect(person.getByLabel('Job title')).toHaveValue('Computer scientist');
  await person.getByLabel('Profile picture (optional)').setInputFiles({ name: 'grace.png', mimeType: 'image/png', buffer: Buffer.from(onePixelPng, 'base64') });
  await person.getByRole('button', { name: 'Upload picture' }).click();
  await expect(person.getByRole('img', { name: 'Your profile picture' })).toBeVisible();
  await snapshot(person, 'claim-2-profile');
  await person.getByLabel('Location').fill('Arlington');
  await person.getByRole('button', { name: 'Continue' }).click();

  await expect(person.getByRole('heading', { name: 'Choose a password' })).toBeVisible();
  await person.getByLabel('Password', { exact: true }).fill('short');
  await expect(person.getByText('5 characters so far: use at least 8.')).toBeVisible();
  await person.getByLabel('Password', { exact: true }).fill(grace.password);
  await expect(person.getByText('21 characters: good length.')).toBeVisible();
  await person.getByLabel('Repeat the password').fill(grace.password);
  await snapshot(person, 'claim-3-password');
  await person.getByRole('button', { name: 'Set password' }).click();

  await expect(person.getByRole('heading', { name: 'Join your groups' })).toBeVisible();
  // The admin already put her in Engineering.
  await expect(person.getByRole('listitem').filter({ hasText: 'Engineering' })).toBeVisible();
  await snapshot(person, 'claim-4-groups');
  await person.getByRole('button', { name: 'Finish and go to Embark' }).click();

  await expect(person).toHaveURL(/\/$/);
  await expect(person.getByRole('heading', { name: 'Welcome, Grace' })).toBeVisible();
  await expect(person.getByRole('region', { name: 'Your groups' })).toContainText('Engineering');
  await snapshot(person, 'home-after-claim');

  // She signs out and back in with her new password.
  await person.getByRole('button', { name: 'Sign out' }).click();
  await expect(person).toHaveURL(/\/sign-in$/);
  await person.getByLabel('Email address').fill(grace.email);
  await person.getByLabel('Password').fill(grace.password);
  await person.getByRole('button', { name: 'Sign in' }).click();
  await expect(person.getByRole('heading', { name: 'Welcome, Grace' })).toBeVisible();
  await person.getByRole('link', { name: 'Your profile' }).click();
  await expect(person.getByLabel('Location')).toHaveValue('Arlington');
  await expect(person.getByRole('img', { name: 'Your profile picture' })).toBeVisible();
  await person.getByLabel('Phone').fill('+1 555 0100');
  await person.getByRole('button', { name: 'Save profile' }).click();
  await expect(person.getByRole('status')).toContainText('your profile is up to date');
  await snapshot(person, 'profile');
  await person.getByRole('button', { name: 'Sign out' }).click();

  // The link is spent now, and says so calmly.
  await person.goto(link!);
  await expect(person.getByRole('heading', { name: 'This account has already been claimed' })).toBeVisible();
  await snapshot(person, 'claim-link-already-used');
  expect(errors).toEqual([]);
  await context.close();

  // The admin sees her as claimed.
  await page.goto('/admin/people?status=claimed');
  await expect(page.getByRole('row', { name: new RegExp(grace.name) })).toContainText('Claimed');
});
