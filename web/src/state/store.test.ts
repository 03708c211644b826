// The ChatStore against a fake socket and a fake REST server: event ordering across live delivery and sync,
// gap filling, reconnects, and optimistic sends.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApi } from '../api/client'
import type { ChatEvent, Conversation, Message, User } from '../api/types'
import { BOB, CONV, ME, conversation, created, deleted, edited, member, memberEvent, msg, pinEvent, reaction } from '../test/fixtures'
import { ChatStore, type ChatSocket, type StoreOptions } from './store'

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

const me: User = { id: ME, username: 'me', displayName: 'Me', bot: false, admin: false, createdAt: '2025-01-01T00:00:00Z' }
const bob: User = { id: BOB, username: 'bob', displayName: 'Bob', bot: false, admin: false, createdAt: '2025-01-01T00:00:00Z' }

/** A REST server with one direct conversation whose history is `history`. */
function fakeServer(opts: { conv?: Conversation; history?: Message[]; pins?: () => Message[]; extra?: Record<string, Conversation> } = {}) {
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
    if (p === `/v1/conversations/${CONV}/pins`) return json({ items: opts.pins?.() ?? [] })
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

/** Just enough of an XMLHttpRequest for uploads: the test answers it. */
class FakeXHR {
  method = ''
  url = ''
  headers: Record<string, string> = {}
  body: unknown
  status = 0
  responseText = ''
  aborted = false
  upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number }) => void) | null } = { onprogress: null }
  onload: (() => void) | null = null
  onerror: (() => void) | null = null
  open(method: string, url: string) {
    this.method = method
    this.url = url
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v
  }
  send(body: unknown) {
    this.body = body
  }
  abort() {
    this.aborted = true
  }
  progress(loaded: number) {
    this.upload.onprogress?.({ lengthComputable: true, loaded })
  }
  answer(status: number, body: unknown) {
    this.status = status
    this.responseText = JSON.stringify(body)
    this.onload?.()
  }
}

let stores: ChatStore[] = []
afterEach(() => {
  for (const s of stores) s.stop()
  stores = []
})

