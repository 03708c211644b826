// The chat client: owns the REST client and the socket, keeps the state the UI renders, and applies the server's
// events in seq order. React reads it with useSyncExternalStore; every change replaces the state object.
//
// ChatStore is the one object the UI uses. It wires the parts, each of one concern, and hands each call to its part:
//   core.ts        the state and its listeners, the REST client and socket, each conversation's cursor
//   connection.ts  the socket: connecting, reconnecting, routing its notices, catching up after a connect
//   list.ts        the conversations followed: loading, refreshing, adopting new ones, creating, joining, leaving
//   events.ts      applying events once and in seq order (sequencer.ts), and `sync` to fill holes
//   history.ts     opening a conversation, its latest and older pages (timeline.ts)
//   messages.ts    the user's sends (optimistic), retries, edits and deletes
//   reacting.ts    the user's reactions (optimistic toggles); tallies are kept by timeline.ts from events
//   pins.ts        the open conversation's pinned messages, pinning and unpinning
//   reads.ts       read positions sent and read receipts received
//   people.ts      users, members and presence
//   typing.ts      typing notices, received and sent
//   mentions.ts    the Mentions inbox and the notification settings (mention counts: conversations.ts, list.ts)
//   uploads.ts     files attached to the next message: uploads with progress, removed or sent with it
//   threads.ts     the thread panel (replies paged and kept by events, replying, read, follow) and the Threads list
//   search.ts      message search: query, pages, highlights
import { friendlyError } from '../lib/problem'
import { call } from '../api/client'
import type { ChatEvent, Conversation, NotifyLevel, User } from '../api/types'
import { SocketConnection } from './connection'
import { StoreCore, type ChatState, type StoreOptions } from './core'
import { EventStream } from './events'
import { History } from './history'
import { ConversationList } from './list'
import { Mentions } from './mentions'
import { Messages } from './messages'
import { People } from './people'
import { Pins } from './pins'
import { Reacting } from './reacting'
import { Reads } from './reads'
import { Search } from './search'
import { Threads } from './threads'
import { Typing } from './typing'
import { doneUploads, messageBody, Uploads } from './uploads'

export type { ChatSocket, ChatState, Connection, Notice, StoreOptions } from './core'

export class ChatStore {
  private readonly core: StoreCore
  private readonly people: People
  private readonly reads: Reads
  private readonly typing: Typing
  private readonly list: ConversationList
  private readonly events: EventStream
  private readonly history: History
  private readonly messages: Messages
  private readonly reacting: Reacting
  private readonly pins: Pins
  private readonly mentions: Mentions
  private readonly uploads: Uploads
  private readonly threads: Threads
  private readonly searching: Search
  private readonly connection: SocketConnection

  constructor(opts: StoreOptions) {
    const core = new StoreCore(opts)
    this.core = core
    this.people = new People(core)
    this.reads = new Reads(core)
    this.typing = new Typing(core, this.people)
    // The list and the event stream need each other: events of an unknown conversation wait for its summary.
    this.list = new ConversationList(core, this.people, this.reads, (events) => this.events.ingest(events))
    this.events = new EventStream(core, this.list, this.people, this.reads)
    this.reads.onMentionsUncertain = (id) => this.list.refreshSummary(id)
    this.mentions = new Mentions(core, this.list, this.people)
    this.uploads = new Uploads(core)
    this.pins = new Pins(core)
    this.history = new History(core, this.list, this.people, this.reads, this.pins)
    this.messages = new Messages(core, this.typing)
    this.reacting = new Reacting(core)
    this.threads = new Threads(core)
    this.threads.ensureUsers = (ids) => this.people.ensureUsers(ids)
    this.events.threads = this.threads
    this.searching = new Search(core)
    this.searching.ensureUsers = (ids) => this.people.ensureUsers(ids)
    this.connection = new SocketConnection(core, {
      events: this.events,
      list: this.list,
      people: this.people,
      reads: this.reads,
      typing: this.typing,
    })
  }

  // ---- React binding ----

  subscribe = (fn: () => void): (() => void) => this.core.subscribe(fn)

  getState = (): ChatState => this.core.state

  /** Shows a short message to the user. */
  notify(text: string) {
    this.core.notify(text)
  }

  dismissNotice(id: number) {
    this.core.dismissNotice(id)
  }

  // ---- lifecycle ----

