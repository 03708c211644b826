// The user's own messages: optimistic sends (shown at once, then confirmed or failed), retries, edits and deletes.
// Each goes through the socket with an ack when it is connected, else through REST.
import { call } from '../api/client'
import type { Message } from '../api/types'
import { friendlyError, fromAck } from '../lib/problem'
import { newClientMsgId } from '../lib/ids'
import type { StoreCore } from './core'
import * as tl from './timeline'
import type { Typing } from './typing'

export class Messages {
  private readonly core: StoreCore
  private readonly typing: Typing

  constructor(core: StoreCore, typing: Typing) {
    this.core = core
    this.typing = typing
  }

  /** Sends a message optimistically: shown at once as pending, confirmed (or failed) by the server's answer. */
  send(conversationId: string, body: string, replyTo?: string, attachments?: tl.PendingAttachment[], threadRootId?: string): string {
    const clientMsgId = newClientMsgId()
    const p: tl.PendingMessage = { clientMsgId, body, replyTo, createdAt: new Date().toISOString(), status: 'sending' }
    if (attachments?.length) p.attachments = attachments
    if (threadRootId) p.threadRootId = threadRootId
    this.update(conversationId, threadRootId, (t) => tl.addPending(t, p))
    this.typing.setTyping(conversationId, false)
    void this.deliver(conversationId, p)
    return clientMsgId
  }

  /** The timeline a send goes to: the conversation's, or the open thread panel's replies (threadRootId). */
  private update(conversationId: string, threadRootId: string | undefined, f: (t: tl.Timeline) => tl.Timeline) {
    if (!threadRootId) {
      this.core.updateTimeline(conversationId, f)
      return
    }
    this.core.set((s) => {
      const p = s.thread
      if (!p || p.conversationId !== conversationId || p.rootId !== threadRootId) return {}
      const replies = f(p.replies)
      return replies === p.replies ? {} : { thread: { ...p, replies } }
    })
  }

  /** Sends a failed message again, with the same clientMsgId (the server stores it at most once). */
  retry(conversationId: string, clientMsgId: string, threadRootId?: string) {
    const t = threadRootId ? this.core.state.thread?.replies : this.core.state.timelines[conversationId]
    const p = t?.pending.find((x) => x.clientMsgId === clientMsgId)
    if (!p) return
    this.update(conversationId, threadRootId, (t) => tl.setPendingStatus(t, clientMsgId, 'sending'))
    void this.deliver(conversationId, p)
  }

  discard(conversationId: string, clientMsgId: string, threadRootId?: string) {
    this.update(conversationId, threadRootId, (t) => tl.removePending(t, clientMsgId))
  }

  private async deliver(conversationId: string, p: tl.PendingMessage) {
    const core = this.core
    const me = core.state.me.id
    try {
      let message: Message
      if (core.socket.connected) {
        const ack = await core.emit('message:send', {
          conversationId,
          clientMsgId: p.clientMsgId,
          body: p.body,
          ...(p.replyTo ? { replyTo: p.replyTo } : {}),
          ...(p.threadRootId ? { threadRootId: p.threadRootId } : {}),
          ...(p.attachments?.length ? { attachmentIds: p.attachments.map((a) => a.id) } : {}),
        })
        if (!ack.ok) throw fromAck(ack.error)
        message = ack.message
      } else {
        message = await call(
          core.api.POST('/v1/conversations/{conversationId}/messages', {
            params: { path: { conversationId } },
            body: {
              clientMsgId: p.clientMsgId,
              body: p.body,
              ...(p.replyTo ? { replyTo: p.replyTo } : {}),
              ...(p.threadRootId ? { threadRootId: p.threadRootId } : {}),
              ...(p.attachments?.length ? { attachmentIds: p.attachments.map((a) => a.id) } : {}),
            },
          }),
        )
      }
      this.update(conversationId, p.threadRootId, (t) => tl.confirmSend(t, p.clientMsgId, message, me))
    } catch (e) {
      this.update(conversationId, p.threadRootId, (t) => tl.setPendingStatus(t, p.clientMsgId, 'failed', friendlyError(e, 'send')))
    }
  }

  async edit(conversationId: string, messageId: string, body: string) {
    const core = this.core
    try {
      let m: Message
      if (core.socket.connected) {
        const ack = await core.emit('message:edit', { conversationId, messageId, body })
        if (!ack.ok) throw fromAck(ack.error)
        m = ack.message
      } else {
        m = await call(
          core.api.PATCH('/v1/conversations/{conversationId}/messages/{messageId}', {
            params: { path: { conversationId, messageId } },
            body: { body },
          }),
        )
      }
      core.updateTimeline(conversationId, (t) => tl.mergeMessages(t, [m], core.state.me.id))
      if (m.threadRootId) this.update(conversationId, m.threadRootId, (t) => tl.mergeMessages(t, [m], core.state.me.id))
      return true
    } catch (e) {
      core.notify(friendlyError(e))
      return false
    }
  }

  async remove(conversationId: string, messageId: string) {
    const core = this.core
    try {
      let m: Message
      if (core.socket.connected) {
        const ack = await core.emit('message:delete', { conversationId, messageId })
        if (!ack.ok) throw fromAck(ack.error)
        m = ack.message
      } else {
        m = await call(
          core.api.DELETE('/v1/conversations/{conversationId}/messages/{messageId}', {
            params: { path: { conversationId, messageId } },
          }),
        )
      }
      core.updateTimeline(conversationId, (t) => tl.mergeMessages(t, [m], core.state.me.id))
      if (m.threadRootId) this.update(conversationId, m.threadRootId, (t) => tl.mergeMessages(t, [m], core.state.me.id))
    } catch (e) {
      core.notify(friendlyError(e))
    }
  }
}
