// The Socket.IO contract (openapi/asyncapi.yaml): events and acks, typed for socket.io-client.
import type { ChatEvent, ErrorCode, Message, Presence, ReactionCount } from '../api/types'

export interface AckError {
  code: ErrorCode
  message: string
  retryAfterMs?: number
}
export type ErrorAck = { ok: false; error: AckError }
export type Ack<T extends object = object> = ({ ok: true } & T) | ErrorAck

export type SendAck = Ack<{ message: Message; accepted?: boolean }>
export type MessageAck = Ack<{ message: Message }>
export type ReadAck = Ack<{ readSeq: number }>
export type SyncAck = Ack<{ events: ChatEvent[]; truncated: string[] }>
/** Ack of message:react and message:unreact: the message's tallies after the request, as the caller sees them. */
export type ReactionsAck = Ack<{ reactions: ReactionCount[] }>

/** message:react / message:unreact: one emoji, or a `:shortcode:` of the server's set (stored as its emoji). */
export interface ReactRequest {
  conversationId: string
  messageId: string
  emoji: string
}
/** message:pin / message:unpin (and message:delete). */
export interface MessageRef {
  conversationId: string
  messageId: string
}

export interface TypingNotice {
  conversationId: string
  userId: string
  typing: boolean
}
export interface ReadReceipt {
  conversationId: string
  userId: string
  seq: number
}

/**
 * Sequenced events (`event`), by type: message.created/edited/deleted/pinned/unpinned carry data.message (its
 * state after the change; never its reactions), reaction.added/removed carry data.reaction (no tallies: the
 * client counts), member.* carry data.member, conversation.updated carries data.conversation.
 */
export interface ServerToClient {
  event: (e: ChatEvent) => void
  typing: (t: TypingNotice) => void
  presence: (p: Presence) => void
  read: (r: ReadReceipt) => void
}

export interface ClientToServer {
  'message:send': (
    p: { conversationId: string; clientMsgId: string; body: string; replyTo?: string; threadRootId?: string; attachmentIds?: string[] },
    ack: (a: SendAck) => void,
  ) => void
  'message:edit': (p: { conversationId: string; messageId: string; body: string }, ack: (a: MessageAck) => void) => void
  'message:delete': (p: MessageRef, ack: (a: MessageAck) => void) => void
  'message:react': (p: ReactRequest, ack: (a: ReactionsAck) => void) => void
  'message:unreact': (p: ReactRequest, ack: (a: ReactionsAck) => void) => void
  /** Ack: the message's state after the change (pinnedAt and pinnedBy set while pinned). */
  'message:pin': (p: MessageRef, ack: (a: MessageAck) => void) => void
  'message:unpin': (p: MessageRef, ack: (a: MessageAck) => void) => void
  'conversation:read': (p: { conversationId: string; seq: number }, ack: (a: ReadAck) => void) => void
  typing: (p: { conversationId: string; typing: boolean }) => void
  sync: (p: { cursors: Record<string, number>; limit?: number }, ack: (a: SyncAck) => void) => void
}
