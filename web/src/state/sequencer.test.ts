import { describe, expect, it } from 'vitest'
import { created } from '../test/fixtures'
import { accept, advanceTo, hasGap, missing, newCursor } from './sequencer'

const seqs = (evs: { seq: number }[]) => evs.map((e) => e.seq)

describe('sequencer', () => {
  it('applies events in seq order', () => {
    const r = accept(newCursor(0), [created(1), created(2), created(3)])
    expect(seqs(r.ready)).toEqual([1, 2, 3])
    expect(r.cursor.applied).toBe(3)
    expect(r.gap).toBe(false)
  })

  it('orders a batch that arrives shuffled', () => {
    const r = accept(newCursor(0), [created(3), created(1), created(2)])
    expect(seqs(r.ready)).toEqual([1, 2, 3])
  })

  it('drops duplicates: already applied, repeated in a batch, or already held', () => {
    let r = accept(newCursor(0), [created(1), created(1), created(2)])
    expect(seqs(r.ready)).toEqual([1, 2])
    r = accept(r.cursor, [created(2), created(1)])
    expect(r.ready).toEqual([])
    expect(r.cursor.applied).toBe(2)
    r = accept(r.cursor, [created(5)])
    const again = accept(r.cursor, [created(5)])
    expect(again.ready).toEqual([])
    expect(Object.keys(again.cursor.held)).toEqual(['5'])
  })

  it('holds events after a hole and reports the gap', () => {
    let r = accept(newCursor(0), [created(1), created(4), created(5)])
    expect(seqs(r.ready)).toEqual([1])
    expect(r.gap).toBe(true)
    expect(missing(r.cursor)).toEqual({ from: 2, to: 3 })
    r = accept(r.cursor, [created(3)])
    expect(r.ready).toEqual([])
    expect(missing(r.cursor)).toEqual({ from: 2, to: 2 })
    r = accept(r.cursor, [created(2)])
    expect(seqs(r.ready)).toEqual([2, 3, 4, 5])
    expect(r.gap).toBe(false)
    expect(hasGap(r.cursor)).toBe(false)
    expect(missing(r.cursor)).toBeUndefined()
  })

  it('starts from a snapshot position: events up to it are already reflected', () => {
    const r = accept(newCursor(10), [created(9), created(10), created(11)])
    expect(seqs(r.ready)).toEqual([11])
  })

  it('fills a hole from a sync answer mixed with live duplicates', () => {
    let r = accept(newCursor(2), [created(6)]) // live, after a drop
    expect(r.gap).toBe(true)
    // sync returns everything after 2, including 6 again
    r = accept(r.cursor, [created(3), created(4), created(5), created(6)])
    expect(seqs(r.ready)).toEqual([3, 4, 5, 6])
    expect(r.cursor.applied).toBe(6)
    expect(r.gap).toBe(false)
  })

  it('does not change the cursor when nothing is new', () => {
    const c = accept(newCursor(0), [created(1)]).cursor
    expect(accept(c, [created(1)]).cursor).toBe(c)
  })

  it('advances to a newer snapshot, keeping only later held events', () => {
    const held = accept(newCursor(1), [created(4), created(7)]).cursor
    const r = advanceTo(held, 5)
    expect(r.cursor.applied).toBe(5)
    expect(Object.keys(r.cursor.held)).toEqual(['7'])
    expect(r.gap).toBe(true)
    const r2 = advanceTo(r.cursor, 6)
    expect(seqs(r2.ready)).toEqual([7])
    expect(r2.cursor.applied).toBe(7)
  })
})
