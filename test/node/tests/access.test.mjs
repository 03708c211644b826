// Authentication, members-only delivery and refusal of bad input over Socket.IO.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe } from 'node:test';
import { TRANSPORTS, ask, cid, connectError, record, refused, useServer } from './helpers.mjs';

const h = useServer();

for (const transport of TRANSPORTS) {
  describe(`access [${transport}]`, () => {
    h.test('a bad, missing or revoked token fails the handshake with connect_error unauthenticated', async () => {
      for (const [what, token] of [['bad token', 'not-a-token'], ['empty token', ''], ['non-string token', 42]]) {
        const err = await connectError(h.open(token, transport));
        assert.equal(err.data?.code, 'unauthenticated', `${what}: ${err.message} ${JSON.stringify(err.data)}`);
      }
      const noAuth = await connectError(h.open(undefined, transport));
      assert.equal(noAuth.data?.code, 'unauthenticated');

      const u = await h.user('gone');
      await h.connect(u.token, transport); // works while the session lives
      await h.api.req('DELETE', '/v1/sessions/current', { token: u.token, expect: [200, 204] });
      const revoked = await connectError(h.open(u.token, transport));
      assert.equal(revoked.data?.code, 'unauthenticated');
    });

    h.test('non-members receive nothing and every request of theirs is refused', async () => {
      const a = await h.user('alice');
      const b = await h.user('bob');
      const c = await h.user('mallory');
      const conv = await h.api.direct(a, b);
      const channel = await h.api.channel(a, 'open-' + cid());
      const sa = await h.connect(a.token, transport);
      const sc = await h.connect(c.token, transport);
      const seen = ['event', 'typing', 'read'].map((n) => record(sc, n));

      const sent = await ask(sa, 'message:send', { conversationId: conv.id, clientMsgId: cid(), body: 'private' });
      assert.equal(sent.ok, true);
      const inChannel = await ask(sa, 'message:send', { conversationId: channel.id, clientMsgId: cid(), body: 'public' });
      assert.equal(inChannel.ok, true);
      sa.emit('typing', { conversationId: conv.id, typing: true });
      assert.equal((await ask(sa, 'conversation:read', { conversationId: conv.id, seq: 1 })).ok, true);
      const mid = sent.message.id;

      for (const [target, code, messageId] of [[conv.id, 'not_found', mid], [channel.id, 'permission_denied', inChannel.message.id]]) {
        const cases = [
          ['message:send', { conversationId: target, clientMsgId: cid(), body: 'let me in' }],
          ['message:edit', { conversationId: target, messageId, body: 'hijacked' }],
          ['message:delete', { conversationId: target, messageId }],
          ['conversation:read', { conversationId: target, seq: 1 }],
          ['typing', { conversationId: target, typing: true }],
        ];
        for (const [event, payload] of cases) {
          refused(await ask(sc, event, payload), code);
        }
      }
      // sync skips conversations the user does not belong to.
      const sync = await ask(sc, 'sync', { cursors: { [conv.id]: 0, [channel.id]: 0 } });
      assert.deepEqual(sync, { ok: true, events: [], truncated: [] });
      await Promise.all(seen.map((r) => r.none(300)));

      // Nothing changed.
      const hist = await h.api.messages(a.token, conv.id);
      assert.deepEqual(hist.items.map((m) => [m.body, m.editedAt, m.deletedAt]), [['private', undefined, undefined]]);

      // Joining the channel makes its events flow to the already-connected socket.
      await h.api.join(c.token, channel.id);
      const joined = await seen[0].next((e) => e.conversationId === channel.id);
      assert.equal(joined.type, 'member.joined');
      assert.equal(joined.data.member.userId, c.id);
      const ok = await ask(sc, 'message:send', { conversationId: channel.id, clientMsgId: cid(), body: 'hello all' });
      assert.equal(ok.ok, true, JSON.stringify(ok));
      assert.equal((await seen[0].next((e) => e.type === 'message.created')).data.message.body, 'hello all');
      await seen[0].none(200, (e) => e.conversationId === conv.id);
    });

    h.test('malformed requests get an error ack from the closed set, change nothing and break nothing', async () => {
      const a = await h.user('alice');
      const b = await h.user('bob');
      const conv = await h.api.direct(a, b);
      const sa = await h.connect(a.token, transport);
      const sb = await h.connect(b.token, transport);
      const evB = record(sb, 'event');
      const typB = record(sb, 'typing');
      const readB = record(sb, 'read');
      const first = await ask(sa, 'message:send', { conversationId: conv.id, clientMsgId: cid(), body: 'first' });
      assert.equal(first.ok, true);
      await evB.next();
      const mid = first.message.id;
      const C = conv.id;
      const unknown = randomUUID();
      const send = (extra) => ({ conversationId: C, clientMsgId: cid(), body: 'x', ...extra });

      const cases = [
        // message:send
        ['message:send', ['not an object'], 'invalid_argument'],
        ['message:send', [42], 'invalid_argument'],
        ['message:send', [null], 'invalid_argument'],
        ['message:send', [[C, 'x']], 'invalid_argument'],
        ['message:send', [], 'invalid_argument'],
        ['message:send', [{}], 'invalid_argument'],
        ['message:send', [{ clientMsgId: cid(), body: 'x' }], 'invalid_argument'],
        ['message:send', [{ conversationId: C, body: 'x' }], 'invalid_argument'],
        ['message:send', [{ conversationId: C, clientMsgId: cid() }], 'invalid_argument'],
        ['message:send', [send({ body: 5 })], 'invalid_argument'],
        ['message:send', [send({ body: '' })], 'invalid_argument'],
        ['message:send', [send({ body: '   ' })], 'invalid_argument'],
        ['message:send', [send({ body: 'y'.repeat(4001) })], 'invalid_argument'],
        ['message:send', [send({ body: { text: 'x' } })], 'invalid_argument'],
        ['message:send', [send({ conversationId: 7 })], 'invalid_argument'],
        ['message:send', [send({ clientMsgId: 12 })], 'invalid_argument'],
        ['message:send', [send({ clientMsgId: 'has spaces!' })], 'invalid_argument'],
        ['message:send', [send({ clientMsgId: 'k'.repeat(65) })], 'invalid_argument'],
        ['message:send', [send({ unknownField: true })], 'invalid_argument'],
        ['message:send', [send({ replyTo: unknown })], 'invalid_argument'],
        ['message:send', [send({ conversationId: unknown })], 'not_found'],
        ['message:send', [send({ conversationId: 'not-a-uuid' })], 'not_found', 'invalid_argument'],
        // message:edit
        ['message:edit', ['x'], 'invalid_argument'],
        ['message:edit', [{ conversationId: C, body: 'x' }], 'invalid_argument'],
        ['message:edit', [{ conversationId: C, messageId: mid }], 'invalid_argument'],
        ['message:edit', [{ conversationId: C, messageId: mid, body: 5 }], 'invalid_argument'],
        ['message:edit', [{ conversationId: C, messageId: mid, body: 'z'.repeat(4001) }], 'invalid_argument'],
        ['message:edit', [{ conversationId: C, messageId: mid, body: 'x', extra: 1 }], 'invalid_argument'],
        ['message:edit', [{ conversationId: C, messageId: unknown, body: 'x' }], 'not_found'],
        ['message:edit', [{ conversationId: unknown, messageId: mid, body: 'x' }], 'not_found'],
        // message:delete
        ['message:delete', [7], 'invalid_argument'],
        ['message:delete', [{ conversationId: C }], 'invalid_argument'],
        ['message:delete', [{ conversationId: C, messageId: 9 }], 'invalid_argument'],
        ['message:delete', [{ conversationId: C, messageId: mid, hard: true }], 'invalid_argument'],
        ['message:delete', [{ conversationId: C, messageId: unknown }], 'not_found'],
        // conversation:read
        ['conversation:read', [true], 'invalid_argument'],
        ['conversation:read', [{ conversationId: C }], 'invalid_argument'],
        ['conversation:read', [{ conversationId: C, seq: -1 }], 'invalid_argument'],
        ['conversation:read', [{ conversationId: C, seq: '1' }], 'invalid_argument'],
        ['conversation:read', [{ conversationId: C, seq: 1.5 }], 'invalid_argument'],
        ['conversation:read', [{ conversationId: C, seq: 99 }], 'invalid_argument'],
        ['conversation:read', [{ conversationId: C, seq: 1, extra: 1 }], 'invalid_argument'],
        ['conversation:read', [{ conversationId: unknown, seq: 1 }], 'not_found'],
        // typing
        ['typing', ['typing'], 'invalid_argument'],
        ['typing', [{ conversationId: C }], 'invalid_argument'],
        ['typing', [{ conversationId: C, typing: 'yes' }], 'invalid_argument'],
        ['typing', [{ typing: true }], 'invalid_argument'],
        ['typing', [{ conversationId: unknown, typing: true }], 'not_found'],
        // sync
        ['sync', ['cursors'], 'invalid_argument'],
        ['sync', [{}], 'invalid_argument'],
        ['sync', [{ cursors: [] }], 'invalid_argument'],
        ['sync', [{ cursors: { [C]: -1 } }], 'invalid_argument'],
        ['sync', [{ cursors: { [C]: 'zero' } }], 'invalid_argument'],
        ['sync', [{ cursors: { [C]: 0 }, limit: -1 }], 'invalid_argument'],
        ['sync', [{ cursors: { [C]: 0 }, limit: 'all' }], 'invalid_argument'],
        ['sync', [{ cursors: { [C]: 0 }, since: 0 }], 'invalid_argument'],
      ];
      for (const [event, args, ...codes] of cases) {
        const ack = await ask(sa, event, ...args);
        try {
          refused(ack, ...codes);
        } catch (err) {
          err.message = `${event} ${JSON.stringify(args).slice(0, 120)}: ${err.message}`;
          throw err;
        }
      }
      // Events without an ack, and an event the server does not know, are ignored without harm.
      sa.emit('message:send', 'no ack wanted');
      sa.emit('message:send', { conversationId: C, body: 5 });
      sa.emit('no:such:event', { conversationId: C });
      // Someone else's message may not be edited.
      refused(await ask(sb, 'message:edit', { conversationId: C, messageId: mid, body: 'not yours' }), 'permission_denied');
      refused(await ask(sb, 'message:delete', { conversationId: C, messageId: mid }), 'permission_denied');

      // Nothing was stored or delivered.
      const hist = await h.api.messages(a.token, C);
      assert.deepEqual(hist.items.map((m) => [m.seq, m.body, m.editedAt, m.deletedAt]), [[1, 'first', undefined, undefined]]);
      assert.equal((await h.api.events(a.token, C)).items.length, 1);
      assert.equal((await h.api.conversation(b.token, C)).readSeq, 0);
      await Promise.all([evB.none(100, (e) => e.seq !== 1), typB.none(0), readB.none(0)]);

      // The same socket, and the others, are served as before; the longest body is accepted.
      assert.equal(sa.connected, true);
      const ok = await ask(sa, 'message:send', { conversationId: C, clientMsgId: cid(), body: 'y'.repeat(4000) });
      assert.equal(ok.ok, true, JSON.stringify(ok));
      assert.equal(ok.message.seq, 2);
      assert.equal((await evB.next()).seq, 2);
      const back = await ask(sb, 'message:send', { conversationId: C, clientMsgId: cid(), body: 'still here' });
      assert.equal(back.message.seq, 3);
      const sync = await ask(sa, 'sync', { cursors: { [C]: 0 } });
      assert.deepEqual(sync.events.map((e) => e.seq), [1, 2, 3]);
      const other = await h.user('other');
      const so = await h.connect(other.token, transport);
      assert.equal(so.connected, true);
    });
  });
}
