// The messages of one conversation as the user sees them: confirmed messages ordered by seq (each message once,
// in its latest state, from history pages and live events alike), followed by the user's optimistic sends that
// the server has not confirmed yet. Pure functions over immutable values.
//
// Reactions and pins go with their message. Tallies (`reactions`) are known for a message from a history page (its
// snapshot) or from its message.created event (none yet); from then on only reaction events, applied once each in seq
// order, change them. A message that entered the timeline another way (an edit or delete event of a message not
// loaded, a send's ack) has `reactions` undefined — unknown — until a page brings them; reaction events skip it.
// Pin state (pinnedAt, pinnedBy) comes with every state of the message (pages, message.* events). A deleted message
// has neither reactions nor a pin.
import type { ChatEvent, Message } from '../api/types'
import { mentionsUser } from '../lib/mentions'
import { addTally, removeTally } from './reactions'

export type SendStatus = 'sending' | 'accepted' | 'failed'

/** A message the user sent that is not in the timeline yet, keyed by its clientMsgId (the idempotency key). */
export interface PendingMessage {
  clientMsgId: string
  body: string
  /** Uploads it carries (sent as attachmentIds), shown by name until the server confirms it. */
  attachments?: PendingAttachment[]
  replyTo?: string
  createdAt: string
  status: SendStatus
  error?: string
}

export interface PendingAttachment {
  id: string
  name: string
  size: number
}

export interface Timeline {
  /** Confirmed messages (tombstones included), ascending seq, unique by id. */
  messages: Message[]
  /** Optimistic sends, in the order they were made. */
  pending: PendingMessage[]
  /** A page of history has been loaded. */
  loaded: boolean
  /** Older history exists before messages[0]. */
  hasOlder: boolean
}

export const emptyTimeline: Timeline = { messages: [], pending: [], loaded: false, hasOlder: false }

/** Of two states of one message, the later one: a delete is final, then the latest edit wins. */
export function newerMessage(a: Message, b: Message): Message {
  if (a.deletedAt && !b.deletedAt) return a
  if (b.deletedAt && !a.deletedAt) return b
  const ea = a.editedAt ? Date.parse(a.editedAt) : 0
  const eb = b.editedAt ? Date.parse(b.editedAt) : 0
  if (eb > ea) return b
  if (ea > eb) return a
  if (a.seq === 0 && b.seq > 0) return b
  return a
}

/** Merges messages into the timeline: each message once (by id), in its newest state, ordered by seq. Pending
 * sends that the merged messages confirm (same sender and clientMsgId) are dropped. Messages without a seq
 * (accepted but not yet sequenced) are not merged. */
export function mergeMessages(tl: Timeline, incoming: readonly Message[], me?: string): Timeline {
  const fresh = incoming.filter((m) => m.seq > 0)
  if (fresh.length === 0) return tl
  const byId = new Map<string, Message>()
  for (const m of tl.messages) byId.set(m.id, m)
  let changed = false
  for (const m of fresh) {
    const cur = byId.get(m.id)
    const next = cur ? withMarks(newerMessage(cur, m), cur, m) : m.deletedAt ? unmarked(m) : m
    if (next !== cur) {
      byId.set(m.id, next)
      changed = true
    }
  }
  const pending = reconcile(tl.pending, fresh, me)
  if (!changed && pending === tl.pending) return tl
  const messages = changed ? [...byId.values()].sort((a, b) => a.seq - b.seq || cmp(a.id, b.id)) : tl.messages
  return { ...tl, messages, pending }
}

/** Adds a page of history. older: the page is the one before messages[0]; hasOlder: the server has more. */
export function addPage(tl: Timeline, page: readonly Message[], hasOlder: boolean, me?: string): Timeline {
  const merged = mergeMessages(tl, page.map(snapshot), me)
  return { ...merged, loaded: true, hasOlder: tl.loaded && page.length === 0 ? false : hasOlder }
}

/** Applies a sequenced event to the timeline (message and reaction events; others leave it as it is). Each event
 * must be applied once, in seq order (sequencer.ts): reaction events count +1 / -1. */
export function applyEvent(tl: Timeline, ev: ChatEvent, me?: string): Timeline {
  const m = ev.data.message
  switch (ev.type) {
    case 'message.created':
      // A new message has no reactions yet: its tallies are known from here on.
      return m ? mergeMessages(tl, [m.reactions ? m : { ...m, reactions: [] }], me) : tl
    case 'message.edited':
    case 'message.deleted':
      return m ? mergeMessages(tl, [m], me) : tl
    case 'message.pinned':
    case 'message.unpinned':
      return m ? setPin(tl, m) : tl
    case 'reaction.added':
    case 'reaction.removed': {
      const r = ev.data.reaction
      if (!r) return tl
      return updateMessage(tl, r.messageId, (cur) => {
        if (cur.deletedAt || !cur.reactions) return cur // gone, or tallies unknown until a page brings them
        const mine = r.userId === me
        const reactions = ev.type === 'reaction.added' ? addTally(cur.reactions, r.emoji, mine) : removeTally(cur.reactions, r.emoji, mine)
        return reactions === cur.reactions ? cur : { ...cur, reactions }
      })
    }
    default:
      return tl
  }
}

/** The user's own reaction, shown before the server confirms it (its event then changes nothing), or taken back
 * when the server refused it. */
export function toggleMine(tl: Timeline, messageId: string, emoji: string, add: boolean): Timeline {
  return updateMessage(tl, messageId, (cur) => {
    if (cur.deletedAt || !cur.reactions) return cur
    const reactions = add ? addTally(cur.reactions, emoji, true) : removeTally(cur.reactions, emoji, true)
    return reactions === cur.reactions ? cur : { ...cur, reactions }
  })
}

