import { describe, expect, it } from 'vitest'
import { BOB, ME, deleted, edited, msg, pinEvent, reaction } from '../test/fixtures'
import { applyPinEvent, canPin, emptyPins, pinsLoaded, toggleMinePin, type PinList } from './pins'

const ids = (p: PinList) => p.items.map((m) => m.id)
const loaded = (items = [msg(1, { pinnedAt: '2025-01-01T09:30:00Z', pinnedBy: ME })]) => pinsLoaded(emptyPins, items, ME)

describe('pin list', () => {
  it('pin and unpin events add (most recently pinned first) and remove messages', () => {
    let p = loaded()
    const pin2 = pinEvent(10, 'message.pinned', msg(2), BOB)
    p = applyPinEvent(p, pin2, ME)
    expect(ids(p)).toEqual(['m-2', 'm-1'])
    expect(p.items[0]).toMatchObject({ pinnedBy: BOB, pinnedAt: pin2.data.message?.pinnedAt })
    expect(applyPinEvent(p, pin2, ME)).toBe(p) // the same state again: nothing changes
    p = applyPinEvent(p, pinEvent(11, 'message.unpinned', msg(1)), ME)
    expect(ids(p)).toEqual(['m-2'])
    p = applyPinEvent(p, pinEvent(12, 'message.pinned', msg(1)), ME)
    expect(ids(p)).toEqual(['m-1', 'm-2'])
  })

  it('takes the tallies of a newly pinned message from the timeline, and keeps them by events', () => {
    let p = loaded([])
    const known = msg(3, { reactions: [{ emoji: '👍', count: 1, me: false }] })
    p = applyPinEvent(p, pinEvent(10, 'message.pinned', msg(3)), ME, known)
    expect(p.items[0].reactions).toEqual(known.reactions)
    p = applyPinEvent(p, reaction(11, 'reaction.added', 'm-3', ME, '👍'), ME)
    expect(p.items[0].reactions).toEqual([{ emoji: '👍', count: 2, me: true }])
    p = toggleMinePin(p, 'm-3', '👍', false, ME)
    expect(p.items[0].reactions).toEqual([{ emoji: '👍', count: 1, me: false }])
  })

  it('a deleted message leaves the list; an edited one shows its new text', () => {
    let p = loaded([msg(1, { pinnedAt: '2025-01-01T11:00:00Z' }), msg(2, { pinnedAt: '2025-01-01T10:00:00Z' })])
    p = applyPinEvent(p, edited(10, msg(2), 'new text'), ME)
    expect(p.items[1].body).toBe('new text')
    p = applyPinEvent(p, deleted(11, msg(1)), ME)
    expect(ids(p)).toEqual(['m-2'])
    // Other events leave it as it is.
    expect(applyPinEvent(p, edited(12, msg(7), 'not pinned'), ME)).toBe(p)
  })

  it('applies events that arrived while loading to the list, whether or not it saw them', () => {
    let p: PinList = { ...emptyPins }
    p = applyPinEvent(p, pinEvent(10, 'message.pinned', msg(2)), ME)
    p = applyPinEvent(p, pinEvent(11, 'message.unpinned', msg(1)), ME)
    p = applyPinEvent(p, reaction(12, 'reaction.added', 'm-2', BOB, '🔥'), ME)
    p = applyPinEvent(p, reaction(13, 'reaction.added', 'm-2', ME, '🔥'), ME)
    expect(p.loaded).toBe(false)
    expect(p.early).toHaveLength(4)
    // The list was read after all of them: the pin of m-2 and both reactions are in it already.
    const after = pinsLoaded(p, [{ ...msg(2), pinnedAt: p.early[0].data.message?.pinnedAt, reactions: [{ emoji: '🔥', count: 2, me: true }] }], ME)
    expect(ids(after)).toEqual(['m-2'])
    expect(after.items[0].reactions).toEqual([{ emoji: '🔥', count: 2, me: true }]) // not counted twice
    expect(after.early).toEqual([])
    // The list was read before them: m-1 still pinned, m-2 not yet.
    const before = pinsLoaded(p, [msg(1, { pinnedAt: '2025-01-01T08:00:00Z' })], ME)
    expect(ids(before)).toEqual(['m-2'])
  })

  it('who may pin', () => {
    expect(canPin({ kind: 'direct' })).toBe(true)
    expect(canPin({ kind: 'group', role: 'member' })).toBe(false)
    expect(canPin({ kind: 'group', role: 'admin' })).toBe(true)
    expect(canPin({ kind: 'channel', role: 'owner' })).toBe(true)
    expect(canPin({ kind: 'channel', role: 'member' })).toBe(false)
  })
})
