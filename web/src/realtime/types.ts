// The Socket.IO contract (openapi/asyncapi.yaml): events and acks, typed for socket.io-client.
import type { ChatEvent, ErrorCode, Message, Presence } from '../api/types'

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

export interface ServerToClient {
  event: (e: ChatEvent) => void
  typing: (t: TypingNotice) => void
  presence: (p: Presence) => void
  read: (r: ReadReceipt) => void
}

export interface ClientToServer {
  'message:send': (
    p: { conversationId: string; clientMsgId: string; body: string; replyTo?: string },
    ack: (a: SendAck) => void,
  ) => void
  'message:edit': (p: { conversationId: string; messageId: string; body: string }, ack: (a: MessageAck) => void) => void
  'message:delete': (p: { conversationId: string; messageId: string }, ack: (a: MessageAck) => void) => void
  'conversation:read': (p: { conversationId: string; seq: number }, ack: (a: ReadAck) => void) => void
  typing: (p: { conversationId: string; typing: boolean }) => void
  sync: (p: { cursors: Record<string, number>; limit?: number }, ack: (a: SyncAck) => void) => void
}
