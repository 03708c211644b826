// Memory per socket: opens N Socket.IO connections, one per distinct user, against a running scalechat and
// prints the server process's resident memory (VmRSS of /proc/<PID>/status) before and after.
// Not a test. Usage (from test/node):
//   URL=http://127.0.0.1:8080 PID=<server pid> N=2000 node bench/sockets.mjs
// Optional: TRANSPORT=websocket|polling (default websocket), CONCURRENCY (default 50), SETTLE_MS (default 2000).
// Start the server with a low SCALECHAT_PASSWORD_MEMORY_KIB (e.g. 1024) so that registering users is quick.
import { readFileSync } from 'node:fs';
import { io } from 'socket.io-client';

const URL = process.env.URL || 'http://127.0.0.1:8080';
const N = Number(process.env.N || 2000);
const PID = process.env.PID;
const TRANSPORT = process.env.TRANSPORT || 'websocket';
const CONCURRENCY = Number(process.env.CONCURRENCY || 50);
const SETTLE_MS = Number(process.env.SETTLE_MS || 2000);
const PASSWORD = 'bench-password';

function rssKiB() {
  if (!PID) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${PID}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

const mib = (kib) => (kib / 1024).toFixed(1);

async function post(path, body) {
  const r = await fetch(URL + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = await r.json();
  if (!r.ok) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(data)}`);
  return data;
}

/** Runs fn(i) for i in [0, n) with at most `limit` in flight; resolves with the results in order. */
async function pool(n, limit, fn) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, n) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  }));
  return out;
}

function connect(token) {
  return new Promise((resolve, reject) => {
    const s = io(URL, { transports: [TRANSPORT], upgrade: false, reconnection: false, forceNew: true, timeout: 20000, auth: { token } });
    s.once('connect', () => resolve(s));
    s.once('connect_error', (err) => { s.close(); reject(new Error(`connect_error: ${err.message} ${JSON.stringify(err.data)}`)); });
  });
}

if (!PID) console.warn('PID is not set: RSS cannot be read (set PID to the server process id)');
const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
let t = Date.now();
const tokens = await pool(N, CONCURRENCY, async (i) => {
  const username = `b${run}_${i}`.slice(0, 32);
  await post('/v1/users', { username, password: PASSWORD });
  return (await post('/v1/sessions', { username, password: PASSWORD })).token;
});
console.log(`registered and logged in ${N} users in ${Date.now() - t} ms`);

await new Promise((r) => setTimeout(r, SETTLE_MS));
const before = rssKiB();
t = Date.now();
const sockets = await pool(N, CONCURRENCY, (i) => connect(tokens[i]));
console.log(`opened ${sockets.length} ${TRANSPORT} sockets in ${Date.now() - t} ms`);
await new Promise((r) => setTimeout(r, SETTLE_MS));
const after = rssKiB();
const connectedCount = sockets.filter((s) => s.connected).length;

console.log(`server pid ${PID ?? '?'}: RSS before ${mib(before)} MiB, after ${mib(after)} MiB, ` +
  `delta ${mib(after - before)} MiB for ${connectedCount} sockets: ${((after - before) / connectedCount).toFixed(1)} KiB per socket`);
console.log(JSON.stringify({ sockets: connectedCount, transport: TRANSPORT, rssBeforeKiB: before, rssAfterKiB: after,
  perSocketKiB: Number(((after - before) / connectedCount).toFixed(1)) }));

for (const s of sockets) s.close();
setTimeout(() => process.exit(0), 200).unref();