  /** Loads the conversation list, then connects the socket (which syncs from the list's positions). */
  start(): Promise<void> {
    return this.connection.start()
  }

  stop() {
    this.core.stop()
    this.events.stop()
    this.reads.stop()
    this.list.stop()
    this.uploads.stop()
    this.threads.stop()
    this.typing.stop()
    this.connection.stop()
  }

  /** The browser lost or regained its network: drop the socket at once rather than wait for a timeout. */
  setBrowserOnline(online: boolean) {
    this.connection.setBrowserOnline(online)
  }

  // ---- conversation list ----

  /** The conversations, most recently active first. */
  sorted(): Conversation[] {
    return this.list.sorted()
  }

  // ---- events ----

  /** Applies events from any source (live or sync), each once and in seq order per conversation. */
  ingest(events: readonly ChatEvent[]) {
    this.events.ingest(events)
  }

  /** Asks the server for every event after our positions (after a reconnect, or to fill a hole). */
  sync(): Promise<void> {
    return this.events.sync()
  }

  // ---- opening a conversation ----

  /** Opens a conversation: loads its latest page, its members, and marks it read. */
  open(id: string | undefined) {
    this.history.open(id)
  }

  /** Loads the page of history before the oldest message shown. */
  loadOlder(id: string): Promise<void> {
    return this.history.loadOlder(id)
  }

  /** Fetches users not known yet (names of senders and members). */
  ensureUsers(ids: readonly string[]) {
    this.people.ensureUsers(ids)
  }

  // ---- read positions ----

  /** Page became visible again: the open conversation is being read. */
  onVisible() {
    this.reads.onVisible()
  }

  /** Marks the conversation read up to the latest event we applied. */
  markRead(id: string): Promise<void> {
    return this.reads.markRead(id)
  }

  // ---- typing ----

  /** The user typed in the composer (typing=true) or sent/cleared it (false). Throttled. */
  setTyping(conversationId: string, typing: boolean) {
    this.typing.setTyping(conversationId, typing)
  }

  // ---- sending ----

  /** Sends a message optimistically: shown at once as pending, confirmed (or failed) by the server's answer. */
  send(conversationId: string, body: string, replyTo?: string): string {
    return this.messages.send(conversationId, body, replyTo)
  }

  /** Sends the composer's message: the caption (or else the files' names) with the uploads done, if any. Returns
   * false (and sends nothing) when there is nothing to send. */
  sendWithUploads(conversationId: string, text: string, replyTo?: string): boolean {
    const files = doneUploads(this.core.state.uploads[conversationId] ?? [])
    const body = messageBody(text, files)
    if (!body) return false
    this.messages.send(conversationId, body, replyTo, files.map((a) => ({ id: a.id, name: a.name, size: a.size })))
    this.uploads.clear(conversationId)
    return true
  }

  // ---- attachments ----

  /** Starts uploading files for the next message of the conversation. */
  attach(conversationId: string, files: readonly File[]) {
    this.uploads.add(conversationId, files)
  }

  /** Takes a file off the next message (stopping its upload). */
  unattach(conversationId: string, key: string) {
    this.uploads.remove(conversationId, key)
  }

  /** An attachment's content or thumbnail, fetched with the token. */
  async attachmentBlob(attachmentId: string, what: 'content' | 'thumbnail'): Promise<Blob> {
    const params = { params: { path: { attachmentId } }, parseAs: 'blob' as const }
    const r =
      what === 'content'
        ? await call(this.core.api.GET('/v1/attachments/{attachmentId}/content', params))
        : await call(this.core.api.GET('/v1/attachments/{attachmentId}/thumbnail', params))
    return r as unknown as Blob
  }

  // ---- mentions and notifications ----

  /** Loads the Mentions inbox's first page (again), or its next one. */
  loadMentions(more = false): Promise<void> {
    return this.mentions.load(more)
  }

  setNotifications(conversationId: string, level: NotifyLevel, muted: boolean): Promise<boolean> {
    return this.mentions.setNotifications(conversationId, level, muted)
  }

  /** Reports another member's message to the system's admins; says so when it is done. */
  async report(conversationId: string, messageId: string, reason: string): Promise<boolean> {
    try {
      await call(
        this.core.api.POST('/v1/conversations/{conversationId}/messages/{messageId}/reports', {
          params: { path: { conversationId, messageId } },
          body: reason ? { reason } : {},
        }),
      )
      this.core.notify('Reported. Thank you: an admin will look at it.')
      return true
    } catch (e) {
      this.core.notify(friendlyError(e))
      return false
    }
  }

