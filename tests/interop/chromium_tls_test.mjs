// Browser test over TLS: headless Chromium (Debian's), trusting the test CA through an NSS
// database under a temporary HOME ($HOME/.pki/nssdb, made with certutil from libnss3-tools; no
// certificate error is ignored), loads the seed page from `wsx serve -t` over https://, clicks
// "Run WebSocket" and checks that the page's wss:// socket saw the echo, the "Goodbye" and the
// server's clean close (1000). Chromium's launch flags are the seed page test's. Prints
// "N passed, N failed".
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

import { Results, launchChromium, startServer, stopServer } from './wsx_process.mjs';

const R = new Results('chromium seed page over TLS');
const { values } = parseArgs({ options: { wsx: { type: 'string' } } });
const here = dirname(fileURLToPath(import.meta.url));

// A HOME whose NSS database trusts `ca` for TLS servers (trust flags "C,,").
function trustingHome(ca) {
  const home = mkdtempSync(join(tmpdir(), 'wsx-chromium-home-'));
  const db = join(home, '.pki', 'nssdb');
  mkdirSync(db, { recursive: true });
  execFileSync('certutil', ['-d', `sql:${db}`, '-N', '--empty-password']);
  execFileSync('certutil', ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', 'wsx test CA', '-i', ca]);
  return home;
}

async function waitForLog(page, re, timeout = 15000) {
  try {
    await page.waitForFunction((src) => window.log.some((e) => new RegExp(src).test(e)), re.source, { timeout });
  } catch (e) {
    // the checks below report what is missing
  }
  return page.evaluate(() => window.log.slice());
}

async function main() {
  const certs = mkdtempSync(join(tmpdir(), 'wsx-tls-chromium-'));
  execFileSync('sh', [join(here, '..', 'support', 'make_test_certs.sh'), certs], { timeout: 120000 });
  const home = trustingHome(join(certs, 'ca.pem'));
  const { proc, port } = await startServer(values.wsx, '-t', '-k', join(certs, 'server.key'), '-c', join(certs, 'server.pem'));
  const profile = mkdtempSync(join(tmpdir(), 'wsx-chromium-'));
  let context;
  try {
    context = await launchChromium(chromium, profile, { ...process.env, HOME: home });
    const page = await context.newPage();
    const response = await page.goto(`https://localhost:${port}/`);
    R.check('the page is served over https:// with the test CA trusted (200)', response.status() === 200, response.status());
    const security = await response.securityDetails();
    R.check('TLS 1.3 with the localhost certificate', security && security.protocol === 'TLS 1.3'
      && security.subjectName === 'localhost', security && JSON.stringify([security.protocol, security.subjectName]));
    await page.click('text=Run WebSocket');
    const log = await waitForLog(page, /^ev close/);
    const find = (re) => log.findIndex((e) => re.test(e));
    R.check('the page opened wss://', (await page.evaluate(() => location.protocol)) === 'https:'
      && find(/^ev open readyState 1/) > 0, JSON.stringify(log));
    R.check('the echo of "Message to send" over wss://', find(/^in message "Message to send"$/) > find(/^ev open/));
    R.check('the server echoes "Goodbye"', find(/^in message "Goodbye"$/) > find(/^in message "Message to send"/));
    R.check('then the server closes: code 1000, wasClean',
      find(/^ev close code 1000 wasClean true/) > find(/^in message "Goodbye"/), JSON.stringify(log.slice(-2)));
    R.check('no error event', find(/^err/) === -1);
  } catch (e) {
    R.check('no unexpected error', false, String(e));
  } finally {
    if (context) await context.close();
    for (const d of [profile, home, certs]) rmSync(d, { recursive: true, force: true });
  }
  R.check('server exits 0 on SIGTERM', (await stopServer(proc)) === 0);
  R.finish();
}

main();
