// Opening a conversation and its history: the latest page when it opens, older pages as the user scrolls up.
// Live events keep the loaded timeline current (events.ts).
import { call } from '../api/client'
import { ApiError, friendlyError } from '../lib/problem'
import type { StoreCore } from './core'
import type { ConversationList } from './list'
import type { People } from './people'
import type { Pins } from './pins'
import type { Reads } from './reads'
import * as tl from './timeline'

/** Messages per page of history. */
const PAGE = 50

export class History {
  private readonly core: StoreCore
  private readonly list: ConversationList
  private readonly people: People
  private readonly reads: Reads
  private readonly pins: Pins

  constructor(core: StoreCore, list: ConversationList, people: People, reads: Reads, pins: Pins) {
    this.core = core
    this.pins = pins
    this.list = list
    this.people = people
    this.reads = reads
  }

  /** Opens a conversation: loads its latest page, its members and pins, and marks it read. */
  open(id: string | undefined) {
    const core = this.core
    if (core.state.activeId === id) return
    // The thread panel belongs to its conversation.
    core.set((s) => ({ activeId: id, thread: s.thread && s.thread.conversationId !== id ? undefined : s.thread }))
    if (!id) return
    if (!core.state.conversations[id] && core.state.listLoaded) void this.list.fetch(id)
    if (!core.state.timelines[id]?.loaded) void this.loadLatest(id)
    this.people.loadMembers(id)
    if (!core.state.pins[id]?.loaded) void this.pins.load(id)
    void this.reads.markRead(id)
  }

  private async loadLatest(id: string) {
    const core = this.core
    // Create the timeline first, so that events arriving while the page loads are kept.
    if (!core.state.timelines[id]) core.set((s) => ({ timelines: { ...s.timelines, [id]: tl.emptyTimeline } }))
    try {
      const page = await call(
        core.api.GET('/v1/conversations/{conversationId}/messages', {
          params: { path: { conversationId: id }, query: { limit: PAGE } },
        }),
      )
      core.set((s) => ({
        timelines: { ...s.timelines, [id]: tl.addPage(s.timelines[id] ?? tl.emptyTimeline, page.items, !!page.next, s.me.id) },
      }))
      this.people.ensureUsers(page.items.map((m) => m.senderId))
    } catch (e) {
      if (e instanceof ApiError && (e.code === 'not_found' || e.code === 'permission_denied')) {
        core.set({ activeId: undefined })
        core.opts.onLeft?.(id)
      }
      core.notify(friendlyError(e))
    }
  }

  /** Loads the page of history before the oldest message shown. */
  async loadOlder(id: string) {
    const core = this.core
    const t = core.state.timelines[id]
    if (!t?.loaded || !t.hasOlder || core.state.loadingOlder[id]) return
    const before = tl.oldestSeq(t)
    if (!before) return
    core.set((s) => ({ loadingOlder: { ...s.loadingOlder, [id]: true } }))
    try {
      const page = await call(
        core.api.GET('/v1/conversations/{conversationId}/messages', {
          params: { path: { conversationId: id }, query: { before, limit: PAGE } },
        }),
      )
      core.set((s) => ({
        timelines: { ...s.timelines, [id]: tl.addPage(s.timelines[id] ?? tl.emptyTimeline, page.items, !!page.next, s.me.id) },
      }))
      this.people.ensureUsers(page.items.map((m) => m.senderId))
    } catch (e) {
      core.notify(friendlyError(e))
    } finally {
      core.set((s) => ({ loadingOlder: { ...s.loadingOlder, [id]: false } }))
    }
  }
}
