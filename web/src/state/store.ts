// The chat client: owns the REST client and the socket, keeps the state the UI renders, and applies the server's
// events in seq order (through sequencer.ts) to the conversation list (conversations.ts) and the open timelines
// (timeline.ts). React reads it with useSyncExternalStore; every change replaces the state object.
import type { Socket } from 'socket.io-client'
import { call, type Api } from '../api/client'
import type { ChatEvent, Conversation, Member, Message, Presence, User } from '../api/types'
import { ApiError, friendlyError, fromAck } from '../lib/problem'
import { newClientMsgId } from '../lib/ids'
import type { ClientToServer, ServerToClient } from '../realtime/types'
import * as seq from './sequencer'
import * as tl from './timeline'
import { applyEventToConversation, applyMemberEvent, applyRead, markRead, sortConversations } from './conversations'

export type ChatSocket = Socket<ServerToClient, ClientToServer>

/** online: connected and caught up; connecting: first connection; reconnecting: lost, trying again. */
export type Connection = 'connecting' | 'online' | 'reconnecting'

export interface Notice {
  id: number
  text: string
}

export interface ChatState {
  me: User
  connection: Connection
  /** The browser says it has no network. */
  browserOffline: boolean
  listLoaded: boolean
  listError?: string
  conversations: Record<string, Conversation>
  timelines: Record<string, tl.Timeline>
  /** Members per conversation, once loaded. */
  members: Record<string, Member[]>
  users: Record<string, User>
  presence: Record<string, Presence['status']>
  /** conversationId → userId → when the typing notice expires (ms since epoch). */
  typing: Record<string, Record<string, number>>
  activeId?: string
  loadingOlder: Record<string, boolean>
  notice?: Notice
}

export interface StoreOptions {
  api: Api
  me: User
  socket: ChatSocket
  /** The session is over (401, or the socket refused the token). */
  onSignedOut?: () => void
  /** The open conversation went away (left, removed, not found): the UI navigates home. */
  onLeft?: (id: string) => void
  /** Is the page visible (messages in the open conversation count as read)? */
  visible?: () => boolean
  /** Timeouts, shortened in tests. */
  ackTimeoutMs?: number
  gapWaitMs?: number
}

const PAGE = 50
const TYPING_TTL = 6000

export class ChatStore {
  private state: ChatState
  private readonly listeners = new Set<() => void>()
  private readonly api: Api
  private readonly socket: ChatSocket
  private readonly opts: StoreOptions
  private cursors: Record<string, seq.Cursor> = {}
  /** The read position the server has (or has been sent), per conversation. */
  private readSent: Record<string, number> = {}
  /** Events of conversations being fetched, applied once their summary (and so their cursor) is known. */
  private held: Record<string, ChatEvent[]> = {}
  private fetching = new Map<string, Promise<Conversation | undefined>>()
  private userFetches = new Set<string>()
  private syncing = false
  private syncAgain = false
  private syncTimer?: ReturnType<typeof setTimeout>
  private readTimer?: ReturnType<typeof setTimeout>
  private typingTimer?: ReturnType<typeof setInterval>
  private typingSent: Record<string, { at: number; stop?: ReturnType<typeof setTimeout> }> = {}
  private connectedOnce = false
  private stopped = false
  private noticeId = 0

  constructor(opts: StoreOptions) {
    this.opts = opts
    this.api = opts.api
    this.socket = opts.socket
    this.state = {
      me: opts.me,
      connection: 'connecting',
      browserOffline: false,
      listLoaded: false,
      conversations: {},
      timelines: {},
      members: {},
      users: { [opts.me.id]: opts.me },
      presence: {},
      typing: {},
      loadingOlder: {},
    }
  }

  // ---- React binding ----

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  getState = (): ChatState => this.state

  private set(patch: Partial<ChatState> | ((s: ChatState) => Partial<ChatState>)) {
    if (this.stopped) return
    const p = typeof patch === 'function' ? patch(this.state) : patch
    this.state = { ...this.state, ...p }
    for (const fn of this.listeners) fn()
  }

  /** Shows a short message to the user. */
  notify(text: string) {
    this.set({ notice: { id: ++this.noticeId, text } })
  }

  dismissNotice(id: number) {
    if (this.state.notice?.id === id) this.set({ notice: undefined })
  }

  // ---- lifecycle ----

