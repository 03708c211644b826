// End-to-end delivery latency: a sender's message:send (websocket) to the receiver's `event`, measured with the
// official socket.io-client. For each target, the sender connects to its first URL and the receiver to its last
// (on a cluster: across gateways). Usage: node latency.mjs name=url[,url] ... (the first target is the baseline).
import { createRequire } from 'node:module';
const require = createRequire(new URL('../node/package.json', import.meta.url));
const { io } = require('socket.io-client');

const N = Number(process.env.LATENCY_MESSAGES || 500);
const GAP_MS = Number(process.env.LATENCY_GAP_MS || 5);

async function api(url, path, body, token) {
  const r = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

async function user(url, name) {
  const u = await api(url, '/v1/users', { username: name, password: 'benchmark-pw' });
  const s = await api(url, '/v1/sessions', { username: name, password: 'benchmark-pw' });
  return { ...u, token: s.token };
}

function connect(url, token) {
  const s = io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
  return new Promise((resolve, reject) => {
    s.on('connect', () => resolve(s));
    s.on('connect_error', reject);
  });
}

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function measure(urls) {
  const tag = Date.now().toString(36);
  const a = await user(urls[0], `la${tag}`);
  const b = await user(urls[urls.length - 1], `lb${tag}`);
  const conv = await api(urls[0], '/v1/conversations', { kind: 'direct', memberIds: [b.id] }, a.token);
  const sa = await connect(urls[0], a.token);
  const sb = await connect(urls[urls.length - 1], b.token);
  const sentAt = new Map();
  const lat = [];
  let done;
  const finished = new Promise((r) => { done = r; });
  sb.on('event', (e) => {
    const t0 = sentAt.get(e.data?.message?.clientMsgId);
    if (e.type !== 'message.created' || t0 === undefined) return;
    lat.push(performance.now() - t0);
    if (lat.length === N) done();
  });
  await new Promise((r) => setTimeout(r, 300)); // let both gateways subscribe
  for (let i = 0; i < N; i++) {
    const id = `l-${i}`;
    sentAt.set(id, performance.now());
    sa.emit('message:send', { conversationId: conv.id, clientMsgId: id, body: 'latency probe' });
    await new Promise((r) => setTimeout(r, GAP_MS));
  }
  await Promise.race([finished, new Promise((r) => setTimeout(r, 30000))]);
  sa.close(); sb.close();
  lat.sort((x, y) => x - y);
  return { received: lat.length, p50: pct(lat, 0.5), p99: pct(lat, 0.99) };
}

let base;
for (const arg of process.argv.slice(2)) {
  const [name, list] = arg.split('=');
  const r = await measure(list.split(','));
  const ratio = base ? `  (p50 ${(r.p50 / base.p50).toFixed(2)}× ${base.name})` : '';
  if (!base) base = { name, ...r };
  console.log(`${name.padEnd(12)} delivery latency p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms ` +
    `(${r.received}/${N} messages, one every ${GAP_MS} ms)${ratio}`);
}
process.exit(0);
