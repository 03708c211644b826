// Builders of API values for unit tests.
import type { ChatEvent, Conversation, Member, Message } from '../api/types'

export const ME = 'u-me'
export const BOB = 'u-bob'
export const CONV = 'c-1'

let clock = Date.parse('2025-01-01T10:00:00Z')
export function at(): string {
  clock += 1000
  return new Date(clock).toISOString()
}

export function msg(seq: number, o: Partial<Message> = {}): Message {
  return {
    id: `m-${seq}`,
    conversationId: CONV,
    seq,
    senderId: BOB,
    clientMsgId: `cm-${seq}`,
    body: `message ${seq}`,
    createdAt: new Date(Date.parse('2025-01-01T09:00:00Z') + seq * 1000).toISOString(),
    ...o,
  }
}

export function created(seq: number, o: Partial<Message> = {}, conversationId = CONV): ChatEvent {
  const m = msg(seq, { conversationId, ...o })
  return { conversationId, seq, type: 'message.created', at: m.createdAt, actorId: m.senderId, data: { message: m } }
}

export function edited(seq: number, m: Message, body: string): ChatEvent {
  const editedAt = new Date(Date.parse(m.createdAt) + (seq - m.seq) * 1000).toISOString()
  return { conversationId: m.conversationId, seq, type: 'message.edited', at: editedAt, actorId: m.senderId, data: { message: { ...m, body, editedAt } } }
}

export function deleted(seq: number, m: Message): ChatEvent {
  const deletedAt = new Date(Date.parse(m.createdAt) + (seq - m.seq) * 1000).toISOString()
  return { conversationId: m.conversationId, seq, type: 'message.deleted', at: deletedAt, actorId: m.senderId, data: { message: { ...m, body: '', deletedAt } } }
}

export function member(userId: string, o: Partial<Member> = {}): Member {
  return { conversationId: CONV, userId, role: 'member', readSeq: 0, joinedAt: '2025-01-01T08:00:00Z', ...o }
}

export function memberEvent(seq: number, type: 'member.joined' | 'member.left' | 'member.updated', m: Member): ChatEvent {
  return { conversationId: m.conversationId, seq, type, at: at(), actorId: m.userId, data: { member: m } }
}

export function conversation(o: Partial<Conversation> = {}): Conversation {
  return {
    id: CONV,
    kind: 'direct',
    title: 'Bob',
    topic: '',
    lastSeq: 0,
    slowModeSeconds: 0,
    readSeq: 0,
    unread: 0,
    mentions: 0,
    createdAt: '2025-01-01T08:00:00Z',
    lastActivityAt: '2025-01-01T08:00:00Z',
    ...o,
  }
}

export function reaction(seq: number, type: 'reaction.added' | 'reaction.removed', messageId: string, userId: string, emoji: string, conversationId = CONV): ChatEvent {
  return { conversationId, seq, type, at: at(), actorId: userId, data: { reaction: { messageId, userId, emoji } } }
}

/** message.pinned / message.unpinned: the message's state after the change. */
export function pinEvent(seq: number, type: 'message.pinned' | 'message.unpinned', m: Message, by = ME): ChatEvent {
  const when = at()
  const { pinnedAt: _a, pinnedBy: _b, reactions: _r, ...rest } = m
  const message: Message = type === 'message.pinned' ? { ...rest, pinnedAt: when, pinnedBy: by } : rest
  return { conversationId: m.conversationId, seq, type, at: when, actorId: by, data: { message } }
}
