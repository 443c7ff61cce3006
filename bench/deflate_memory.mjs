// Server memory per connection in each permessage-deflate mode (the README's table): for each
// mode, a fresh `wsx serve --threads 1`, then N Node `ws` clients that each echo one ~900-byte
// JSON text message (compressed where negotiated) and stay open; prints the server's RSS growth
// per connection. A benchmark (run by hand), not a test:
//   node bench/deflate_memory.mjs --wsx build/tools/wsx/wsx [--connections 2000]
// (`ws` comes from tests/interop/node_modules: `npm ci --prefix tests/interop` installs it.)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { parseArgs } from 'node:util';

const require = createRequire(new URL('../tests/interop/', import.meta.url));
const WebSocket = require('ws');

const { values } = parseArgs({ options: { wsx: { type: 'string' }, connections: { type: 'string' } } });
const N = Number(values.connections ?? 2000);
const MESSAGE = JSON.stringify({ user: 'wsx', tags: Array(15).fill('alpha'),
  text: 'the quick brown fox jumps over the lazy dog '.repeat(18) });

const MODES = [
  ['--no-deflate', ['--no-deflate'], false],
  ['default: shared compressor, client_no_context_takeover', [], {}],
  ['shared compressor, client context kept (15 bits)', ['--deflate-client-context-takeover'], {}],
  ['dedicated, 15 bits, memLevel 8, contexts kept',
    ['--deflate-compressor', 'dedicated', '--deflate-context-takeover', '--deflate-client-context-takeover'], {}],
  ['dedicated, 12 bits, memLevel 5, client 12 (python-websockets\' defaults)',
    ['--deflate-compressor', 'dedicated', '--deflate-context-takeover', '--deflate-client-context-takeover',
      '--deflate-window-bits', '12', '--deflate-mem-level', '5', '--deflate-client-window-bits', '12'],
    { clientMaxWindowBits: 12, serverMaxWindowBits: 12 }],
  ['dedicated, 9 bits, memLevel 1, client 9',
    ['--deflate-compressor', 'dedicated', '--deflate-context-takeover', '--deflate-client-context-takeover',
      '--deflate-window-bits', '9', '--deflate-mem-level', '1', '--deflate-client-window-bits', '9'],
    { clientMaxWindowBits: 9, serverMaxWindowBits: 9 }],
];

const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function listening(port) {
  for (let i = 0; i < 100; ++i) {  // at most 10 s
    const ok = await new Promise((r) => { const c = net.connect(port, '127.0.0.1', () => { c.destroy(); r(true); }); c.on('error', () => r(false)); });
    if (ok) return;
    await sleep(100);
  }
  throw new Error('wsx serve did not listen');
}

function client(port, deflate) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`, { perMessageDeflate: deflate });
    const timer = setTimeout(() => reject(new Error('no echo within 30 s')), 30000);
    ws.on('open', () => ws.send(MESSAGE));
    ws.on('message', (data) => {
      clearTimeout(timer);
      if (data.toString() !== MESSAGE) reject(new Error('echo differs'));
      resolve(ws);
    });
    ws.on('error', reject);
  });
}

for (const [name, flags, deflate] of MODES) {
  console.error(`measuring: ${name}`);
  const port = await freePort();
  const server = spawn(values.wsx, ['serve', '-p', String(port), '-H', '127.0.0.1', '--threads', '1',
    '--idle-timeout', '0', '--log-level', 'warning', '--max-zlib-memory', String(4 * 2 ** 30), ...flags], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await listening(port);
    const before = rss(server.pid);
    const sockets = [];
    for (let i = 0; i < N; i += 100) {  // 100 handshakes at a time
      sockets.push(...await Promise.all(Array.from({ length: Math.min(100, N - i) }, () => client(port, deflate))));
    }
    await sleep(500);
    const after = rss(server.pid);
    const negotiated = sockets.filter((s) => s.extensions.includes('permessage-deflate')).length;
    console.log(`| ${name} | ${((after - before) / N / 1024).toFixed(1)} KiB | (${negotiated} of ${N} negotiated deflate)`);
    for (const s of sockets) s.terminate();
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}
