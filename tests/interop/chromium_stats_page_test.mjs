// Browser test: headless Chromium (Debian's) driven by playwright-core opens /stats.html on
// `wsx serve --metrics --threads 2` and checks that the page goes live from the /stats
// WebSocket (its state line, a row per loop thread, a chart per figure), then that echo traffic
// the page makes itself shows up in the figures it plots. Prints "N passed, N failed".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

import { Results, launchChromium, startServer, stopServer } from './wsx_process.mjs';

const R = new Results('chromium stats page');
const { values } = parseArgs({ options: { wsx: { type: 'string' } } });

async function main() {
  const { proc, port } = await startServer(values.wsx, '--metrics', '--threads', '2');
  const profile = mkdtempSync(join(tmpdir(), 'wsx-chromium-'));
  let context;
  try {
    context = await launchChromium(chromium, profile);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const response = await page.goto(`http://127.0.0.1:${port}/stats.html`);
    R.check('the page is served (200, text/html)', response.status() === 200
      && response.headers()['content-type'].startsWith('text/html'), response.status());
    const live = await page.waitForFunction(
      () => document.getElementById('state').textContent.startsWith('live'), null, { timeout: 10000 })
      .then(() => true, () => false);
    R.check('it goes live from the /stats WebSocket', live, await page.textContent('#state'));
    R.check('its state line names the 2 loop threads',
      (await page.textContent('#state')).includes('2 loop threads'), await page.textContent('#state'));
    R.check('a row per loop thread', (await page.locator('#loops tr').count()) === 3);
    R.check('a chart per figure, drawn', await page.evaluate(() => {
      const c = [...document.querySelectorAll('canvas')];
      return c.length === 7 && c.every((x) => x.width > 0 && x.height > 0);
    }));
    // Traffic of the page's own: 5 echoes on a WebSocket to /echo.
    const echoed = await page.evaluate((url) => new Promise((resolve) => {
      const ws = new WebSocket(url);
      let n = 0;
      ws.onopen = () => { for (let i = 0; i < 5; i++) ws.send('hello ' + i); };
      ws.onmessage = () => { if (++n === 5) resolve(n); };
      setTimeout(() => resolve(n), 8000);
    }), `ws://127.0.0.1:${port}/echo`);
    R.check('the page\'s own 5 echoes come back', echoed === 5, echoed);
    const counted = await page.waitForFunction(() => {
      const cells = [...document.querySelectorAll('#loops tr td:nth-child(3)')];
      return cells.reduce((a, td) => a + Number(td.textContent), 0) >= 5;
    }, null, { timeout: 10000 }).then(() => true, () => false);
    R.check('they show in the loops\' "messages in"', counted,
      await page.evaluate(() => document.getElementById('loops').textContent));
    R.check('no error on the page', errors.length === 0, errors.join('; '));
  } finally {
    if (context) await context.close();
    rmSync(profile, { recursive: true, force: true });
    R.check('wsx serve exits 0 on SIGTERM', (await stopServer(proc)) === 0);
  }
  process.exit(R.finish());
}

main().catch((e) => { console.error(e); process.exit(1); });
