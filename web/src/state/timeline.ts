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
//
// Threads: a timeline holds either the conversation's top-level messages (rootId undefined) or the replies of one
// thread (rootId set, the thread panel); messages of the other kind never enter it. The main timeline keeps each
// loaded root's reply info in `threads`: a history page's snapshot when the root first comes in a page (or none
// when a message.created event brings it), then raised and lowered by reply events. Every reply event seen is noted
// in `replies` by id, so that applying one again changes nothing, and so that replies seen before their root's page
// arrives are added to its snapshot when they are newer than its last reply.
import type { ChatEvent, Message, ThreadInfo } from '../api/types'
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
  /** Sent as a reply in this thread. */
  threadRootId?: string
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
  /** The thread whose replies this timeline holds; undefined: the conversation's top-level messages. */
  rootId?: string
  /** Reply info of loaded roots, kept by reply events (main timeline). A root without an entry is unknown. */
  threads?: Readonly<Record<string, ThreadInfo>>
  /** Replies seen in events, by id (main timeline): each counts once. */
  replies?: Readonly<Record<string, ReplySeen>>
}

export interface ReplySeen {
  rootId: string
  senderId: string
  createdAt: string
  deleted: boolean
}

export const emptyTimeline: Timeline = { messages: [], pending: [], loaded: false, hasOlder: false }

/** An empty timeline of a thread's replies. */
export function threadTimeline(rootId: string): Timeline {
  return { ...emptyTimeline, rootId }
}

/** No replies (yet). */
export const noReplies: ThreadInfo = { replyCount: 0, lastReplyAt: '', participants: [] }

/** Does the message belong in this timeline (a top-level message in the main one, a reply in its thread's)? */
function belongs(tl: Timeline, m: Message): boolean {
  return (m.threadRootId || undefined) === tl.rootId
}

/** A loaded message's reply info: kept by events, else its page's snapshot; undefined when it has no replies. */
export function threadOf(tl: Timeline, m: Message): ThreadInfo | undefined {
  const t = tl.threads?.[m.id] ?? m.thread
  return t && t.replyCount > 0 ? t : undefined
}

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
  const fresh = incoming.filter((m) => m.seq > 0 && belongs(tl, m))
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
  const merged = adoptThreads(mergeMessages(tl, page.map(snapshot), me), page)
  return { ...merged, loaded: true, hasOlder: tl.loaded && page.length === 0 ? false : hasOlder }
}

/** Roots of a page not known yet take the page's reply info, plus the replies seen in events that are newer than
 * its last reply (they came while the page was on its way). */
function adoptThreads(tl: Timeline, page: readonly Message[]): Timeline {
  if (tl.rootId) return tl
  let threads: Record<string, ThreadInfo> | undefined
  for (const m of page) {
    if (m.threadRootId || m.seq <= 0 || (threads ?? tl.threads)?.[m.id]) continue
    let info = m.thread ?? noReplies
    for (const r of Object.values(tl.replies ?? {})) {
      if (r.rootId === m.id && !r.deleted && r.createdAt > info.lastReplyAt) info = addReply(info, r)
    }
    threads ??= { ...tl.threads }
    threads[m.id] = info
  }
  return threads ? { ...tl, threads } : tl
}

/** The thread info with one more reply. */
export function addReply(t: ThreadInfo, r: { senderId: string; createdAt: string }): ThreadInfo {
  const participants = t.participants.includes(r.senderId) ? t.participants : [...t.participants, r.senderId].sort()
  return { replyCount: t.replyCount + 1, lastReplyAt: r.createdAt > t.lastReplyAt ? r.createdAt : t.lastReplyAt, participants }
}

/** The thread info with one reply fewer (its last reply time and participants stay: only the server knows the
 * rest; with no replies left there is nothing to show). */
export function removeReply(t: ThreadInfo): ThreadInfo {
  return t.replyCount <= 1 ? noReplies : { ...t, replyCount: t.replyCount - 1 }
}

/** A reply event (message.created / message.deleted with threadRootId) in the main timeline: its root's info
 * changes, once per reply. */
function applyReplyEvent(tl: Timeline, ev: ChatEvent, m: Message): Timeline {
  const rootId = m.threadRootId as string
  const seen = tl.replies?.[m.id]
  let info = tl.threads?.[rootId]
  if (ev.type === 'message.created') {
    if (seen) return tl
    if (info && !m.deletedAt) info = addReply(info, m)
  } else if (ev.type === 'message.deleted') {
    if (seen?.deleted) return tl
    if (info) info = removeReply(info)
  } else return tl
  const note: ReplySeen = { rootId, senderId: m.senderId, createdAt: m.createdAt, deleted: ev.type === 'message.deleted' || !!m.deletedAt }
  const replies = { ...tl.replies, [m.id]: note }
  const threads = info ? { ...tl.threads, [rootId]: info } : tl.threads
  return { ...tl, replies, threads }
}

/** Applies a sequenced event to the timeline (message and reaction events; others leave it as it is). Each event
 * must be applied once, in seq order (sequencer.ts): reaction events count +1 / -1. */
export function applyEvent(tl: Timeline, ev: ChatEvent, me?: string): Timeline {
  const m = ev.data.message
  if (m?.threadRootId && !tl.rootId) return applyReplyEvent(tl, ev, m)
  switch (ev.type) {
    case 'message.created': {
      // A new message has no reactions (nor replies) yet: its tallies are known from here on.
      if (!m) return tl
      // Its replies come after it in seq order: none yet, whichever way it entered the timeline (a send's ack).
      const next = mergeMessages(tl, [m.reactions ? m : { ...m, reactions: [] }], me)
      if (tl.rootId || m.seq <= 0 || next.threads?.[m.id]) return next
      return { ...next, threads: { ...next.threads, [m.id]: noReplies } }
    }
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
