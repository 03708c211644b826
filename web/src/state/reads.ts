// Read positions: tells the server how far the user has read the open conversation (each position once), and
// applies the read receipts the socket brings (the user's own, from another device, and the members' "Seen").
import { call } from '../api/client'
import { fromAck } from '../lib/problem'
import { applyRead, markRead, mentionsKnownAfterRead } from './conversations'
import type { StoreCore } from './core'
import * as tl from './timeline'

export class Reads {
  private readonly core: StoreCore
  /** The read position the server has (or has been sent), per conversation. */
  private readSent: Record<string, number> = {}
  private readTimer?: ReturnType<typeof setTimeout>
  /** Called when a read leaves the mention count unknown here: the summary is fetched again (list.ts). */
  onMentionsUncertain?: (id: string) => void

  constructor(core: StoreCore) {
    this.core = core
  }

  stop() {
    clearTimeout(this.readTimer)
  }

  /** The server says the user has read `id` up to `seq` (a conversation summary). */
  known(id: string, seq: number) {
    this.readSent[id] = Math.max(this.readSent[id] ?? 0, seq)
  }

  /** The conversation is no longer followed. */
  forget(id: string) {
    delete this.readSent[id]
  }

  scheduleRead(id: string) {
    clearTimeout(this.readTimer)
    this.readTimer = setTimeout(() => void this.markRead(id), 250)
  }

  /** Page became visible again: the open conversation is being read. */
  onVisible() {
    if (this.core.state.activeId) this.scheduleRead(this.core.state.activeId)
  }

  /** Marks the conversation read up to the latest event we applied. */
  async markRead(id: string) {
    const core = this.core
    const c = core.state.conversations[id]
    if (!c || core.viewingId() !== id) return
    const upTo = Math.min(c.lastSeq, core.cursors[id]?.applied ?? c.lastSeq)
    core.updateConversation(id, (x) => markRead(x, upTo, 0))
    const sent = this.readSent[id] ?? 0
    if (upTo <= sent) return
    this.readSent[id] = upTo
    try {
      if (core.socket.connected) {
        const ack = await core.emit('conversation:read', { conversationId: id, seq: upTo })
        if (!ack.ok) throw fromAck(ack.error)
      } else {
        await call(core.api.POST('/v1/conversations/{conversationId}/read', { params: { path: { conversationId: id } }, body: { seq: upTo } }))
      }
    } catch {
      // Not worth bothering the user: the next message, open or reconnect tries again.
      if (this.readSent[id] === upTo) this.readSent[id] = sent
    }
  }

  /** A read receipt from the socket. */
  onRead(conversationId: string, userId: string, at: number) {
    const core = this.core
    if (userId === core.state.me.id) {
      // Read on another device.
      if (this.readSent[conversationId] !== undefined) this.readSent[conversationId] = Math.max(this.readSent[conversationId], at)
      const t = core.state.timelines[conversationId]
      const remaining = t?.loaded ? tl.countUnread(t, at, userId) : undefined
      const mentions = t ? tl.countMentions(t, at, userId) : undefined
      const before = core.state.conversations[conversationId]
      core.updateConversation(conversationId, (c) => markRead(c, at, remaining, mentions))
      if (before && !mentionsKnownAfterRead(before, at, mentions)) this.onMentionsUncertain?.(conversationId)
    }
    core.set((s) => {
      const ms = s.members[conversationId]
      return ms ? { members: { ...s.members, [conversationId]: applyRead(ms, userId, at) } } : {}
    })
  }
}
