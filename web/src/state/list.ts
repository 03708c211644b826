// The conversations the user follows: the list loaded at start and refreshed after a reconnect, conversations
// heard of for the first time (through an event, or by creating or joining one), and those left. Following a
// conversation means keeping its cursor (core.ts) and its read position (reads.ts).
import { call } from '../api/client'
import type { ChatEvent, Conversation } from '../api/types'
import { friendlyError } from '../lib/problem'
import { sortConversations } from './conversations'
import type { StoreCore } from './core'
import type { People } from './people'
import type { Reads } from './reads'
import * as seq from './sequencer'

export class ConversationList {
  private readonly core: StoreCore
  private readonly people: People
  private readonly reads: Reads
  /** Applies events in seq order (events.ts): those held for a conversation, once it is adopted. */
  private readonly ingest: (events: readonly ChatEvent[]) => void
  /** Events of conversations being fetched, applied once their summary (and so their cursor) is known. */
  private held: Record<string, ChatEvent[]> = {}
  private fetching = new Map<string, Promise<Conversation | undefined>>()
  /** Summaries to fetch again (their mention count is unknown here), and how many times each was tried. */
  private stale = new Map<string, number>()
  private staleTimer?: ReturnType<typeof setTimeout>

  constructor(core: StoreCore, people: People, reads: Reads, ingest: (events: readonly ChatEvent[]) => void) {
    this.core = core
    this.people = people
    this.reads = reads
    this.ingest = ingest
  }

  private async fetchAll(): Promise<Conversation[]> {
    const all: Conversation[] = []
    let cursor: string | undefined
    for (let page = 0; page < 50; page++) {
      const r = await call(this.core.api.GET('/v1/conversations', { params: { query: { limit: 200, cursor } } }))
      all.push(...r.items)
      if (!r.next) break
      cursor = r.next
    }
    return all
  }

  /** Loads the whole list (at start). */
  async load() {
    const core = this.core
    try {
      const list = await this.fetchAll()
      const conversations: Record<string, Conversation> = {}
      for (const c of list) {
        conversations[c.id] = c
        core.cursors[c.id] ??= seq.newCursor(c.lastSeq)
        this.reads.known(c.id, c.readSeq)
      }
      core.set({ conversations, listLoaded: true, listError: undefined })
      this.people.ensureUsers(list.flatMap((c) => (c.lastMessage ? [c.lastMessage.senderId] : [])))
      for (const c of list) if (c.kind === 'direct') this.people.loadMembers(c.id)
    } catch (e) {
      core.set({ listLoaded: true, listError: friendlyError(e) })
    }
  }

  /** After a reconnect (and its sync): adds conversations joined meanwhile and drops those left meanwhile. */
  async refresh() {
    const core = this.core
    let list: Conversation[]
    try {
      list = await this.fetchAll()
    } catch {
      return
    }
    const seen = new Set(list.map((c) => c.id))
    const conversations = { ...core.state.conversations }
    for (const c of list) {
      const cur = conversations[c.id]
      const cursor = core.cursors[c.id]
      this.reads.known(c.id, c.readSeq)
      if (!cur || !cursor) {
        conversations[c.id] = c
        core.cursors[c.id] = seq.newCursor(c.lastSeq)
        if (c.kind === 'direct') this.people.loadMembers(c.id)
      } else if (c.lastSeq === cursor.applied) {
        // Same position as ours: the server's read state is exact.
        const viewing = c.id === core.viewingId()
        conversations[c.id] = { ...cur, ...settings(c), readSeq: c.readSeq, unread: viewing ? 0 : c.unread, mentions: viewing ? 0 : c.mentions }
      } else {
        conversations[c.id] = { ...cur, ...settings(c) }
      }
    }
    for (const id of Object.keys(conversations)) if (!seen.has(id)) this.forget(id, conversations)
    core.set({ conversations, listError: undefined, listLoaded: true })
  }

  stop() {
    clearTimeout(this.staleTimer)
  }

  /**
   * The mention count of a conversation can no longer be worked out here (an unread message was edited or
   * deleted, or read elsewhere part way): fetch its summary again, shortly (several changes make one request).
   */
  refreshSummary(id: string) {
    if (!this.stale.has(id)) this.stale.set(id, 0)
    if (this.staleTimer) return
    this.staleTimer = setTimeout(() => {
      this.staleTimer = undefined
      void this.fetchStale()
    }, this.core.opts.summaryDelayMs ?? 300)
  }

