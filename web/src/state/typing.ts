// Typing notices: who is typing where (from the socket, each notice expiring unless renewed), and the user's own
// typing, sent throttled.
import type { ChatState, StoreCore } from './core'
import type { People } from './people'

/** How long a typing notice holds without a new one. */
const TYPING_TTL = 6000

export class Typing {
  private readonly core: StoreCore
  private readonly people: People
  private typingTimer?: ReturnType<typeof setInterval>
  private typingSent: Record<string, { at: number; stop?: ReturnType<typeof setTimeout> }> = {}

  constructor(core: StoreCore, people: People) {
    this.core = core
    this.people = people
  }

  start() {
    this.typingTimer = setInterval(() => this.expireTyping(), 1000)
  }

  stop() {
    clearInterval(this.typingTimer)
    for (const t of Object.values(this.typingSent)) clearTimeout(t.stop)
  }

  /** A typing notice from the socket. */
  onTyping(conversationId: string, userId: string, typing: boolean) {
    if (userId === this.core.state.me.id) return
    this.core.set((s) => {
      const cur = { ...(s.typing[conversationId] ?? {}) }
      if (typing) cur[userId] = Date.now() + TYPING_TTL
      else delete cur[userId]
      return { typing: { ...s.typing, [conversationId]: cur } }
    })
    if (typing) this.people.ensureUsers([userId])
  }

  private expireTyping() {
    const now = Date.now()
    let changed = false
    const typing: ChatState['typing'] = {}
    for (const [cid, users] of Object.entries(this.core.state.typing)) {
      const keep: Record<string, number> = {}
      for (const [uid, exp] of Object.entries(users)) {
        if (exp > now) keep[uid] = exp
        else changed = true
      }
      typing[cid] = keep
    }
    if (changed) this.core.set({ typing })
  }

  /** The user typed in the composer (typing=true) or sent/cleared it (false). Throttled. */
  setTyping(conversationId: string, typing: boolean) {
    const socket = this.core.socket
    if (!socket.connected) return
    const t = (this.typingSent[conversationId] ??= { at: 0 })
    clearTimeout(t.stop)
    if (!typing) {
      if (t.at) socket.emit('typing', { conversationId, typing: false })
      t.at = 0
      return
    }
    const now = Date.now()
    if (now - t.at > 2500) {
      socket.emit('typing', { conversationId, typing: true })
      t.at = now
    }
    t.stop = setTimeout(() => this.setTyping(conversationId, false), 4000)
  }
}
