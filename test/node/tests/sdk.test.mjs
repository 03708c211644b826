// The TypeScript SDK's real-time client (openapi/sdk-ts) against the real binary, with the official
// socket.io-client: live delivery in seq order; the server killed and started again while messages are sent —
// to a conversation the client heard from and to one quiet since it connected — and every one arrives once, in
// order, resumed by seq; a new client given the old one's cursors gets exactly what it missed; refusals reject
// with a RealtimeError carrying the code.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { RealtimeClient, RealtimeError } from '../../../openapi/sdk-ts/src/realtime.js';
import { Api, TRANSPORTS, cid, sleep, startServer } from './helpers.mjs';

/** Waits (bounded) until the seqs delivered of conv reach last, and requires them to be first..last once each, in order. */
async function waitSeqs(got, conv, first, last) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const seqs = got.filter((e) => e.conversationId === conv).map((e) => e.seq);
    if (seqs.length && seqs.at(-1) >= last) {
      assert.deepEqual(seqs, Array.from({ length: last - first + 1 }, (_, i) => first + i), 'every event once, in seq order');
      return;
    }
    if (Date.now() > deadline) assert.fail(`delivered ${JSON.stringify(seqs)}, want up to seq ${last}`);
    await sleep(20);
  }
}

for (const transport of TRANSPORTS) {
  describe(`TypeScript SDK real-time client [${transport}]`, () => {
    const servers = [];
    after(async () => { for (const s of servers) await s.stop(); });

    it('delivers once and in order, and resumes by seq across a server restart', { timeout: 60000 }, async () => {
      let srv = await startServer();
      servers.push(srv);
      const api = new Api(srv.url);
      const alice = await api.newUser('alice');
      const bob = await api.newUser('bob');
      const busy = await api.group(alice, [bob], 'Busy');
      const quiet = await api.group(alice, [bob], 'Quiet');
      const send = async (conv, body) => (await api.req('POST', `/v1/conversations/${conv.id}/messages`,
        { token: alice.token, body: { clientMsgId: cid(), body }, expect: 201 })).body;
      await send(quiet, 'before bob connects');

      const got = [];
      const disconnects = [];
      const listConversations = async () => (await api.conversations(bob.token)).items;
      const bc = new RealtimeClient({ io, url: srv.url, token: bob.token, transports: [transport], listConversations,
        onEvent: (e) => got.push(e), onDisconnect: (r) => disconnects.push(r) });
      await bc.connect();
      assert.equal(bc.cursor(quiet.id), 1, 'tracked from the conversation list at its lastSeq');
      const ac = new RealtimeClient({ io, url: srv.url, token: alice.token, transports: [transport] });
      await ac.connect();
      for (let i = 0; i < 3; i++) {
        const ack = await ac.send({ conversationId: busy.id, clientMsgId: cid(), body: `live ${i}` });
        assert.ok(ack.message.seq > 0);
      }
      await waitSeqs(got, busy.id, 1, 3);
      ac.close();

      await srv.kill();
      const deadline = Date.now() + 20000;
      while (!disconnects.length) {
        if (Date.now() > deadline) assert.fail('the client never noticed the server died');
        await sleep(20);
      }
      assert.ok(['transport close', 'transport error'].includes(disconnects[0]), disconnects[0]);
      srv = await startServer({}, { port: srv.port, dataDir: srv.dataDir });
      servers.push(srv);
      for (let i = 0; i < 3; i++) await send(busy, 'while bob was away');
      await send(quiet, 'quiet no more');
      await waitSeqs(got, busy.id, 1, 6);
      await waitSeqs(got, quiet.id, 2, 2);

      const cursors = { [busy.id]: bc.cursor(busy.id), [quiet.id]: bc.cursor(quiet.id) };
      bc.close();
      await send(busy, 'missed');
      await send(busy, 'missed too');
      const again = [];
      const bc2 = new RealtimeClient({ io, url: srv.url, token: bob.token, transports: [transport], cursors, onEvent: (e) => again.push(e) });
      await bc2.connect();
      assert.deepEqual(again.map((e) => [e.conversationId, e.seq]), [[busy.id, 7], [busy.id, 8]], 'caught up before connect resolved');
      await assert.rejects(bc2.send({ conversationId: 'nope', clientMsgId: cid(), body: 'hi' }),
        (err) => err instanceof RealtimeError && err.code === 'not_found');
      bc2.close();
      const forged = new RealtimeClient({ io, url: srv.url, token: 'sc_forged', transports: [transport] });
      await assert.rejects(forged.connect(), (err) => err.data?.code === 'unauthenticated');
    });
  });
}
