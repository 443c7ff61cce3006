// Browser test: headless Chromium (Debian's) driven by playwright-core opens the page `wsx serve`
// serves by default, clicks "Run WebSocket" as the tutorial's reader would, and checks what the
// page's WebSocket saw: the echo, the "Goodbye", the server's clean close (1000) and the
// readyState transitions; then the console (its URL field, nothing prefilled, buttons enabled only when they can work, a favicon) opens a socket with subprotocol "chat" typed in (showing
// ws.extensions: permessage-deflate, which Chromium always offers), echoes an ArrayBuffer and
// closes from the page. Prints "N passed, N failed".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

import { Results, launchChromium, startServer, stopServer } from './wsx_process.mjs';

const R = new Results('chromium seed page');
const { values } = parseArgs({
  options: { wsx: { type: 'string' }, screenshot: { type: 'string' }, handlers: { type: 'string' } },
});

// Waits (bounded) until the page's event log has an entry matching `re`; returns the log.
async function waitForLog(page, re, timeout = 15000) {
  try {
    await page.waitForFunction((src) => window.log.some((e) => new RegExp(src).test(e)), re.source, { timeout });
  } catch (e) {
    // fall through: the caller's checks report what is missing
  }
  return page.evaluate(() => window.log.slice());
}

async function main() {
  // --handlers DIR: the same page against a handler folder (pywebsocket's *_wsh.py handlers).
  const extra = values.handlers ? ['-w', values.handlers] : [];
  const { proc, port } = await startServer(values.wsx, '--subprotocol', 'chat', ...extra);
  const profile = mkdtempSync(join(tmpdir(), 'wsx-chromium-'));
  let context;
  try {
    context = await launchChromium(chromium, profile);
    const page = await context.newPage();
    const response = await page.goto(`http://127.0.0.1:${port}/`);
    R.check('the page is served (200, text/html)', response.status() === 200
      && response.headers()['content-type'] === 'text/html; charset=utf-8', response.status());

    R.check('the console URL field holds the page\'s /echo',
      (await page.inputValue('#url')) === `ws://127.0.0.1:${port}/echo`, await page.inputValue('#url'));
    R.check('no subprotocol is prefilled', (await page.inputValue('#protocols')) === '');
    R.check('before any socket: send and close are disabled, open is not',
      await page.isDisabled('#send') && await page.isDisabled('#close') && !(await page.isDisabled('#open')));
    const icon = await page.request.get(`http://127.0.0.1:${port}/favicon.ico`);
    R.check('a favicon is served', icon.status() === 200
      && icon.headers()['content-type'] === 'image/x-icon', icon.status());

    await page.click('text=Run WebSocket');
    let log = await waitForLog(page, /^ev close/);
    const find = (re) => log.findIndex((e) => re.test(e));
    R.check('readyState 0 (CONNECTING) right after new WebSocket', find(/^ev readyState 0 /) === 0, log[0]);
    R.check('open event with readyState 1 (OPEN)', find(/^ev open readyState 1/) > 0, JSON.stringify(log));
    R.check('the echo of "Message to send"', find(/^in message "Message to send"$/) > find(/^ev open/));
    R.check('the server echoes "Goodbye"', find(/^in message "Goodbye"$/) > find(/^in message "Message to send"/));
    R.check('then the server closes: code 1000, wasClean, readyState 3',
      find(/^ev close code 1000 wasClean true reason "" readyState 3$/) > find(/^in message "Goodbye"/),
      JSON.stringify(log.slice(-2)));
    R.check('no error event', find(/^err/) === -1);

    await page.evaluate(() => { window.log.length = 0; });
    await page.fill('#protocols', 'chat');
    await page.click('#open');
    log = await waitForLog(page, /^ev open/);
    await page.waitForFunction(() => !document.getElementById('send').disabled, null, { timeout: 5000 })
      .catch(() => {});
    R.check('while open: send enabled, open disabled',
      !(await page.isDisabled('#send')) && await page.isDisabled('#open'));
    R.check('subprotocol "chat" chosen, visible in ws.protocol', find(/^ev open readyState 1 protocol "chat"$/) >= 0,
      JSON.stringify(log));
    R.check('the console shows the protocol', (await page.textContent('#protocol')) === '"chat"');
    // Chromium always offers permessage-deflate (RFC 7692); wsx serve accepts it by default.
    const extensions = await page.textContent('#extensions');
    R.check('ws.extensions is permessage-deflate', /^"permessage-deflate(;|")/.test(extensions), extensions);
    await page.click('#binary');
    log = await waitForLog(page, /^in message binary/);
    R.check('an ArrayBuffer comes back as an ArrayBuffer, byte for byte',
      find(/^in message binary 6 bytes \[0,1,2,253,254,255\]$/) >= 0, JSON.stringify(log));
    await page.click('#close');
    log = await waitForLog(page, /^ev close/);
    R.check('close() from the page: readyState 2 (CLOSING) at once', find(/^out close\(1000\) readyState 2$/) >= 0,
      JSON.stringify(log));
    R.check('closed cleanly with the code the page sent', find(/^ev close code 1000 wasClean true/) >= 0,
      JSON.stringify(log));
    if (values.screenshot) {
      await page.screenshot({ path: values.screenshot, fullPage: true });
    }
  } catch (e) {
    R.check('no unexpected error', false, String(e));
  } finally {
    if (context) await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  R.check('server exits 0 on SIGTERM', (await stopServer(proc)) === 0);
  R.finish();
}

main();
