import { describe, expect, it } from 'vitest'
import { BOB, ME, conversation, created, deleted, member, memberEvent, msg } from '../test/fixtures'
import { applyEventToConversation, applyMemberEvent, applyRead, markRead, readersOf, sortConversations } from './conversations'

describe('conversation summaries', () => {
  const away = { me: ME, viewing: false }

  it('counts messages from others as unread and shows the last one', () => {
    let c = conversation({ lastSeq: 1, readSeq: 1 })
    c = applyEventToConversation(c, created(2), away)
    c = applyEventToConversation(c, created(3), away)
    expect(c.unread).toBe(2)
    expect(c.lastSeq).toBe(3)
    expect(c.lastMessage?.seq).toBe(3)
    expect(c.lastActivityAt).toBe(c.lastMessage?.createdAt)
  })

  it('does not count own messages or those in the open conversation', () => {
    let c = conversation({ unread: 2 })
    c = applyEventToConversation(c, created(1, { senderId: ME }), away)
    expect(c.unread).toBe(0)
    expect(c.readSeq).toBe(1)
    c = applyEventToConversation(c, created(2), { me: ME, viewing: true })
    expect(c.unread).toBe(0)
    expect(c.readSeq).toBe(2)
  })

  it('updates the last message on edit and delete, and uncounts a deleted unread message', () => {
    let c = conversation()
    c = applyEventToConversation(c, created(1), away)
    expect(c.unread).toBe(1)
    c = applyEventToConversation(c, deleted(2, msg(1)), away)
    expect(c.lastMessage?.deletedAt).toBeDefined()
    expect(c.unread).toBe(0)
  })

  it('takes a new title and topic from conversation.updated', () => {
    const c = applyEventToConversation(
      conversation({ kind: 'group', title: 'Old' }),
      { conversationId: 'c-1', seq: 1, type: 'conversation.updated', at: '2025-01-02T00:00:00Z', actorId: BOB, data: { conversation: conversation({ title: 'New', topic: 'T' }) } },
      away,
    )
    expect(c).toMatchObject({ title: 'New', topic: 'T', lastSeq: 1, lastActivityAt: '2025-01-02T00:00:00Z' })
  })

  it('marks read without going backwards', () => {
    const c = conversation({ lastSeq: 5, readSeq: 3, unread: 2 })
    expect(markRead(c, 5)).toMatchObject({ readSeq: 5, unread: 0 })
    expect(markRead(c, 2)).toBe(c)
    expect(markRead(c, 4, 1)).toMatchObject({ readSeq: 4, unread: 1 })
  })

  it('sorts by latest activity', () => {
    const a = conversation({ id: 'a', title: 'A', lastActivityAt: '2025-01-01T00:00:00Z' })
    const b = conversation({ id: 'b', title: 'B', lastActivityAt: '2025-01-03T00:00:00Z' })
    const c = conversation({ id: 'c', title: 'C', lastActivityAt: '2025-01-02T00:00:00Z' })
    expect(sortConversations([a, b, c]).map((x) => x.id)).toEqual(['b', 'c', 'a'])
  })
})

describe('members', () => {
  it('follows joins, role changes and leaves', () => {
    let ms = [member(ME)]
    ms = applyMemberEvent(ms, memberEvent(1, 'member.joined', member(BOB)))
    expect(ms.map((m) => m.userId).sort()).toEqual([BOB, ME].sort())
    ms = applyMemberEvent(ms, memberEvent(2, 'member.updated', member(BOB, { role: 'admin' })))
    expect(ms.find((m) => m.userId === BOB)?.role).toBe('admin')
    ms = applyMemberEvent(ms, memberEvent(3, 'member.left', member(BOB)))
    expect(ms.map((m) => m.userId)).toEqual([ME])
  })

  it('moves read positions forward only, and tells who has read a message', () => {
    let ms = [member(ME, { readSeq: 9 }), member(BOB, { readSeq: 3 })]
    ms = applyRead(ms, BOB, 5)
    expect(ms.find((m) => m.userId === BOB)?.readSeq).toBe(5)
    expect(applyRead(ms, BOB, 4)).toBe(ms)
    expect(readersOf(ms, 5, ME).map((m) => m.userId)).toEqual([BOB])
    expect(readersOf(ms, 6, ME)).toEqual([])
  })
})
