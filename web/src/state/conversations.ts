// The conversation list: summaries (title, last message, unread count, read position) kept up to date from
// sequenced events, and their order (most recently active first). Pure functions over immutable values.
import type { ChatEvent, Conversation, Member } from '../api/types'
import { mentionsUser } from '../lib/mentions'

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
  // A reply in a thread stays out of the conversation's last message and unread count (the Threads view has it).
  if (m?.threadRootId) return next
  switch (ev.type) {
    case 'message.created':
      if (!m) break
      next.lastMessage = m
      if (m.senderId === ctx.me || ctx.viewing) {
        // One's own message, or one being looked at: read up to here.
        next.readSeq = Math.max(next.readSeq, ev.seq)
        next.unread = 0
        next.mentions = 0
      } else if (ev.seq > c.readSeq) {
        next.unread = c.unread + 1
        if (mentionsUser(m, ctx.me)) next.mentions = (c.mentions ?? 0) + 1
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
        next.slowModeSeconds = u.slowModeSeconds
      }
      break
    }
    case 'member.updated': {
      const mem = ev.data.member
      if (mem && mem.userId === ctx.me) {
        next.role = mem.role
        next.mutedUntil = mem.mutedUntil
      }
      break
    }
  }
  return next
}

/**
 * Can the summary's mention count still be trusted after this event? An edit or delete of an unread message by
 * someone else may add or take away a mention of the user, and the summary does not know what the message said
 * before: the caller asks the server for the summary again (list.ts).
 */
export function mentionsUncertain(c: Conversation, ev: ChatEvent, me: string): boolean {
  const m = ev.data.message
  if (!m || m.threadRootId || (ev.type !== 'message.edited' && ev.type !== 'message.deleted')) return false
  return m.senderId !== me && m.seq > c.readSeq
}

/** The user read up to seq (here or on another device): unread drops to what is left after it, and so do the
 * mentions (remainingMentions, when the caller knows; else all of them when read to the end, else unchanged). */
export function markRead(c: Conversation, seq: number, remaining?: number, remainingMentions?: number): Conversation {
  if (seq <= c.readSeq && remaining === undefined) return c
  const readSeq = Math.max(c.readSeq, seq)
  const unread = remaining ?? (readSeq >= c.lastSeq ? 0 : c.unread)
  const mentions = remainingMentions ?? (readSeq >= c.lastSeq || unread === 0 ? 0 : c.mentions)
  if (readSeq === c.readSeq && unread === c.unread && mentions === c.mentions) return c
  return { ...c, readSeq, unread, mentions }
}

/** Is the mention count after reading up to seq known without asking the server? */
export function mentionsKnownAfterRead(c: Conversation, seq: number, remainingMentions?: number): boolean {
  return remainingMentions !== undefined || seq >= c.lastSeq || c.mentions === 0
}

/** Should the sidebar badge the unread count? Only at level all (the default) and not muted. */
export function showsUnread(c: Pick<Conversation, 'muted' | 'unread' | 'notifyLevel'>): boolean {
  return c.unread > 0 && !c.muted && (c.notifyLevel ?? 'all') === 'all'
}

/** Should the sidebar badge the mentions? Unless the user asked to hear nothing here. */
export function showsMentions(c: Pick<Conversation, 'notifyLevel' | 'mentions' | 'muted'>): boolean {
  return c.mentions > 0 && c.notifyLevel !== 'none'
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
