// Threads: the thread panel (one thread of the open conversation: its root, its replies paged back from
// GET .../threads/{rootId}/messages and then kept by the conversation's sequenced events, a composer that replies
// in it), and the Threads view (GET /v1/threads: the threads the user follows, with unread replies, and the badge
// `unreadThreads`). The reply counts on the roots of the main timeline are kept by timeline.ts.
//
// The panel's replies are a timeline (timeline.ts) restricted to the thread: a page and live events merge by
// message id, so the events that arrive while a page loads are applied once whichever came first; the event stream
// applies each event once, in seq order (events.ts).
//
// The Threads list is kept by reply events too: a reply by someone else in a followed thread raises its unread
// count (once per reply id), a delete lowers it; a reply in a thread the list does not have (the user may follow it
// now: they wrote its root or the reply) asks the server for the list again, as do events that arrive while it loads.
import { call } from '../api/client'
import type { ChatEvent, Message, Thread } from '../api/types'
import { friendlyError } from '../lib/problem'
import type { StoreCore } from './core'
import * as tl from './timeline'

/** Replies per page in the thread panel. */
const PAGE = 50

export interface ThreadPanel {
  conversationId: string
  rootId: string
  /** The root as GET .../threads/{rootId} returned it (the main timeline's copy is newer when it is loaded). */
  root?: Message
  /** The replies, ascending seq, with the user's replies being sent. */
  replies: tl.Timeline
  following?: boolean
  /** The user's read position in the thread, as the server has it. */
  readSeq: number
  loadingOlder: boolean
  error?: string
  /** A reply to bring into view once loaded (from search); n changes on every request. */
  jump?: { messageId: string; n: number }
}

export interface ThreadList {
  /** Followed threads, most recent reply first. */
  items: Thread[]
  next?: string
  /** Followed threads with unread replies (all pages). */
  unreadThreads: number
  loaded: boolean
  loading: boolean
  error?: string
  /** Events came while it was loading: load it again. */
  stale: boolean
  /** Replies counted by events, by id (each counts once). */
  seen: Readonly<Record<string, true>>
}

export const emptyThreadList: ThreadList = { items: [], unreadThreads: 0, loaded: false, loading: false, stale: false, seen: {} }

export function newPanel(conversationId: string, rootId: string, jumpTo?: string, n = 0): ThreadPanel {
  return {
    conversationId,
    rootId,
    replies: tl.threadTimeline(rootId),
    readSeq: 0,
    loadingOlder: false,
    ...(jumpTo ? { jump: { messageId: jumpTo, n } } : {}),
  }
}

/** Applies a sequenced event of the conversation to the open panel: its replies and its root. */
export function applyPanelEvent(p: ThreadPanel, ev: ChatEvent, me: string): ThreadPanel {
  if (ev.conversationId !== p.conversationId) return p
  const replies = tl.applyEvent(p.replies, ev, me)
  const m = ev.data.message
  let root = p.root
  if (root && m && m.id === p.rootId && (ev.type === 'message.edited' || ev.type === 'message.deleted')) {
    const n = tl.newerMessage(root, m)
    if (n !== root) root = { ...n, thread: root.thread, reactions: n.deletedAt ? [] : root.reactions }
  }
  // Replying follows the thread (the server does the same).
  const following = ev.type === 'message.created' && m?.threadRootId === p.rootId && m.senderId === me ? true : p.following
  return replies === p.replies && root === p.root && following === p.following ? p : { ...p, replies, root, following }
}

/** A page of replies (older=true: the one before the oldest shown). */
export function addRepliesPage(p: ThreadPanel, items: readonly Message[], hasOlder: boolean, me: string): ThreadPanel {
  return { ...p, replies: tl.addPage(p.replies, items, hasOlder, me), loadingOlder: false }
}

/** The seq of the latest reply loaded (what opening the panel marks read), 0 when none. */
export function latestReplySeq(p: ThreadPanel): number {
  return tl.latestSeq(p.replies)
}

/** Replies after the read position by others, not deleted, among those loaded. */
export function unreadInPanel(p: ThreadPanel, me: string): number {
  return tl.countUnread(p.replies, p.readSeq, me)
}

const sameThread = (t: Thread, conversationId: string, rootId: string) => t.root.id === rootId && t.root.conversationId === conversationId

/** Applies a sequenced event to the Threads list. refetch: the list cannot tell (a reply in a thread it does not
 * have, or the list is loading): the caller loads it again. */
