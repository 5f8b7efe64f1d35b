// SPDX-License-Identifier: Apache-2.0
// One step of the dealer-site end-to-end test in Debian's headless Chromium.
// The C++ test (tests/it/dealer_site_e2e_test.cpp) runs the real center,
// collector and terminals and calls this between its own steps:
//   node dealer_site.mjs STEP
// Environment: CENTER (base URL), STATE (a directory for the browser's
// cookies between steps and for outputs), SCREENSHOTS (optional directory),
// DEALER/PASSWORD, CUSTOMER, SITE. Prints what the C++ side checks, one
// "key=value" per line; exits non-zero with a message on any failure.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const step = process.argv[2];
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const center = env('CENTER');
const state = env('STATE');
const storage = path.join(state, `browser-${process.env.DEALER || 'x'}.json`);
const shots = process.env.SCREENSHOTS;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--no-first-run'],
});
const context = await browser.newContext({
  storageState: fs.existsSync(storage) ? storage : undefined,
  viewport: process.env.PHONE ? { width: 390, height: 844 } : { width: 1280, height: 900 },
  acceptDownloads: true,
});
const page = await context.newPage();
page.setDefaultTimeout(20000);
const out = (k, v) => console.log(`${k}=${v}`);
const shot = async (name) => {
  if (shots) await page.screenshot({ path: path.join(shots, name), fullPage: true });
};
const expectText = async (text) => {
  const body = await page.textContent('body');
  if (!body.includes(text)) throw new Error(`page ${page.url()} does not show "${text}"`);
};

try {
  if (step === 'login') {
    await page.goto(`${center}/sites`);
    if (!page.url().endsWith('/login')) throw new Error(`not sent to the login page: ${page.url()}`);
    await shot('login.png');
    await page.fill('input[name=name]', env('DEALER'));
    await page.fill('input[name=password]', 'wrong password!');
    await page.click('form[action="/login"] button[type=submit]');
    await expectText('Wrong account name or password');
    await page.fill('input[name=name]', env('DEALER'));
    await page.fill('input[name=password]', env('PASSWORD'));
    await page.click('form[action="/login"] button[type=submit]');
    // The first page after login is the fleet dashboard.
    await page.waitForURL(`${center}/`);
    out('logged_in', 'yes');
  } else if (step === 'issue-code') {
    await page.goto(`${center}/codes/new`);
    await page.fill('input[name=customer]', env('CUSTOMER'));
    await page.fill('input[name=contact]', 'Frau Müller');
    await page.click('form[action="/codes"] button[type=submit]');
    await page.waitForSelector('.code');
    const code = (await page.textContent('.code')).trim().replace(/\s+/g, '-');
    await shot('code-issued.png');
    out('code', code);
    await page.goto(`${center}/codes`);
    const list = await page.textContent('body');
    if (list.includes(code)) throw new Error('the codes list shows the code itself');
    await expectText(env('CUSTOMER'));
  } else if (step === 'site') {
    await page.goto(`${center}/sites`);
    await page.click(`text=${env('CUSTOMER')}`);
    await page.waitForURL(/\/sites\/[0-9a-f-]{36}$/);
    out('site', page.url().split('/').pop());
    // The terminals' table (Terminal, Serial, …): the page has others (alerts, forecasts).
    const rows = await page.$$eval('table', (tables) => {
      const heads = (t) => [...t.querySelectorAll('th')].map((th) => th.textContent);
      const terminals = tables.find((t) => heads(t)[0] === 'Terminal' && heads(t)[1] === 'Serial');
      return terminals ? terminals.querySelectorAll('tr').length - 1 : -1;
    });
    out('terminal_rows', rows);
    out('low_toner', await page.locator('.toner.low').count());
    await shot('site.png');
    // An on-demand read: queued, then answered by the collector.
    await page.click('text=Read the meters now');
    await page.waitForURL(/#requests$/);
    for (let i = 0; i < 60; i++) {
      await page.reload();
      const text = await page.textContent('#requests + form + table');
      if (text && text.includes('answered')) break;
      await page.waitForTimeout(500);
    }
    await expectText('answered');
    out('request_answered', 'yes');
    // A terminal's page with its chart.
    await page.click('table a[href^="/terminals/"]');
    await page.waitForURL(/\/terminals\//);
    out('chart_lines', await page.locator('svg.chart polyline').count());
    await shot('terminal.png');
  } else if (step === 'dashboard') {
    // The fleet dashboard at a desktop width and on a phone (375×812): no
    // sideways scrolling, the volume chart there, each state a link.
    const measure = async (p) => {
      await p.goto(`${center}/`);
      await p.waitForSelector('svg.chart.volume');
      return p.evaluate(() => ({
        scrollX: document.documentElement.scrollWidth > document.documentElement.clientWidth ? 'yes' : 'no',
        width: document.documentElement.scrollWidth,
        svg: document.querySelectorAll('svg.chart.volume title').length > 0 ? 'yes' : 'no',
        tiles: [...document.querySelectorAll('.tile')].map((t) => `${t.classList[1]}:${t.querySelector('.count').textContent}`).join(','),
      }));
    };
    const desktop = await measure(page);
    out('desktop_scroll_x', desktop.scrollX);
    out('volume_chart', desktop.svg);
    out('tiles', desktop.tiles);
    await shot('dashboard.png');
    const phone = await browser.newContext({
      storageState: await context.storageState(),
      viewport: { width: 375, height: 812 },
      isMobile: true,
      hasTouch: true,
    });
    const small = await phone.newPage();
    const onPhone = await measure(small);
    out('phone_scroll_x', onPhone.scrollX);
    out('phone_width', onPhone.width);
    out('phone_volume_chart', onPhone.svg);
    if (shots) await small.screenshot({ path: path.join(shots, 'dashboard-phone.png'), fullPage: true });
    await phone.close();
    // A tile opens the list of its terminals.
    await page.click('.tile.warning a');
    await page.waitForURL(/\/terminals\?state=warning$/);
    out('warning_rows', await page.locator('main table tr').count() - 1);
  } else if (step === 'billing') {
    const site = env('SITE');
    await page.goto(`${center}/billing?site=${site}&from=${env('FROM')}&to=${env('TO')}`);
    await shot('billing.png');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Download CSV')]);
    const file = path.join(state, 'billing.csv');
    await download.saveAs(file);
    out('csv', file);
  } else if (step === 'revoke') {
    await page.goto(`${center}/sites/${env('SITE')}`);
    // Without the confirmation box: refused, nothing changes.
    await page.click('form.danger[action$="/revoke"] button');
    await expectText('Tick the box to confirm');
    await page.goto(`${center}/sites/${env('SITE')}`);
    await page.check('form.danger[action$="/revoke"] input[name=confirm]');
    await page.click('form.danger[action$="/revoke"] button');
    await page.waitForURL(/\/sites\/[0-9a-f-]{36}$/);
    await expectText('revoked');
    out('revoked', 'yes');
  } else if (step === 'other-dealer') {
    await page.goto(`${center}/sites`);
    const list = await page.textContent('main');
    out('sees_customer', list.includes(env('CUSTOMER')) ? 'yes' : 'no');
    const r = await page.goto(`${center}/sites/${env('SITE')}`);
    out('direct_status', r.status());
  } else {
    throw new Error(`unknown step ${step}`);
  }
  await context.storageState({ path: storage });
} catch (e) {
  console.error(`e2e step ${step}: ${e.message}`);
  await shot(`failed-${step}.png`).catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
