import { test, expect, Page } from '@playwright/test';
import * as fs from 'node:fs';
import { serverLog } from '../playwright.config';

/** The one-time setup link the server printed when it started. */
function setupLinkFromServerLog(): string {
  const log = fs.readFileSync(serverLog, 'utf8');
  const match = log.match(/https?:\/\/\S+\/setup\/[A-Za-z0-9_-]+/);
  if (!match) throw new Error(`no setup link in the server log:\n${log}`);
  return match[0];
}

/**
 * Collects browser errors such as panics and hydration mismatches. HTTP
 * statuses the app answers on purpose (a 422 for a refused form) are not
 * errors of the page.
 */
function watchForBrowserErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text());
  });
  return errors;
}

/** Saves what a person sees, for review (end2end/.artifacts/screens). */
async function snapshot(page: Page, name: string) {
  await page.screenshot({ path: `.artifacts/screens/${name}.png`, fullPage: true });
}

/** Resolves once the wasm app has taken over the server-rendered page. */
async function waitForHydration(page: Page) {
  await page.waitForFunction(() => (window as any).__embark_hydrated === true);
}

const admin = {
  organisation: 'Acme Robotics',
  name: 'Ada Lovelace',
  email: 'ada@acme.test',
  password: 'analytical engine punched cards',
};

test.describe.serial('first run', () => {
  test('the setup link creates the first admin, who lands in the admin panel', async ({ page }) => {
    const errors = watchForBrowserErrors(page);
    await page.goto(setupLinkFromServerLog());
    // The secret leaves the address bar at once.
    await expect(page).toHaveURL(/\/setup$/);
    await waitForHydration(page);
    await expect(page.getByRole('heading', { name: 'Set up Embark' })).toBeVisible();

    await page.getByLabel('Organisation name').fill(admin.organisation);
    await page.getByLabel('Your full name').fill(admin.name);
    await page.getByLabel('Your email address').fill(admin.email);
    await page.getByLabel('Password', { exact: true }).fill(admin.password);
    await page.getByLabel('Repeat the password').fill('something else entirely');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await expect(page.getByText('The two passwords are not the same.')).toBeVisible();
    await snapshot(page, 'setup-with-an-error');

    await page.getByLabel('Repeat the password').fill(admin.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();

    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByRole('heading', { name: admin.organisation })).toBeVisible();
    const adminNav = page.getByRole('navigation', { name: 'Admin panel' });
    for (const section of ['People', 'Unsent Invitations', 'Groups', 'Settings']) {
      await expect(adminNav.getByRole('link', { name: section })).toBeVisible();
    }
    await snapshot(page, 'admin-overview');
    expect(errors).toEqual([]);
  });

  test('the setup link does nothing once an admin exists', async ({ page }) => {
    await page.goto(setupLinkFromServerLog());
    await expect(page).toHaveURL(/\/sign-in$/);
  });

  test('the admin signs out, is refused a wrong password, and signs in again', async ({ page }) => {
    const errors = watchForBrowserErrors(page);
    await page.goto('/admin/people');
    // Not signed in: sent to sign in, and back to the page afterwards.
    await expect(page).toHaveURL(/\/sign-in\?next=%2Fadmin%2Fpeople$/);
    await waitForHydration(page);

    await page.getByLabel('Email address').fill(admin.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toContainText("don't match an active account");
    await snapshot(page, 'sign-in-refused');

    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/admin\/people$/);
    await expect(page.getByRole('heading', { name: 'People', level: 1 })).toBeVisible();

    // Client-side navigation inside the admin panel.
    await page.getByRole('navigation', { name: 'Admin panel' }).getByRole('link', { name: 'Settings' }).click();
    await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
    await expect(page.getByText(admin.organisation)).toBeVisible();
    await snapshot(page, 'admin-settings');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/sign-in$/);
    await page.goto('/admin');
    await expect(page).toHaveURL(/\/sign-in\?next=%2Fadmin$/);
    expect(errors).toEqual([]);
  });

  test('the sign-in form works before the app has loaded its script', async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto('/sign-in');
    await page.getByLabel('Email address').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByRole('heading', { name: admin.organisation })).toBeVisible();
    await context.close();
  });
});
