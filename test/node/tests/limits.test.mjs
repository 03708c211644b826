// Per-user limits: send rate and sockets per user, on a server started with small limits.
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { TRANSPORTS, ask, cid, connectError, record, refused, sleep, useServer } from './helpers.mjs';

const h = useServer({
  SCALECHAT_SEND_RATE_LIMIT: '5',
  SCALECHAT_SEND_RATE_PER: '1m',
  SCALECHAT_MAX_SOCKETS_PER_USER: '2',
});

for (const transport of TRANSPORTS) {
  describe(`limits [${transport}]`, () => {
    h.test('the 6th send within the window is rate_limited with retryAfterMs, others are unaffected', async () => {
      const a = await h.user('alice');
      const b = await h.user('bob');
      const conv = await h.api.direct(a, b);
      const sa = await h.connect(a.token, transport);
      const sb = await h.connect(b.token, transport);
      const evB = record(sb, 'event');
      const ids = [];
      for (let i = 1; i <= 5; i++) {
        const clientMsgId = cid();
        ids.push(clientMsgId);
        const ack = await ask(sa, 'message:send', { conversationId: conv.id, clientMsgId, body: `m${i}` });
        assert.equal(ack.ok, true, `send ${i}: ${JSON.stringify(ack)}`);
      }
      const sixth = await ask(sa, 'message:send', { conversationId: conv.id, clientMsgId: cid(), body: 'm6' });
      const err = refused(sixth, 'rate_limited');
      assert.ok(Number.isInteger(err.retryAfterMs) && err.retryAfterMs > 0, JSON.stringify(sixth));
      assert.ok(err.retryAfterMs <= 60_000, JSON.stringify(sixth));

      // A retry of a stored message costs nothing and is still answered.
      const retry = await ask(sa, 'message:send', { conversationId: conv.id, clientMsgId: ids[4], body: 'm5' });
      assert.equal(retry.ok, true);
      assert.equal(retry.message.seq, 5);
      // The limit is per user: bob can still send.
      const fromB = await ask(sb, 'message:send', { conversationId: conv.id, clientMsgId: cid(), body: 'b1' });
      assert.equal(fromB.ok, true);
      assert.equal(fromB.message.seq, 6);
      const got = await evB.atLeast(6);
      assert.deepEqual(got.map((e) => e.data.message.body), ['m1', 'm2', 'm3', 'm4', 'm5', 'b1']);
      await evB.none(200, () => evB.items.length > 6);
    });

    h.test('a 3rd socket of one user fails with connect_error rate_limited; closing one frees a slot', async () => {
      const u = await h.user('many');
      const s1 = await h.connect(u.token, transport);
      await h.connect(u.token, transport);
      const err = await connectError(h.open(u.token, transport));
      assert.equal(err.data?.code, 'rate_limited', `${err.message} ${JSON.stringify(err.data)}`);
      // Another user is not affected.
      const other = await h.user('other');
      await h.connect(other.token, transport);

      s1.close();
      let lastErr;
      for (let i = 0; i < 40; i++) { // the server notices the close asynchronously
        try {
          await h.connect(u.token, transport);
          return;
        } catch (e) {
          lastErr = e;
          await sleep(50);
        }
      }
      assert.fail(`no slot after closing a socket: ${lastErr?.message} ${JSON.stringify(lastErr?.data)}`);
    });
  });
}
