// Connected sockets follow membership changes made through REST, without reconnecting.
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { TRANSPORTS, ask, cid, record, refused, useServer } from './helpers.mjs';

const h = useServer();

for (const transport of TRANSPORTS) {
  describe(`membership [${transport}]`, () => {
    h.test('a user added to a group starts receiving its events; removed, stops', async () => {
      const a = await h.user('alice');
      const b = await h.user('bob');
      const c = await h.user('carol');
      const group = await h.api.group(a, [b], 'team');
      const sa = await h.connect(a.token, transport);
      const sc1 = await h.connect(c.token, transport);
      const sc2 = await h.connect(c.token, transport);
      const ev = [sc1, sc2].map((s) => record(s, 'event'));
      const typ = record(sc1, 'typing');

      const before = await ask(sa, 'message:send', { conversationId: group.id, clientMsgId: cid(), body: 'before carol' });
      assert.equal(before.ok, true);
      await Promise.all(ev.map((r) => r.none(200)));

      await h.api.addMembers(a.token, group.id, [c.id]);
      for (const r of ev) {
        const joined = await r.next();
        assert.equal(joined.type, 'member.joined');
        assert.equal(joined.conversationId, group.id);
        assert.equal(joined.data.member.userId, c.id);
        assert.equal(joined.seq, before.message.seq + 1);
      }
      const during = await ask(sa, 'message:send', { conversationId: group.id, clientMsgId: cid(), body: 'hi carol' });
      for (const r of ev) {
        const e = await r.next();
        assert.equal(e.type, 'message.created');
        assert.equal(e.data.message.body, 'hi carol');
        assert.equal(e.seq, during.message.seq);
      }
      sa.emit('typing', { conversationId: group.id, typing: true });
      assert.deepEqual(await typ.next(), { conversationId: group.id, userId: a.id, typing: true });
      const own = await ask(sc1, 'message:send', { conversationId: group.id, clientMsgId: cid(), body: 'thanks' });
      assert.equal(own.ok, true, JSON.stringify(own));
      for (const r of ev) assert.equal((await r.next()).data.message.body, 'thanks');

      await h.api.removeMember(a.token, group.id, c.id);
      for (const r of ev) {
        const left = await r.next();
        assert.equal(left.type, 'member.left');
        assert.equal(left.data.member.userId, c.id);
      }
      const afterRemoval = await ask(sa, 'message:send', { conversationId: group.id, clientMsgId: cid(), body: 'carol is gone' });
      assert.equal(afterRemoval.ok, true);
      sa.emit('typing', { conversationId: group.id, typing: false });
      refused(await ask(sc1, 'message:send', { conversationId: group.id, clientMsgId: cid(), body: 'still here?' }), 'not_found');
      await Promise.all([...ev.map((r) => r.none(400, (e) => e.seq > left0(r))), typ.none(0, (t) => t.typing === false)]);
      const sync = await ask(sc2, 'sync', { cursors: { [group.id]: 0 } });
      assert.deepEqual(sync, { ok: true, events: [], truncated: [] });
    });

    h.test('joining and leaving a channel through REST moves the connected socket in and out', async () => {
      const a = await h.user('alice');
      const c = await h.user('carol');
      const channel = await h.api.channel(a, 'lobby-' + cid());
      const sa = await h.connect(a.token, transport);
      const sc = await h.connect(c.token, transport);
      const ev = record(sc, 'event');

      await h.api.join(c.token, channel.id);
      assert.equal((await ev.next()).type, 'member.joined');
      await ask(sa, 'message:send', { conversationId: channel.id, clientMsgId: cid(), body: 'welcome' });
      assert.equal((await ev.next()).data.message.body, 'welcome');

      await h.api.req('POST', `/v1/conversations/${channel.id}/leave`, { token: c.token, expect: [200, 204] });
      const left = await ev.next();
      assert.equal(left.type, 'member.left');
      await ask(sa, 'message:send', { conversationId: channel.id, clientMsgId: cid(), body: 'bye' });
      await ev.none(400, (e) => e.seq > left.seq);
      refused(await ask(sc, 'message:send', { conversationId: channel.id, clientMsgId: cid(), body: 'x' }), 'permission_denied');
    });
  });
}

// left0 is the seq of the member.left event r has seen (nothing after it may arrive).
function left0(r) {
  return r.items.find((e) => e.type === 'member.left').seq;
}
