// Interop over TLS with Node's `ws` (npm) in both directions: as a wss:// client of `wsx serve -t`
// (the test CA trusted, mutual TLS, an untrusted server refused), and as a wss:// server (on
// node:https) for `wsx connect` (verification, SNI, a client certificate). Certificates are made
// at test time with the openssl command. Prints "N passed, N failed".
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket, { WebSocketServer } from 'ws';

import { Results, startServer, stopServer } from './wsx_process.mjs';

const R = new Results('node ws tls interop');
const { values } = parseArgs({ options: { wsx: { type: 'string' } } });
const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wsx-tls-node-'));
execFileSync('sh', [join(here, '..', 'support', 'make_test_certs.sh'), dir], { timeout: 120000 });
const pem = (name) => readFileSync(join(dir, name));

function withTimeout(p, ms, what) {
  return Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error('timeout: ' + what)), ms))]);
}

// Sends each message, collects the echoes, then Goodbye; resolves with the echoes and the close code.
function echo(url, options, messages) {
  return new Promise((resolve, reject) => {
    // family 4: the servers listen on 127.0.0.1, and Node 18 (Debian 12's) tries localhost's
    // first address only, which may be ::1.
    const ws = new WebSocket(url, { perMessageDeflate: false, family: 4, ...options });
    const got = [];
    ws.on('open', () => { for (const m of messages) ws.send(m); ws.send('Goodbye'); });
    ws.on('message', (data, isBinary) => got.push(isBinary ? Buffer.from(data) : data.toString()));
    ws.on('close', (code) => resolve({ got, code }));
    ws.on('error', reject);
  });
}

async function nodeClient() {
  const srv = await startServer(values.wsx, '-t', '-k', join(dir, 'server.key'), '-c', join(dir, 'server.pem'));
  const url = `wss://localhost:${srv.port}/echo`;
  const big = Buffer.alloc(1 << 20, 7);
  const r = await withTimeout(echo(url, { ca: pem('ca.pem') }, ['hello over TLS', big]), 20000, 'echo');
  R.check('ws client: text and 1 MiB binary echoed over wss://, then close 1000',
    r.got[0] === 'hello over TLS' && big.equals(r.got[1]) && r.got[2] === 'Goodbye' && r.code === 1000,
    JSON.stringify({ n: r.got.length, code: r.code }));
  const refused = await withTimeout(echo(url, {}, ['x']).then(() => null, (e) => e), 20000, 'untrusted');
  R.check('ws client: without the test CA the certificate is refused', refused && /self-signed|local issuer|verify the first certificate/.test(refused.message),
    refused && refused.message);
  R.check('server exits 0 on SIGTERM', (await stopServer(srv.proc)) === 0);

  const mtls = await startServer(values.wsx, '-t', '-k', join(dir, 'server.key'), '-c', join(dir, 'server.pem'),
    '--tls-client-auth', '--tls-client-ca', join(dir, 'ca.pem'));
  const murl = `wss://localhost:${mtls.port}/echo`;
  const ok = await withTimeout(echo(murl, { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') }, ['m']), 20000, 'mtls');
  R.check('ws client: mutual TLS with a client certificate', ok.got[0] === 'm' && ok.code === 1000);
  const none = await withTimeout(echo(murl, { ca: pem('ca.pem') }, ['m']).then((x) => x, (e) => e), 20000, 'no cert');
  R.check('ws client: mutual TLS without a certificate fails', none instanceof Error || none.code !== 1000);
  R.check('server exits 0 on SIGTERM', (await stopServer(mtls.proc)) === 0);
}

// A wss:// echo server on node:https; resolves with {server, port, seen} (SNI names, client CNs).
function nodeServer(options) {
  return new Promise((resolve) => {
    const seen = { sni: [], clients: [] };
    const server = https.createServer({ key: pem('server.key'), cert: pem('server.pem'), ...options });
    const wss = new WebSocketServer({ server, perMessageDeflate: false });
    wss.on('connection', (ws, req) => {
      seen.sni.push(req.socket.servername);
      const peer = req.socket.getPeerCertificate();
      seen.clients.push(peer && peer.subject ? peer.subject.CN : null);
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, wss, port: server.address().port, seen }));
  });
}

function wsxConnect(url, ...args) {
  return new Promise((resolve) => {
    const p = execFile(values.wsx, ['connect', url, '-x', 'hello', '--no-env-proxy', ...args], { timeout: 20000 },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
    p.stdin.end();
  });
}

async function wsxClient() {
  const s = await nodeServer({});
  const url = `wss://localhost:${s.port}/`;
  let r = await wsxConnect(url, '--cacert', join(dir, 'ca.pem'));
  R.check('wsx connect: echo from a ws server over wss://', r.code === 0 && r.stdout === '< hello\n', JSON.stringify(r));
  R.check('wsx connect: SNI localhost reached the server', s.seen.sni.at(-1) === 'localhost', JSON.stringify(s.seen.sni));
  r = await wsxConnect(url);
  R.check('wsx connect: untrusted certificate refused (exit 7)', r.code === 7, JSON.stringify(r));
  s.wss.close();
  s.server.close();
  const m = await nodeServer({ requestCert: true, rejectUnauthorized: true, ca: pem('ca.pem') });
  r = await wsxConnect(`wss://localhost:${m.port}/`, '--cacert', join(dir, 'ca.pem'), '--cert', join(dir, 'client.pem'),
    '--key', join(dir, 'client.key'));
  R.check('wsx connect: client certificate accepted by a ws server requiring one',
    r.code === 0 && m.seen.clients.at(-1) === 'wsx test client', JSON.stringify({ r, c: m.seen.clients }));
  m.wss.close();
  m.server.close();
}

try {
  await nodeClient();
  await wsxClient();
} catch (e) {
  R.check('no exception', false, e.stack);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
R.finish();
