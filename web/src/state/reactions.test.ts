import { describe, expect, it } from 'vitest'
import { PICKER, SHORTCODES, addTally, emojiOf, reactedWith, removeTally } from './reactions'

describe('reaction tallies', () => {
  it('counts others one by one and the user once', () => {
    let t = addTally([], '👍', false)
    expect(t).toEqual([{ emoji: '👍', count: 1, me: false }])
    t = addTally(t, '👍', true)
    expect(t).toEqual([{ emoji: '👍', count: 2, me: true }])
    expect(addTally(t, '👍', true)).toBe(t) // my reaction again: already counted
    t = addTally(t, '🎉', false)
    expect(t.map((r) => r.emoji)).toEqual(['👍', '🎉']) // new emoji go last
  })

  it('takes back the user only if counted, and never more than others have', () => {
    const t = [{ emoji: '👍', count: 2, me: true }]
    expect(removeTally(t, '👍', true)).toEqual([{ emoji: '👍', count: 1, me: false }])
    expect(removeTally(removeTally(t, '👍', true), '👍', true)).toEqual([{ emoji: '👍', count: 1, me: false }])
    expect(removeTally(t, '👍', false)).toEqual([{ emoji: '👍', count: 1, me: true }])
    // Only I am left: someone else's removal cannot take my reaction away.
    const onlyMe = [{ emoji: '👍', count: 1, me: true }]
    expect(removeTally(onlyMe, '👍', false)).toBe(onlyMe)
    expect(removeTally([{ emoji: '👍', count: 1, me: false }], '👍', false)).toEqual([]) // last one: the chip goes
    expect(removeTally(t, '🎉', false)).toBe(t)
  })

  it('knows the server shortcodes, shows each emoji once in the picker', () => {
    expect(emojiOf(':thumbsup:')).toBe('👍')
    expect(emojiOf(':+1:')).toBe('👍')
    expect(emojiOf(':heart:')).toBe('❤️')
    expect(emojiOf(':nope:')).toBe(':nope:')
    expect(emojiOf('🎉')).toBe('🎉')
    expect(new Set(PICKER.map((p) => p.emoji)).size).toBe(PICKER.length)
    expect(PICKER.length).toBe(new Set(SHORTCODES.map(([, e]) => e)).size)
    expect(PICKER[0]).toEqual({ emoji: '👍', shortcode: 'thumbsup' })
    expect(reactedWith([{ emoji: '👍', count: 1, me: true }], '👍')).toBe(true)
    expect(reactedWith(undefined, '👍')).toBe(false)
  })
})
