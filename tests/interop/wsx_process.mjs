// Shared by the Node interop tests: start and stop `wsx serve` on a free loopback port, and count
// checks, printing the closing line CI reads ("N passed, N failed").
import { spawn } from 'node:child_process';

export class Results {
  constructor(name) { this.name = name; this.passed = 0; this.failed = 0; }

  check(label, ok, detail = '') {
    if (ok) { this.passed++; console.log(`ok   ${label}`); } else { this.failed++; console.log(`FAIL ${label} ${detail}`); }
  }

  finish() {
    console.log(`${this.name}: ${this.passed} passed, ${this.failed} failed`);
    process.exit(this.failed || !this.passed ? 1 : 0);
  }
}

// Starts `wsx serve -p 0` on 127.0.0.1; resolves with {proc, port} once it logs its address.
export function startServer(wsx, ...args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(wsx, ['serve', '-p', '0', '-H', '127.0.0.1', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error('no listening line: ' + log)); }, 10000);
    proc.stderr.on('data', (d) => {
      log += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) { clearTimeout(timer); resolve({ proc, port: Number(m[1]) }); }
    });
  });
}

// SIGTERM, then waits (bounded) for the exit status; SIGKILL and null on timeout.
export function stopServer(proc) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); resolve(null); }, 15000);
    proc.on('exit', (code) => { clearTimeout(timer); resolve(code); });
    proc.kill('SIGTERM');
  });
}

// Headless Chromium (Debian's) on the profile folder `profile`, with the flags that keep it from
// dialling out (this network refuses it); `chromium` is playwright-core's, `env` its environment.
export function launchChromium(chromium, profile, env = process.env) {
  return chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    env,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