/** A pinned / unpinned event's state of a loaded message: its pin changes; its tallies stay. */
function setPin(tl: Timeline, m: Message): Timeline {
  return updateMessage(tl, m.id, (cur) => {
    if (cur.deletedAt) return cur
    const base = newerMessage(cur, m)
    const { pinnedAt: _a, pinnedBy: _b, ...rest } = base
    const next: Message = { ...rest, reactions: cur.reactions }
    if (m.pinnedAt) {
      next.pinnedAt = m.pinnedAt
      next.pinnedBy = m.pinnedBy
    }
    return next.pinnedAt === cur.pinnedAt && next.pinnedBy === cur.pinnedBy && base === cur ? cur : next
  })
}

function updateMessage(tl: Timeline, id: string, f: (m: Message) => Message): Timeline {
  const i = tl.messages.findIndex((x) => x.id === id)
  if (i < 0) return tl
  const next = f(tl.messages[i])
  if (next === tl.messages[i]) return tl
  const messages = tl.messages.slice()
  messages[i] = next
  return { ...tl, messages }
}

/** A message of a page (or pin list): its tallies are a snapshot (the server omits them when there are none). */
export function snapshot(m: Message): Message {
  return m.reactions ? m : { ...m, reactions: [] }
}

/** A deleted message: no reactions, no pin. */
function unmarked(m: Message): Message {
  if (m.reactions?.length === 0 && m.pinnedAt === undefined && m.pinnedBy === undefined) return m
  const { pinnedAt: _a, pinnedBy: _b, ...rest } = m
  return { ...rest, reactions: [] }
}

/** The state newerMessage chose, with the tallies the timeline keeps: those it has (kept by events) or, when it
 * has none, the incoming snapshot's. */
function withMarks(next: Message, cur: Message, incoming: Message): Message {
  if (next.deletedAt) return unmarked(next)
  const reactions = cur.reactions ?? incoming.reactions
  return next.reactions === reactions ? next : { ...next, reactions }
}

/** Is the message pinned? */
export function isPinned(m: Message): boolean {
  return !!m.pinnedAt && !m.deletedAt
}

/** Adds an optimistic send (or restarts a failed one with the same clientMsgId). */
export function addPending(tl: Timeline, p: PendingMessage): Timeline {
  const i = tl.pending.findIndex((x) => x.clientMsgId === p.clientMsgId)
  if (i < 0) return { ...tl, pending: [...tl.pending, p] }
  const pending = tl.pending.slice()
  pending[i] = { ...pending[i], ...p }
  return { ...tl, pending }
}

export function setPendingStatus(tl: Timeline, clientMsgId: string, status: SendStatus, error?: string): Timeline {
  const i = tl.pending.findIndex((x) => x.clientMsgId === clientMsgId)
  if (i < 0) return tl
  const pending = tl.pending.slice()
  pending[i] = { ...pending[i], status, error }
  return { ...tl, pending }
}

/** The server acknowledged a send: a sequenced message replaces its pending entry; an accepted one (seq 0)
 * stays pending, marked accepted, until its event arrives. */
export function confirmSend(tl: Timeline, clientMsgId: string, m: Message, me?: string): Timeline {
  if (m.seq > 0) {
    const merged = mergeMessages(tl, [m], me)
    if (merged.pending.some((p) => p.clientMsgId === clientMsgId)) {
      return { ...merged, pending: merged.pending.filter((p) => p.clientMsgId !== clientMsgId) }
    }
    return merged
  }
  return setPendingStatus(tl, clientMsgId, 'accepted')
}

export function removePending(tl: Timeline, clientMsgId: string): Timeline {
  if (!tl.pending.some((p) => p.clientMsgId === clientMsgId)) return tl
  return { ...tl, pending: tl.pending.filter((p) => p.clientMsgId !== clientMsgId) }
}

export function findMessage(tl: Timeline, id: string): Message | undefined {
  return tl.messages.find((m) => m.id === id)
}

export function oldestSeq(tl: Timeline): number | undefined {
  return tl.messages[0]?.seq
}

export function latestSeq(tl: Timeline): number {
  return tl.messages.length ? tl.messages[tl.messages.length - 1].seq : 0
}

/** Messages by others after readSeq that are not deleted: what the unread badge counts. */
export function countUnread(tl: Timeline, readSeq: number, me: string): number {
  let n = 0
  for (const m of tl.messages) if (m.seq > readSeq && m.senderId !== me && !m.deletedAt) n++
  return n
}

/** Unread messages after readSeq that mention the user, when the timeline holds all of them (undefined if older
 * history not loaded may hold some). */
export function countMentions(tl: Timeline, readSeq: number, me: string): number | undefined {
  if (!tl.loaded) return undefined
  const oldest = tl.messages[0]?.seq
  if (tl.hasOlder && (oldest === undefined || oldest > readSeq + 1)) return undefined
  let n = 0
  for (const m of tl.messages) if (m.seq > readSeq && mentionsUser(m, me)) n++
  return n
}

function reconcile(pending: PendingMessage[], confirmed: readonly Message[], me?: string): PendingMessage[] {
  if (pending.length === 0 || !me) return pending
  const done = new Set<string>()
  for (const m of confirmed) if (m.senderId === me) done.add(m.clientMsgId)
  if (done.size === 0) return pending
  const rest = pending.filter((p) => !done.has(p.clientMsgId))
  return rest.length === pending.length ? pending : rest
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
