// Sending, ordering, idempotency, typing and read receipts over Socket.IO.
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { TRANSPORTS, ask, cid, record, refused, useServer } from './helpers.mjs';

const h = useServer();

for (const transport of TRANSPORTS) {
  describe(`chat [${transport}]`, () => {
    h.test('two users chat: the ack carries the stored message, the other member gets the event', async () => {
      const a = await h.user('alice');
      const b = await h.user('bob');
      const conv = await h.api.direct(a, b);
      const sa = await h.connect(a.token, transport);
      const sb = await h.connect(b.token, transport);
      const evA = record(sa, 'event');
      const evB = record(sb, 'event');

      const clientMsgId = cid();
      const ack = await ask(sa, 'message:send', { conversationId: conv.id, clientMsgId, body: 'hi bob' });
      assert.equal(ack.ok, true, JSON.stringify(ack));
      assert.equal(ack.accepted, undefined);
      const m = ack.message;
      assert.equal(m.seq, 1);
      assert.equal(m.conversationId, conv.id);
      assert.equal(m.senderId, a.id);
      assert.equal(m.clientMsgId, clientMsgId);
      assert.equal(m.body, 'hi bob');
      assert.match(m.id, /^[0-9a-f-]{36}$/);
      assert.ok(!Number.isNaN(Date.parse(m.createdAt)));

      const e = await evB.next();
      assert.equal(e.conversationId, conv.id);
      assert.equal(e.seq, 1);
      assert.equal(e.type, 'message.created');
      assert.equal(e.actorId, a.id);
      assert.ok(!Number.isNaN(Date.parse(e.at)));
      assert.deepEqual(e.data.message, m);
      // The sender's socket is a member too.
      assert.deepEqual((await evA.next()).data.message, m);

      const reply = await ask(sb, 'message:send', { conversationId: conv.id, clientMsgId: cid(), body: 'hi alice' });
      assert.equal(reply.ok, true);
      assert.equal(reply.message.seq, 2);
      const back = await evA.next();
      assert.equal(back.seq, 2);
      assert.equal(back.data.message.body, 'hi alice');
      assert.equal(back.data.message.senderId, b.id);

      const hist = await h.api.messages(a.token, conv.id);
      assert.deepEqual(hist.items.map((x) => x.body), ['hi bob', 'hi alice']);
    });

    h.test('seqs are dense and every member sees them in one order across many concurrent sends', async () => {
      const a = await h.user('alice');
      const b = await h.user('bob');
      const c = await h.user('carol');
      const conv = await h.api.group(a, [b, c]);
      const { lastSeq: base } = await h.api.conversation(a.token, conv.id); // member.joined events come first
      const sa = await h.connect(a.token, transport);
      const sb = await h.connect(b.token, transport);
      const sc = await h.connect(c.token, transport);
      const recs = [sa, sb, sc].map((s) => record(s, 'event'));
      const perUser = 15;
      const sends = [];
      for (const [s, who] of [[sa, 'a'], [sb, 'b']]) {
        for (let i = 0; i < perUser; i++) {
          sends.push(ask(s, 'message:send', { conversationId: conv.id, clientMsgId: cid(), body: `${who}${i}` }));
        }
      }
      const acks = await Promise.all(sends);
      for (const ack of acks) assert.equal(ack.ok, true, JSON.stringify(ack));
      const n = 2 * perUser;
      const seqs = acks.map((x) => x.message.seq).sort((x, y) => x - y);
      assert.deepEqual(seqs, Array.from({ length: n }, (_, i) => base + i + 1));
      // One socket's requests run in order: its seqs follow the order of its emits.
      for (const who of ['a', 'b']) {
        const mine = acks.filter((x) => x.message.body.startsWith(who));
        assert.deepEqual(mine.map((x) => x.message.body), Array.from({ length: perUser }, (_, i) => `${who}${i}`));
        for (let i = 1; i < mine.length; i++) assert.ok(mine[i].message.seq > mine[i - 1].message.seq);
      }
      const seen = await Promise.all(recs.map((r) => r.atLeast(n)));
      for (const list of seen) {
        assert.equal(list.length, n);
        assert.deepEqual(list.map((e) => e.seq), Array.from({ length: n }, (_, i) => base + i + 1));
        assert.ok(list.every((e) => e.type === 'message.created' && e.conversationId === conv.id));
      }
      // All three saw the same message at each seq.
      assert.deepEqual(seen[1].map((e) => e.data.message.id), seen[0].map((e) => e.data.message.id));
      assert.deepEqual(seen[2].map((e) => e.data.message.id), seen[0].map((e) => e.data.message.id));
      await recs[1].none(200, () => recs[1].items.length > n);
    });

    h.test('a retry with the same clientMsgId returns the original message and yields one event', async () => {
      const a = await h.user('alice');
      const b = await h.user('bob');
      const conv = await h.api.direct(a, b);
      const sa1 = await h.connect(a.token, transport);
      const sa2 = await h.connect(a.token, transport);
      const sb = await h.connect(b.token, transport);
      const evB = record(sb, 'event');

      const clientMsgId = cid();
      const payload = { conversationId: conv.id, clientMsgId, body: 'once' };
      const first = await ask(sa1, 'message:send', payload);
      assert.equal(first.ok, true);
      const again = await ask(sa1, 'message:send', payload);
      assert.equal(again.ok, true);
      assert.deepEqual(again.message, first.message);
      // A retry on another socket of the same user, even with a changed body, is the same message.
      const other = await ask(sa2, 'message:send', { ...payload, body: 'once, edited by a retry?' });
      assert.equal(other.ok, true);
      assert.deepEqual(other.message, first.message);

      // Concurrent duplicates from two sockets.
      const id2 = cid();
      const [x, y] = await Promise.all([
        ask(sa1, 'message:send', { conversationId: conv.id, clientMsgId: id2, body: 'twice' }),
        ask(sa2, 'message:send', { conversationId: conv.id, clientMsgId: id2, body: 'twice' }),
      ]);
      assert.equal(x.ok, true);
      assert.equal(y.ok, true);
      assert.equal(x.message.id, y.message.id);
      assert.equal(x.message.seq, 2);

      const got = await evB.atLeast(2);
      assert.deepEqual(got.map((e) => e.data.message.id), [first.message.id, x.message.id]);
      await evB.none(400, () => evB.items.length > 2);
      const hist = await h.api.messages(b.token, conv.id);
      assert.deepEqual(hist.items.map((m) => m.body), ['once', 'twice']);
    });

    h.test('typing reaches the other member and is not echoed to the typist’s sockets', async () => {
      const a = await h.user('alice');
      const b = await h.user('bob');
      const conv = await h.api.direct(a, b);
      const sa1 = await h.connect(a.token, transport);
      const sa2 = await h.connect(a.token, transport);
      const sb = await h.connect(b.token, transport);
      const tA1 = record(sa1, 'typing');
      const tA2 = record(sa2, 'typing');
      const tB = record(sb, 'typing');

      sa1.emit('typing', { conversationId: conv.id, typing: true }); // the contract's form: no ack
      assert.deepEqual(await tB.next(), { conversationId: conv.id, userId: a.id, typing: true });
      const ack = await ask(sa1, 'typing', { conversationId: conv.id, typing: false }); // an ack is optional
      assert.equal(ack.ok, true);
      assert.deepEqual(await tB.next(), { conversationId: conv.id, userId: a.id, typing: false });
      await Promise.all([tA1.none(300), tA2.none(0)]);

      // And the other way round.
      sb.emit('typing', { conversationId: conv.id, typing: true });
      assert.deepEqual(await tA2.next(), { conversationId: conv.id, userId: b.id, typing: true });
      assert.deepEqual(await tA1.next(), { conversationId: conv.id, userId: b.id, typing: true });
      await tB.none(300, (t) => t.userId === b.id);
    });

    h.test('read receipts: the ack carries readSeq, others get read, REST unread follows', async () => {
      const a = await h.user('alice');
      const b = await h.user('bob');
      const conv = await h.api.direct(a, b);
      const sa = await h.connect(a.token, transport);
      const sb = await h.connect(b.token, transport);
      const readA = record(sa, 'read');
      for (let i = 1; i <= 3; i++) {
        assert.equal((await ask(sa, 'message:send', { conversationId: conv.id, clientMsgId: cid(), body: `m${i}` })).ok, true);
      }
      const unreadOf = async (u) => (await h.api.conversations(u.token)).items.find((c) => c.id === conv.id);
      let mine = await unreadOf(b);
      assert.equal(mine.unread, 3);
      assert.equal(mine.readSeq, 0);

      const ack = await ask(sb, 'conversation:read', { conversationId: conv.id, seq: 2 });
      assert.deepEqual(ack, { ok: true, readSeq: 2 });
      assert.deepEqual(await readA.next((r) => r.userId === b.id), { conversationId: conv.id, userId: b.id, seq: 2 });
      mine = await unreadOf(b);
      assert.equal(mine.readSeq, 2);
      assert.equal(mine.unread, 1);
      // The sender's own messages are never unread for them.
      assert.equal((await unreadOf(a)).unread, 0);

      // Never backwards, and no receipt for a no-op.
      assert.deepEqual(await ask(sb, 'conversation:read', { conversationId: conv.id, seq: 1 }), { ok: true, readSeq: 2 });
      await readA.none(300, (r) => r.userId === b.id && r.seq !== 2);
      assert.equal(readA.items.filter((r) => r.userId === b.id).length, 1);
      // Beyond lastSeq is refused.
      refused(await ask(sb, 'conversation:read', { conversationId: conv.id, seq: 4 }), 'invalid_argument');

      assert.deepEqual(await ask(sb, 'conversation:read', { conversationId: conv.id, seq: 3 }), { ok: true, readSeq: 3 });
      assert.equal((await readA.next((r) => r.userId === b.id)).seq, 3);
      assert.equal((await unreadOf(b)).unread, 0);
    });
  });
}
