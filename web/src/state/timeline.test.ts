import { describe, expect, it } from 'vitest'
import { BOB, ME, created, deleted, edited, msg, pinEvent, reaction } from '../test/fixtures'
import {
  addPage,
  addPending,
  applyEvent,
  confirmSend,
  countUnread,
  emptyTimeline,
  isPinned,
  latestSeq,
  mergeMessages,
  newerMessage,
  oldestSeq,
  removePending,
  setPendingStatus,
  toggleMine,
  type PendingMessage,
} from './timeline'

const ids = (t: { messages: { seq: number }[] }) => t.messages.map((m) => m.seq)
const pending = (clientMsgId: string, body = 'hi'): PendingMessage => ({ clientMsgId, body, createdAt: new Date().toISOString(), status: 'sending' })

describe('timeline', () => {
  it('keeps messages ordered by seq and each once', () => {
    let t = mergeMessages(emptyTimeline, [msg(3), msg(1)])
    t = mergeMessages(t, [msg(2), msg(3), msg(1)])
    expect(ids(t)).toEqual([1, 2, 3])
    expect(oldestSeq(t)).toBe(1)
    expect(latestSeq(t)).toBe(3)
  })

  it('adds older pages in front and tracks whether there are more', () => {
    let t = addPage(emptyTimeline, [msg(51), msg(52)], true)
    expect(t.loaded).toBe(true)
    expect(t.hasOlder).toBe(true)
    t = addPage(t, [msg(49), msg(50)], false)
    expect(ids(t)).toEqual([49, 50, 51, 52])
    expect(t.hasOlder).toBe(false)
  })

  it('keeps live messages that arrived while the first page was loading', () => {
    let t = applyEvent(emptyTimeline, created(11))
    t = addPage(t, [msg(9), msg(10)], false)
    expect(ids(t)).toEqual([9, 10, 11])
  })

  it('applies edits and deletes by id, whatever order states arrive in', () => {
    const m = msg(1)
    const e = edited(2, m, 'changed')
    const d = deleted(3, m)
    let t = applyEvent(mergeMessages(emptyTimeline, [m]), e)
    expect(t.messages[0].body).toBe('changed')
    expect(t.messages[0].editedAt).toBeDefined()
    t = applyEvent(t, d)
    expect(t.messages[0].deletedAt).toBeDefined()
    // A stale page (fetched before the edit) and the edit event again do not bring the message back.
    t = mergeMessages(t, [m])
    t = applyEvent(t, e)
    expect(t.messages[0].deletedAt).toBeDefined()
    expect(t.messages).toHaveLength(1)
  })

  it('prefers the later edit', () => {
    const m = msg(1)
    const first = edited(2, m, 'one').data.message!
    const second = edited(3, m, 'two').data.message!
    expect(newerMessage(second, first).body).toBe('two')
    expect(newerMessage(first, second).body).toBe('two')
    expect(newerMessage(m, m)).toBe(m)
  })

  it('ignores events without a message', () => {
    const t = mergeMessages(emptyTimeline, [msg(1)])
    expect(applyEvent(t, { conversationId: 'c-1', seq: 2, type: 'member.joined', at: '', actorId: BOB, data: {} })).toBe(t)
  })

  describe('optimistic sends', () => {
    it('shows a pending send, then replaces it with the acknowledged message', () => {
      let t = mergeMessages(emptyTimeline, [msg(1)])
      t = addPending(t, pending('web-1', 'hello'))
      expect(t.pending.map((p) => p.status)).toEqual(['sending'])
      t = confirmSend(t, 'web-1', msg(2, { senderId: ME, clientMsgId: 'web-1', body: 'hello' }), ME)
      expect(t.pending).toEqual([])
      expect(ids(t)).toEqual([1, 2])
    })

    it('reconciles when the event arrives before the ack, and the late ack adds nothing', () => {
      let t = addPending(emptyTimeline, pending('web-1'))
      const m = msg(5, { senderId: ME, clientMsgId: 'web-1' })
      t = applyEvent(t, created(5, { senderId: ME, clientMsgId: 'web-1' }), ME)
      expect(t.pending).toEqual([])
      const after = confirmSend(t, 'web-1', m, ME)
      expect(ids(after)).toEqual([5])
    })

    it("does not confuse another sender's message with the same clientMsgId", () => {
      let t = addPending(emptyTimeline, pending('dup'))
      t = applyEvent(t, created(1, { senderId: BOB, clientMsgId: 'dup' }), ME)
      expect(t.pending).toHaveLength(1)
    })

    it('keeps an accepted send (seq not yet known) pending until its event arrives', () => {
      let t = addPending(emptyTimeline, pending('web-2'))
      t = confirmSend(t, 'web-2', msg(0, { id: 'm-x', senderId: ME, clientMsgId: 'web-2' }), ME)
      expect(t.pending[0].status).toBe('accepted')
      expect(t.messages).toEqual([])
      t = applyEvent(t, created(7, { id: 'm-x', senderId: ME, clientMsgId: 'web-2' }), ME)
      expect(t.pending).toEqual([])
      expect(ids(t)).toEqual([7])
    })

    it('marks a failed send and retries it with the same clientMsgId', () => {
      let t = addPending(emptyTimeline, pending('web-3', 'again'))
      t = setPendingStatus(t, 'web-3', 'failed', 'offline')
      expect(t.pending[0]).toMatchObject({ status: 'failed', error: 'offline' })
      t = addPending(t, { ...t.pending[0], status: 'sending', error: undefined })
      expect(t.pending).toHaveLength(1)
      expect(t.pending[0].status).toBe('sending')
      t = removePending(t, 'web-3')
      expect(t.pending).toEqual([])
    })

    it('keeps pending sends in the order they were made', () => {
      let t = addPending(emptyTimeline, pending('a'))
      t = addPending(t, pending('b'))
      t = addPending(t, pending('c'))
      t = confirmSend(t, 'b', msg(1, { senderId: ME, clientMsgId: 'b' }), ME)
      expect(t.pending.map((p) => p.clientMsgId)).toEqual(['a', 'c'])
    })
  })

  it('counts unread messages from others, skipping deleted ones', () => {
    const t = mergeMessages(emptyTimeline, [msg(1), msg(2, { senderId: ME }), msg(3), msg(4, { deletedAt: '2025-01-01T10:00:00Z' }), msg(5)])
    expect(countUnread(t, 0, ME)).toBe(3)
    expect(countUnread(t, 3, ME)).toBe(1)
  })
})