export function applyThreadListEvent(list: ThreadList, ev: ChatEvent, me: string): { list: ThreadList; refetch: boolean } {
  const m = ev.data.message
  const rootId = m?.threadRootId
  if (!m || !rootId || (ev.type !== 'message.created' && ev.type !== 'message.deleted')) return { list, refetch: false }
  if (!list.loaded && !list.loading) return { list, refetch: false } // nothing shown yet: the first load brings it
  if (list.loading) return { list: list.stale ? list : { ...list, stale: true }, refetch: false }
  const key = `${ev.type === 'message.created' ? '+' : '-'}${m.id}`
  if (list.seen[key]) return { list, refetch: false }
  const seen = { ...list.seen, [key]: true as const }
  const i = list.items.findIndex((t) => sameThread(t, ev.conversationId, rootId))
  if (i < 0) return { list: { ...list, seen }, refetch: ev.type === 'message.created' }
  const cur = list.items[i]
  const info = cur.root.thread ?? tl.noReplies
  let next: Thread
  let unreadThreads = list.unreadThreads
  if (ev.type === 'message.created') {
    const counts = m.senderId !== me && cur.following && ev.seq > cur.readSeq
    next = {
      ...cur,
      root: { ...cur.root, thread: tl.addReply(info, m) },
      unread: counts ? cur.unread + 1 : cur.unread,
      following: m.senderId === me ? true : cur.following,
    }
    if (counts && cur.unread === 0) unreadThreads++
  } else {
    const counted = m.senderId !== me && m.seq > cur.readSeq && cur.unread > 0
    next = { ...cur, root: { ...cur.root, thread: tl.removeReply(info) }, unread: counted ? cur.unread - 1 : cur.unread }
    if (counted && next.unread === 0) unreadThreads = Math.max(0, unreadThreads - 1)
  }
  const items = list.items.slice()
  items.splice(i, 1)
  // Most recent reply first: a new reply brings its thread to the top.
  if (ev.type === 'message.created') items.unshift(next)
  else items.splice(i, 0, next)
  return { list: { ...list, items, unreadThreads, seen }, refetch: false }
}

/** The user read the thread up to seq: its unread replies go (all of them when seq is its latest). */
export function threadListRead(list: ThreadList, conversationId: string, rootId: string, seq: number): ThreadList {
  const i = list.items.findIndex((t) => sameThread(t, conversationId, rootId))
  if (i < 0) return list
  const cur = list.items[i]
  if (seq <= cur.readSeq && cur.unread === 0) return list
  const items = list.items.slice()
  items[i] = { ...cur, readSeq: Math.max(cur.readSeq, seq), unread: 0 }
  const unreadThreads = cur.unread > 0 ? Math.max(0, list.unreadThreads - 1) : list.unreadThreads
  return { ...list, items, unreadThreads }
}

/** A page of the Threads list (reset: the first page, replacing what was shown). */
export function addThreadsPage(list: ThreadList, items: readonly Thread[], next: string | undefined, unreadThreads: number, reset: boolean): ThreadList {
  const base = reset ? [] : list.items
  const have = new Set(base.map((t) => `${t.root.conversationId}/${t.root.id}`))
  return {
    items: [...base, ...items.filter((t) => !have.has(`${t.root.conversationId}/${t.root.id}`))],
    next,
    unreadThreads,
    loaded: true,
    loading: false,
    stale: false,
    seen: reset ? {} : list.seen,
  }
}

export class Threads {
  private readonly core: StoreCore
  private refreshTimer?: ReturnType<typeof setTimeout>
  private readTimer?: ReturnType<typeof setTimeout>
  private jumps = 0

  constructor(core: StoreCore) {
    this.core = core
  }

  stop() {
    clearTimeout(this.refreshTimer)
    clearTimeout(this.readTimer)
  }

  private setPanel(f: (p: ThreadPanel) => ThreadPanel | undefined, conversationId: string, rootId: string) {
    this.core.set((s) => {
      const p = s.thread
      if (!p || p.conversationId !== conversationId || p.rootId !== rootId) return {}
      const next = f(p)
      return next === p ? {} : { thread: next }
    })
  }

  /** Opens the thread panel: the root and the user's state, the latest replies; then marks it read. jumpTo: a
   * reply to show once loaded. */
  async open(conversationId: string, rootId: string, jumpTo?: string) {
    const core = this.core
    const cur = core.state.thread
    if (cur && cur.conversationId === conversationId && cur.rootId === rootId) {
      if (jumpTo) this.setPanel((p) => ({ ...p, jump: { messageId: jumpTo, n: ++this.jumps } }), conversationId, rootId)
      return
    }
    core.set({ thread: newPanel(conversationId, rootId, jumpTo, ++this.jumps) })
    const path = { conversationId, rootId }
    const [state, page] = await Promise.allSettled([
      call(core.api.GET('/v1/conversations/{conversationId}/threads/{rootId}', { params: { path } })),
      call(core.api.GET('/v1/conversations/{conversationId}/threads/{rootId}/messages', { params: { path, query: { limit: PAGE } } })),
    ])
    const me = core.state.me.id
    this.setPanel(
      (p) => {
        let next = p
        if (state.status === 'fulfilled') next = { ...next, root: state.value.root, following: state.value.following, readSeq: state.value.readSeq }
        if (page.status === 'fulfilled') next = addRepliesPage(next, page.value.items, !!page.value.next, me)
        const failed = state.status === 'rejected' ? state.reason : page.status === 'rejected' ? page.reason : undefined
        if (failed) next = { ...next, error: friendlyError(failed) }
        return next
      },
      conversationId,
      rootId,
    )
    if (page.status === 'fulfilled') {
      const ids = page.value.items.map((m) => m.senderId)
      if (state.status === 'fulfilled') ids.push(state.value.root.senderId)
      this.ensureUsers?.(ids)
      void this.markRead()
    }
  }