  private async fetchStale() {
    const core = this.core
    const ids = [...this.stale.keys()]
    for (const id of ids) {
      const tries = this.stale.get(id) ?? 0
      this.stale.delete(id)
      let c: Conversation
      try {
        c = await call(core.api.GET('/v1/conversations/{conversationId}', { params: { path: { conversationId: id } } }))
      } catch {
        continue
      }
      const cur = core.state.conversations[id]
      const cursor = core.cursors[id]
      if (!cur || !cursor || !c.role) continue
      if (c.lastSeq === cursor.applied) {
        // The server's counts are as of the same position as ours: exact.
        const viewing = id === core.viewingId()
        core.updateConversation(id, (x) => ({ ...x, ...settings(c), readSeq: Math.max(x.readSeq, c.readSeq), unread: viewing ? 0 : c.unread, mentions: viewing ? 0 : c.mentions }))
      } else if (tries < 5) {
        // Events in flight: ask again once they are applied.
        this.stale.set(id, tries + 1)
      }
    }
    if (this.stale.size && !this.staleTimer) {
      this.staleTimer = setTimeout(() => {
        this.staleTimer = undefined
        void this.fetchStale()
      }, this.core.opts.summaryDelayMs ?? 300)
    }
  }

  /** A summary the server returned (e.g. after changing the notification settings): its settings are taken. */
  applySettings(c: Conversation) {
    this.core.updateConversation(c.id, (x) => ({ ...x, ...settings(c) }))
  }

  /** The conversations, most recently active first. */
  sorted(): Conversation[] {
    return sortConversations(Object.values(this.core.state.conversations))
  }

  /** Events of a conversation we do not know yet (someone added us): fetch it, then apply what is newer. */
  hold(id: string, events: readonly ChatEvent[]) {
    ;(this.held[id] ??= []).push(...events)
    void this.fetch(id)
  }

  /** Fetches a conversation and adopts it if the user is a member. */
  fetch(id: string): Promise<Conversation | undefined> {
    const running = this.fetching.get(id)
    if (running) return running
    const p = (async () => {
      try {
        const c = await call(this.core.api.GET('/v1/conversations/{conversationId}', { params: { path: { conversationId: id } } }))
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
    const core = this.core
    if (!core.cursors[c.id]) core.cursors[c.id] = seq.newCursor(c.lastSeq)
    this.reads.known(c.id, c.readSeq)
    if (!core.state.conversations[c.id]) {
      core.set((s) => ({ conversations: { ...s.conversations, [c.id]: c } }))
      if (c.kind === 'direct') this.people.loadMembers(c.id)
      if (c.lastMessage) this.people.ensureUsers([c.lastMessage.senderId])
    }
    const held = this.held[c.id]
    delete this.held[c.id]
    if (held?.length) this.ingest(held)
  }

  /** Stops following a conversation (removed from `conversations`, which the caller sets); closes it if open. */
  forget(id: string, conversations: Record<string, Conversation>) {
    delete conversations[id]
    delete this.core.cursors[id]
    this.reads.forget(id)
    if (this.core.state.activeId === id) {
      this.core.set({ activeId: undefined })
      this.core.opts.onLeft?.(id)
    }
  }

  async listChannels(q: string): Promise<Conversation[]> {
    const r = await call(this.core.api.GET('/v1/channels', { params: { query: { q: q || undefined, limit: 50 } } }))
    return r.items
  }

  /** Creates a conversation (a direct one with the same person returns the existing one) and adds it. */
  async create(kind: Conversation['kind'], memberIds: string[], title?: string, topic?: string): Promise<Conversation> {
    const c = await call(
      this.core.api.POST('/v1/conversations', {
        body: { kind, memberIds, ...(title ? { title } : {}), ...(topic ? { topic } : {}) },
      }),
    )
    this.adopt(c)
    return c
  }

  async join(id: string): Promise<Conversation> {
    const c = await call(this.core.api.POST('/v1/conversations/{conversationId}/join', { params: { path: { conversationId: id } } }))
    this.adopt(c)
    return c
  }

  async leave(id: string) {
    await call(this.core.api.POST('/v1/conversations/{conversationId}/leave', { params: { path: { conversationId: id } } }))
    const conversations = { ...this.core.state.conversations }
    const timelines = { ...this.core.state.timelines }
    const pins = { ...this.core.state.pins }
    delete timelines[id]
    delete pins[id]
    this.forget(id, conversations)
    this.core.set({ conversations, timelines, pins })
  }
}

/** The caller's notification settings of a summary. */
function settings(c: Conversation): Pick<Conversation, 'notifyLevel' | 'muted'> {
  return { notifyLevel: c.notifyLevel, muted: c.muted }
}
