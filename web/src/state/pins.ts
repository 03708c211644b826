// Pinned messages of the open conversation: loaded from REST when it opens (most recently pinned first), then kept
// in sync by its sequenced events. message.pinned / message.unpinned carry the message's state after the change,
// so applying one again (or to a list that already has it) changes nothing; message.deleted unpins; edits and
// reaction events update the pinned copy.
//
// Events that arrive while the list is loading are kept and applied to it when it comes: the list may have been read
// before or after them, and their states converge either way. Reaction events of others are not: a tally cannot
// tell whether the list counted them already (the server's list carries no seq), so they are left to the list; the
// user's own are safe (see reactions.ts).
import { call } from '../api/client'
import type { ChatEvent, Conversation, Message } from '../api/types'
import { friendlyError, fromAck } from '../lib/problem'
import type { StoreCore } from './core'
import { addTally, removeTally } from './reactions'
import { snapshot } from './timeline'

export interface PinList {
  /** Pinned messages, most recently pinned first. */
  items: Message[]
  loaded: boolean
  error?: string
  /** Events applied while the list was loading, to apply again to it when it comes. */
  early: ChatEvent[]
}

export const emptyPins: PinList = { items: [], loaded: false, early: [] }

/** May the user pin messages here? Admins and owners of groups and channels; either person in a direct one. */
export function canPin(c: Pick<Conversation, 'kind' | 'role'>): boolean {
  return c.kind === 'direct' || c.role === 'owner' || c.role === 'admin'
}

/** Applies a sequenced event (once, in seq order) to the pin list. known: the message's state in the timeline, if
 * loaded (a pinned event carries no tallies). */
export function applyPinEvent(p: PinList, ev: ChatEvent, me: string, known?: Message): PinList {
  if (!relevant(ev)) return p
  if (!p.loaded) return { ...p, early: [...p.early, ev] }
  const items = applyToItems(p.items, ev, me, known)
  return items === p.items ? p : { ...p, items }
}

/** The list came from the server: the events that arrived meanwhile are applied to it. */
export function pinsLoaded(p: PinList, items: readonly Message[], me: string): PinList {
  let list = sortPins(items.filter((m) => m.pinnedAt && !m.deletedAt).map(snapshot))
  for (const ev of p.early) {
    const r = ev.data.reaction
    if (r && r.userId !== me) continue // may be counted in the list already
    list = applyToItems(list, ev, me)
  }
  return { items: list, loaded: true, early: [] }
}

/** The user's own reaction, shown at once (see timeline.toggleMine). */
export function toggleMinePin(p: PinList, messageId: string, emoji: string, add: boolean, me: string): PinList {
  if (!p.loaded) return p
  const reaction = { messageId, userId: me, emoji }
  const ev: ChatEvent = { conversationId: '', seq: 0, at: '', actorId: me, type: add ? 'reaction.added' : 'reaction.removed', data: { reaction } }
  const items = applyToItems(p.items, ev, me)
  return items === p.items ? p : { ...p, items }
}

function relevant(ev: ChatEvent): boolean {
  switch (ev.type) {
    case 'message.pinned':
    case 'message.unpinned':
    case 'message.edited':
    case 'message.deleted':
    case 'reaction.added':
    case 'reaction.removed':
      return true
    default:
      return false
  }
}

function applyToItems(items: Message[], ev: ChatEvent, me: string, known?: Message): Message[] {
  const m = ev.data.message
  switch (ev.type) {
    case 'message.pinned': {
      if (!m?.pinnedAt || m.deletedAt) return items
      const cur = items.find((x) => x.id === m.id)
      const reactions = cur?.reactions ?? known?.reactions ?? undefined
      const next: Message = { ...m, reactions }
      if (cur && cur.pinnedAt === next.pinnedAt && cur.body === next.body && cur.editedAt === next.editedAt) return items
      return sortPins([next, ...items.filter((x) => x.id !== m.id)])
    }
    case 'message.unpinned':
    case 'message.deleted':
      if (!m || !items.some((x) => x.id === m.id)) return items
      return items.filter((x) => x.id !== m.id)
    case 'message.edited': {
      if (!m) return items
      const i = items.findIndex((x) => x.id === m.id)
      if (i < 0 || items[i].body === m.body && items[i].editedAt === m.editedAt) return items
      const next = items.slice()
      next[i] = { ...items[i], body: m.body, editedAt: m.editedAt }
      return next
    }
    case 'reaction.added':
    case 'reaction.removed': {
      const r = ev.data.reaction
      const i = r ? items.findIndex((x) => x.id === r.messageId) : -1
      if (!r || i < 0 || !items[i].reactions) return items
      const cur = items[i].reactions ?? []
      const mine = r.userId === me
      const reactions = ev.type === 'reaction.added' ? addTally(cur, r.emoji, mine) : removeTally(cur, r.emoji, mine)
      if (reactions === cur) return items
      const next = items.slice()
      next[i] = { ...items[i], reactions }
      return next
    }
    default:
      return items
  }
}

/** Most recently pinned first; ties by seq, latest first. */
function sortPins(items: Message[]): Message[] {
  return items.sort((a, b) => (b.pinnedAt ?? '').localeCompare(a.pinnedAt ?? '') || b.seq - a.seq)
}

/** Loading the pin list, and pinning and unpinning (through the socket when connected, else REST). The list and the
 * timeline change when the server's events arrive, in seq order (events.ts). */
export class Pins {
  private readonly core: StoreCore

  constructor(core: StoreCore) {
    this.core = core
  }

  /** Loads the conversation's pin list (again), keeping events that arrive meanwhile. */
  async load(id: string) {
    const core = this.core
    core.set((s) => ({ pins: { ...s.pins, [id]: { ...emptyPins } } }))
    try {
      const r = await call(core.api.GET('/v1/conversations/{conversationId}/pins', { params: { path: { conversationId: id } } }))
      core.set((s) => (s.pins[id] ? { pins: { ...s.pins, [id]: pinsLoaded(s.pins[id], r.items, s.me.id) } } : {}))
    } catch (e) {
      const error = friendlyError(e)
      core.set((s) => (s.pins[id] ? { pins: { ...s.pins, [id]: { ...s.pins[id], error } } } : {}))
    }
  }

  /** Pins (pinned=true) or unpins a message. Errors are shown as a notice; resolves to whether it worked. */
  async setPinned(conversationId: string, messageId: string, pinned: boolean): Promise<boolean> {
    const core = this.core
    try {
      if (core.socket.connected) {
        const ack = await core.emit(pinned ? 'message:pin' : 'message:unpin', { conversationId, messageId })
        if (!ack.ok) throw fromAck(ack.error)
      } else {
        const params = { params: { path: { conversationId, messageId } } }
        await call(
          pinned
            ? core.api.PUT('/v1/conversations/{conversationId}/messages/{messageId}/pin', params)
            : core.api.DELETE('/v1/conversations/{conversationId}/messages/{messageId}/pin', params),
        )
      }
      return true
    } catch (e) {
      core.notify(friendlyError(e))
      return false
    }
  }
}
