// Two users chat in real time through two different gateways of a scalechat cluster, with the official
// socket.io-client: user A on gateway 1 over websocket, user B on gateway 2 over HTTP long-polling. Both send
// N messages at the same time; the script checks that every send is acknowledged with the sequenced message,
// that both users receive every message exactly once, in seq order, with the acknowledged content, and that the
// seqs are dense. It prints one JSON summary line on stdout and exits 0 when every check passed, 1 otherwise.
//
// Run by test/cluster/cluster_test.go. Input (environment):
//   GW_A, GW_B          base URLs of the two gateways (http://host:port)
//   TOKEN_A, TOKEN_B    bearer tokens of the two users
//   CONV                id of a fresh conversation of both users (no event yet unless FIRST_SEQ says otherwise)
//   N                   messages each user sends (default 20)
//   FIRST_SEQ           seq of the first message (default 1)
//   TIMEOUT_MS          bound of the whole exchange (default 30000)
//   TRANSPORT_A, TRANSPORT_B   override the transports (default websocket, polling)
//   SOCKET_IO_CLIENT_DIR       directory of the socket.io-client package (default: found under test/node)
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Finds the socket.io-client package: $SOCKET_IO_CLIENT_DIR, test/node/node_modules, or any node_modules above. */
function findClientDir() {
  const candidates = [];
  if (process.env.SOCKET_IO_CLIENT_DIR) candidates.push(path.resolve(process.env.SOCKET_IO_CLIENT_DIR));
  candidates.push(path.resolve(here, '..', '..', 'node', 'node_modules', 'socket.io-client'));
  for (let dir = here; ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, 'node_modules', 'socket.io-client'));
    if (path.dirname(dir) === dir) break;
  }
  const found = candidates.find((d) => existsSync(path.join(d, 'package.json')));
  if (!found) throw new Error(`socket.io-client not found; looked in ${candidates.join(', ')}`);
  return found;
}

/** Imports the package's ESM entry (its exports map), as `import 'socket.io-client'` would from test/node. */
async function importClient() {
  const dir = findClientDir();
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const dot = pkg.exports?.['.'];
  const entry = (typeof dot === 'string' ? dot : dot?.import?.default ?? dot?.import ?? dot?.default) ?? pkg.module ?? pkg.main;
  const mod = await import(pathToFileURL(path.join(dir, entry)).href);
  return { io: mod.io ?? mod.default, version: pkg.version };
}

const env = (name, def) => {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (def === undefined) throw new Error(`${name} is required`);
    return def;
  }
  return v;
};

const summary = { ok: false, errors: [] };
const fail = (msg) => summary.errors.push(msg);