  /** Loads the conversation list, then connects the socket (which syncs from the list's positions). */
  async start() {
    const s = this.socket
    s.on('connect', () => this.onConnect())
    s.on('disconnect', (reason) => {
      this.set({ connection: 'reconnecting' })
      // The server closed the socket on purpose (e.g. restarting): socket.io-client does not retry by itself then.
      if (reason === 'io server disconnect' && !this.state.browserOffline) setTimeout(() => this.connect(), 500)
    })
    s.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      if (err.data?.code === 'unauthenticated') {
        this.opts.onSignedOut?.()
        return
      }
      this.set({ connection: this.connectedOnce ? 'reconnecting' : 'connecting' })
      if (!s.active && !this.state.browserOffline) setTimeout(() => this.connect(), 1000)
    })
    s.on('event', (e) => this.ingest([e]))
    s.on('typing', (t) => this.onTyping(t.conversationId, t.userId, t.typing))
    s.on('presence', (p) => this.setPresence([p]))
    s.on('read', (r) => this.onRead(r.conversationId, r.userId, r.seq))
    this.typingTimer = setInterval(() => this.expireTyping(), 1000)
    await this.loadList()
    this.connect()
  }

  stop() {
    this.stopped = true
    clearTimeout(this.syncTimer)
    clearTimeout(this.readTimer)
    clearInterval(this.typingTimer)
    for (const t of Object.values(this.typingSent)) clearTimeout(t.stop)
    this.socket.removeAllListeners()
    this.socket.disconnect()
    this.listeners.clear()
  }

  private connect() {
    if (this.stopped || this.socket.connected) return
    this.socket.connect()
  }

  /** The browser lost or regained its network: drop the socket at once rather than wait for a timeout. */
  setBrowserOnline(online: boolean) {
    if (!online) {
      this.set({ browserOffline: true, connection: 'reconnecting' })
      this.socket.disconnect()
    } else {
      this.set({ browserOffline: false })
      this.connect()
    }
  }

  private async onConnect() {
    const first = !this.connectedOnce
    this.connectedOnce = true
    await this.sync()
    // After a reconnect: conversations joined or left meanwhile. After a first connect: only if the list failed.
    if (!first || this.state.listError) await this.refreshList()
    if (this.socket.connected) this.set({ connection: 'online' })
    const active = this.state.activeId
    if (active) {
      this.loadMembers(active)
      this.scheduleRead(active)
    }
    void this.loadPresence()
  }

  // ---- conversation list ----

  private async fetchAllConversations(): Promise<Conversation[]> {
    const all: Conversation[] = []
    let cursor: string | undefined
    for (let page = 0; page < 50; page++) {
      const r = await call(this.api.GET('/v1/conversations', { params: { query: { limit: 200, cursor } } }))
      all.push(...r.items)
      if (!r.next) break
      cursor = r.next
    }
    return all
  }

  private async loadList() {
    try {
      const list = await this.fetchAllConversations()
      const conversations: Record<string, Conversation> = {}
      for (const c of list) {
        conversations[c.id] = c
        this.cursors[c.id] ??= seq.newCursor(c.lastSeq)
        this.readSent[c.id] = Math.max(this.readSent[c.id] ?? 0, c.readSeq)
      }
      this.set({ conversations, listLoaded: true, listError: undefined })
      this.ensureUsers(list.flatMap((c) => (c.lastMessage ? [c.lastMessage.senderId] : [])))
      for (const c of list) if (c.kind === 'direct') this.loadMembers(c.id)
    } catch (e) {
      this.set({ listLoaded: true, listError: friendlyError(e) })
    }
  }

  /** After a reconnect (and its sync): adds conversations joined meanwhile and drops those left meanwhile. */
  private async refreshList() {
    let list: Conversation[]
    try {
      list = await this.fetchAllConversations()
    } catch {
      return
    }
    const seen = new Set(list.map((c) => c.id))
    const conversations = { ...this.state.conversations }
    for (const c of list) {
      const cur = conversations[c.id]
      const cursor = this.cursors[c.id]
      this.readSent[c.id] = Math.max(this.readSent[c.id] ?? 0, c.readSeq)
      if (!cur || !cursor) {
        conversations[c.id] = c
        this.cursors[c.id] = seq.newCursor(c.lastSeq)
        if (c.kind === 'direct') this.loadMembers(c.id)
      } else if (c.lastSeq === cursor.applied) {
        // Same position as ours: the server's read state is exact.
        conversations[c.id] = { ...cur, readSeq: c.readSeq, unread: c.id === this.viewingId() ? 0 : c.unread }
      }
    }
    for (const id of Object.keys(conversations)) if (!seen.has(id)) this.forget(id, conversations)
    this.set({ conversations, listError: undefined, listLoaded: true })
  }

  /** The conversations, most recently active first. */
  sorted(): Conversation[] {
    return sortConversations(Object.values(this.state.conversations))
  }

  private fetchConversation(id: string): Promise<Conversation | undefined> {
    const running = this.fetching.get(id)
    if (running) return running
    const p = (async () => {
      try {
        const c = await call(this.api.GET('/v1/conversations/{conversationId}', { params: { path: { conversationId: id } } }))
        if (!c.role) {
          // A public channel we are not (or no longer) a member of: nothing to follow.
          delete this.held[id]
          return undefined
        }
        this.adopt(c)
        return c
      } catch {
        delete this.held[id]
        return undefined
      } finally {
        this.fetching.delete(id)
      }
    })()
    this.fetching.set(id, p)
    return p
  }

  /** Adds (or refreshes) a conversation the user belongs to, and applies events held for it. */
  private adopt(c: Conversation) {
    if (!this.cursors[c.id]) this.cursors[c.id] = seq.newCursor(c.lastSeq)
    this.readSent[c.id] = Math.max(this.readSent[c.id] ?? 0, c.readSeq)
    if (!this.state.conversations[c.id]) {
      this.set((s) => ({ conversations: { ...s.conversations, [c.id]: c } }))
      if (c.kind === 'direct') this.loadMembers(c.id)
      if (c.lastMessage) this.ensureUsers([c.lastMessage.senderId])
    }
    const held = this.held[c.id]
    delete this.held[c.id]
    if (held?.length) this.ingest(held)
  }

  private forget(id: string, conversations: Record<string, Conversation>) {
    delete conversations[id]
    delete this.cursors[id]
    delete this.readSent[id]
    if (this.state.activeId === id) {
      this.set({ activeId: undefined })
      this.opts.onLeft?.(id)
    }
  }

  // ---- events ----

  /** Applies events from any source (live or sync), each once and in seq order per conversation. */
  ingest(events: readonly ChatEvent[]) {
    const byConv = new Map<string, ChatEvent[]>()
    for (const e of events) {
      const list = byConv.get(e.conversationId)
      if (list) list.push(e)
      else byConv.set(e.conversationId, [e])
    }
    const ready: ChatEvent[] = []
    let gap = false
    for (const [id, evs] of byConv) {
      const cursor = this.cursors[id]
      if (!cursor) {
        // A conversation we do not know yet (someone added us): fetch it, then apply what is newer.
        ;(this.held[id] ??= []).push(...evs)
        void this.fetchConversation(id)
        continue
      }
      const r = seq.accept(cursor, evs)
      this.cursors[id] = r.cursor
      ready.push(...r.ready)
      gap ||= r.gap
    }
    if (ready.length) this.apply(ready)
    if (gap) this.scheduleSync(this.opts.gapWaitMs ?? 400)
  }

  private apply(events: readonly ChatEvent[]) {
    const me = this.state.me.id
    const s = this.state
    const conversations = { ...s.conversations }
    const timelines = { ...s.timelines }
    const members = { ...s.members }
    let typing = s.typing
    const senders: string[] = []
    let readActive = false
    for (const ev of events) {
      const id = ev.conversationId
      const viewing = this.viewingId() === id
      const conv = conversations[id]
      if (conv) conversations[id] = applyEventToConversation(conv, ev, { me, viewing })
      if (timelines[id]) timelines[id] = tl.applyEvent(timelines[id], ev, me)
      if (members[id] && ev.data.member) members[id] = applyMemberEvent(members[id], ev)
      if (ev.data.member) senders.push(ev.data.member.userId)
      const m = ev.data.message
      if (m && ev.type === 'message.created') {
        senders.push(m.senderId)
        if (typing[id]?.[m.senderId]) {
          const { [m.senderId]: _, ...rest } = typing[id]
          typing = { ...typing, [id]: rest }
        }
        if (viewing && m.senderId !== me) readActive = true
      }
      if (ev.type === 'member.left' && ev.data.member?.userId === me) {
        delete timelines[id]
        delete members[id]
        this.forget(id, conversations)
      }
      if (ev.type === 'member.joined' && ev.data.member && ev.data.member.userId !== me) {
        if (conv?.kind !== 'channel') void this.loadPresence([ev.data.member.userId])
      }
    }
    this.set({ conversations, timelines, members, typing })
    this.ensureUsers(senders)
    if (readActive && this.state.activeId) this.scheduleRead(this.state.activeId)
  }

  private scheduleSync(delayMs: number) {
    if (this.syncTimer) return
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined
      void this.sync()
    }, delayMs)
  }

  /** Asks the server for every event after our positions (after a reconnect, or to fill a hole). */
  async sync(): Promise<void> {
    if (!this.socket.connected) return
    if (this.syncing) {
      this.syncAgain = true
      return
    }
    this.syncing = true
    try {
      for (let round = 0; round < 50; round++) {
        const cursors: Record<string, number> = {}
        for (const [id, c] of Object.entries(this.cursors)) cursors[id] = c.applied
        if (Object.keys(cursors).length === 0) break
        const ack = await this.emit('sync', { cursors, limit: 1000 })
        if (!ack.ok) throw fromAck(ack.error)
        this.ingest(ack.events)
        if (ack.truncated.length === 0) break
      }
    } catch {
      // Try again shortly: the socket may have dropped; a reconnect syncs anyway.
      if (this.socket.connected) this.scheduleSync(2000)
    } finally {
      this.syncing = false
      if (this.syncAgain) {
        this.syncAgain = false
        this.scheduleSync(0)
      }
    }
  }

  /** Emits a request and resolves with its ack, or rejects after the ack timeout. */
  private emit<E extends 'message:send' | 'message:edit' | 'message:delete' | 'conversation:read' | 'sync'>(
    event: E,
    payload: Parameters<ClientToServer[E]>[0],
  ): Promise<Parameters<Parameters<ClientToServer[E]>[1]>[0]> {
    const timeout = this.opts.ackTimeoutMs ?? 10000
    return new Promise((resolve, reject) => {
      if (!this.socket.connected) {
        reject(new ApiError({ code: 'network', detail: 'not connected' }))
        return
      }
      ;(this.socket.timeout(timeout) as unknown as {
        emit: (e: string, p: unknown, cb: (err: Error | null, ack: never) => void) => void
      }).emit(event, payload, (err, ack) => {
        if (err) reject(new ApiError({ code: 'network', detail: 'timed out' }))
        else resolve(ack)
      })
    })
  }

  // ---- opening a conversation ----

  /** The conversation the user is looking at (open and the page visible). */
  private viewingId(): string | undefined {
    const visible = this.opts.visible?.() ?? true
    return visible ? this.state.activeId : undefined
  }

  /** Opens a conversation: loads its latest page, its members, and marks it read. */
  open(id: string | undefined) {
    if (this.state.activeId === id) return
    this.set({ activeId: id })
    if (!id) return
    if (!this.state.conversations[id] && this.state.listLoaded) void this.fetchConversation(id)
    if (!this.state.timelines[id]?.loaded) void this.loadLatest(id)
    this.loadMembers(id)
    void this.markRead(id)
  }

  private async loadLatest(id: string) {
    // Create the timeline first, so that events arriving while the page loads are kept.
    if (!this.state.timelines[id]) this.set((s) => ({ timelines: { ...s.timelines, [id]: tl.emptyTimeline } }))
    try {
      const page = await call(
        this.api.GET('/v1/conversations/{conversationId}/messages', {
          params: { path: { conversationId: id }, query: { limit: PAGE } },
        }),
      )
      this.set((s) => ({
        timelines: { ...s.timelines, [id]: tl.addPage(s.timelines[id] ?? tl.emptyTimeline, page.items, !!page.next, s.me.id) },
      }))
      this.ensureUsers(page.items.map((m) => m.senderId))
    } catch (e) {
      if (e instanceof ApiError && (e.code === 'not_found' || e.code === 'permission_denied')) {
        this.set({ activeId: undefined })
        this.opts.onLeft?.(id)
      }
      this.notify(friendlyError(e))
    }
  }

  /** Loads the page of history before the oldest message shown. */
  async loadOlder(id: string) {
    const t = this.state.timelines[id]
    if (!t?.loaded || !t.hasOlder || this.state.loadingOlder[id]) return
    const before = tl.oldestSeq(t)
    if (!before) return
    this.set((s) => ({ loadingOlder: { ...s.loadingOlder, [id]: true } }))
    try {
      const page = await call(
        this.api.GET('/v1/conversations/{conversationId}/messages', {
          params: { path: { conversationId: id }, query: { before, limit: PAGE } },
        }),
      )
      this.set((s) => ({
        timelines: { ...s.timelines, [id]: tl.addPage(s.timelines[id] ?? tl.emptyTimeline, page.items, !!page.next, s.me.id) },
      }))
      this.ensureUsers(page.items.map((m) => m.senderId))
    } catch (e) {
      this.notify(friendlyError(e))
    } finally {
      this.set((s) => ({ loadingOlder: { ...s.loadingOlder, [id]: false } }))
    }
  }

  private memberLoads = new Set<string>()

  private loadMembers(id: string) {
    if (this.memberLoads.has(id)) return
    this.memberLoads.add(id)
    void (async () => {
      try {
        const all: Member[] = []
        let cursor: string | undefined
        for (let page = 0; page < 10; page++) {
          const r = await call(
            this.api.GET('/v1/conversations/{conversationId}/members', {
              params: { path: { conversationId: id }, query: { limit: 200, cursor } },
            }),
          )
          all.push(...r.items)
          if (!r.next) break
          cursor = r.next
        }
        this.set((s) => ({ members: { ...s.members, [id]: all } }))
        const ids = all.map((m) => m.userId)
        this.ensureUsers(ids)
        if (this.state.conversations[id]?.kind !== 'channel' || id === this.state.activeId) {
          void this.loadPresence(ids.filter((u) => u !== this.state.me.id))
        }
      } catch {
        // Shown without members; tried again on the next reconnect.
      } finally {
        this.memberLoads.delete(id)
      }
    })()
  }

  /** Fetches users not known yet (names of senders and members). */
  ensureUsers(ids: readonly string[]) {
    const missing = [...new Set(ids)].filter((id) => id && !this.state.users[id] && !this.userFetches.has(id))
    for (const id of missing) {
      this.userFetches.add(id)
      void call(this.api.GET('/v1/users/{userId}', { params: { path: { userId: id } } }))
        .then((u) => this.set((s) => ({ users: { ...s.users, [u.id]: u } })))
        .catch(() => undefined)
        .finally(() => this.userFetches.delete(id))
    }
  }

  private async loadPresence(ids?: string[]) {
    const want =
      ids ??
      Object.entries(this.state.members)
        .filter(([cid]) => this.state.conversations[cid]?.kind !== 'channel' || cid === this.state.activeId)
        .flatMap(([, ms]) => ms.map((m) => m.userId))
    const unique = [...new Set(want)].filter((u) => u !== this.state.me.id)
    for (let i = 0; i < unique.length; i += 200) {
      try {
        const r = await call(this.api.GET('/v1/presence', { params: { query: { userIds: unique.slice(i, i + 200) } } }))
        this.setPresence(r.items)
      } catch {
        return
      }
    }
  }

  private setPresence(items: readonly Presence[]) {
    if (items.length === 0) return
    this.set((s) => {
      const presence = { ...s.presence }
      for (const p of items) presence[p.userId] = p.status
      return { presence }
    })
  }

  // ---- read positions ----

  private scheduleRead(id: string) {
    clearTimeout(this.readTimer)
    this.readTimer = setTimeout(() => void this.markRead(id), 250)
  }

  /** Page became visible again: the open conversation is being read. */
  onVisible() {
    if (this.state.activeId) this.scheduleRead(this.state.activeId)
  }

  /** Marks the conversation read up to the latest event we applied. */
  async markRead(id: string) {
    const c = this.state.conversations[id]
    if (!c || this.viewingId() !== id) return
    const upTo = Math.min(c.lastSeq, this.cursors[id]?.applied ?? c.lastSeq)
    this.updateConversation(id, (x) => markRead(x, upTo, 0))
    const sent = this.readSent[id] ?? 0
    if (upTo <= sent) return
    this.readSent[id] = upTo
    try {
      if (this.socket.connected) {
        const ack = await this.emit('conversation:read', { conversationId: id, seq: upTo })
        if (!ack.ok) throw fromAck(ack.error)
      } else {
        await call(this.api.POST('/v1/conversations/{conversationId}/read', { params: { path: { conversationId: id } }, body: { seq: upTo } }))
      }
    } catch {
      // Not worth bothering the user: the next message, open or reconnect tries again.
      if (this.readSent[id] === upTo) this.readSent[id] = sent
    }
  }

  private onRead(conversationId: string, userId: string, at: number) {
    if (userId === this.state.me.id) {
      // Read on another device.
      if (this.readSent[conversationId] !== undefined) this.readSent[conversationId] = Math.max(this.readSent[conversationId], at)
      const t = this.state.timelines[conversationId]
      const remaining = t?.loaded ? tl.countUnread(t, at, userId) : undefined
      this.updateConversation(conversationId, (c) => markRead(c, at, remaining))
    }
    this.set((s) => {
      const ms = s.members[conversationId]
      return ms ? { members: { ...s.members, [conversationId]: applyRead(ms, userId, at) } } : {}
    })
  }

  private updateConversation(id: string, f: (c: Conversation) => Conversation) {
    const c = this.state.conversations[id]
    if (!c) return
    const next = f(c)
    if (next !== c) this.set((s) => ({ conversations: { ...s.conversations, [id]: next } }))
  }

  // ---- typing ----

  private onTyping(conversationId: string, userId: string, typing: boolean) {
    if (userId === this.state.me.id) return
    this.set((s) => {
      const cur = { ...(s.typing[conversationId] ?? {}) }
      if (typing) cur[userId] = Date.now() + TYPING_TTL
      else delete cur[userId]
      return { typing: { ...s.typing, [conversationId]: cur } }
    })
    if (typing) this.ensureUsers([userId])
  }

  private expireTyping() {
    const now = Date.now()
    let changed = false
    const typing: ChatState['typing'] = {}
    for (const [cid, users] of Object.entries(this.state.typing)) {
      const keep: Record<string, number> = {}
      for (const [uid, exp] of Object.entries(users)) {
        if (exp > now) keep[uid] = exp
        else changed = true
      }
      typing[cid] = keep
    }
    if (changed) this.set({ typing })
  }

  /** The user typed in the composer (typing=true) or sent/cleared it (false). Throttled. */
  setTyping(conversationId: string, typing: boolean) {
    if (!this.socket.connected) return
    const t = (this.typingSent[conversationId] ??= { at: 0 })
    clearTimeout(t.stop)
    if (!typing) {
      if (t.at) this.socket.emit('typing', { conversationId, typing: false })
      t.at = 0
      return
    }
    const now = Date.now()
    if (now - t.at > 2500) {
      this.socket.emit('typing', { conversationId, typing: true })
      t.at = now
    }
    t.stop = setTimeout(() => this.setTyping(conversationId, false), 4000)
  }

  // ---- sending ----

  /** Sends a message optimistically: shown at once as pending, confirmed (or failed) by the server's answer. */
  send(conversationId: string, body: string, replyTo?: string): string {
    const clientMsgId = newClientMsgId()
    const p: tl.PendingMessage = { clientMsgId, body, replyTo, createdAt: new Date().toISOString(), status: 'sending' }
    this.updateTimeline(conversationId, (t) => tl.addPending(t, p))
    this.setTyping(conversationId, false)
    void this.deliver(conversationId, p)
    return clientMsgId
  }

  /** Sends a failed message again, with the same clientMsgId (the server stores it at most once). */
  retry(conversationId: string, clientMsgId: string) {
    const p = this.state.timelines[conversationId]?.pending.find((x) => x.clientMsgId === clientMsgId)
    if (!p) return
    this.updateTimeline(conversationId, (t) => tl.setPendingStatus(t, clientMsgId, 'sending'))
    void this.deliver(conversationId, p)
  }

  discard(conversationId: string, clientMsgId: string) {
    this.updateTimeline(conversationId, (t) => tl.removePending(t, clientMsgId))
  }

  private async deliver(conversationId: string, p: tl.PendingMessage) {
    const me = this.state.me.id
    try {
      let message: Message
      if (this.socket.connected) {
        const ack = await this.emit('message:send', {
          conversationId,
          clientMsgId: p.clientMsgId,
          body: p.body,
          ...(p.replyTo ? { replyTo: p.replyTo } : {}),
        })
        if (!ack.ok) throw fromAck(ack.error)
        message = ack.message
      } else {
        message = await call(
          this.api.POST('/v1/conversations/{conversationId}/messages', {
            params: { path: { conversationId } },
            body: { clientMsgId: p.clientMsgId, body: p.body, ...(p.replyTo ? { replyTo: p.replyTo } : {}) },
          }),
        )
      }
      this.updateTimeline(conversationId, (t) => tl.confirmSend(t, p.clientMsgId, message, me))
    } catch (e) {
      this.updateTimeline(conversationId, (t) => tl.setPendingStatus(t, p.clientMsgId, 'failed', friendlyError(e, 'send')))
    }
  }

  async edit(conversationId: string, messageId: string, body: string) {
    try {
      let m: Message
      if (this.socket.connected) {
        const ack = await this.emit('message:edit', { conversationId, messageId, body })
        if (!ack.ok) throw fromAck(ack.error)
        m = ack.message
      } else {
        m = await call(
          this.api.PATCH('/v1/conversations/{conversationId}/messages/{messageId}', {
            params: { path: { conversationId, messageId } },
            body: { body },
          }),
        )
      }
      this.updateTimeline(conversationId, (t) => tl.mergeMessages(t, [m], this.state.me.id))
      return true
    } catch (e) {
      this.notify(friendlyError(e))
      return false
    }
  }

  async remove(conversationId: string, messageId: string) {
    try {
      let m: Message
      if (this.socket.connected) {
        const ack = await this.emit('message:delete', { conversationId, messageId })
        if (!ack.ok) throw fromAck(ack.error)
        m = ack.message
      } else {
        m = await call(
          this.api.DELETE('/v1/conversations/{conversationId}/messages/{messageId}', {
            params: { path: { conversationId, messageId } },
          }),
        )
      }
      this.updateTimeline(conversationId, (t) => tl.mergeMessages(t, [m], this.state.me.id))
    } catch (e) {
      this.notify(friendlyError(e))
    }
  }

  private updateTimeline(id: string, f: (t: tl.Timeline) => tl.Timeline) {
    this.set((s) => {
      const cur = s.timelines[id] ?? tl.emptyTimeline
      const next = f(cur)
      return next === cur ? {} : { timelines: { ...s.timelines, [id]: next } }
    })
  }

  // ---- directory, creating, joining, leaving ----

  async searchUsers(q: string): Promise<User[]> {
    const r = await call(this.api.GET('/v1/users', { params: { query: { q, limit: 20 } } }))
    this.set((s) => {
      const users = { ...s.users }
      for (const u of r.items) users[u.id] = u
      return { users }
    })
    return r.items
  }

  async listChannels(q: string): Promise<Conversation[]> {
    const r = await call(this.api.GET('/v1/channels', { params: { query: { q: q || undefined, limit: 50 } } }))
    return r.items
  }

  /** Creates a conversation (a direct one with the same person returns the existing one) and adds it. */
  async create(kind: Conversation['kind'], memberIds: string[], title?: string, topic?: string): Promise<Conversation> {
    const c = await call(
      this.api.POST('/v1/conversations', {
        body: { kind, memberIds, ...(title ? { title } : {}), ...(topic ? { topic } : {}) },
      }),
    )
    this.adopt(c)
    return c
  }

  async join(id: string): Promise<Conversation> {
    const c = await call(this.api.POST('/v1/conversations/{conversationId}/join', { params: { path: { conversationId: id } } }))
    this.adopt(c)
    return c
  }

  async leave(id: string) {
    await call(this.api.POST('/v1/conversations/{conversationId}/leave', { params: { path: { conversationId: id } } }))
    const conversations = { ...this.state.conversations }
    const timelines = { ...this.state.timelines }
    delete timelines[id]
    this.forget(id, conversations)
    this.set({ conversations, timelines })
  }

  async addMembers(id: string, userIds: string[]) {
    await call(
      this.api.POST('/v1/conversations/{conversationId}/members', {
        params: { path: { conversationId: id } },
        body: { userIds },
      }),
    )
    this.loadMembers(id)
  }

  async signOut() {
    try {
      await call(this.api.DELETE('/v1/sessions/current'))
    } catch {
      // The token is dropped either way.
    }
  }
}
