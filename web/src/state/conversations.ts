// The conversation list: summaries (title, last message, unread count, read position) kept up to date from
// sequenced events, and their order (most recently active first). Pure functions over immutable values.
import type { ChatEvent, Conversation, Member } from '../api/types'

export interface ApplyContext {
  /** The signed-in user's id. */
  me: string
  /** The user is looking at this conversation right now, so new messages count as read. */
  viewing: boolean
}

/** Applies a sequenced event (in seq order) to a conversation's summary. */
export function applyEventToConversation(c: Conversation, ev: ChatEvent, ctx: ApplyContext): Conversation {
  const next: Conversation = { ...c, lastSeq: Math.max(c.lastSeq, ev.seq) }
  if (ev.at && (!c.lastActivityAt || ev.at > c.lastActivityAt)) next.lastActivityAt = ev.at
  const m = ev.data.message
  switch (ev.type) {
    case 'message.created':
      if (!m) break
      next.lastMessage = m
      if (m.senderId === ctx.me || ctx.viewing) {
        // One's own message, or one being looked at: read up to here.
        next.readSeq = Math.max(next.readSeq, ev.seq)
        next.unread = 0
      } else if (ev.seq > c.readSeq) {
        next.unread = c.unread + 1
      }
      break
    case 'message.edited':
    case 'message.deleted':
      if (!m) break
      if (c.lastMessage?.id === m.id) next.lastMessage = m
      if (ev.type === 'message.deleted' && m.senderId !== ctx.me && m.seq > c.readSeq && c.unread > 0) {
        next.unread = c.unread - 1
      }
      break
    case 'conversation.updated': {
      const u = ev.data.conversation
      if (u) {
        next.title = u.title
        next.topic = u.topic
      }
      break
    }
    case 'member.updated': {
      const mem = ev.data.member
      if (mem && mem.userId === ctx.me) next.role = mem.role
      break
    }
  }
  return next
}

/** The user read up to seq (here or on another device): unread drops to what is left after it. */
export function markRead(c: Conversation, seq: number, remaining?: number): Conversation {
  if (seq <= c.readSeq && remaining === undefined) return c
  const readSeq = Math.max(c.readSeq, seq)
  const unread = remaining ?? (readSeq >= c.lastSeq ? 0 : c.unread)
  if (readSeq === c.readSeq && unread === c.unread) return c
  return { ...c, readSeq, unread }
}

/** Most recently active first; ties by title then id, so the order is stable. */
export function sortConversations(list: readonly Conversation[]): Conversation[] {
  return [...list].sort(
    (a, b) =>
      cmp(b.lastActivityAt ?? b.createdAt, a.lastActivityAt ?? a.createdAt) || cmp(a.title, b.title) || cmp(a.id, b.id),
  )
}

/** Applies a membership event to a loaded member list. */
export function applyMemberEvent(members: readonly Member[], ev: ChatEvent): Member[] {
  const m = ev.data.member
  if (!m) return members as Member[]
  const rest = members.filter((x) => x.userId !== m.userId)
  switch (ev.type) {
    case 'member.joined':
    case 'member.updated':
      return [...rest, m].sort((a, b) => cmp(a.userId, b.userId))
    case 'member.left':
      return rest
    default:
      return members as Member[]
  }
}

/** Moves a member's read position forward (read receipts never go back). */
export function applyRead(members: readonly Member[], userId: string, seq: number): Member[] {
  let changed = false
  const next = members.map((m) => {
    if (m.userId !== userId || seq <= m.readSeq) return m
    changed = true
    return { ...m, readSeq: seq }
  })
  return changed ? next : (members as Member[])
}

/** Who has read a message at seq, apart from its sender. */
export function readersOf(members: readonly Member[], seq: number, senderId: string): Member[] {
  return members.filter((m) => m.userId !== senderId && m.readSeq >= seq)
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