async function main() {
  const { io, version } = await importClient();
  const cfg = {
    gwA: env('GW_A'), gwB: env('GW_B'), tokenA: env('TOKEN_A'), tokenB: env('TOKEN_B'), conv: env('CONV'),
    n: Number(env('N', '20')), firstSeq: Number(env('FIRST_SEQ', '1')), timeoutMs: Number(env('TIMEOUT_MS', '30000')),
    transportA: env('TRANSPORT_A', 'websocket'), transportB: env('TRANSPORT_B', 'polling'),
  };
  Object.assign(summary, { clientVersion: version, n: cfg.n, conversationId: cfg.conv });

  const users = [
    { name: 'A', url: cfg.gwA, token: cfg.tokenA, transport: cfg.transportA },
    { name: 'B', url: cfg.gwB, token: cfg.tokenB, transport: cfg.transportB },
  ];
  const total = 2 * cfg.n;
  const deadline = Date.now() + cfg.timeoutMs;
  const left = () => Math.max(0, deadline - Date.now());

  for (const u of users) {
    u.events = []; // every `event` of the conversation, in arrival order
    u.acks = [];
    u.other = 0; // events of other conversations
    u.redials = []; // why earlier connections were dropped
  }

  // Connects u and syncs, as a client does after connecting (nothing to catch up on here). The server handles a
  // socket's requests after its connection set-up (rooms joined, presence recorded), so once the sync is
  // answered the socket receives every event of its conversations.
  //
  // A connection the server drops before answering that first request is dialled again (at most twice; the
  // summary lists them): the Go Socket.IO server library writes the CONNECT acknowledgement before it registers
  // the socket, so a packet sent at once may find no socket ("invalid state") and the transport is closed.
  // The official client heals that by reconnecting; this script turns reconnection off to see every drop.
  async function connect(u) {
    for (let attempt = 1; ; attempt++) {
      const socket = io(u.url, {
        auth: { token: u.token }, transports: [u.transport], upgrade: false, forceNew: true, reconnection: false,
        timeout: left(),
      });
      let dropped = null;
      socket.on('disconnect', (reason) => { dropped = reason; });
      socket.on('event', (e) => {
        if (e?.conversationId !== cfg.conv) { u.other++; return; }
        u.events.push(e);
        if (u.events.length >= total && u.onAll) u.onAll();
      });
      try {
        await new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${u.name}: not connected within ${cfg.timeoutMs} ms`)), left());
          socket.once('connect', () => { clearTimeout(timer); resolve(); });
          socket.once('connect_error', (err) => {
            clearTimeout(timer);
            reject(new Error(`${u.name}: connect_error ${err.message} ${JSON.stringify(err.data ?? null)}`));
          });
        });
        const transport = socket.io.engine.transport.name;
        const ack = await socket.timeout(left()).emitWithAck('sync', { cursors: {} });
        if (ack?.ok !== true) throw new Error(`${u.name}: sync refused: ${JSON.stringify(ack)}`);
        u.socket = socket;
        u.connectedTransport = transport;
        return;
      } catch (err) {
        socket.close();
        if (dropped === null || attempt >= 3) throw err;
        u.redials.push(`${err.message} (${dropped})`);
      }
    }
  }

  try {
    await Promise.all(users.map(connect));

    // Both send at once; each user's sends go one after the other (every ack awaited), as a chat UI does.
    const started = Date.now();
    await Promise.all(users.map(async (u) => {
      for (let i = 0; i < cfg.n; i++) {
        const clientMsgId = `${u.name}-${i}-${started}`;
        const body = `message ${i} from ${u.name}`;
        const ack = await u.socket.timeout(left()).emitWithAck('message:send',
          { conversationId: cfg.conv, clientMsgId, body });
        u.acks.push({ clientMsgId, body, ack });
      }
    }));
    summary.sendMs = Date.now() - started;

    // Then every user must see all 2N events.
    await Promise.all(users.map((u) => new Promise((resolve, reject) => {
      if (u.events.length >= total) { resolve(); return; }
      const timer = setTimeout(() => reject(new Error(`${u.name}: ${u.events.length} of ${total} events within ${cfg.timeoutMs} ms`)), left());
      u.onAll = () => { clearTimeout(timer); resolve(); };
    })));
    summary.deliverMs = Date.now() - started;
    // A short quiet period: a duplicate delivered late would show up here.
    await new Promise((r) => setTimeout(r, 300));
  } catch (err) {
    fail(err.message);
  }

  // Checks.
  const acked = new Map(); // seq → message from the ack
  for (const u of users) {
    for (const { clientMsgId, body, ack } of u.acks) {
      const m = ack?.message;
      if (ack?.ok !== true || ack.accepted || !m || !(m.seq > 0)) {
        fail(`${u.name}: ack of ${clientMsgId} carries no sequenced message: ${JSON.stringify(ack)}`);
        continue;
      }
      if (m.clientMsgId !== clientMsgId || m.body !== body || m.conversationId !== cfg.conv) {
        fail(`${u.name}: ack of ${clientMsgId} is another message: ${JSON.stringify(m)}`);
      }
      if (acked.has(m.seq)) fail(`seq ${m.seq} acknowledged twice: ${acked.get(m.seq).id} and ${m.id}`);
      acked.set(m.seq, m);
    }
  }
  const want = [...Array(total).keys()].map((i) => cfg.firstSeq + i);
  const ackedSeqs = [...acked.keys()].sort((a, b) => a - b);
  if (JSON.stringify(ackedSeqs) !== JSON.stringify(want)) fail(`acknowledged seqs ${ackedSeqs} are not ${cfg.firstSeq}..${cfg.firstSeq + total - 1}`);
  for (const u of users) {
    const seqs = u.events.map((e) => e.seq);
    u.seqs = seqs;
    if (JSON.stringify(seqs) !== JSON.stringify(want)) {
      fail(`${u.name}: event seqs in arrival order ${JSON.stringify(seqs)}, want ${cfg.firstSeq}..${cfg.firstSeq + total - 1} each once in order`);
    }
    for (const e of u.events) {
      const m = acked.get(e.seq);
      const em = e.data?.message;
      if (e.type !== 'message.created' || !em) { fail(`${u.name}: unexpected event ${JSON.stringify(e)}`); continue; }
      if (m && (em.id !== m.id || em.body !== m.body || em.senderId !== m.senderId || em.clientMsgId !== m.clientMsgId)) {
        fail(`${u.name}: event seq ${e.seq} carries ${JSON.stringify(em)}, the ack said ${JSON.stringify(m)}`);
      }
    }
    if (u.other > 0) fail(`${u.name}: ${u.other} events of other conversations`);
  }
  summary.users = Object.fromEntries(users.map((u) => [u.name, {
    gateway: u.url, transport: u.connectedTransport ?? null, acks: u.acks.length, events: u.events.length, seqs: u.seqs,
    redials: u.redials,
  }]));
  summary.ok = summary.errors.length === 0;
  for (const u of users) u.socket?.close();
}

try {
  await main();
} catch (err) {
  fail(`fatal: ${err.stack ?? err}`);
}
process.stdout.write(JSON.stringify(summary) + '\n');
process.exit(summary.ok ? 0 : 1);
