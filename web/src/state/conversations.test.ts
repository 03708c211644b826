import { describe, expect, it } from 'vitest'
import { BOB, ME, conversation, created, deleted, edited, member, memberEvent, msg } from '../test/fixtures'
import {
  applyEventToConversation,
  applyMemberEvent,
  applyRead,
  markRead,
  mentionsKnownAfterRead,
  mentionsUncertain,
  readersOf,
  showsMentions,
  showsUnread,
  sortConversations,
} from './conversations'

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

  it('takes slow mode from conversation.updated, and a mute of mine from member.updated', () => {
    let c = applyEventToConversation(
      conversation({ kind: 'channel', role: 'member' }),
      { conversationId: 'c-1', seq: 1, type: 'conversation.updated', at: '2025-01-02T00:00:00Z', actorId: BOB, data: { conversation: conversation({ slowModeSeconds: 30 }) } },
      away,
    )
    expect(c.slowModeSeconds).toBe(30)
    c = applyEventToConversation(c, memberEvent(2, 'member.updated', member(BOB, { mutedUntil: '2025-01-03T00:00:00Z' })), away)
    expect(c.mutedUntil).toBeUndefined()
    c = applyEventToConversation(c, memberEvent(3, 'member.updated', member(ME, { mutedUntil: '2025-01-03T00:00:00Z' })), away)
    expect(c.mutedUntil).toBe('2025-01-03T00:00:00Z')
    c = applyEventToConversation(c, memberEvent(4, 'member.updated', member(ME)), away)
    expect(c.mutedUntil).toBeUndefined()
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

describe('mention counts', () => {
  const away = { me: ME, viewing: false }

  it('counts new unread messages that mention the user, by name or @channel', () => {
    let c = conversation({ kind: 'group', lastSeq: 1, readSeq: 1 })
    c = applyEventToConversation(c, created(2, { mentions: [ME] }), away)
    c = applyEventToConversation(c, created(3, { mentions: ['u-other'] }), away)
    c = applyEventToConversation(c, created(4, { mentionAll: 'channel' }), away)
    c = applyEventToConversation(c, created(5, { mentionAll: 'here', mentions: [] }), away) // was not online
    expect(c.mentions).toBe(2)
    expect(c.unread).toBe(4)
  })

  it('does not count own messages, and clears with the unread count when looking or writing', () => {
    let c = conversation({ lastSeq: 1, readSeq: 1, mentions: 1, unread: 1 })
    c = applyEventToConversation(c, created(2, { senderId: ME, mentions: [ME] }), away)
    expect(c.mentions).toBe(0)
    c = applyEventToConversation(c, created(3, { mentions: [ME] }), away)
    expect(c.mentions).toBe(1)
    c = applyEventToConversation(c, created(4, { mentions: [ME] }), { me: ME, viewing: true })
    expect(c.mentions).toBe(0)
  })

  it('asks for the summary again when an unread message of someone else is edited or deleted', () => {
    const c = conversation({ lastSeq: 3, readSeq: 1, unread: 2, mentions: 1 })
    const m = msg(2, { mentions: [ME] })
    expect(mentionsUncertain(c, edited(4, m, 'no mention now'), ME)).toBe(true)
    expect(mentionsUncertain(c, deleted(4, m), ME)).toBe(true)
    expect(mentionsUncertain(c, edited(4, msg(1), 'read already'), ME)).toBe(false)
    expect(mentionsUncertain(c, edited(4, msg(2, { senderId: ME }), 'mine'), ME)).toBe(false)
    expect(mentionsUncertain(c, created(4), ME)).toBe(false)
  })

  it('drops with a read: to zero when read to the end, to what the caller counted, else unknown', () => {
    const c = conversation({ lastSeq: 5, readSeq: 1, unread: 4, mentions: 2 })
    expect(markRead(c, 5).mentions).toBe(0)
    expect(markRead(c, 3, 2, 1).mentions).toBe(1)
    expect(markRead(c, 3).mentions).toBe(2)
    expect(mentionsKnownAfterRead(c, 3)).toBe(false)
    expect(mentionsKnownAfterRead(c, 3, 1)).toBe(true)
    expect(mentionsKnownAfterRead(c, 5)).toBe(true)
  })

  it('hides the unread badge of a muted conversation, and the mentions badge only at level none', () => {
    const c = conversation({ unread: 3, mentions: 1 })
    expect(showsUnread(c)).toBe(true)
    expect(showsUnread({ ...c, muted: true })).toBe(false)
    expect(showsUnread({ ...c, notifyLevel: 'mentions' })).toBe(false)
    expect(showsUnread({ ...c, notifyLevel: 'all' })).toBe(true)
    expect(showsMentions({ ...c, muted: true, notifyLevel: 'mentions' })).toBe(true)
    expect(showsMentions({ ...c, notifyLevel: 'none' })).toBe(false)
    expect(showsMentions({ ...c, mentions: 0 })).toBe(false)
  })
})
