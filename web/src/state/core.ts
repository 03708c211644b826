// What every part of the ChatStore (store.ts) shares: the state the UI renders and its listeners, the REST client
// and the socket, each conversation's position in its event stream, and the few updates every part makes. Every
// change replaces the state object, so that React (useSyncExternalStore) sees it.
import type { Socket } from 'socket.io-client'
import type { Api } from '../api/client'
import type { Conversation, Member, Presence, User } from '../api/types'
import { ApiError } from '../lib/problem'
import type { ClientToServer, ServerToClient } from '@scalechat/sdk'
import type { MentionInbox } from './mentions'
import type { PinList } from './pins'
import type { UploadItem } from './uploads'
import type { SearchState } from './search'
import type { ThreadList, ThreadPanel } from './threads'
import type * as seq from './sequencer'
import * as tl from './timeline'
import { emptySearch } from './search'
import { emptyThreadList } from './threads'

export type ChatSocket = Socket<ServerToClient, ClientToServer>

/** online: connected and caught up; connecting: first connection; reconnecting: lost, trying again. */
export type Connection = 'connecting' | 'online' | 'reconnecting'

export interface Notice {
  id: number
  text: string
}

export interface ChatState {
  me: User
  connection: Connection
  /** The browser says it has no network. */
  browserOffline: boolean
  listLoaded: boolean
  listError?: string
  conversations: Record<string, Conversation>
  timelines: Record<string, tl.Timeline>
  /** Pinned messages per conversation opened (loaded when it opens, then kept by events). */
  pins: Record<string, PinList>
  /** Members per conversation, once loaded. */
  members: Record<string, Member[]>
  users: Record<string, User>
  presence: Record<string, Presence['status']>
  /** conversationId → userId → when the typing notice expires (ms since epoch). */
  typing: Record<string, Record<string, number>>
  activeId?: string
  loadingOlder: Record<string, boolean>
  notice?: Notice
  /** Messages that mention the user (loaded when the Mentions view opens, then kept by events). */
  inbox: MentionInbox
  /** Files being uploaded (or uploaded, not sent yet) per conversation, in the order added. */
  uploads: Record<string, UploadItem[]>
  /** A message to show once its conversation is open (from the Mentions view); n changes on every request. */
  jump?: { conversationId: string; messageId: string; n: number }
  /** The open thread panel (a thread of the open conversation). */
  thread?: ThreadPanel
  /** The threads the user follows (loaded at start and when the Threads view opens, then kept by events). */
  threadList: ThreadList
  /** The message search's query and results. */
  search: SearchState
}

export interface StoreOptions {
  api: Api
  me: User
  socket: ChatSocket
  /** The session is over (401, or the socket refused the token). */
  onSignedOut?: () => void
  /** The open conversation went away (left, removed, not found): the UI navigates home. */
  onLeft?: (id: string) => void
  /** Is the page visible (messages in the open conversation count as read)? */
  visible?: () => boolean
  /** Timeouts, shortened in tests. */
  ackTimeoutMs?: number
  gapWaitMs?: number
  /** How long to gather changes before fetching summaries again (mention counts). */
  summaryDelayMs?: number
  /** The bearer token, for requests made without the REST client (uploads with progress). */
  token?: () => string | undefined
  /** XMLHttpRequest, replaced in tests. */
  xhr?: () => XMLHttpRequest
}

/** The socket requests answered with an ack. */
type Request =
  | 'message:send'
  | 'message:edit'
  | 'message:delete'
  | 'message:react'
  | 'message:unreact'
  | 'message:pin'
  | 'message:unpin'
  | 'conversation:read'
  | 'sync'

export class StoreCore {
  private current: ChatState
  private readonly listeners = new Set<() => void>()
  private isStopped = false
  private noticeId = 0
  readonly api: Api
  readonly socket: ChatSocket
  readonly opts: StoreOptions
  /**
   * Each followed conversation's position in its event stream (sequencer.ts): the conversation list starts and
   * drops them, the event stream advances them, sync and read marks report them.
   */
  cursors: Record<string, seq.Cursor> = {}

  constructor(opts: StoreOptions) {
    this.opts = opts
    this.api = opts.api
    this.socket = opts.socket
    this.current = {
      me: opts.me,
      connection: 'connecting',
      browserOffline: false,
      listLoaded: false,
      conversations: {},
      timelines: {},
      pins: {},
      members: {},
      users: { [opts.me.id]: opts.me },
      presence: {},
      typing: {},
      loadingOlder: {},
      inbox: { items: [], loaded: false, loading: false },
      uploads: {},
      threadList: emptyThreadList,
      search: emptySearch,
    }
  }

  get state(): ChatState {
    return this.current
  }

  /** The store was stopped: nothing changes any more. */
  get stopped(): boolean {
    return this.isStopped
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  set(patch: Partial<ChatState> | ((s: ChatState) => Partial<ChatState>)) {
    if (this.isStopped) return
    const p = typeof patch === 'function' ? patch(this.current) : patch
    this.current = { ...this.current, ...p }
    for (const fn of this.listeners) fn()
  }

  stop() {
    this.isStopped = true
    this.listeners.clear()
  }

  /** Shows a short message to the user. */
  notify(text: string) {
    this.set({ notice: { id: ++this.noticeId, text } })
  }

  dismissNotice(id: number) {
    if (this.current.notice?.id === id) this.set({ notice: undefined })
  }

  /** The conversation the user is looking at (open and the page visible). */
  viewingId(): string | undefined {
    const visible = this.opts.visible?.() ?? true
    return visible ? this.current.activeId : undefined
  }

  updateConversation(id: string, f: (c: Conversation) => Conversation) {
    const c = this.current.conversations[id]
    if (!c) return
    const next = f(c)
    if (next !== c) this.set((s) => ({ conversations: { ...s.conversations, [id]: next } }))
  }

  updateTimeline(id: string, f: (t: tl.Timeline) => tl.Timeline) {
    this.set((s) => {
      const cur = s.timelines[id] ?? tl.emptyTimeline
      const next = f(cur)
      return next === cur ? {} : { timelines: { ...s.timelines, [id]: next } }
    })
  }

  /** Emits a request and resolves with its ack, or rejects after the ack timeout. */
  emit<E extends Request>(
    event: E,
    payload: Parameters<ClientToServer[E]>[0],
  ): Promise<Parameters<NonNullable<Parameters<ClientToServer[E]>[1]>>[0]> {
    const timeout = this.opts.ackTimeoutMs ?? 10000
    return new Promise((resolve, reject) => {
      if (!this.socket.connected) {
        reject(new ApiError({ code: 'network', detail: 'not connected' }))
        return
      }
      ;(this.socket.timeout(timeout) as unknown as {
        emit: (e: string, p: unknown, cb: (err: Error | null, ack: never) => void) => void
      }).emit(event, payload, (err, ack) => {
        if (err) reject(new ApiError({ code: 'network', detail: 'timed out' }))
        else resolve(ack)
      })
    })
  }
}
