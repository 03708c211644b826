import { describe, expect, it } from 'vitest'
import type { Thread } from '../api/types'
import { BOB, CONV, ME, created, deleted, msg } from '../test/fixtures'
import { addPage, applyEvent, emptyTimeline, threadOf } from './timeline'
import { addRepliesPage, addThreadsPage, applyPanelEvent, applyThreadListEvent, emptyThreadList, latestReplySeq, newPanel, threadListRead, unreadInPanel } from './threads'
import { applyEventToConversation } from './conversations'
import { conversation } from '../test/fixtures'

const reply = (seq: number, rootId: string, senderId = BOB) => created(seq, { threadRootId: rootId, senderId })

describe('main timeline and thread replies', () => {
  it('keeps replies out of the timeline and counts them on their root, once per reply', () => {
    let t = addPage(emptyTimeline, [msg(1), msg(2)], false)
    const r3 = reply(3, 'm-1')
    t = applyEvent(t, r3, ME)
    t = applyEvent(t, reply(4, 'm-1', ME), ME)
    expect(t.messages.map((m) => m.id)).toEqual(['m-1', 'm-2'])
    const info = threadOf(t, t.messages[0])
    expect(info?.replyCount).toBe(2)
    expect(info?.participants).toEqual([BOB, ME].sort())
    expect(info?.lastReplyAt).toBe(reply(4, 'm-1').data.message?.createdAt)
    expect(threadOf(t, t.messages[1])).toBeUndefined()
    // The same event again (a replay, or sync overlapping live delivery) changes nothing.
    expect(applyEvent(t, r3, ME)).toBe(t)
  })

  it('starts from the page snapshot and lowers the count when a reply is deleted, once', () => {
    let t = addPage(emptyTimeline, [msg(1, { thread: { replyCount: 2, lastReplyAt: msg(5).createdAt, participants: [BOB] } })], false)
    const gone = deleted(7, msg(5, { threadRootId: 'm-1' }))
    t = applyEvent(t, gone, ME)
    expect(threadOf(t, t.messages[0])?.replyCount).toBe(1)
    expect(applyEvent(t, gone, ME)).toBe(t)
    t = applyEvent(t, deleted(8, msg(6, { threadRootId: 'm-1' })), ME)
    expect(threadOf(t, t.messages[0])).toBeUndefined() // no replies left: no link
  })

  it('a root created live has no replies; replies then count', () => {
    let t = addPage(emptyTimeline, [], false)
    t = applyEvent(t, created(1), ME)
    t = applyEvent(t, reply(2, 'm-1'), ME)
    expect(threadOf(t, t.messages[0])?.replyCount).toBe(1)
  })

  it('a root confirmed by its ack before its event still counts replies', () => {
    let t = addPage(emptyTimeline, [], false)
    const mine = msg(1, { senderId: ME })
    t = { ...t, messages: [mine] } // the send's ack brought it
    t = applyEvent(t, created(1, { senderId: ME }), ME)
    t = applyEvent(t, reply(2, 'm-1'), ME)
    expect(threadOf(t, t.messages[0])?.replyCount).toBe(1)
  })

  it("replies seen before the root's page are added when newer than its snapshot", () => {
    let t = emptyTimeline
    t = applyEvent(t, reply(10, 'm-1'), ME) // root not loaded yet
    t = applyEvent(t, reply(11, 'm-1'), ME)
    // The page was read after reply 10 but before 11.
    const snap = { replyCount: 3, lastReplyAt: msg(10).createdAt, participants: [BOB] }
    t = addPage(t, [msg(1, { thread: snap })], false)
    expect(threadOf(t, t.messages[0])?.replyCount).toBe(4)
    // A later page carrying the same root again keeps what events made of it.
    t = addPage(t, [msg(1, { thread: snap })], false)
    expect(threadOf(t, t.messages[0])?.replyCount).toBe(4)
  })

  it('replies do not touch the summary: no unread, no last message', () => {
    const c = conversation({ lastMessage: msg(1), lastSeq: 1 })
    const next = applyEventToConversation(c, reply(2, 'm-1'), { me: ME, viewing: false })
    expect(next.unread).toBe(0)
    expect(next.lastMessage?.id).toBe('m-1')
    expect(next.lastSeq).toBe(2)
    const del = applyEventToConversation({ ...next, unread: 1 }, deleted(3, msg(2, { threadRootId: 'm-1' })), { me: ME, viewing: false })
    expect(del.unread).toBe(1)
  })
})