  /** Shows a message once its conversation is open (and its message loaded). */
  requestJump(conversationId: string, messageId: string) {
    this.core.set((s) => ({ jump: { conversationId, messageId, n: (s.jump?.n ?? 0) + 1 } }))
  }

  clearJump(n: number) {
    if (this.core.state.jump?.n === n) this.core.set({ jump: undefined })
  }

  /** Sends a failed message again, with the same clientMsgId (the server stores it at most once). threadRootId:
   * a reply of the thread panel. */
  retry(conversationId: string, clientMsgId: string, threadRootId?: string) {
    this.messages.retry(conversationId, clientMsgId, threadRootId)
  }

  discard(conversationId: string, clientMsgId: string, threadRootId?: string) {
    this.messages.discard(conversationId, clientMsgId, threadRootId)
  }

  // ---- threads ----

  /** Opens the thread panel of a top-level message of the open conversation (jumpTo: a reply to show). */
  openThread(conversationId: string, rootId: string, jumpTo?: string): Promise<void> {
    return this.threads.open(conversationId, rootId, jumpTo)
  }

  closeThread() {
    this.threads.close()
  }

  /** Loads the open thread's replies before the oldest shown. */
  loadOlderReplies(): Promise<void> {
    return this.threads.loadOlder()
  }

  /** Replies in the open thread (optimistic, like send). */
  sendReply(conversationId: string, rootId: string, body: string): string {
    return this.messages.send(conversationId, body, undefined, undefined, rootId)
  }

  /** Follows or unfollows the open thread. */
  setThreadFollowing(following: boolean): Promise<boolean> {
    return this.threads.setFollowing(following)
  }

  /** Loads the Threads list's first page (again), or the next one. */
  loadThreads(more = false): Promise<void> {
    return this.threads.loadList(more)
  }

  // ---- search ----

  /** Searches messages (an empty query clears the results); conversationId: only that conversation. */
  search(q: string, conversationId?: string): Promise<void> {
    return this.searching.search(q, conversationId)
  }

  /** Loads the next page of results. */
  searchMore(): Promise<void> {
    return this.searching.more()
  }

  clearSearch() {
    this.searching.clear()
  }

  edit(conversationId: string, messageId: string, body: string): Promise<boolean> {
    return this.messages.edit(conversationId, messageId, body)
  }

  remove(conversationId: string, messageId: string): Promise<void> {
    return this.messages.remove(conversationId, messageId)
  }

  // ---- reactions and pins ----

  /** Adds the user's reaction (an emoji or a :shortcode:) to a message, or takes it back if they made it. */
  toggleReaction(conversationId: string, messageId: string, emoji: string): Promise<boolean> {
    return this.reacting.toggle(conversationId, messageId, emoji)
  }

  /** Adds (add=true) or takes back the user's reaction. */
  setReaction(conversationId: string, messageId: string, emoji: string, add: boolean): Promise<boolean> {
    return this.reacting.set(conversationId, messageId, emoji, add)
  }

  /** Pins or unpins a message (the change shows when its event arrives). */
  setPinned(conversationId: string, messageId: string, pinned: boolean): Promise<boolean> {
    return this.pins.setPinned(conversationId, messageId, pinned)
  }

  /** Loads the conversation's pinned messages again (after an error). */
  loadPins(id: string): Promise<void> {
    return this.pins.load(id)
  }

  // ---- directory, creating, joining, leaving ----

  searchUsers(q: string): Promise<User[]> {
    return this.people.searchUsers(q)
  }

  listChannels(q: string): Promise<Conversation[]> {
    return this.list.listChannels(q)
  }

  /** Creates a conversation (a direct one with the same person returns the existing one) and adds it. */
  create(kind: Conversation['kind'], memberIds: string[], title?: string, topic?: string): Promise<Conversation> {
    return this.list.create(kind, memberIds, title, topic)
  }

  join(id: string): Promise<Conversation> {
    return this.list.join(id)
  }

  leave(id: string): Promise<void> {
    return this.list.leave(id)
  }

  addMembers(id: string, userIds: string[]): Promise<void> {
    return this.people.addMembers(id, userIds)
  }

  async signOut() {
    try {
      await call(this.core.api.DELETE('/v1/sessions/current'))
    } catch {
      // The token is dropped either way.
    }
  }
}
