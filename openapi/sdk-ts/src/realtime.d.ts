// Types of realtime.js, from the generated realtime.gen.ts (asyncapi.yaml).
import type {
  AcceptedAck,
  DeleteRequest,
  EditRequest,
  Error as AckError,
  ErrorCode,
  Event,
  MessageAck,
  Presence,
  ReadAck,
  ReadReceipt,
  ReadRequest,
  SendAck,
  SendRequest,
  TypingNotice,
  TypingRequest,
} from './realtime.gen'

/** The socket.io-client 4.x `io` function (import { io } from 'socket.io-client'). */
export type IoFactory = (url: string, opts: { auth: { token: string }; transports: string[]; reconnection: boolean; autoConnect: boolean }) => unknown

export interface RealtimeOptions {
  io: IoFactory
  /** The server's origin, e.g. https://chat.example.com. */
  url: string
  /** A session token, an application token (JWT) or a bot's API key. */
  token: string
  /** Default ['websocket']; ['polling'] for long-polling. */
  transports?: string[]
  /** The last seq the caller applied per conversation: resumed after it. */
  cursors?: Record<string, number>
  /** Conversations to track (e.g. from GET /v1/conversations: id and lastSeq), asked at connect and at every reconnection. */
  listConversations?: () => Promise<Array<{ id: string; lastSeq: number }>>
  /** Every event of every tracked conversation once, in seq order per conversation. */
  onEvent?: (e: Event) => void
  onTyping?: (t: TypingNotice) => void
  onPresence?: (p: Presence) => void
  onRead?: (r: ReadReceipt) => void
  /** Why the connection ended; it reconnects unless the server ended it ("io server disconnect") or close() was called. */
  onDisconnect?: (reason: string) => void
  syncLimit?: number
  ackTimeoutMs?: number
}

export class RealtimeError extends Error {
  readonly code: ErrorCode
  readonly retryAfterMs?: number
  constructor(event: string, error: AckError)
}

export class RealtimeClient {
  constructor(opts: RealtimeOptions)
  connect(): Promise<void>
  close(): void
  cursor(conversationId: string): number
  resume(): void
  sync(): Promise<void>
  send(req: SendRequest): Promise<SendAck | AcceptedAck>
  edit(req: EditRequest): Promise<MessageAck>
  delete(req: DeleteRequest): Promise<MessageAck>
  markRead(req: ReadRequest): Promise<ReadAck>
  typing(req: TypingRequest): void
}
