// Interop: Node `ws` (npm) as a client of `wsx serve`. Prints "N passed, N failed".
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

import { Results, startServer, stopServer } from './wsx_process.mjs';

const R = new Results('node ws interop');
const { values } = parseArgs({ options: { wsx: { type: 'string' } } });

// Opens a client and returns helpers to await the next message or the close event.
function open(url, protocols, options = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false, maxPayload: 0, ...options });
    const messages = [];
    const waiters = [];
    let closed = null;
    const closeWaiters = [];
    ws.on('message', (data, isBinary) => {
      const m = { data, isBinary };
      if (waiters.length) waiters.shift()(m); else messages.push(m);
    });
    ws.on('close', (code, reason) => {
      closed = { code, reason: reason.toString() };
      closeWaiters.splice(0).forEach((w) => w(closed));
      waiters.splice(0).forEach((w) => w(null));
    });
    ws.on('open', () => resolve({
      ws,
      next: () => (messages.length ? Promise.resolve(messages.shift())
        : new Promise((r) => { if (closed) r(null); else waiters.push(r); })),
      closed: () => (closed ? Promise.resolve(closed) : new Promise((r) => closeWaiters.push(r))),
    }));
    ws.on('error', reject);
    ws.on('unexpected-response', (req, res) => reject(Object.assign(new Error('status'), { status: res.statusCode })));
  });
}

function withTimeout(p, ms, what) {
  return Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error('timeout: ' + what)), ms))]);
}

async function echoCases(url) {
  const c = await open(url + '/echo');
  for (const [label, msg, binary] of [['text', 'Hello from ws', false], ['empty text', '', false],
    ['binary', Buffer.from([0, 255, 16]), true], ['empty binary', Buffer.alloc(0), true]]) {
    c.ws.send(msg, { binary });
    const m = await withTimeout(c.next(), 10000, label);
    R.check(`echo ${label}`, m && m.isBinary === binary && Buffer.from(m.data).equals(Buffer.from(msg)));
  }
  for (const size of [125, 126, 127, 65535, 65536, 1 << 20, 16 * 1024 * 1024 - 64]) {
    const payload = Buffer.alloc(size, size % 251);
    c.ws.send(payload);
    const m = await withTimeout(c.next(), 60000, `binary ${size}`);
    R.check(`echo binary ${size} bytes`, m && m.isBinary && Buffer.from(m.data).equals(payload));
  }
  // Fragmented send: fin=false frames, then the last one.
  c.ws.send('frag', { fin: false });
  c.ws.send('ment', { fin: false });
  c.ws.send('ed', { fin: true });
  let m = await withTimeout(c.next(), 10000, 'fragments');
  R.check('fragmented text reassembled', m && !m.isBinary && m.data.toString() === 'fragmented');
  // Ping: wsx answers with a pong carrying the same payload.
  const pong = new Promise((r) => c.ws.once('pong', (data) => r(data.toString())));
  c.ws.ping('ping-payload');
  R.check('ping answered by pong with the same payload', (await withTimeout(pong, 10000, 'pong')) === 'ping-payload');
  c.ws.pong('unsolicited');
  c.ws.send('after pong');
  m = await withTimeout(c.next(), 10000, 'after pong');
  R.check('unsolicited pong ignored', m && m.data.toString() === 'after pong');
  c.ws.close(4001, 'client bye');
  const closed = await withTimeout(c.closed(), 10000, 'close');
  R.check('client close echoed with its code', closed.code === 4001, JSON.stringify(closed));
}

async function goodbyeCase(url) {
  const c = await open(url + '/echo');
  c.ws.send('Goodbye');
  const m = await withTimeout(c.next(), 10000, 'goodbye');
  R.check('Goodbye echoed', m && m.data.toString() === 'Goodbye');
  const closed = await withTimeout(c.closed(), 10000, 'server close');
  R.check('server closes after Goodbye with 1000', closed.code === 1000, JSON.stringify(closed));
}

async function subprotocolCase(url) {
  const c = await open(url + '/echo', ['mqtt', 'chat']);
  R.check('server picks the offered subprotocol it supports', c.ws.protocol === 'chat', c.ws.protocol);
  c.ws.close();
  await c.closed();
}

async function rejectedCase(url) {
  try {
    await open(url + '/missing');
    R.check('unknown path rejected', false);
  } catch (e) {
    R.check('unknown path rejected with 404', e.status === 404, String(e));
  }
}

async function limitCase(url) {
  const c = await open(url + '/echo');
  c.ws.send(Buffer.alloc(64 * 1024 + 1));
  const closed = await withTimeout(c.closed(), 10000, 'limit close');
  R.check('oversized message closes with 1009', closed.code === 1009, JSON.stringify(closed));
}

async function main() {
  let { proc, port } = await startServer(values.wsx, '--subprotocol', 'chat');
  const url = `ws://127.0.0.1:${port}`;
  try {
    await echoCases(url);
    await goodbyeCase(url);
    await subprotocolCase(url);
    await rejectedCase(url);
  } catch (e) {
    R.check('no unexpected error', false, String(e));
  }
  R.check('server exits 0 on SIGTERM', (await stopServer(proc)) === 0);
  ({ proc, port } = await startServer(values.wsx, '--max-message-size', '65536'));
  try {
    await limitCase(`ws://127.0.0.1:${port}`);
  } catch (e) {
    R.check('no unexpected error', false, String(e));
  }
  R.check('server exits 0 on SIGTERM', (await stopServer(proc)) === 0);
  R.finish();
}

main();
