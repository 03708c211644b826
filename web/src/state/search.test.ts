import { describe, expect, it } from 'vitest'
import type { SearchHit } from '../api/types'
import { ApiError } from '../lib/problem'
import { msg } from '../test/fixtures'
import { addSearchPage, emptySearch, parseHighlight, searchError } from './search'

const S = '\u0002'
const E = '\u0003'

describe('parseHighlight', () => {
  it('splits marked and plain parts', () => {
    expect(parseHighlight(`the ${S}cake${E} is ${S}ready now${E}!`)).toEqual([
      { text: 'the ', mark: false },
      { text: 'cake', mark: true },
      { text: ' is ', mark: false },
      { text: 'ready now', mark: true },
      { text: '!', mark: false },
    ])
  })

  it('handles text without markers, and markup as plain text', () => {
    expect(parseHighlight('<b>no</b> match')).toEqual([{ text: '<b>no</b> match', mark: false }])
    expect(parseHighlight('')).toEqual([])
  })

  it('handles unbalanced markers', () => {
    // A start without an end marks to the end.
    expect(parseHighlight(`a ${S}b c`)).toEqual([
      { text: 'a ', mark: false },
      { text: 'b c', mark: true },
    ])
    // A stray end, a start inside a mark and empty marks are dropped.
    expect(parseHighlight(`x${E}y ${S}z${S}w${E}${S}${E}.`)).toEqual([
      { text: 'xy ', mark: false },
      { text: 'zw', mark: true },
      { text: '.', mark: false },
    ])
  })

  it('keeps characters outside the BMP whole', () => {
    expect(parseHighlight(`${S}🎂${E} time`)).toEqual([
      { text: '🎂', mark: true },
      { text: ' time', mark: false },
    ])
  })
})

const hit = (seq: number): SearchHit => ({ message: msg(seq), highlight: `message ${S}${seq}${E}` })

describe('search pages', () => {
  it('replaces on a new query and appends the next page, each message once', () => {
    let s = { ...emptySearch, q: 'x', loading: true }
    s = addSearchPage(s, [hit(9), hit(8)], 'c1', true)
    expect(s).toMatchObject({ loaded: true, loading: false, next: 'c1' })
    s = addSearchPage({ ...s, loading: true }, [hit(8), hit(7)], undefined, false)
    expect(s.items.map((h) => h.message.seq)).toEqual([9, 8, 7])
    expect(s.next).toBeUndefined()
    s = addSearchPage(s, [hit(3)], undefined, true)
    expect(s.items.map((h) => h.message.seq)).toEqual([3])
  })

  it("shows the server's detail for a refused query and a rate limit", () => {
    expect(searchError(new ApiError({ code: 'invalid_argument', status: 400, detail: 'query has no words' }))).toBe('Query has no words')
    expect(searchError(new ApiError({ code: 'rate_limited', status: 429, detail: 'too many searches', retryAfterMs: 1500 }))).toBe(
      'Too many searches. Try again in 2 seconds.',
    )
    expect(searchError(new ApiError({ code: 'network' }))).toMatch(/reach the server/)
  })
})
