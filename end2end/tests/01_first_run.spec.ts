import { test, expect } from '@playwright/test';
import { admin, setupLinkFromServerLog, snapshot, waitForHydration, watchForBrowserErrors } from '../support/helpers';

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
    await expect(page.getByLabel('Organisation name')).toHaveValue(admin.organisation);
    // The claim email preview follows what the admin types.
    await page.getByLabel('Subject').fill('{first_name}, come aboard {organization}');
    await expect(page.getByRole('region', { name: 'Claim email preview' })).toContainText('Grace, come aboard Acme Robotics');
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
