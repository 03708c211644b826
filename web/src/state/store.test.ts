// The ChatStore against a fake socket and a fake REST server: event ordering across live delivery and sync,
// gap filling, reconnects, and optimistic sends.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApi } from '../api/client'
import type { ChatEvent, Conversation, Message, User } from '../api/types'
import { BOB, CONV, ME, conversation, created, edited, member, memberEvent, msg } from '../test/fixtures'
import { ChatStore, type ChatSocket } from './store'

type Handler = (...args: unknown[]) => void

/** Just enough of a socket.io-client Socket. respond() answers requests with acks. */
class FakeSocket {
  connected = false
  active = false
  handlers: Record<string, Handler[]> = {}
  requests: { event: string; payload: Record<string, unknown> }[] = []
  notices: { event: string; payload: unknown }[] = []
  respond: (event: string, payload: Record<string, unknown>) => unknown = () => ({ ok: true })

  on(ev: string, fn: Handler) {
    ;(this.handlers[ev] ??= []).push(fn)
    return this
  }
  removeAllListeners() {
    this.handlers = {}
    return this
  }
  fire(ev: string, ...args: unknown[]) {
    for (const f of this.handlers[ev] ?? []) f(...args)
  }
  connect() {
    this.connected = true
    this.active = true
    this.fire('connect')
    return this
  }
  disconnect() {
    if (!this.connected) return this
    this.connected = false
    this.fire('disconnect', 'transport close')
    return this
  }
  timeout() {
    return {
      emit: (event: string, payload: Record<string, unknown>, cb: (err: Error | null, ack?: unknown) => void) => {
        this.requests.push({ event, payload })
        const ack = this.respond(event, payload)
        queueMicrotask(() => (ack instanceof Error ? cb(ack) : cb(null, ack)))
      },
    }
  }
  emit(event: string, payload: unknown) {
    this.notices.push({ event, payload })
    return this
  }
}

const me: User = { id: ME, username: 'me', displayName: 'Me', createdAt: '2025-01-01T00:00:00Z' }
const bob: User = { id: BOB, username: 'bob', displayName: 'Bob', createdAt: '2025-01-01T00:00:00Z' }

/** A REST server with one direct conversation whose history is `history`. */
function fakeServer(opts: { conv?: Conversation; history?: Message[]; extra?: Record<string, Conversation> } = {}) {
  const conv = opts.conv ?? conversation({ lastSeq: 2, readSeq: 2 })
  const history = opts.history ?? [msg(1), msg(2)]
  const calls: string[] = []
  const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
  const fetch = async (input: RequestInfo | URL) => {
    const req = input instanceof Request ? input : new Request(input)
    const url = new URL(req.url)
    calls.push(`${req.method} ${url.pathname}${url.search}`)
    const p = url.pathname
    if (p === '/v1/conversations' && req.method === 'GET') return json({ items: [conv] })
    if (p === `/v1/conversations/${CONV}/messages`) return json({ items: history })
    if (p === `/v1/conversations/${CONV}/members`) return json({ items: [member(ME), member(BOB)] })
    if (p.startsWith('/v1/conversations/') && p.split('/').length === 4) {
      const id = p.split('/')[3]
      const c = opts.extra?.[id]
      return c ? json(c) : json({ code: 'not_found', title: 'Not Found', status: 404 }, 404)
    }
    if (p === `/v1/users/${BOB}`) return json(bob)
    if (p.startsWith('/v1/users/')) return json({ ...bob, id: p.split('/')[3] })
    if (p === '/v1/presence') return json({ items: [{ userId: BOB, status: 'online' }] })
    return json({ code: 'not_found', title: 'Not Found', status: 404 }, 404)
  }
  return { fetch: fetch as typeof globalThis.fetch, calls, conv }
}

let stores: ChatStore[] = []
afterEach(() => {
  for (const s of stores) s.stop()
  stores = []
})

async function setup(server = fakeServer(), socket = new FakeSocket()) {
  const api = createApi({ baseUrl: 'http://test', fetch: server.fetch, token: () => 't' })
  const store = new ChatStore({ api, me, socket: socket as unknown as ChatSocket, visible: () => true, gapWaitMs: 5, ackTimeoutMs: 200 })
  stores.push(store)
  socket.respond = (event) => (event === 'sync' ? { ok: true, events: [], truncated: [] } : { ok: true })
  await store.start()
  await vi.waitFor(() => expect(store.getState().connection).toBe('online'))
  return { store, socket, server }
}

