// The TypeScript SDK's real-time client (types in realtime.d.ts): delivers each conversation's events once and in
// seq order, resuming by seq after every reconnection and whenever a live event skips a seq. It drives a
// socket.io-client socket made by the `io` function the caller passes (socket.io-client 4.x), so the SDK itself
// has no runtime dependency.

/** A refused request: the ack {ok: false, error: {code, message, retryAfterMs?}}. */
export class RealtimeError extends Error {
  constructor(event, error) {
    super(`${event}: ${error.code}: ${error.message}`)
    this.name = 'RealtimeError'
    this.code = error.code
    this.retryAfterMs = error.retryAfterMs
  }
}

export class RealtimeClient {
  constructor(opts) {
    this.opts = { ackTimeoutMs: 10000, ...opts }
    this.cursors = new Map(Object.entries(opts.cursors ?? {}))
    this.closed = false
    this.syncing = null
    this.again = false
    this.socket = opts.io(opts.url, {
      auth: { token: opts.token },
      transports: opts.transports ?? ['websocket'],
      reconnection: true,
      autoConnect: false,
    })
    this.socket.on('event', (e) => this.#live(e))
    if (opts.onTyping) this.socket.on('typing', opts.onTyping)
    if (opts.onPresence) this.socket.on('presence', opts.onPresence)
    if (opts.onRead) this.socket.on('read', opts.onRead)
    this.socket.on('disconnect', (reason) => opts.onDisconnect?.(reason))
  }

  /** Connects, and resolves once the server accepted the handshake and the client caught up with its cursors. */
  connect() {
    return new Promise((resolve, reject) => {
      let first = true
      this.socket.on('connect', () => {
        if (!first) {
          this.resume() // a reconnection: catch up with what was missed meanwhile
          return
        }
        first = false
        this.sync().then(resolve, (err) => {
          this.close()
          reject(err)
        })
      })
      this.socket.once('connect_error', (err) => {
        if (!first) return
        this.close()
        reject(err)
      })
      this.socket.connect()
    })
  }

  close() {
    this.closed = true
    this.socket.disconnect()
  }

  /** The last seq delivered of a conversation (0: none). */
  cursor(conversationId) {
    return this.cursors.get(conversationId) ?? 0
  }

  #live(e) {
    if (this.#apply([e])) this.resume()
  }

  /** Delivers the events that come next in their conversations; true when one of them skipped a seq. */
  #apply(events) {
    let gap = false
    for (const e of events) {
      if (this.closed) return false
      const last = this.cursors.get(e.conversationId)
      if (last !== undefined && e.seq <= last) continue // delivered already
      if (last !== undefined && e.seq > last + 1) {
        gap = true // the sync brings it, in order
        continue
      }
      this.cursors.set(e.conversationId, e.seq)
      this.opts.onEvent?.(e)
    }
    return gap
  }

  /** Syncs in the background; calls made while one runs coalesce into one more. */
  resume() {
    if (this.syncing) {
      this.again = true
      return
    }
    this.syncing = (async () => {
      do {
        this.again = false
        try {
          await this.sync()
        } catch {
          if (!this.closed && this.socket.connected) setTimeout(() => this.resume(), 1000)
        }
      } while (this.again && !this.closed)
      this.syncing = null
    })()
  }

  /** Asks for every event after the cursors (and of the conversations listConversations names) and delivers them. */
  async sync() {
    if (this.opts.listConversations) {
      for (const c of await this.opts.listConversations()) {
        if (!this.cursors.has(c.id)) this.cursors.set(c.id, c.lastSeq)
      }
    }
    for (;;) {
      if (this.cursors.size === 0) return
      const ack = await this.request('sync', { cursors: Object.fromEntries(this.cursors), ...(this.opts.syncLimit ? { limit: this.opts.syncLimit } : {}) })
      this.#apply(ack.events) // each conversation's events dense and in seq order
      if (ack.truncated.length === 0) return
    }
  }

  /** Emits a request and resolves with its ok ack; rejects with RealtimeError when refused, Error on timeout. */
  request(event, payload) {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('realtime: the client is closed'))
      this.socket.timeout(this.opts.ackTimeoutMs).emit(event, payload, (err, ack) => {
        if (err) reject(new Error(`${event}: no ack within ${this.opts.ackTimeoutMs} ms`))
        else if (ack?.ok !== true) reject(new RealtimeError(event, ack?.error ?? { code: 'internal', message: 'malformed ack' }))
        else resolve(ack)
      })
    })
  }

  send(req) {
    return this.request('message:send', req)
  }

  edit(req) {
    return this.request('message:edit', req)
  }

  delete(req) {
    return this.request('message:delete', req)
  }

  markRead(req) {
    return this.request('conversation:read', req)
  }

  typing(req) {
    this.socket.emit('typing', req)
  }
}