async function setup(server = fakeServer(), socket = new FakeSocket(), extra: Partial<StoreOptions> = {}) {
  const api = createApi({ baseUrl: 'http://test', fetch: server.fetch, token: () => 't' })
  const store = new ChatStore({ api, me, socket: socket as unknown as ChatSocket, visible: () => true, gapWaitMs: 5, ackTimeoutMs: 200, summaryDelayMs: 5, ...extra })
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

  describe('reactions and pins', () => {
    const tallies = (store: ChatStore, id: string) => store.getState().timelines[CONV].messages.find((m) => m.id === id)?.reactions
    const pinIds = (store: ChatStore) => store.getState().pins[CONV]?.items.map((m) => m.id)

    it('counts each reaction event once across live delivery, replays and a sync that overlaps it', async () => {
      const server = fakeServer({ history: [msg(1, { reactions: [{ emoji: '👍', count: 1, me: false }] }), msg(2)] })
      const { store, socket } = await setup(server)
      await openConversation(store)
      socket.fire('event', reaction(3, 'reaction.added', 'm-1', 'u-carol', '👍'))
      socket.fire('event', reaction(3, 'reaction.added', 'm-1', 'u-carol', '👍')) // delivered twice
      expect(tallies(store, 'm-1')).toEqual([{ emoji: '👍', count: 2, me: false }])
      // Reconnect: sync answers from the position before the live event (3 again), and 4 (mine, from another device).
      socket.respond = (event) =>
        event === 'sync'
          ? { ok: true, events: [reaction(3, 'reaction.added', 'm-1', 'u-carol', '👍'), reaction(4, 'reaction.added', 'm-1', ME, '👍')], truncated: [] }
          : { ok: true }
      socket.disconnect()
      socket.connect()
      await vi.waitFor(() => expect(store.getState().conversations[CONV].lastSeq).toBe(4))
      socket.fire('event', reaction(4, 'reaction.added', 'm-1', ME, '👍')) // the live copy, late
      expect(tallies(store, 'm-1')).toEqual([{ emoji: '👍', count: 3, me: true }])
      socket.fire('event', reaction(5, 'reaction.removed', 'm-1', 'u-carol', '👍'))
      expect(tallies(store, 'm-1')).toEqual([{ emoji: '👍', count: 2, me: true }])
    })

    it('shows a toggled reaction at once, counts its event once, and takes back a refused one with the reason', async () => {
      const { store, socket } = await setup()
      await openConversation(store)
      socket.respond = (event) => (event === 'message:react' ? { ok: true, reactions: [{ emoji: '🎉', count: 1, me: true }] } : { ok: true })
      const done = store.toggleReaction(CONV, 'm-2', ':tada:')
      expect(tallies(store, 'm-2')).toEqual([{ emoji: '🎉', count: 1, me: true }]) // before the ack
      expect(await done).toBe(true)
      expect(socket.requests.at(-1)).toEqual({ event: 'message:react', payload: { conversationId: CONV, messageId: 'm-2', emoji: ':tada:' } })
      socket.fire('event', reaction(3, 'reaction.added', 'm-2', ME, '🎉'))
      expect(tallies(store, 'm-2')).toEqual([{ emoji: '🎉', count: 1, me: true }])

      // Clicking the chip again takes it back.
      socket.respond = () => ({ ok: true, reactions: [] })
      expect(await store.toggleReaction(CONV, 'm-2', '🎉')).toBe(true)
      expect(socket.requests.at(-1)?.event).toBe('message:unreact')
      socket.fire('event', reaction(4, 'reaction.removed', 'm-2', ME, '🎉'))
      expect(tallies(store, 'm-2')).toEqual([])

      socket.respond = () => ({ ok: false, error: { code: 'conflict', message: 'at most 10 reactions of yours per message' } })
      expect(await store.toggleReaction(CONV, 'm-2', '🔥')).toBe(false)
      expect(tallies(store, 'm-2')).toEqual([])
      expect(store.getState().notice?.text).toBe('At most 10 reactions of yours per message.')
    })

    it('loads the pins when a conversation opens and keeps them by events; a deleted message leaves them', async () => {
      const server = fakeServer({ history: [msg(1, { pinnedAt: '2025-01-01T09:30:00Z', pinnedBy: BOB }), msg(2)], pins: () => [msg(1, { pinnedAt: '2025-01-01T09:30:00Z', pinnedBy: BOB })] })
      const { store, socket } = await setup(server)
      await openConversation(store)
      await vi.waitFor(() => expect(store.getState().pins[CONV]?.loaded).toBe(true))
      expect(server.calls).toContain(`GET /v1/conversations/${CONV}/pins`)
      expect(pinIds(store)).toEqual(['m-1'])

      // Pinning goes to the server; the list changes when the event comes.
      expect(await store.setPinned(CONV, 'm-2', true)).toBe(true)
      expect(socket.requests.at(-1)).toEqual({ event: 'message:pin', payload: { conversationId: CONV, messageId: 'm-2' } })
      expect(pinIds(store)).toEqual(['m-1'])
      socket.fire('event', pinEvent(3, 'message.pinned', msg(2)))
      expect(pinIds(store)).toEqual(['m-2', 'm-1'])
      expect(store.getState().timelines[CONV].messages[1].pinnedBy).toBe(ME)

      socket.fire('event', deleted(4, msg(1)))
      expect(pinIds(store)).toEqual(['m-2'])
      expect(store.getState().timelines[CONV].messages[0].pinnedAt).toBeUndefined()
      socket.fire('event', pinEvent(5, 'message.unpinned', msg(2)))
      expect(pinIds(store)).toEqual([])
      expect(store.getState().timelines[CONV].messages[1].pinnedAt).toBeUndefined()
    })

    it('shows a refused pin as a notice', async () => {
      const { store, socket } = await setup()
      await openConversation(store)
      socket.respond = () => ({ ok: false, error: { code: 'permission_denied', message: 'only admins and owners may pin' } })
      expect(await store.setPinned(CONV, 'm-1', true)).toBe(false)
      expect(store.getState().notice?.text).toBe('Only admins and owners may pin.')
    })
  })

  it('keeps the mentions badge exact: live mentions raise it, an edit that drops one refetches the summary, reading clears it', async () => {
    const extra: Record<string, Conversation> = {}
    const server = fakeServer({ extra })
    const { store, socket } = await setup(server)
    const m3 = msg(3, { mentions: [ME], body: '@me look' })
    socket.fire('event', created(3, m3))
    socket.fire('event', created(4, { mentions: [ME] }))
    expect(store.getState().conversations[CONV]).toMatchObject({ unread: 2, mentions: 2 })

    // The server's summary, as of the edit: one mention left.
    extra[CONV] = { ...server.conv, role: 'member', lastSeq: 5, readSeq: 2, unread: 2, mentions: 1 }
    socket.fire('event', edited(5, { ...m3, mentions: [] }, 'look'))
    await vi.waitFor(() => expect(store.getState().conversations[CONV].mentions).toBe(1))
    expect(server.calls).toContain(`GET /v1/conversations/${CONV}`)

    await openConversation(store)
    await vi.waitFor(() => expect(store.getState().conversations[CONV]).toMatchObject({ unread: 0, mentions: 0 }))
  })

  it('does not take a summary that is behind the events applied: it asks again', async () => {
    const extra: Record<string, Conversation> = {}
    const server = fakeServer({ extra })
    const { store, socket } = await setup(server)
    const m3 = msg(3, { mentions: [ME] })
    socket.fire('event', created(3, m3))
    // The first answer has not seen the edit yet; the next one has.
    const answers = [
      { ...server.conv, role: 'member' as const, lastSeq: 3, readSeq: 2, unread: 1, mentions: 7 },
      { ...server.conv, role: 'member' as const, lastSeq: 4, readSeq: 2, unread: 1, mentions: 0 },
    ]
    let asked = 0
    Object.defineProperty(extra, CONV, { get: () => answers[Math.min(asked++, 1)], enumerable: true })
    const seen = new Set<number>()
    store.subscribe(() => seen.add(store.getState().conversations[CONV]?.mentions ?? -1))
    socket.fire('event', edited(4, { ...m3, mentions: [] }, 'edited'))
    await vi.waitFor(() => expect(store.getState().conversations[CONV].mentions).toBe(0))
    expect(asked).toBeGreaterThanOrEqual(2)
    expect(seen.has(7)).toBe(false) // the answer behind our position was not taken
  })

  it('uploads attachments with the token and progress, and sends their ids with the message', async () => {
    const xhrs: FakeXHR[] = []
    const { store, socket } = await setup(fakeServer(), new FakeSocket(), {
      token: () => 'tok',
      xhr: () => {
        const x = new FakeXHR()
        xhrs.push(x)
        return x as unknown as XMLHttpRequest
      },
    })
    await openConversation(store)
    const file = new File(['0123456789'], 'cake photo.png')
    store.attach(CONV, [file])
    expect(xhrs).toHaveLength(1)
    const x = xhrs[0]
    expect(x.method).toBe('POST')
    expect(x.url).toBe(`/v1/conversations/${CONV}/attachments?name=cake%20photo.png`)
    expect(x.headers).toEqual({ Authorization: 'Bearer tok', 'Content-Type': 'application/octet-stream' })
    expect(x.body).toBe(file)
    expect(store.getState().uploads[CONV][0]).toMatchObject({ status: 'uploading', loaded: 0, size: 10 })
    x.progress(4)
    expect(store.getState().uploads[CONV][0].loaded).toBe(4)
    // Nothing to send while it runs.
    expect(store.sendWithUploads(CONV, '')).toBe(false)
    const att = { id: 'a-1', name: 'cake photo.png', contentType: 'image/png', size: 10, thumbnail: true, conversationId: CONV, uploaderId: ME, createdAt: '2025-01-01T00:00:00Z' }
    x.answer(201, att)
    expect(store.getState().uploads[CONV][0]).toMatchObject({ status: 'done', attachment: att })

    socket.respond = (event, payload) => (event === 'message:send' ? { ok: true, message: msg(3, { senderId: ME, clientMsgId: payload.clientMsgId as string, body: payload.body as string }) } : { ok: true })
    expect(store.sendWithUploads(CONV, '')).toBe(true)
    const send = socket.requests.find((r) => r.event === 'message:send')
    expect(send?.payload).toMatchObject({ conversationId: CONV, body: 'cake photo.png', attachmentIds: ['a-1'] })
    expect(store.getState().uploads[CONV]).toEqual([])
  })

  it('shows why the server refused a file, and removing a running upload aborts it', async () => {
    const xhrs: FakeXHR[] = []
    const { store } = await setup(fakeServer(), new FakeSocket(), {
      xhr: () => {
        const x = new FakeXHR()
        xhrs.push(x)
        return x as unknown as XMLHttpRequest
      },
    })
    store.attach(CONV, [new File(['<html>'], 'cat.png'), new File(['x'.repeat(20)], 'big.zip'), new File(['x'], 'c.txt')])
    xhrs[0].answer(400, { code: 'invalid_argument', title: 'Bad Request', status: 400, detail: 'the file content does not match its name' })
    xhrs[1].answer(413, { code: 'too_large', title: 'Payload Too Large', status: 413, detail: 'files can be at most 10 MiB' })
    const q = store.getState().uploads[CONV]
    expect(q.map((u) => [u.status, u.error])).toEqual([
      ['failed', 'The file content does not match its name.'],
      ['failed', 'Files can be at most 10 MiB.'],
      ['uploading', undefined],
    ])
    store.unattach(CONV, q[2].key)
    expect(xhrs[2].aborted).toBe(true)
    expect(store.getState().uploads[CONV]).toHaveLength(2)
  })

  it('sets the notification level and mute, and takes them from the answer', async () => {
    const server = fakeServer()
    const put: unknown[] = []
    const base = server.fetch
    const fetch = (async (input: RequestInfo | URL) => {
      const req = input instanceof Request ? input : new Request(input)
      if (req.method === 'PUT' && new URL(req.url).pathname === `/v1/conversations/${CONV}/notifications`) {
        const body = await req.json()
        put.push(body)
        return new Response(JSON.stringify({ ...server.conv, role: 'member', notifyLevel: body.level, muted: body.muted }), { status: 200, headers: { 'content-type': 'application/json' } })
      }
      return base(input)
    }) as typeof globalThis.fetch
    const { store } = await setup({ ...server, fetch })
    expect(await store.setNotifications(CONV, 'mentions', true)).toBe(true)
    expect(put).toEqual([{ level: 'mentions', muted: true }])
    expect(store.getState().conversations[CONV]).toMatchObject({ notifyLevel: 'mentions', muted: true })
  })
})
