import { test, expect } from '@playwright/test';
import * as fs from 'node:fs';
import { serverLog } from '../playwright.config';
import { admin, signIn, snapshot, waitForHydration, watchForBrowserErrors } from '../support/helpers';

// scripts/test runs this suite against the release build, the one
// `scripts/run` serves: every page here must come alive in the browser.
test('every admin page hydrates in the release build, and the server logs no error rendering it', async ({ page }) => {
  const errors = watchForBrowserErrors(page);
  const logBefore = fs.readFileSync(serverLog, 'utf8').length;
  await signIn(page, admin.email, admin.password);
  const pages: [string, string | RegExp][] = [
    ['/admin', admin.organisation],
    ['/admin/people', 'People'],
    ['/admin/people/new', 'Add a person'],
    ['/admin/people/export?status=invited', 'Export people'],
    ['/admin/audit', 'Audit log'],
    ['/admin/import', 'Import people'],
    ['/admin/invitations', 'Unsent Invitations'],
    ['/admin/invitations?preview=1&message=Hello', 'Unsent Invitations'],
    ['/admin/groups', 'Groups'],
    ['/admin/mail', 'Outgoing mail'],
    ['/admin/integrations', 'Integrations'],
    ['/admin/settings', 'Settings'],
    ['/admin/settings/sso', 'Single sign-on'],
    ['/', /Welcome, Ada/],
    ['/profile', 'Your profile'],
  ];
  for (const [path, heading] of pages) {
    await page.goto(path);
    await waitForHydration(page);
    await expect(page.getByRole('heading', { level: 1, name: heading }), path).toBeVisible();
  }
  // A person's page and a group's page, reached by their links.
  await page.goto('/admin/people');
  await page.getByRole('link', { name: 'Grace Hopper', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Grace Hopper' })).toBeVisible();
  await page.goto('/admin/groups');
  await page.getByRole('link', { name: 'Engineering', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Engineering' })).toBeVisible();
  await snapshot(page, 'admin-group');
  expect(errors).toEqual([]);

  const logged = fs.readFileSync(serverLog, 'utf8').slice(logBefore);
  expect(logged.split('\n').filter((line) => line.includes('ERROR'))).toEqual([]);
});

test('the server logged no error while the whole suite ran', async () => {
  const errors = fs.readFileSync(serverLog, 'utf8').split('\n').filter((line) => line.includes('ERROR'));
  expect(errors).toEqual([]);
});
