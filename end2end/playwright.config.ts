import { defineConfig } from '@playwright/test';
import * as path from 'node:path';

// scripts/test builds Embark once and passes the binary, its site folder and
// a fresh database here; the server runs for the whole suite.
const port = Number(process.env.EMBARK_E2E_PORT ?? 3107);
// Embark at localhost while the test OpenID provider is at 127.0.0.1: the
// single sign-on redirects are then really cross-site.
export const baseURL = `http://localhost:${port}`;
export const serverLog = path.join(__dirname, '.artifacts', 'server.log');

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the end-to-end tests through scripts/test`);
  return value;
}

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: '.artifacts/results',
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    },
  },
  webServer: {
    command: `mkdir -p .artifacts && exec "${required('EMBARK_E2E_BINARY')}" > "${serverLog}" 2>&1`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      DATABASE_URL: required('EMBARK_E2E_DATABASE_URL'),
      EMBARK_LISTEN: `127.0.0.1:${port}`,
      EMBARK_PUBLIC_URL: baseURL,
      EMBARK_SECRET_KEY: required('EMBARK_SECRET_KEY'),
      LEPTOS_SITE_ROOT: required('EMBARK_E2E_SITE_ROOT'),
      EMBARK_SMTP_URL: required('EMBARK_TEST_SMTP_URL'),
      EMBARK_MAIL_FROM: 'Embark <embark@acme.test>',
      RUST_LOG: 'info',
    },
  },
});
