import { expect, Page } from '@playwright/test';
import * as fs from 'node:fs';
import { serverLog } from '../playwright.config';

/** The administrator the first-run test creates and later tests sign in as. */
export const admin = {
  organisation: 'Acme Robotics',
  name: 'Ada Lovelace',
  email: 'ada@acme.test',
  password: 'analytical engine punched cards',
};

/** The one-time setup link the server printed when it started. */
export function setupLinkFromServerLog(): string {
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
export function watchForBrowserErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text());
  });
  return errors;
}

/** Saves what a person sees, for review (end2end/.artifacts/screens). */
export async function snapshot(page: Page, name: string) {
  await page.screenshot({ path: `.artifacts/screens/${name}.png`, fullPage: true });
}

/** Resolves once the wasm app has taken over the server-rendered page. */
export async function waitForHydration(page: Page) {
  await page.waitForFunction(() => (window as any).__embark_hydrated === true);
}


export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/sign-in');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).not.toHaveURL(/\/sign-in/);
}

/** A message the real SMTP server (maildev) received. */
export interface ReceivedEmail {
  subject: string;
  text: string;
  html: string;
  to: { address: string }[];
  /** When the SMTP server received it (whole seconds). */
  time: string;
}

/**
 * Waits for the outbox worker to deliver mail to `address` at or after
 * `since`, and returns the newest such message.
 */
export async function emailTo(address: string, since: Date): Promise<ReceivedEmail> {
  const api = process.env.EMBARK_TEST_MAILDEV_URL;
  if (!api) throw new Error('EMBARK_TEST_MAILDEV_URL is not set: run the tests through scripts/test');
  let found: ReceivedEmail | undefined;
  await expect
    .poll(async () => {
      const all: ReceivedEmail[] = await (await fetch(`${api}/email`)).json();
      // The server stamps whole seconds.
      const earliest = Math.floor(since.getTime() / 1000) * 1000;
      found = all
        .filter((m) => m.to.some((t) => t.address === address) && Date.parse(m.time) >= earliest)
        .pop();
      return found !== undefined;
    }, { timeout: 20_000, message: `an email to ${address}` })
    .toBe(true);
  return found!;
}
