// Presence over Socket.IO (the server runs with SCALECHAT_PRESENCE_GRACE=300ms) and its REST view.
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { TRANSPORTS, record, sleep, useServer } from './helpers.mjs';

const h = useServer();
const GRACE_MS = 300;

const statusOf = async (viewer, user) => (await h.api.presence(viewer.token, [user.id])).items[0];

for (const transport of TRANSPORTS) {
  describe(`presence [${transport}]`, () => {
    h.test('a contact connecting is announced online, and offline within the grace after it leaves', async () => {
      const a = await h.user('alice');
      const b = await h.user('bob');
      const stranger = await h.user('stranger');
      await h.api.direct(a, b);
      assert.equal((await statusOf(a, b)).status, 'offline');
      assert.equal((await statusOf(a, b)).lastSeenAt, undefined);

      const sa = await h.connect(a.token, transport);
      const st = await h.connect(stranger.token, transport);
      const pA = record(sa, 'presence');
      const pStranger = record(st, 'presence');

      const sb = await h.connect(b.token, transport);
      const online = await pA.next((p) => p.userId === b.id);
      assert.equal(online.status, 'online');
      assert.ok(!Number.isNaN(Date.parse(online.lastSeenAt)));
      const rest = await statusOf(a, b);
      assert.equal(rest.userId, b.id);
      assert.equal(rest.status, 'online');
      const both = await h.api.presence(a.token, [b.id, a.id]);
      assert.deepEqual(both.items.map((p) => [p.userId, p.status]), [[b.id, 'online'], [a.id, 'online']]);

      const closedAt = Date.now();
      sb.close();
      const offline = await pA.next((p) => p.userId === b.id, GRACE_MS + 3000);
      const took = Date.now() - closedAt;
      assert.equal(offline.status, 'offline');
      assert.ok(took >= GRACE_MS - 50, `offline after ${took} ms, before the ${GRACE_MS} ms grace`);
      assert.ok(!Number.isNaN(Date.parse(offline.lastSeenAt)));
      const after = await statusOf(a, b);
      assert.equal(after.status, 'offline');
      assert.ok(after.lastSeenAt);

      // Presence goes only to people who share a direct conversation or group.
      await pStranger.none(100, (p) => p.userId === b.id);
    });

    h.test('a reconnect within the grace, or a second socket, does not flap presence', async (t) => {
      const a = await h.user('alice');
      const b = await h.user('bob');
      await h.api.group(a, [b]);
      const sa = await h.connect(a.token, transport);
      const pA = record(sa, 'presence');
      const b1 = await h.connect(b.token, transport);
      await pA.next((p) => p.userId === b.id && p.status === 'online');

      // A second socket, then closing the first: b stays online.
      const b2 = await h.connect(b.token, transport);
      b1.close();
      await sleep(GRACE_MS + 300);
      assert.equal((await statusOf(a, b)).status, 'online');

      // Closing the last one and reconnecting within the grace: no offline, no second online.
      const closedAt = Date.now();
      b2.close();
      await sleep(50);
      await h.connect(b.token, transport);
      const took = Date.now() - closedAt;
      await sleep(GRACE_MS + 300);
      assert.equal((await statusOf(a, b)).status, 'online');
      if (took < GRACE_MS - 100) {
        assert.deepEqual(pA.items.filter((p) => p.userId === b.id).map((p) => p.status), ['online']);
      } else {
        t.diagnostic(`reconnecting took ${took} ms, not within the ${GRACE_MS} ms grace: flap check skipped`);
      }
    });
  });
}
