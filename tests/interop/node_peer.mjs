// A WebSocket server built on Node's `ws` (npm), for the client tests: the same scenarios as
// python_peer.py, one per path, plus /count-pings (says "3 pings" after the client's third
// ping). Prints "listening PORT" once ready; runs until killed.
import { WebSocketServer } from 'ws';

const BIG = Buffer.alloc(16 * 1024 * 1024);
for (let i = 0; i < BIG.length; i++) BIG[i] = i % 251;

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  maxPayload: 64 * 1024 * 1024,
  perMessageDeflate: false,
  handleProtocols: (offered) => {
    for (const p of ['chat', 'superchat']) if (offered.has(p)) return p;
    return false;
  },
});

wss.on('connection', (ws, req) => {
  const path = req.url;
  if (path === '/echo') {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  } else if (path === '/fragmented') {
    ws.send('fragm', { fin: false });
    ws.send('ented mes', { fin: false });
    ws.send('sage', { fin: true });
    ws.send(Buffer.from([0, 1]), { binary: true, fin: false });
    ws.send(Buffer.from([2, 3]), { binary: true, fin: true });
  } else if (path === '/ping') {
    ws.ping('are you there');
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  } else if (path.startsWith('/close/')) {
    const code = Number(path.split('/')[2]);
    ws.close(code, `bye ${code}`);
  } else if (path === '/abort') {
    ws.send('about to vanish', () => setTimeout(() => ws.terminate(), 50));
  } else if (path === '/big') {
    ws.send(BIG, { binary: true });
  } else if (path === '/empty') {
    ws.send('');
    ws.send(Buffer.alloc(0), { binary: true });
  } else if (path === '/protocol') {
    ws.send(ws.protocol || 'none');
  } else if (path === '/count-pings') {
    // Counts the client's pings; after the third, says so.
    let pings = 0;
    ws.on('ping', () => { if (++pings === 3) ws.send('3 pings'); });
  } else if (path === '/headers') {
    const h = req.headers;
    ws.send(JSON.stringify({ Authorization: h.authorization ?? null, Cookie: h.cookie ?? null,
                             Origin: h.origin ?? null, 'X-Extra': h['x-extra'] ?? null }));
  } else {
    ws.close(4404, 'no such scenario');
  }
});

wss.on('listening', () => console.log(`listening ${wss.address().port}`));