describe('thread panel', () => {
  it('merges its page with live events: each reply once, in seq order, other messages left out', () => {
    let p = newPanel(CONV, 'm-1')
    // Live events arrive while the page loads.
    p = applyPanelEvent(p, reply(5, 'm-1'), ME)
    p = applyPanelEvent(p, created(6), ME) // top-level: not the thread's
    p = applyPanelEvent(p, reply(7, 'm-9'), ME) // another thread
    p = addRepliesPage(p, [msg(3, { threadRootId: 'm-1' }), msg(5, { threadRootId: 'm-1' })], true, ME)
    p = applyPanelEvent(p, reply(8, 'm-1'), ME)
    expect(p.replies.messages.map((m) => m.seq)).toEqual([3, 5, 8])
    expect(p.replies.hasOlder).toBe(true)
    expect(latestReplySeq(p)).toBe(8)
    // Older page.
    p = addRepliesPage(p, [msg(2, { threadRootId: 'm-1' })], false, ME)
    expect(p.replies.messages.map((m) => m.seq)).toEqual([2, 3, 5, 8])
    expect(p.replies.hasOlder).toBe(false)
    // Replays change nothing.
    expect(applyPanelEvent(p, reply(8, 'm-1'), ME)).toBe(p)
    expect(unreadInPanel({ ...p, readSeq: 3 }, ME)).toBe(2)
  })

  it("the user's own reply follows the thread", () => {
    const p = { ...newPanel(CONV, 'm-1'), following: false }
    expect(applyPanelEvent(p, reply(2, 'm-1'), ME).following).toBe(false)
    expect(applyPanelEvent(p, reply(2, 'm-1', ME), ME).following).toBe(true)
  })

  it('applies edits and deletes of replies and of the root', () => {
    let p = addRepliesPage({ ...newPanel(CONV, 'm-1'), root: msg(1, { thread: { replyCount: 1, lastReplyAt: '', participants: [BOB] } }) }, [msg(2, { threadRootId: 'm-1' })], false, ME)
    p = applyPanelEvent(p, deleted(3, msg(2, { threadRootId: 'm-1' })), ME)
    expect(p.replies.messages[0].deletedAt).toBeTruthy()
    p = applyPanelEvent(p, { ...deleted(4, msg(1)), type: 'message.edited', data: { message: { ...msg(1), body: 'new', editedAt: '2025-01-01T11:00:00Z' } } }, ME)
    expect(p.root?.body).toBe('new')
    expect(p.root?.thread?.replyCount).toBe(1)
    // Another conversation's events are ignored.
    expect(applyPanelEvent(p, created(9, { threadRootId: 'm-1' }, 'c-2'), ME)).toBe(p)
  })
})

function thread(rootId: string, o: Partial<Thread> = {}): Thread {
  return { root: msg(1, { id: rootId, senderId: ME, thread: { replyCount: 1, lastReplyAt: '', participants: [BOB] } }), following: true, readSeq: 0, unread: 0, ...o }
}

describe('threads list', () => {
  const loaded = addThreadsPage(emptyThreadList, [thread('m-a'), thread('m-b', { unread: 1 })], undefined, 1, true)

  it('counts a new reply by someone else once, raises the badge and moves the thread to the top', () => {
    const ev = reply(5, 'm-a')
    const r = applyThreadListEvent(loaded, ev, ME)
    expect(r.refetch).toBe(false)
    expect(r.list.items.map((t) => t.root.id)).toEqual(['m-a', 'm-b'])
    expect(r.list.items[0].unread).toBe(1)
    expect(r.list.items[0].root.thread?.replyCount).toBe(2)
    expect(r.list.unreadThreads).toBe(2)
    expect(applyThreadListEvent(r.list, ev, ME).list).toBe(r.list) // once
    // Another reply in a thread already unread: the badge stays.
    const r2 = applyThreadListEvent(r.list, reply(6, 'm-b'), ME)
    expect(r2.list.unreadThreads).toBe(2)
    expect(r2.list.items[0].unread).toBe(2)
  })

  it("the user's own reply does not count; a thread it does not have asks for the list again", () => {
    const mine = applyThreadListEvent(loaded, reply(5, 'm-a', ME), ME)
    expect(mine.list.items.find((t) => t.root.id === 'm-a')?.unread).toBe(0)
    expect(mine.list.unreadThreads).toBe(1)
    expect(applyThreadListEvent(loaded, reply(5, 'm-new'), ME).refetch).toBe(true)
    // Top-level messages are no thread news.
    expect(applyThreadListEvent(loaded, created(5), ME)).toEqual({ list: loaded, refetch: false })
  })

  it('a deleted unread reply lowers the count and the badge; reading clears them', () => {
    const del = applyThreadListEvent(loaded, deleted(6, msg(5, { threadRootId: 'm-b' })), ME).list
    expect(del.items[1].unread).toBe(0)
    expect(del.unreadThreads).toBe(0)
    const read = threadListRead(loaded, CONV, 'm-b', 9)
    expect(read.items[1]).toMatchObject({ unread: 0, readSeq: 9 })
    expect(read.unreadThreads).toBe(0)
    expect(threadListRead(read, CONV, 'm-b', 9)).toBe(read)
  })

  it('events while the list loads mark it stale (loaded again), none are counted twice', () => {
    const loading = { ...loaded, loading: true }
    const r = applyThreadListEvent(loading, reply(5, 'm-a'), ME)
    expect(r.list.stale).toBe(true)
    expect(r.list.items[0].unread).toBe(0)
    const fresh = addThreadsPage(r.list, [thread('m-a', { unread: 1 })], undefined, 1, true)
    expect(fresh.stale).toBe(false)
    expect(fresh.items).toHaveLength(1)
  })

  it('pages append each thread once', () => {
    const more = addThreadsPage({ ...loaded, next: 'x' }, [thread('m-b'), thread('m-c')], undefined, 1, false)
    expect(more.items.map((t) => t.root.id)).toEqual(['m-a', 'm-b', 'm-c'])
    expect(more.next).toBeUndefined()
  })
})
