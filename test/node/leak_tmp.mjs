// Repro: emitting right after 'connect' sometimes gets the connection force-closed by the server, and the
// server-side socket then leaks (user stays online, socket slot stays taken).
import { startServer, Api, openSocket, sleep } from './tests/helpers.mjs';
const srv = await startServer({ SCALECHAT_MAX_SOCKETS_PER_USER: '1000' });
const api = new Api(srv.url);
const u = await api.newUser('leak');
const viewer = await api.newUser('viewer');
let killed = 0;
const N = Number(process.env.N || 300);
for (let i = 0; i < N; i++) {
  const s = openSocket(srv.url, u.token, process.env.T || 'websocket');
  const r = await new Promise((resolve) => {
    s.on('connect', () => { s.timeout(3000).emit('sync', { cursors: {} }, (err) => resolve(err ? 'noack' : 'ok')); });
    s.on('disconnect', (reason) => resolve('closed:' + reason));
    s.on('connect_error', (e) => resolve('connect_error:' + e.message));
  });
  if (r !== 'ok') killed++;
  s.close();
}
await sleep(1500); // > grace
const p = (await api.presence(viewer.token, [u.id])).items[0];
console.log(`force-closed right after connect: ${killed}/${N}; presence of the user after all sockets closed: ${p.status}`);
await srv.stop();
