import { test, expect } from '@playwright/test';
import * as fs from 'node:fs';
import { admin, signIn, snapshot, waitForHydration, watchForBrowserErrors } from '../support/helpers';

// Grace claimed her account in 02_claim.
const grace = { name: 'Grace Hopper', email: 'grace.hopper@acme.test', password: 'nanoseconds on a wire' };
const linus = { name: 'Linus Export', email: 'linus@acme.test' };

// The owner makes Grace a people admin. She filters People to the invited,
// exports them, and the link in the file claims Linus's account in a fresh
// browser; Settings stay closed to her, and the audit log tells the story.
test('a people admin exports invited people, a link from the file claims, and settings stay closed to them', async ({ page, browser }) => {
  const errors = watchForBrowserErrors(page);
  await signIn(page, admin.email, admin.password);
  await page.goto('/admin/people/new');
  await waitForHydration(page);
  await page.getByLabel('Email address', { exact: true }).fill(linus.email);
  await page.getByLabel('Full name').fill(linus.name);
  await page.getByRole('button', { name: 'Add and send invitation' }).click();
  await expect(page.getByRole('status')).toContainText('invitation is on its way');

  await page.goto('/admin/people');
  await page.getByRole('link', { name: grace.name, exact: true }).click();
  await waitForHydration(page);
  const role = page.getByRole('group', { name: 'Role' });
  await expect(role.getByLabel(/^Employee/)).toBeChecked();
  await role.getByLabel(/^People admin/).check();
  await page.getByRole('button', { name: 'Save role' }).click();
  await expect(page.getByRole('status')).toContainText('Role saved');
  await expect(page.getByRole('group', { name: 'Role' }).getByLabel(/^People admin/)).toBeChecked();
  await snapshot(page, 'person-role');

  // Grace, in her own browser.
  const context = await browser.newContext({ acceptDownloads: true });
  const peopleAdmin = await context.newPage();
  const theirErrors = watchForBrowserErrors(peopleAdmin);
  await signIn(peopleAdmin, grace.email, grace.password);
  const nav = peopleAdmin.getByRole('navigation', { name: 'Admin panel' });
  await expect(nav.getByRole('link', { name: 'People' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Settings' })).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Integrations' })).toHaveCount(0);

  await peopleAdmin.goto('/admin/people');
  await waitForHydration(peopleAdmin);
  await peopleAdmin.getByLabel('Account status').selectOption('invited');
  await peopleAdmin.getByRole('button', { name: 'Apply' }).click();
  await expect(peopleAdmin).toHaveURL(/status=invited/);
  await peopleAdmin.getByRole('link', { name: 'Export…' }).click();
  await expect(peopleAdmin.getByRole('heading', { level: 1, name: 'Export people' })).toBeVisible();
  await expect(peopleAdmin.getByText('Everyone whose status is invited')).toBeVisible();
  await snapshot(peopleAdmin, 'people-export');
  const [download] = await Promise.all([peopleAdmin.waitForEvent('download'), peopleAdmin.getByRole('link', { name: 'Download CSV' }).click()]);
  expect(download.suggestedFilename()).toBe('embark-people.csv');
  const csv = fs.readFileSync((await download.path())!, 'utf8');
  const lines = csv.trim().split('\n');
  expect(lines[0]).toContain('Claim link');
  expect(lines.slice(1).every((line) => line.includes(',Invited,')), 'only invited people').toBe(true);
  const linusLine = lines.find((line) => line.startsWith(linus.email));
  const link = linusLine?.match(/https?:\/\/[^,\s]+\/claim\/[A-Za-z0-9_-]+/)?.[0];
  expect(link, `a claim link for Linus in:\n${csv}`).toBeTruthy();

  // Linus, in a fresh browser, with the link from the file.
  const linusContext = await browser.newContext();
  const claimant = await linusContext.newPage();
  await claimant.goto(link!);
  await expect(claimant).toHaveURL(/\/claim$/);
  await expect(claimant.getByText(/Step 1 of/)).toBeVisible();
  await linusContext.close();

  // Settings are the owners'.
  await peopleAdmin.goto('/admin/settings');
  await expect(peopleAdmin.getByRole('heading', { name: 'Only owners can open this page' })).toBeVisible();

  // The audit log says what happened, in words.
  await peopleAdmin.goto('/admin/audit');
  await waitForHydration(peopleAdmin);
  await expect(peopleAdmin.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
  const log = peopleAdmin.getByRole('table');
  await expect(log).toContainText(`${admin.name} made ${grace.name} <${grace.email}> a people admin`);
  await expect(log).toContainText(`${grace.name} exported people`);
  await snapshot(peopleAdmin, 'audit-log');
  await peopleAdmin.getByLabel('Person (email address)').fill(linus.email);
  await peopleAdmin.getByLabel('Kind').selectOption({ label: 'Invitation sent' });
  await peopleAdmin.getByRole('button', { name: 'Apply' }).click();
  await expect(peopleAdmin.getByRole('status')).toContainText(`Showing what ${linus.name}`);
  await expect(log.getByRole('row')).toHaveCount(2);
  await expect(log).toContainText(`${admin.name} invited ${linus.name} <${linus.email}>`);
  await snapshot(peopleAdmin, 'audit-log-filtered');
  await context.close();

  // Grace goes back to being an employee.
  await role.getByLabel(/^Employee/).check();
  await page.getByRole('button', { name: 'Save role' }).click();
  await expect(page.getByRole('status')).toContainText('Role saved');
  expect(errors).toEqual([]);
  expect(theirErrors).toEqual([]);
});
