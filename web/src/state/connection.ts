// The real-time connection: routes the socket's notices to the parts of the store, keeps `connection` (the banner)
// up to date, reconnects where socket.io-client does not, and catches up after each (re)connect.
import type { StoreCore } from './core'
import type { EventStream } from './events'
import type { ConversationList } from './list'
import type { People } from './people'
import type { Reads } from './reads'
import type { Typing } from './typing'

export interface ConnectionParts {
  events: EventStream
  list: ConversationList
  people: People
  reads: Reads
  typing: Typing
}

export class SocketConnection {
  private readonly core: StoreCore
  private readonly parts: ConnectionParts
  private connectedOnce = false

  constructor(core: StoreCore, parts: ConnectionParts) {
    this.core = core
    this.parts = parts
  }

  /** Loads the conversation list, then connects the socket (which syncs from the list's positions). */
  async start() {
    const core = this.core
    const { events, list, people, reads, typing } = this.parts
    const s = core.socket
    s.on('connect', () => this.onConnect())
    s.on('disconnect', (reason) => {
      core.set({ connection: 'reconnecting' })
      // The server closed the socket on purpose (e.g. restarting): socket.io-client does not retry by itself then.
      if (reason === 'io server disconnect' && !core.state.browserOffline) setTimeout(() => this.connect(), 500)
    })
    s.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      if (err.data?.code === 'unauthenticated') {
        core.opts.onSignedOut?.()
        return
      }
      core.set({ connection: this.connectedOnce ? 'reconnecting' : 'connecting' })
      if (!s.active && !core.state.browserOffline) setTimeout(() => this.connect(), 1000)
    })
    s.on('event', (e) => events.ingest([e]))
    s.on('typing', (t) => typing.onTyping(t.conversationId, t.userId, t.typing))
    s.on('presence', (p) => people.setPresence([p]))
    s.on('read', (r) => reads.onRead(r.conversationId, r.userId, r.seq))
    typing.start()
    await list.load()
    this.connect()
  }

  /** Drops the socket and its handlers for good. */
  stop() {
    this.core.socket.removeAllListeners()
    this.core.socket.disconnect()
  }

  private connect() {
    if (this.core.stopped || this.core.socket.connected) return
    this.core.socket.connect()
  }

  /** The browser lost or regained its network: drop the socket at once rather than wait for a timeout. */
  setBrowserOnline(online: boolean) {
    if (!online) {
      this.core.set({ browserOffline: true, connection: 'reconnecting' })
      this.core.socket.disconnect()
    } else {
      this.core.set({ browserOffline: false })
      this.connect()
    }
  }

  private async onConnect() {
    const core = this.core
    const { events, list, people, reads } = this.parts
    const first = !this.connectedOnce
    this.connectedOnce = true
    await events.sync()
    // After a reconnect: conversations joined or left meanwhile. After a first connect: only if the list failed.
    if (!first || core.state.listError) await list.refresh()
    if (core.socket.connected) core.set({ connection: 'online' })
    const active = core.state.activeId
    if (active) {
      people.loadMembers(active)
      reads.scheduleRead(active)
    }
    void people.loadPresence()
  }
}
