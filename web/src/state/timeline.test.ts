import { describe, expect, it } from 'vitest'
import { BOB, ME, created, deleted, edited, msg } from '../test/fixtures'
import {
  addPage,
  addPending,
  applyEvent,
  confirmSend,
  countUnread,
  emptyTimeline,
  latestSeq,
  mergeMessages,
  newerMessage,
  oldestSeq,
  removePending,
  setPendingStatus,
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