  /** Set by the store: fetches the names of senders not known yet. */
  ensureUsers?: (ids: string[]) => void

  close() {
    if (this.core.state.thread) this.core.set({ thread: undefined })
  }

  /** Loads the page of replies before the oldest shown. */
  async loadOlder() {
    const core = this.core
    const p = core.state.thread
    if (!p || !p.replies.loaded || !p.replies.hasOlder || p.loadingOlder) return
    const before = tl.oldestSeq(p.replies)
    if (!before) return
    const { conversationId, rootId } = p
    this.setPanel((x) => ({ ...x, loadingOlder: true }), conversationId, rootId)
    try {
      const page = await call(
        core.api.GET('/v1/conversations/{conversationId}/threads/{rootId}/messages', {
          params: { path: { conversationId, rootId }, query: { before, limit: PAGE } },
        }),
      )
      this.setPanel((x) => addRepliesPage(x, page.items, !!page.next, core.state.me.id), conversationId, rootId)
      this.ensureUsers?.(page.items.map((m) => m.senderId))
    } catch (e) {
      this.setPanel((x) => ({ ...x, loadingOlder: false }), conversationId, rootId)
      core.notify(friendlyError(e))
    }
  }

  /** A reply by someone else came into the open panel: read it shortly (when the page is visible). */
  scheduleRead() {
    clearTimeout(this.readTimer)
    this.readTimer = setTimeout(() => void this.markRead(), 250)
  }

  /** Marks the open thread read up to its latest reply. */
  async markRead() {
    const core = this.core
    const p = core.state.thread
    if (!p || core.viewingId() !== p.conversationId) return
    const seq = latestReplySeq(p)
    if (seq <= p.readSeq) return
    const { conversationId, rootId } = p
    this.setPanel((x) => ({ ...x, readSeq: Math.max(x.readSeq, seq) }), conversationId, rootId)
    core.set((s) => ({ threadList: threadListRead(s.threadList, conversationId, rootId, seq) }))
    try {
      await call(
        core.api.POST('/v1/conversations/{conversationId}/threads/{rootId}/read', {
          params: { path: { conversationId, rootId } },
          body: { seq },
        }),
      )
    } catch {
      // The next open or reply tries again.
      this.setPanel((x) => (x.readSeq === seq ? { ...x, readSeq: p.readSeq } : x), conversationId, rootId)
    }
  }

  /** Follows (true) or unfollows the open thread. */
  async setFollowing(following: boolean): Promise<boolean> {
    const core = this.core
    const p = core.state.thread
    if (!p) return false
    const { conversationId, rootId } = p
    const params = { params: { path: { conversationId, rootId } } }
    try {
      const r = await call(
        following
          ? core.api.PUT('/v1/conversations/{conversationId}/threads/{rootId}/follow', params)
          : core.api.DELETE('/v1/conversations/{conversationId}/threads/{rootId}/follow', params),
      )
      this.setPanel((x) => ({ ...x, following: r.following, readSeq: Math.max(x.readSeq, r.readSeq) }), conversationId, rootId)
      this.scheduleRefresh(0)
      return true
    } catch (e) {
      core.notify(friendlyError(e))
      return false
    }
  }

  /** Loads the Threads list's first page (again), or its next one. */
  async loadList(more = false) {
    const core = this.core
    const cur = core.state.threadList
    if (cur.loading || (more && !cur.next)) return
    core.set((s) => ({ threadList: { ...s.threadList, loading: true, error: undefined } }))
    try {
      const r = await call(core.api.GET('/v1/threads', { params: { query: { limit: 30, cursor: more ? cur.next : undefined } } }))
      const stale = core.state.threadList.stale
      core.set((s) => ({ threadList: addThreadsPage(s.threadList, r.items, r.next, r.unreadThreads, !more) }))
      this.ensureUsers?.(r.items.map((t) => t.root.senderId))
      if (stale) this.scheduleRefresh(0)
    } catch (e) {
      const error = friendlyError(e)
      core.set((s) => ({ threadList: { ...s.threadList, loading: false, error } }))
    }
  }

  /** Loads the list again shortly (gathering the replies of a burst into one request). */
  scheduleRefresh(delayMs = 500) {
    clearTimeout(this.refreshTimer)
    this.refreshTimer = setTimeout(() => void this.loadList(), delayMs)
  }
}