async function openConversation(store: ChatStore) {
  store.open(CONV)
  await vi.waitFor(() => expect(store.getState().timelines[CONV]?.loaded).toBe(true))
}

const seqsOf = (store: ChatStore) => store.getState().timelines[CONV].messages.map((m) => m.seq)

describe('ChatStore', () => {
  it('loads the list, connects, and syncs from the list positions', async () => {
    const { store, socket } = await setup()
    expect(store.getState().conversations[CONV].title).toBe('Bob')
    const sync = socket.requests.find((r) => r.event === 'sync')
    expect(sync?.payload).toEqual({ cursors: { [CONV]: 2 }, limit: 1000 })
  })

  it('applies live events in seq order, each once', async () => {
    const { store, socket } = await setup()
    await openConversation(store)
    socket.fire('event', created(3))
    socket.fire('event', created(3))
    socket.fire('event', created(2)) // already in the history page
    expect(seqsOf(store)).toEqual([1, 2, 3])
    expect(store.getState().conversations[CONV].lastSeq).toBe(3)
  })

  it('detects a hole in live events and fills it with sync', async () => {
    const { store, socket } = await setup()
    await openConversation(store)
    const missing = [created(3), created(4)]
    socket.respond = (event, payload) => {
      if (event !== 'sync') return { ok: true }
      const after = (payload.cursors as Record<string, number>)[CONV]
      return { ok: true, events: [...missing, created(5)].filter((e) => e.seq > after), truncated: [] }
    }
    socket.fire('event', created(5)) // 3 and 4 were dropped by fan-out
    expect(seqsOf(store)).toEqual([1, 2]) // 5 is held back, not shown out of order
    await vi.waitFor(() => expect(seqsOf(store)).toEqual([1, 2, 3, 4, 5]))
    const syncs = socket.requests.filter((r) => r.event === 'sync')
    expect(syncs.at(-1)?.payload).toEqual({ cursors: { [CONV]: 2 }, limit: 1000 })
  })

  it('pages through a truncated sync', async () => {
    const { store, socket } = await setup()
    await openConversation(store)
    socket.respond = (event, payload) => {
      if (event !== 'sync') return { ok: true }
      const after = (payload.cursors as Record<string, number>)[CONV]
      const all = [3, 4, 5, 6].map((s) => created(s)).filter((e) => e.seq > after)
      return { ok: true, events: all.slice(0, 2), truncated: all.length > 2 ? [CONV] : [] }
    }
    socket.disconnect()
    expect(store.getState().connection).toBe('reconnecting')
    socket.connect()
    await vi.waitFor(() => expect(seqsOf(store)).toEqual([1, 2, 3, 4, 5, 6]))
    await vi.waitFor(() => expect(store.getState().connection).toBe('online'))
  })

  it('catches up after a reconnect: events missed while disconnected arrive through sync', async () => {
    const { store, socket } = await setup()
    await openConversation(store)
    socket.disconnect()
    store.setBrowserOnline(false)
    expect(store.getState()).toMatchObject({ connection: 'reconnecting', browserOffline: true })
    const m = msg(1)
    socket.respond = (event) =>
      event === 'sync' ? { ok: true, events: [created(3), edited(4, m, 'edited while away')], truncated: [] } : { ok: true }
    store.setBrowserOnline(true)
    await vi.waitFor(() => expect(store.getState().connection).toBe('online'))
    expect(seqsOf(store)).toEqual([1, 2, 3])
    expect(store.getState().timelines[CONV].messages[0].body).toBe('edited while away')
  })

  it('counts unread messages in conversations not open', async () => {
    const { store, socket } = await setup()
    socket.fire('event', created(3))
    socket.fire('event', created(4))
    expect(store.getState().conversations[CONV].unread).toBe(2)
    store.open(CONV)
    await vi.waitFor(() => expect(socket.requests.some((r) => r.event === 'conversation:read')).toBe(true))
    expect(socket.requests.find((r) => r.event === 'conversation:read')?.payload).toEqual({ conversationId: CONV, seq: 4 })
    expect(store.getState().conversations[CONV].unread).toBe(0)
  })

  it('tells the server about messages read in the open conversation, once each', async () => {
    const { store, socket } = await setup()
    await openConversation(store)
    const reads = () => socket.requests.filter((r) => r.event === 'conversation:read').map((r) => r.payload.seq)
    expect(reads()).toEqual([]) // already read up to 2
    socket.fire('event', created(3))
    await vi.waitFor(() => expect(reads()).toEqual([3]))
    expect(store.getState().conversations[CONV]).toMatchObject({ unread: 0, readSeq: 3 })
    await store.markRead(CONV)
    expect(reads()).toEqual([3])
  })

  it('adds a conversation it hears about for the first time', async () => {
    const other = conversation({ id: 'c-2', title: 'New group', kind: 'group', lastSeq: 2, role: 'member' })
    const server = fakeServer({ extra: { 'c-2': other } })
    const { store, socket } = await setup(server)
    const joined: ChatEvent = { conversationId: 'c-2', seq: 2, type: 'member.joined', at: '2025-01-02T00:00:00Z', actorId: BOB, data: { member: member(ME, { conversationId: 'c-2' }) } }
    socket.fire('event', joined)
    await vi.waitFor(() => expect(store.getState().conversations['c-2']?.title).toBe('New group'))
    socket.fire('event', created(3, {}, 'c-2'))
    expect(store.getState().conversations['c-2'].unread).toBe(1)
  })

  it('does not bring back a channel the user left', async () => {
    const chan = conversation({ id: 'c-3', kind: 'channel', title: 'general', lastSeq: 4 }) // no role: not a member
    const server = fakeServer({ extra: { 'c-3': chan } })
    const { store, socket } = await setup(server)
    socket.fire('event', memberEvent(4, 'member.left', member(ME, { conversationId: 'c-3' })))
    await vi.waitFor(() => expect(server.calls).toContain('GET /v1/conversations/c-3'))
    await new Promise((r) => setTimeout(r, 20))
    expect(store.getState().conversations['c-3']).toBeUndefined()
  })

  describe('optimistic send', () => {
    it('shows the message at once and replaces it with the stored one', async () => {
      const { store, socket } = await setup()
      await openConversation(store)
      let ackFor: Record<string, unknown> | undefined
      socket.respond = (event, p) => {
        if (event !== 'message:send') return { ok: true }
        ackFor = p
        return { ok: true, message: msg(3, { senderId: ME, clientMsgId: p.clientMsgId as string, body: p.body as string }) }
      }
      const id = store.send(CONV, 'hello there')
      expect(store.getState().timelines[CONV].pending).toMatchObject([{ clientMsgId: id, body: 'hello there', status: 'sending' }])
      await vi.waitFor(() => expect(store.getState().timelines[CONV].pending).toEqual([]))
      expect(ackFor).toMatchObject({ conversationId: CONV, clientMsgId: id, body: 'hello there' })
      expect(seqsOf(store)).toEqual([1, 2, 3])
      // The live event of the same message adds nothing.
      socket.fire('event', created(3, { senderId: ME, clientMsgId: id, body: 'hello there' }))
      expect(seqsOf(store)).toEqual([1, 2, 3])
    })

    it('marks a refused send failed and retries it with the same clientMsgId', async () => {
      const { store, socket } = await setup()
      await openConversation(store)
      socket.respond = (event) => (event === 'message:send' ? { ok: false, error: { code: 'unavailable', message: 'try later' } } : { ok: true })
      const id = store.send(CONV, 'flaky')
      await vi.waitFor(() => expect(store.getState().timelines[CONV].pending[0]?.status).toBe('failed'))
      expect(store.getState().timelines[CONV].pending[0].error).toMatch(/busy or restarting/)
      socket.respond = (event, p) =>
        event === 'message:send' ? { ok: true, message: msg(3, { senderId: ME, clientMsgId: p.clientMsgId as string, body: 'flaky' }) } : { ok: true }
      store.retry(CONV, id)
      await vi.waitFor(() => expect(store.getState().timelines[CONV].pending).toEqual([]))
      const sends = socket.requests.filter((r) => r.event === 'message:send')
      expect(sends.map((s) => s.payload.clientMsgId)).toEqual([id, id])
      expect(seqsOf(store)).toEqual([1, 2, 3])
    })

    it('fails when the ack does not come in time', async () => {
      const { store, socket } = await setup()
      await openConversation(store)
      socket.respond = (event) => (event === 'message:send' ? new Error('operation has timed out') : { ok: true })
      store.send(CONV, 'lost')
      await vi.waitFor(() => expect(store.getState().timelines[CONV].pending[0]?.status).toBe('failed'))
    })
  })
})
