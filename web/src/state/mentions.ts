// The user's mentions: the inbox of messages that mention them (GET /v1/mentions, newest first, paged), kept
// current by the event stream while it is loaded, and the per-conversation notification settings (level, mute).
// The sidebar's mention counts are the summaries' `mentions`, kept by conversations.ts and list.ts.
import { call } from '../api/client'
import type { ChatEvent, Message, NotifyLevel } from '../api/types'
import { friendlyError } from '../lib/problem'
import { mentionsUser } from '../lib/mentions'
import type { StoreCore } from './core'
import type { ConversationList } from './list'
import type { People } from './people'

export interface MentionInbox {
  /** Messages mentioning the user, newest first. */
  items: Message[]
  /** Cursor of the next (older) page; undefined when there is none. */
  next?: string
  loaded: boolean
  loading: boolean
  error?: string
}

export const emptyInbox: MentionInbox = { items: [], loaded: false, loading: false }


/** Applies a sequenced event to a loaded inbox: a new message that mentions the user goes on top, an edit
 * updates (or drops, or adds) it, a delete drops it. */
export function applyInboxEvent(inbox: MentionInbox, ev: ChatEvent, me: string): MentionInbox {
  const m = ev.data.message
  if (!inbox.loaded || !m) return inbox
  if (ev.type !== 'message.created' && ev.type !== 'message.edited' && ev.type !== 'message.deleted') return inbox
  const i = inbox.items.findIndex((x) => x.id === m.id)
  const mentions = ev.type !== 'message.deleted' && mentionsUser(m, me)
  if (!mentions) return i < 0 ? inbox : { ...inbox, items: inbox.items.filter((x) => x.id !== m.id) }
  if (i >= 0) {
    const items = inbox.items.slice()
    items[i] = { ...items[i], body: m.body, editedAt: m.editedAt, mentions: m.mentions, mentionAll: m.mentionAll }
    return { ...inbox, items }
  }
  // Newest first: a message newer than the newest shown goes on top; an older one (an edit that adds a mention)
  // goes in its place if it falls within the loaded pages.
  const items = [...inbox.items, m].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
  if (inbox.next && items[items.length - 1].id === m.id) return inbox // older than what is loaded: its page brings it
  return { ...inbox, items }
}

/** Appends a page, each message once. */
export function addInboxPage(inbox: MentionInbox, page: readonly Message[], next: string | undefined, reset: boolean): MentionInbox {
  const base = reset ? [] : inbox.items
  const seen = new Set(base.map((m) => m.id))
  return { items: [...base, ...page.filter((m) => !seen.has(m.id))], next, loaded: true, loading: false }
}

export class Mentions {
  private readonly core: StoreCore
  private readonly list: ConversationList
  private readonly people: People

  constructor(core: StoreCore, list: ConversationList, people: People) {
    this.core = core
    this.list = list
    this.people = people
  }

  /** Loads the inbox's first page (again), or the next one (more=true). */
  async load(more = false) {
    const core = this.core
    const cur = core.state.inbox
    if (cur.loading || (more && !cur.next)) return
    core.set((s) => ({ inbox: { ...s.inbox, loading: true, error: undefined } }))
    try {
      const r = await call(core.api.GET('/v1/mentions', { params: { query: { limit: 30, cursor: more ? cur.next : undefined } } }))
      core.set((s) => ({ inbox: addInboxPage(s.inbox, r.items, r.next, !more) }))
      this.people.ensureUsers(r.items.map((m) => m.senderId))
    } catch (e) {
      const error = friendlyError(e)
      core.set((s) => ({ inbox: { ...s.inbox, loading: false, error } }))
    }
  }

  /** Sets what the user wants to hear about in a conversation, and whether it is muted. */
  async setNotifications(id: string, level: NotifyLevel, muted: boolean): Promise<boolean> {
    const core = this.core
    try {
      const c = await call(
        core.api.PUT('/v1/conversations/{conversationId}/notifications', {
          params: { path: { conversationId: id } },
          body: { level, muted },
        }),
      )
      this.list.applySettings(c)
      return true
    } catch (e) {
      core.notify(friendlyError(e))
      return false
    }
  }
}
