// Interop, permessage-deflate (RFC 7692) with Node `ws` both ways: ws clients with every
// perMessageDeflate combination (serverNoContextTakeover, clientNoContextTakeover,
// serverMaxWindowBits, clientMaxWindowBits, threshold) against `wsx serve` with its default and a
// dedicated-compressor policy, and ws servers with every combination serving `wsx connect`.
// Prints "N passed, N failed".
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import WebSocket, { WebSocketServer } from 'ws';

import { Results, startServer, stopServer } from './wsx_process.mjs';

const R = new Results('node ws deflate interop');
const { values } = parseArgs({ options: { wsx: { type: 'string' } } });

const jsonText = (i) => JSON.stringify({ id: i, user: 'wsx', tags: Array(15).fill('alpha'),
  text: 'the quick brown fox jumps over the lazy dog '.repeat(8) });
const MESSAGES = [[jsonText(0), false], [jsonText(1), false], [jsonText(1), false], ['', false],
  [Buffer.alloc(70000, 7), true], ['κόσμε €𝄞'.repeat(40), false], [Buffer.alloc(0), true]];

// `off` is false for a ws server; for a ws client it is undefined: ws refuses a server's
// client_no_context_takeover when the client option is false (not offered and not allowed),
// though RFC 7692 §7.1.1.2 lets a server send it unasked.
function* combos(bitsList, off) {
  for (const serverNoContextTakeover of [off, true]) {
    for (const clientNoContextTakeover of [off, true]) {
      for (const serverMaxWindowBits of [undefined, 8, 9, 12, 15]) {
        for (const clientMaxWindowBits of bitsList) {
          yield { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits };
        }
      }
    }
  }
}

const label = (o) => Object.entries(o).map(([k, v]) => `${k}=${v}`).join(' ');

function withTimeout(p, ms, what) {
  return Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error('timeout: ' + what)), ms))]);
}

// One ws client: echoes every message; resolves with the negotiated params (or null).
function clientRun(url, pmd) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: pmd, maxPayload: 0 });
    let i = 0;
    let params = null;
    ws.on('open', () => {
      params = ws._extensions['permessage-deflate']?.params ?? null;
      ws.send(MESSAGES[0][0], { binary: MESSAGES[0][1] });
    });
    ws.on('message', (data, isBinary) => {
      const [m, binary] = MESSAGES[i];
      if (isBinary !== binary || !Buffer.from(data).equals(Buffer.from(m))) {
        reject(new Error(`message ${i} differs`));
        ws.terminate();
        return;
      }
      if (++i === MESSAGES.length) {
        ws.close(1000);
        return;
      }
      ws.send(MESSAGES[i][0], { binary: MESSAGES[i][1] });
    });
    ws.on('close', (code) => (i === MESSAGES.length && code === 1000
      ? resolve(params) : reject(new Error(`closed ${code} after ${i}`))));
    ws.on('error', reject);
  });
}

async function clientCases(url, name) {
  for (const o of combos([undefined, true, 8, 9, 12, 15], undefined)) {
    const what = `${name} ws client ${label(o)}`;
    try {
      const params = await withTimeout(clientRun(url, { ...o, threshold: 0 }), 20000, what);
      // An 8-bit server window too: compressed with 9 bits, which stays within 8 bits' reach.
      const bits = Number(params?.server_max_window_bits ?? 15);
      R.check(`${what}: negotiated and echoed`, params !== null
        && bits <= (o.serverMaxWindowBits ?? 15)
        && (!o.serverNoContextTakeover || params.server_no_context_takeover === true), JSON.stringify(params));
    } catch (e) {
      R.check(what, false, String(e));
    }
  }
  // ws's threshold: messages under it go out uncompressed, still echoed.
  const what = `${name} ws client threshold 1024`;
  try {
    R.check(what, (await withTimeout(clientRun(url, { threshold: 1024 }), 20000, what)) !== null);
  } catch (e) {
    R.check(what, false, String(e));
  }
}

// `wsx connect` against a ws server with `pmd`: prints the echoes; its stderr names the extension.
function wsxClientRun(pmd) {
  return new Promise((resolve) => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: pmd });
    const negotiated = [];
    wss.on('connection', (ws) => {
      negotiated.push(ws._extensions['permessage-deflate']?.params ?? null);
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    wss.on('listening', () => {
      const texts = [jsonText(0), jsonText(1), jsonText(1), 'short'];
      const args = ['connect', `ws://127.0.0.1:${wss.address().port}/`, '--raw', '-t', '20'];
      for (const t of texts) args.push('-x', t);
      const proc = spawn(values.wsx, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      proc.stdout.on('data', (d) => { out += d; });
      proc.stderr.on('data', (d) => { err += d; });
      proc.on('exit', (code) => {
        wss.close();
        resolve({ ok: code === 0 && out === texts.join('\n') + '\n', code, err, negotiated });
      });
    });
  });
}

async function serverCases() {
  for (const o of combos([undefined, 8, 10, 15], false)) {
    const what = `wsx client vs ws server ${label(o)}`;
    const r = await withTimeout(wsxClientRun({ ...o, threshold: 0 }), 40000, what);
    R.check(`${what}: echoes`, r.ok, `exit ${r.code} ${r.err.slice(-200)}`);
    R.check(`${what}: negotiated`, r.err.includes('(extensions permessage-deflate')
      && r.negotiated.length === 1 && r.negotiated[0] !== null, r.err.slice(0, 200));
  }
}

async function main() {
  for (const [name, flags] of [['default', []],
    ['dedicated', ['--deflate-compressor', 'dedicated', '--deflate-context-takeover', '--deflate-client-context-takeover']]]) {
    const { proc, port } = await startServer(values.wsx, ...flags);
    try {
      await clientCases(`ws://127.0.0.1:${port}/echo`, name);
    } catch (e) {
      R.check('no unexpected error', false, String(e));
    }
    R.check(`${name}: server exits 0 on SIGTERM`, (await stopServer(proc)) === 0);
  }
  try {
    await serverCases();
  } catch (e) {
    R.check('no unexpected error', false, String(e));
  }
  R.finish();
}

main();
