import { test, expect, Browser, Page } from '@playwright/test';
import * as zlib from 'node:zlib';
import { admin, emailTo, signIn, snapshot, waitForHydration, watchForBrowserErrors } from '../support/helpers';

/** A valid 1×1 PNG. */
const onePixelPng = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/**
 * A zip bomb dressed as a workbook: one entry of 520 MB of zeros, deflated
 * to well under a megabyte, with an honest directory.
 */
function zipBomb(): Buffer {
  const size = 520 * 1024 * 1024;
  const chunk = Buffer.alloc(1024 * 1024);
  let crc = 0;
  for (let written = 0; written < size; written += chunk.length) crc = zlib.crc32(chunk, crc);
  const data = zlib.deflateRawSync(Buffer.alloc(size), { level: 9 });
  const name = Buffer.from('xl/worksheets/sheet1.xml');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(crc >>> 0, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(size, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc >>> 0, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(size, 24);
  central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(local.length + name.length + data.length, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

interface Refusal {
  what: string;
  file: { name: string; mimeType: string; buffer: Buffer };
  reason: string | RegExp;
}

const importRefusals: Refusal[] = [
  {
    what: 'a Latin-1 CSV',
    file: { name: 'latin1.csv', mimeType: 'text/csv', buffer: Buffer.from('Email,Full name\nj.ose@acme.test,Jos\xe9 Garc\xeda\n', 'latin1') },
    reason: 'Line 2 is not UTF-8 text. Save the file as “CSV UTF-8” and upload it again.',
  },
  {
    what: 'a picture named .xlsx',
    file: { name: 'photo.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: onePixelPng },
    reason: '“photo.xlsx” is named .xlsx but is not an Excel workbook.',
  },
  {
    what: 'a zip-bomb workbook',
    file: { name: 'bomb.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: zipBomb() },
    reason: 'This workbook unpacks to more than 512 MB or has too many parts, so it was refused without being opened.',
  },
  {
    what: 'a file with a column Embark does not know',
    file: { name: 'typo.csv', mimeType: 'text/csv', buffer: Buffer.from('Emial,Full name\nada@acme.test,Ada\n') },
    reason: 'The column “Emial” is not one Embark knows.',
  },
];

const selectionRefusals: Refusal[] = [
  {
    what: 'a list without an Email or External ID column',
    file: { name: 'names.csv', mimeType: 'text/csv', buffer: Buffer.from('Name\nAda Lovelace\n') },
    reason: 'The first row must be a header naming an “Email” or an “External ID” column.',
  },
  {
    what: 'a Latin-1 text list',
    file: { name: 'list.txt', mimeType: 'text/plain', buffer: Buffer.from('ada@acme.test\nj.garc\xeda@acme.test\n', 'latin1') },
    reason: 'Line 2 is not UTF-8 text.',
  },
];

const pictureRefusals: Refusal[] = [
  {
    what: 'a GIF',
    file: { name: 'me.gif', mimeType: 'image/gif', buffer: Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1') },
    reason: 'Please choose a PNG, JPEG or WebP picture.',
  },
  {
    what: 'a damaged PNG',
    file: { name: 'me.png', mimeType: 'image/png', buffer: onePixelPng.subarray(0, 40) },
    reason: 'This picture could not be read.',
  },
];

/** A page in its own browser context, with or without JavaScript. */
async function newPage(browser: Browser, javaScriptEnabled: boolean): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled });
  return context.newPage();
}

/** Uploads each refused file through the form and checks the page says why. */
async function expectRefusals(page: Page, js: boolean, path: string, label: string, button: string, refusals: Refusal[], shot: string) {
  for (const refusal of refusals) {
    await page.goto(path);
    if (js) await waitForHydration(page);
    await page.getByLabel(label).setInputFiles(refusal.file);
    await page.getByRole('button', { name: button }).click();
    await expect(page, refusal.what).toHaveURL(/[?&](refused=1|picture_error=[a-z-]+)$/);
    // With the script, the page must also come alive on top of the refusal.
    if (js) await waitForHydration(page);
    await expect(page.getByRole('alert').filter({ hasText: refusal.reason }), refusal.what).toBeVisible();
  }
  await snapshot(page, `${shot}-${js ? 'with' : 'without'}-script`);
}

for (const js of [true, false]) {
  const how = js ? 'with' : 'without';

  test(`a refused import, list or picture says why, ${how} JavaScript`, async ({ browser }) => {
    const page = await newPage(browser, js);
    const errors = watchForBrowserErrors(page);
    await signIn(page, admin.email, admin.password);

    await expectRefusals(page, js, '/admin/import', 'Spreadsheet of people (.csv or .xlsx)', 'Check the file', importRefusals, 'refused-import');
    // Nothing was imported, and the page without a refusal shows none.
    await page.goto('/admin/import');
    await expect(page.getByRole('heading', { name: 'Import people' })).toBeVisible();
    await expect(page.getByRole('alert')).toHaveCount(0);

    await expectRefusals(page, js, '/admin/invitations', 'List of people to invite', 'Check the list', selectionRefusals, 'refused-selection');
    await expectRefusals(page, js, '/profile', 'Profile picture (optional)', 'Upload picture', pictureRefusals, 'refused-picture');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  test(`a refused picture in the claim wizard says why, ${how} JavaScript`, async ({ browser, page }) => {
    const email = `refused.picture.${how}@acme.test`;
    await signIn(page, admin.email, admin.password);
    await page.goto('/admin/people/new');
    await page.getByLabel('Email address', { exact: true }).fill(email);
    await page.getByLabel('Full name').fill(`Pat Picture ${how}`);
    const sent = new Date();
    await page.getByRole('button', { name: 'Add and send invitation' }).click();
    await expect(page.getByRole('status')).toContainText('invitation is on its way');
    const link = (await emailTo(email, sent)).text.match(/https?:\/\/\S+\/claim\/[A-Za-z0-9_-]+/)![0];

    const person = await newPage(browser, js);
    const errors = watchForBrowserErrors(person);
    await person.goto(link);
    // Terms come first when the organisation requires them.
    const terms = person.getByLabel('I have read and accept the terms of use');
    if (await terms.isVisible()) {
      await terms.check();
      await person.getByRole('button', { name: 'Accept and continue' }).click();
    }
    await expect(person.getByRole('heading', { name: 'Check your profile' })).toBeVisible();
    await expectRefusals(person, js, '/claim', 'Profile picture (optional)', 'Upload picture', pictureRefusals, 'refused-claim-picture');
    expect(errors).toEqual([]);
    await person.context().close();
  });
}
