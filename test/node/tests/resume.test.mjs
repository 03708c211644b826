// Gap-free resume: `sync` returns from durable storage every event after the client's cursors.
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { TRANSPORTS, ask, cid, record, useServer } from './helpers.mjs';

const h = useServer();

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

for (const transport of TRANSPORTS) {
  describe(`resume [${transport}]`, () => {
    h.test('a client that reconnects gets every missed event, edits and deletes included, dense and in order', async () => {
      const a = await h.user('alice');
      const b = await h.user('bob');
      const conv = await h.api.direct(a, b);
      const sa = await h.connect(a.token, transport);
      let sb = await h.connect(b.token, transport);
      const evB = record(sb, 'event');
      const send = async (body) => {
        const ack = await ask(sa, 'message:send', { conversationId: conv.id, clientMsgId: cid(), body });
        assert.equal(ack.ok, true, JSON.stringify(ack));
        return ack.message;
      };
      await send('seen 1');
      await send('seen 2');
      const seen = await evB.atLeast(2);
      const lastSeqB = seen.at(-1).seq;
      assert.equal(lastSeqB, 2);
      sb.close();

      const missed = [];
      for (let i = 1; i <= 6; i++) missed.push(await send(`missed ${i}`));
      const edit = await ask(sa, 'message:edit', { conversationId: conv.id, messageId: missed[0].id, body: 'missed 1 (edited)' });
      assert.equal(edit.ok, true, JSON.stringify(edit));
      assert.equal(edit.message.body, 'missed 1 (edited)');
      assert.ok(edit.message.editedAt);
      const del = await ask(sa, 'message:delete', { conversationId: conv.id, messageId: missed[1].id });
      assert.equal(del.ok, true, JSON.stringify(del));
      assert.ok(del.message.deletedAt);
      const lastSeq = (await h.api.conversation(a.token, conv.id)).lastSeq;
      assert.equal(lastSeq, 10);

      sb = await h.connect(b.token, transport);
      const live = record(sb, 'event');
      const res = await ask(sb, 'sync', { cursors: { [conv.id]: lastSeqB } });
      assert.equal(res.ok, true);
      assert.deepEqual(res.truncated, []);
      assert.deepEqual(res.events.map((e) => e.seq), range(lastSeqB + 1, lastSeq));
      assert.ok(res.events.every((e) => e.conversationId === conv.id && e.at && e.actorId === a.id));
      assert.deepEqual(res.events.map((e) => e.type),
        [...Array(6).fill('message.created'), 'message.edited', 'message.deleted']);
      // message.created events carry the message as it was created.
      assert.deepEqual(res.events.slice(0, 6).map((e) => e.data.message.id), missed.map((m) => m.id));
      const edited = res.events[6].data.message;
      assert.equal(edited.id, missed[0].id);
      assert.equal(edited.body, 'missed 1 (edited)');
      assert.ok(edited.editedAt);
      const deleted = res.events[7].data.message;
      assert.equal(deleted.id, missed[1].id);
      assert.equal(deleted.body, '');
      assert.ok(deleted.deletedAt);
      // The events match the REST event log exactly.
      assert.deepEqual(res.events, (await h.api.events(b.token, conv.id, lastSeqB)).items);

      // After the resume the socket is live again.
      await send('live');
      assert.equal((await live.next()).seq, lastSeq + 1);
    });

    h.test('with a limit below what is missing, truncated names the conversation and REST paging fills the rest', async () => {
      const a = await h.user('alice');
      const b = await h.user('bob');
      const c = await h.user('carol');
      const direct = await h.api.direct(a, b);
      const group = await h.api.group(a, [b, c], 'team');
      const sa = await h.connect(a.token, transport);
      for (let i = 1; i <= 7; i++) {
        assert.equal((await ask(sa, 'message:send', { conversationId: direct.id, clientMsgId: cid(), body: `d${i}` })).ok, true);
      }
      for (let i = 1; i <= 3; i++) {
        assert.equal((await ask(sa, 'message:send', { conversationId: group.id, clientMsgId: cid(), body: `g${i}` })).ok, true);
      }
      const last = {
        [direct.id]: (await h.api.conversation(b.token, direct.id)).lastSeq,
        [group.id]: (await h.api.conversation(b.token, group.id)).lastSeq,
      };
      const cursors = { [direct.id]: 2, [group.id]: 1 };
      const sb = await h.connect(b.token, transport);

      // Everything fits.
      const full = await ask(sb, 'sync', { cursors });
      assert.deepEqual(full.truncated, []);
      for (const id of Object.keys(cursors)) {
        assert.deepEqual(full.events.filter((e) => e.conversationId === id).map((e) => e.seq), range(cursors[id] + 1, last[id]));
      }

      // A limit of 3: the rest comes from REST paging after what sync returned.
      const part = await ask(sb, 'sync', { cursors, limit: 3 });
      assert.equal(part.ok, true);
      assert.equal(part.events.length, 3);
      assert.ok(part.truncated.length >= 1);
      for (const id of Object.keys(cursors)) {
        const got = part.events.filter((e) => e.conversationId === id);
        assert.deepEqual(got.map((e) => e.seq), range(cursors[id] + 1, cursors[id] + got.length), 'dense from the cursor');
        const complete = cursors[id] + got.length === last[id];
        assert.equal(part.truncated.includes(id), !complete, `truncated ${JSON.stringify(part.truncated)} for ${id}`);
        let after = cursors[id] + got.length;
        const all = [...got];
        while (after < last[id]) {
          const page = await h.api.events(b.token, id, after, 2);
          assert.ok(page.items.length > 0);
          all.push(...page.items);
          after = page.items.at(-1).seq;
          if (!page.next) break;
          assert.equal(page.next, String(after));
        }
        assert.deepEqual(all.map((e) => e.seq), range(cursors[id] + 1, last[id]));
        assert.deepEqual(all, full.events.filter((e) => e.conversationId === id));
      }

      // Caught-up cursors return nothing; a cursor beyond lastSeq returns nothing either.
      const none = await ask(sb, 'sync', { cursors: { [direct.id]: last[direct.id], [group.id]: last[group.id] + 5 } });
      assert.deepEqual(none, { ok: true, events: [], truncated: [] });
    });
  });
}
