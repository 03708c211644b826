// The user's reactions: a click toggles one. The change shows at once (optimistic); the server's reaction event
// then changes nothing (the user's own reaction is counted once, see reactions.ts), and a refusal takes it back and
// shows why. Through the socket when connected, else REST.
import { call } from '../api/client'
import { friendlyError, fromAck } from '../lib/problem'
import type { StoreCore } from './core'
import { toggleMinePin } from './pins'
import { emojiOf, reactedWith } from './reactions'
import * as tl from './timeline'

export class Reacting {
  private readonly core: StoreCore

  constructor(core: StoreCore) {
    this.core = core
  }

  /** Adds the reaction (emoji or :shortcode:) if the user has not made it, else takes it back. */
  toggle(conversationId: string, messageId: string, emojiOrCode: string): Promise<boolean> {
    return this.set(conversationId, messageId, emojiOrCode, !this.mine(conversationId, messageId, emojiOf(emojiOrCode)))
  }

  private mine(conversationId: string, messageId: string, emoji: string): boolean {
    const m = this.core.state.timelines[conversationId]?.messages.find((x) => x.id === messageId)
    const pinned = this.core.state.pins[conversationId]?.items.find((x) => x.id === messageId)
    return reactedWith(m?.reactions ?? pinned?.reactions, emoji)
  }

  /** Adds (add=true) or takes back the user's reaction. Resolves to whether the server did it. */
  async set(conversationId: string, messageId: string, emojiOrCode: string, add: boolean): Promise<boolean> {
    const core = this.core
    const emoji = emojiOf(emojiOrCode)
    const shown = this.mine(conversationId, messageId, emoji) !== add
    if (shown) this.show(conversationId, messageId, emoji, add)
    try {
      if (core.socket.connected) {
        const ack = await core.emit(add ? 'message:react' : 'message:unreact', { conversationId, messageId, emoji: emojiOrCode })
        if (!ack.ok) throw fromAck(ack.error)
      } else {
        const params = { params: { path: { conversationId, messageId, emoji: emojiOrCode } } }
        await call(
          add
            ? core.api.PUT('/v1/conversations/{conversationId}/messages/{messageId}/reactions/{emoji}', params)
            : core.api.DELETE('/v1/conversations/{conversationId}/messages/{messageId}/reactions/{emoji}', params),
        )
      }
      return true
    } catch (e) {
      if (shown) this.show(conversationId, messageId, emoji, !add)
      core.notify(friendlyError(e))
      return false
    }
  }

  private show(conversationId: string, messageId: string, emoji: string, add: boolean) {
    const core = this.core
    const me = core.state.me.id
    core.updateTimeline(conversationId, (t) => tl.toggleMine(t, messageId, emoji, add))
    core.set((s) => {
      const p = s.pins[conversationId]
      const next = p && toggleMinePin(p, messageId, emoji, add, me)
      return next && next !== p ? { pins: { ...s.pins, [conversationId]: next } } : {}
    })
  }
}
