import { test, expect, Page } from '@playwright/test';
import { baseURL } from '../playwright.config';
import { admin, emailTo, signIn, snapshot, waitForHydration, watchForBrowserErrors } from '../support/helpers';

// The real OpenID provider scripts/test starts (npm oidc-provider) at
// 127.0.0.1, while the browser uses Embark at localhost.
const issuer = process.env.EMBARK_TEST_OIDC_ISSUER ?? '';

/** Registers Embark at the provider, as an admin would in its console. */
async function registerEmbark(): Promise<{ clientId: string; clientSecret: string }> {
  const response = await fetch(`${issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      redirect_uris: [`${baseURL}/sso/callback`],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }),
  });
  expect(response.ok, 'the provider registers the client').toBe(true);
  const client = await response.json();
  return { clientId: client.client_id, clientSecret: client.client_secret };
}

/**
 * Clicks through to the provider and logs in at its own login page (a
 * development page that takes any login name as the subject), unless the
 * provider still remembers this browser; resolves back at Embark.
 */
async function throughProvider(page: Page, click: () => Promise<void>, login: string) {
  const before = page.url();
  const provider = new URL(issuer).origin;
  await click();
  await page.waitForURL((url) => url.href !== before && (url.origin === provider || url.origin === baseURL));
  if (new URL(page.url()).origin === provider) {
    await page.getByPlaceholder('Enter any login').fill(login);
    await page.getByPlaceholder('and password').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.waitForURL((url) => url.origin === baseURL);
  }
}

async function addPerson(page: Page, email: string, name: string, method: 'Password' | 'Single sign-on') {
  await page.goto('/admin/people/new');
  await page.getByLabel('Email address', { exact: true }).fill(email);
  await page.getByLabel('Full name').fill(name);
  const sent = new Date();
  await page.getByRole('button', { name: 'Add and send invitation' }).click();
  await expect(page.getByRole('status')).toContainText('invitation is on its way');
  await page.getByLabel('Search by name, email or external ID').fill(email);
  await page.getByLabel('Search by name, email or external ID').press('Enter');
  await page.getByRole('link', { name, exact: true }).click();
  await waitForHydration(page);
  await page.getByLabel('Own sign-in method').selectOption({ label: method });
  await page.getByRole('button', { name: 'Save sign-in method' }).click();
  await expect(page.getByRole('status')).toContainText('Sign-in method saved');
  return sent;
}

test('an admin sets up single sign-on; people claim through the provider and sign in with it', async ({ browser, page }) => {
  expect(issuer, 'EMBARK_TEST_OIDC_ISSUER is set by scripts/test').not.toBe('');
  const { clientId, clientSecret } = await registerEmbark();

  // The admin configures the provider and tests it.
  await signIn(page, admin.email, admin.password);
  await page.getByRole('navigation', { name: 'Admin panel' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('link', { name: 'Set up single sign-on' }).click();
  await waitForHydration(page);
  await expect(page.getByText(`${baseURL}/sso/callback`)).toBeVisible();
  await page.getByLabel('Issuer URL').fill(issuer);
  await page.getByLabel('Client ID').fill(clientId);
  await page.getByLabel('Client secret').fill(clientSecret);
  await page.getByLabel('Button text').fill('Sign in with Acme SSO');
  await page.getByLabel('Trusted email domains').fill('acme.test');
  await page.getByLabel('Only the people whose sign-in method is single sign-on').check();
  await page.getByRole('button', { name: 'Save single sign-on settings' }).click();
  await expect(page.getByRole('status')).toContainText('single sign-on settings are in force');
  await snapshot(page, 'sso-settings');

  await throughProvider(page, () => page.getByRole('link', { name: 'Run a test sign-in' }).click(), 'unverified:ada@acme.test');
  await expect(page).toHaveURL(/\/admin\/settings\/sso/);
  const result = page.getByRole('status').filter({ hasText: 'Test sign-in worked' });
  await expect(result).toContainText('unverified:ada@acme.test');
  await expect(result).toContainText("No: this person can't claim from the sign-in page");
  await snapshot(page, 'sso-test-result');

  // Sam is invited by email and signs in with SSO.
  const sent = await addPerson(page, 'sam@acme.test', 'Sam Single', 'Single sign-on');
  const email = await emailTo('sam@acme.test', sent);
  const link = email.text.match(/https?:\/\/\S+\/claim\/[A-Za-z0-9_-]+/)?.[0];
  expect(link).toBeTruthy();

  const samContext = await browser.newContext();
  const sam = await samContext.newPage();
  const errors = watchForBrowserErrors(sam);
  await sam.goto(link!);
  await waitForHydration(sam);
  // The terms (required since the claim test), the profile, then the
  // provider in place of a password.
  await expect(sam.getByText('Step 1 of 4')).toBeVisible();
  await sam.getByLabel('I have read and accept the terms of use').check();
  await sam.getByRole('button', { name: 'Accept and continue' }).click();
  await expect(sam.getByRole('heading', { name: 'Check your profile' })).toBeVisible();
  await sam.getByRole('button', { name: /Continue/ }).click();
  await expect(sam.getByRole('heading', { name: 'Sign in with your work account' })).toBeVisible();
  await expect(sam.getByRole('list', { name: 'Progress' })).toContainText('Sign in with Acme SSO');
  await expect(sam.getByRole('list', { name: 'Progress' })).not.toContainText('Your password');
  await snapshot(sam, 'sso-claim-step');
  await throughProvider(sam, () => sam.getByRole('link', { name: 'Sign in with Acme SSO' }).click(), 'sam@acme.test');
  await expect(sam).toHaveURL(/\/claim$/);
  await expect(sam.getByRole('heading', { name: 'Your groups' })).toBeVisible();
  await sam.getByRole('button', { name: /Finish/ }).click();
  await expect(sam).toHaveURL(`${baseURL}/`);
  await expect(sam.getByText('Sam Single').first()).toBeVisible();

  // Signs out, and in again with the button.
  await sam.getByRole('button', { name: 'Sign out' }).click();
  await expect(sam).toHaveURL(/\/sign-in/);
  await snapshot(sam, 'sso-sign-in-page');
  await throughProvider(sam, () => sam.getByRole('link', { name: 'Sign in with Acme SSO' }).click(), 'sam@acme.test');
  await expect(sam).toHaveURL(`${baseURL}/`);
  expect(errors).toEqual([]);

  // Tia was invited; she claims straight from the sign-in page.
  await addPerson(page, 'tia@acme.test', 'Tia Trusted', 'Single sign-on');
  const tiaContext = await browser.newContext();
  const tia = await tiaContext.newPage();
  await tia.goto('/sign-in');
  await throughProvider(tia, () => tia.getByRole('link', { name: 'Sign in with Acme SSO' }).click(), 'tia@acme.test');
  await expect(tia).toHaveURL(/\/claim$/);
  await waitForHydration(tia);
  // Signed in at the provider already: terms, profile and groups only.
  await expect(tia.getByText('Step 1 of 3')).toBeVisible();
  await expect(tia.getByRole('list', { name: 'Progress' })).not.toContainText('Sign in with Acme SSO');
  await tia.getByLabel('I have read and accept the terms of use').check();
  await tia.getByRole('button', { name: 'Accept and continue' }).click();
  await tia.getByRole('button', { name: /Continue/ }).click();
  await tia.getByRole('button', { name: /Finish/ }).click();
  await expect(tia).toHaveURL(`${baseURL}/`);

  // A deactivated person is refused at the callback.
  await page.goto('/admin/people?q=sam%40acme.test');
  await page.getByRole('link', { name: 'Sam Single', exact: true }).click();
  await page.getByRole('link', { name: 'Deactivate…' }).click();
  await page.getByRole('button', { name: 'Deactivate now' }).click();
  await expect(page.getByRole('status')).toContainText('Deactivated');
  await sam.goto('/sign-in');
  await throughProvider(sam, () => sam.getByRole('link', { name: 'Sign in with Acme SSO' }).click(), 'sam@acme.test');
  await expect(sam.getByRole('heading', { name: 'Your account is deactivated' })).toBeVisible();
  await snapshot(sam, 'sso-refused-deactivated');

  // Each other refusal has its own page that says what to do next.
  const refusals: [string, string, string][] = [
    ['unverified:uma@acme.test', "Your email address isn't verified", 'sso-refused-unverified'],
    ['uma@elsewhere.test', "This email address can't be used here", 'sso-refused-untrusted-domain'],
    ['nobody@acme.test', "There's no Embark account for you yet", 'sso-refused-no-account'],
  ];
  for (const [login, heading, name] of refusals) {
    const context = await browser.newContext();
    const visitor = await context.newPage();
    await visitor.goto('/sign-in');
    await throughProvider(visitor, () => visitor.getByRole('link', { name: 'Sign in with Acme SSO' }).click(), login);
    await expect(visitor.getByRole('heading', { name: heading })).toBeVisible();
    await expect(visitor.getByRole('link', { name: 'Back to sign in' })).toBeVisible();
    await snapshot(visitor, name);
    await context.close();
  }

  // A link claim where the provider signs in someone with another address.
  const sentToVal = await addPerson(page, 'val@acme.test', 'Val Mismatch', 'Single sign-on');
  const valLink = (await emailTo('val@acme.test', sentToVal)).text.match(/https?:\/\/\S+\/claim\/[A-Za-z0-9_-]+/)?.[0];
  const valContext = await browser.newContext();
  const val = await valContext.newPage();
  await val.goto(valLink!);
  await val.getByLabel('I have read and accept the terms of use').check();
  await val.getByRole('button', { name: 'Accept and continue' }).click();
  await val.getByRole('button', { name: /Continue/ }).click();
  await throughProvider(val, () => val.getByRole('link', { name: 'Sign in with Acme SSO' }).click(), 'valerie@acme.test');
  await expect(val.getByRole('heading', { name: "That's a different email address" })).toBeVisible();
  await expect(val.getByText('signed you in as valerie@acme.test')).toBeVisible();
  await snapshot(val, 'sso-refused-email-mismatch');
  await valContext.close();
  await samContext.close();
  await tiaContext.close();
});