describe('timeline: reactions and pins', () => {
  const tallies = (t: { messages: { id: string; reactions?: unknown }[] }, id = 'm-1') => t.messages.find((m) => m.id === id)?.reactions

  it('applies reaction events to tallies from the page, with the viewer as me', () => {
    let t = addPage(emptyTimeline, [msg(1, { reactions: [{ emoji: '👍', count: 1, me: false }] }), msg(2)], false, ME)
    expect(tallies(t, 'm-2')).toEqual([]) // none on the page: known to be none
    t = applyEvent(t, reaction(3, 'reaction.added', 'm-1', ME, '👍'), ME)
    t = applyEvent(t, reaction(4, 'reaction.added', 'm-1', 'u-carol', '🎉'), ME)
    t = applyEvent(t, reaction(5, 'reaction.added', 'm-2', BOB, '🔥'), ME)
    expect(tallies(t)).toEqual([
      { emoji: '👍', count: 2, me: true },
      { emoji: '🎉', count: 1, me: false },
    ])
    expect(tallies(t, 'm-2')).toEqual([{ emoji: '🔥', count: 1, me: false }])
    t = applyEvent(t, reaction(6, 'reaction.removed', 'm-1', ME, '👍'), ME)
    t = applyEvent(t, reaction(7, 'reaction.removed', 'm-1', 'u-carol', '🎉'), ME)
    expect(tallies(t)).toEqual([{ emoji: '👍', count: 1, me: false }])
  })

  it('counts reactions on a message created live from zero', () => {
    let t = addPage(emptyTimeline, [], false, ME)
    t = applyEvent(t, created(1), ME)
    t = applyEvent(t, reaction(2, 'reaction.added', 'm-1', BOB, '👀'), ME)
    expect(tallies(t)).toEqual([{ emoji: '👀', count: 1, me: false }])
  })

  it("counts the user's own reaction once: an optimistic toggle, then its event", () => {
    let t = addPage(emptyTimeline, [msg(1)], false, ME)
    t = toggleMine(t, 'm-1', '👍', true)
    expect(tallies(t)).toEqual([{ emoji: '👍', count: 1, me: true }])
    t = applyEvent(t, reaction(2, 'reaction.added', 'm-1', ME, '👍'), ME)
    expect(tallies(t)).toEqual([{ emoji: '👍', count: 1, me: true }])
    t = toggleMine(t, 'm-1', '👍', false)
    t = applyEvent(t, reaction(3, 'reaction.removed', 'm-1', ME, '👍'), ME)
    expect(tallies(t)).toEqual([])
  })

  it('keeps the tallies it counted when a page or an edit brings the message again', () => {
    let t = addPage(emptyTimeline, [msg(1, { reactions: [{ emoji: '👍', count: 1, me: false }] })], false, ME)
    t = applyEvent(t, reaction(2, 'reaction.added', 'm-1', 'u-carol', '👍'), ME)
    // A page read before the reaction, then an edit event (events carry no tallies).
    t = addPage(t, [msg(1, { reactions: [{ emoji: '👍', count: 1, me: false }] })], false, ME)
    t = applyEvent(t, edited(3, msg(1), 'changed'), ME)
    expect(t.messages[0].body).toBe('changed')
    expect(tallies(t)).toEqual([{ emoji: '👍', count: 2, me: false }])
  })

  it('skips reaction events of a message whose tallies it does not know, until a page brings them', () => {
    // An edit of a message not loaded enters the timeline without tallies.
    let t = applyEvent(emptyTimeline, edited(5, msg(1), 'changed'), ME)
    t = applyEvent(t, reaction(6, 'reaction.added', 'm-1', BOB, '👍'), ME)
    expect(tallies(t)).toBeUndefined()
    t = addPage(t, [msg(1, { body: 'changed', editedAt: t.messages[0].editedAt, reactions: [{ emoji: '👍', count: 1, me: false }] })], false, ME)
    expect(tallies(t)).toEqual([{ emoji: '👍', count: 1, me: false }])
  })

  it('pins and unpins a loaded message from its events, keeping its tallies', () => {
    const m = msg(1, { reactions: [{ emoji: '👍', count: 1, me: false }] })
    let t = addPage(emptyTimeline, [m, msg(2)], false, ME)
    const pin = pinEvent(3, 'message.pinned', msg(1), BOB)
    t = applyEvent(t, pin, ME)
    expect(t.messages[0]).toMatchObject({ pinnedAt: pin.data.message?.pinnedAt, pinnedBy: BOB, reactions: m.reactions })
    expect(isPinned(t.messages[0])).toBe(true)
    expect(applyEvent(t, pin, ME)).toBe(t) // the same state again changes nothing
    t = applyEvent(t, pinEvent(4, 'message.unpinned', msg(1)), ME)
    expect(t.messages[0].pinnedAt).toBeUndefined()
    expect(t.messages[0].pinnedBy).toBeUndefined()
    expect(t.messages[0].reactions).toEqual(m.reactions)
    // A pin of a message not loaded does not add it out of place.
    expect(applyEvent(t, pinEvent(5, 'message.pinned', msg(99)), ME).messages.map((x) => x.seq)).toEqual([1, 2])
  })

  it('a deleted message loses its reactions and its pin', () => {
    let t = addPage(emptyTimeline, [msg(1, { reactions: [{ emoji: '👍', count: 2, me: true }] })], false, ME)
    t = applyEvent(t, pinEvent(2, 'message.pinned', msg(1)), ME)
    t = applyEvent(t, deleted(3, msg(1)), ME)
    expect(t.messages[0].deletedAt).toBeDefined()
    expect(tallies(t)).toEqual([])
    expect(isPinned(t.messages[0])).toBe(false)
    expect(t.messages[0].pinnedAt).toBeUndefined()
    // Later reaction events (sent before the delete reached the server) and a stale page change nothing.
    t = applyEvent(t, reaction(4, 'reaction.added', 'm-1', BOB, '🔥'), ME)
    t = addPage(t, [msg(1, { reactions: [{ emoji: '👍', count: 2, me: true }] })], false, ME)
    expect(tallies(t)).toEqual([])
    expect(t.messages[0].deletedAt).toBeDefined()
  })
})
