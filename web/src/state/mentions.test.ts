import { describe, expect, it } from 'vitest'
import { ME, created, deleted, edited, msg } from '../test/fixtures'
import { addInboxPage, applyInboxEvent, emptyInbox } from './mentions'

describe('the Mentions inbox', () => {
  const page = [msg(5, { mentions: [ME] }), msg(3, { mentions: [ME] })]

  it('pages without duplicates, and a reload starts over', () => {
    let inbox = addInboxPage(emptyInbox, page, 'next', true)
    inbox = addInboxPage(inbox, [msg(3, { mentions: [ME] }), msg(1, { mentions: [ME] })], undefined, false)
    expect(inbox.items.map((m) => m.seq)).toEqual([5, 3, 1])
    expect(inbox.next).toBeUndefined()
    expect(addInboxPage(inbox, [msg(6)], undefined, true).items.map((m) => m.seq)).toEqual([6])
  })

  it('is kept by events once loaded: new mentions on top, edits update or drop, deletes drop', () => {
    let inbox = addInboxPage(emptyInbox, page, undefined, true)
    inbox = applyInboxEvent(inbox, created(6, { mentions: [ME] }), ME)
    inbox = applyInboxEvent(inbox, created(7, { mentions: ['u-other'] }), ME)
    inbox = applyInboxEvent(inbox, created(8, { senderId: ME, mentions: [ME] }), ME)
    expect(inbox.items.map((m) => m.seq)).toEqual([6, 5, 3])
    inbox = applyInboxEvent(inbox, edited(9, page[0], 'now @bob only'), ME)
    expect(inbox.items.find((m) => m.seq === 5)?.body).toBe('now @bob only') // still mentions ME (same mentions)
    inbox = applyInboxEvent(inbox, edited(10, { ...page[0], mentions: [] }, 'nobody'), ME)
    inbox = applyInboxEvent(inbox, deleted(11, page[1]), ME)
    expect(inbox.items.map((m) => m.seq)).toEqual([6])
  })

  it('ignores events until loaded', () => {
    expect(applyInboxEvent(emptyInbox, created(1, { mentions: [ME] }), ME)).toBe(emptyInbox)
  })
})
