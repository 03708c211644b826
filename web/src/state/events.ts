// The server's events, live or from `sync`: each conversation's go through its cursor (sequencer.ts), so that they
// are applied once and in seq order, to the conversation list (conversations.ts), the open timelines (timeline.ts)
// and the members. A hole in the seqs, or a reconnect, asks the server for what was missed (`sync`).
import type { ChatEvent } from '../api/types'
import { fromAck } from '../lib/problem'
import { applyEventToConversation, applyMemberEvent, mentionsUncertain } from './conversations'
import { applyInboxEvent } from './mentions'
import type { StoreCore } from './core'
import type { ConversationList } from './list'
import type { People } from './people'
import { applyPinEvent } from './pins'
import type { Reads } from './reads'
import * as seq from './sequencer'
import * as tl from './timeline'
import { applyPanelEvent, applyThreadListEvent, type Threads } from './threads'

export class EventStream {
  private readonly core: StoreCore
  private readonly list: ConversationList
  private readonly people: People
  private readonly reads: Reads
  /** Set by the store: the thread panel's reads and the Threads list's refreshes. */
  threads?: Threads
  private syncing = false
  private syncAgain = false
  private syncTimer?: ReturnType<typeof setTimeout>

  constructor(core: StoreCore, list: ConversationList, people: People, reads: Reads) {
    this.core = core
    this.list = list
    this.people = people
    this.reads = reads
  }

  stop() {
    clearTimeout(this.syncTimer)
  }

  /** Applies events from any source (live or sync), each once and in seq order per conversation. */
  ingest(events: readonly ChatEvent[]) {
    const core = this.core
    const byConv = new Map<string, ChatEvent[]>()
    for (const e of events) {
      const list = byConv.get(e.conversationId)
      if (list) list.push(e)
      else byConv.set(e.conversationId, [e])
    }
    const ready: ChatEvent[] = []
    let gap = false
    for (const [id, evs] of byConv) {
      const cursor = core.cursors[id]
      if (!cursor) {
        this.list.hold(id, evs)
        continue
      }
      const r = seq.accept(cursor, evs)
      core.cursors[id] = r.cursor
      ready.push(...r.ready)
      gap ||= r.gap
    }
    if (ready.length) this.apply(ready)
    if (gap) this.scheduleSync(core.opts.gapWaitMs ?? 400)
  }

  private apply(events: readonly ChatEvent[]) {
    const core = this.core
    const me = core.state.me.id
    const s = core.state
    const conversations = { ...s.conversations }
    const timelines = { ...s.timelines }
    const members = { ...s.members }
    const pins = { ...s.pins }
    let typing = s.typing
    let inbox = s.inbox
    let thread = s.thread
    let threadList = s.threadList
    let refetchThreads = false
    let readThread = false
    const uncertain = new Set<string>()
    const senders: string[] = []
    let readActive = false
    for (const ev of events) {
      const id = ev.conversationId
      const viewing = core.viewingId() === id
      const conv = conversations[id]
      if (conv) {
        conversations[id] = applyEventToConversation(conv, ev, { me, viewing })
        if (!viewing && mentionsUncertain(conv, ev, me)) uncertain.add(id)
      }
      inbox = applyInboxEvent(inbox, ev, me)
      if (thread) {
        const before = thread
        thread = applyPanelEvent(thread, ev, me)
        const r = ev.data.message
        if (thread !== before && viewing && ev.type === 'message.created' && r?.threadRootId === thread.rootId && r.senderId !== me) readThread = true
      }
      const lr = applyThreadListEvent(threadList, ev, me)
      threadList = lr.list
      refetchThreads ||= lr.refetch
      if (timelines[id]) timelines[id] = tl.applyEvent(timelines[id], ev, me)
      if (pins[id]) {
        const known = ev.data.message && timelines[id] ? tl.findMessage(timelines[id], ev.data.message.id) : undefined
        pins[id] = applyPinEvent(pins[id], ev, me, known)
      }
      if (members[id] && ev.data.member) members[id] = applyMemberEvent(members[id], ev)
      if (ev.data.member) senders.push(ev.data.member.userId)
      const m = ev.data.message
      if (m && ev.type === 'message.created') {
        senders.push(m.senderId)
        if (typing[id]?.[m.senderId]) {
          const { [m.senderId]: _, ...rest } = typing[id]
          typing = { ...typing, [id]: rest }
        }
        if (viewing && m.senderId !== me && !m.threadRootId) readActive = true
      }
      if (ev.type === 'member.left' && ev.data.member?.userId === me) {
        delete timelines[id]
        delete members[id]
        delete pins[id]
        if (thread?.conversationId === id) thread = undefined
        this.list.forget(id, conversations)
      }
      if (ev.type === 'member.joined' && ev.data.member && ev.data.member.userId !== me) {
        if (conv?.kind !== 'channel') void this.people.loadPresence([ev.data.member.userId])
      }
    }
    core.set({ conversations, timelines, members, pins, typing, inbox, thread, threadList })
    if (refetchThreads) this.threads?.scheduleRefresh()
    if (readThread) this.threads?.scheduleRead()
    for (const id of uncertain) if (conversations[id]) this.list.refreshSummary(id)
    this.people.ensureUsers(senders)
    if (readActive && core.state.activeId) this.reads.scheduleRead(core.state.activeId)
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
    const core = this.core
    if (!core.socket.connected) return
    if (this.syncing) {
      this.syncAgain = true
      return
    }
    this.syncing = true
    try {
      for (let round = 0; round < 50; round++) {
        const cursors: Record<string, number> = {}
        for (const [id, c] of Object.entries(core.cursors)) cursors[id] = c.applied
        if (Object.keys(cursors).length === 0) break
        const ack = await core.emit('sync', { cursors, limit: 1000 })
        if (!ack.ok) throw fromAck(ack.error)
        this.ingest(ack.events)
        if (ack.truncated.length === 0) break
      }
    } catch {
      // Try again shortly: the socket may have dropped; a reconnect syncs anyway.
      if (core.socket.connected) this.scheduleSync(2000)
    } finally {
      this.syncing = false
      if (this.syncAgain) {
        this.syncAgain = false
        this.scheduleSync(0)
      }
    }
  }
}
