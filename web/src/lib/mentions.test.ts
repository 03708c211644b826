import { describe, expect, it } from 'vitest'
import { canMentionAll, filterCandidates, insertMention, mentionQuery, mentionsUser, parseMentions, segments } from './mentions'

describe('parseMentions mirrors the server (core.ParseMentions)', () => {
  // The server's own table (core/mention_test.go).
  const cases: [string, string[], string | undefined][] = [
    ['hi @bob', ['bob'], undefined],
    ['@Bob, @alice. and @bob again', ['bob', 'alice'], undefined],
    ['mail me at bob@example.com', [], undefined],
    ['(@carol) @a @toolongname_toolongname_toolongname', ['carol'], undefined],
    ['@here then @channel', [], 'channel'],
    ['@here!', [], 'here'],
    ['@ alone, @@bob, x@y', ['bob'], undefined],
    ['@dan-', ['dan'], undefined],
    ['no mentions', [], undefined],
  ]
  for (const [body, names, all] of cases) {
    it(JSON.stringify(body), () => {
      expect(parseMentions(body)).toEqual({ usernames: names, all })
    })
  }

  it('counts at most 50 different names', () => {
    const body = Array.from({ length: 60 }, (_, i) => `@user${String(i).padStart(2, '0')}`).join(' ')
    expect(parseMentions(body).usernames).toHaveLength(50)
  })
})

describe('segments (for highlighting)', () => {
  it('splits mentions out as written, keeping the rest as text', () => {
    expect(segments('Hi @Bob. See @here, mail x@y.org')).toEqual([
      { text: 'Hi ' },
      { text: '@Bob', mention: 'bob' },
      { text: '. See ' },
      { text: '@here', mention: 'here' },
      { text: ', mail x@y.org' },
    ])
  })
  it('leaves too short and too long names as text, and the text joins back to the body', () => {
    const body = '@ab @abc @' + 'x'.repeat(33) + ' @@dan-'
    const s = segments(body)
    expect(s.filter((p) => p.mention).map((p) => p.mention)).toEqual(['abc', 'dan'])
    expect(s.map((p) => p.text).join('')).toBe(body)
  })
})

describe('mentionsUser', () => {
  const base = { senderId: 'u-bob' }
  it('is true for a mention by id and for @channel, not for one’s own or deleted messages', () => {
    expect(mentionsUser({ ...base, mentions: ['u-me'] }, 'u-me')).toBe(true)
    expect(mentionsUser({ ...base, mentions: ['u-other'] }, 'u-me')).toBe(false)
    expect(mentionsUser({ ...base, mentionAll: 'channel' }, 'u-me')).toBe(true)
    // @here mentions those online then: they are in `mentions`.
    expect(mentionsUser({ ...base, mentionAll: 'here', mentions: [] }, 'u-me')).toBe(false)
    expect(mentionsUser({ senderId: 'u-me', mentions: ['u-me'] }, 'u-me')).toBe(false)
    expect(mentionsUser({ ...base, mentions: ['u-me'], deletedAt: '2025-01-01T00:00:00Z' }, 'u-me')).toBe(false)
  })
})

describe('autocomplete', () => {
  it('finds the @word at the caret, not inside a word', () => {
    expect(mentionQuery('hello @bo', 9)).toEqual({ start: 6, query: 'bo' })
    expect(mentionQuery('@', 1)).toEqual({ start: 0, query: '' })
    expect(mentionQuery('hello @bo there', 9)).toEqual({ start: 6, query: 'bo' })
    expect(mentionQuery('hello @bob there', 16)).toBeUndefined()
    expect(mentionQuery('mail bob@ex', 11)).toBeUndefined()
    expect(mentionQuery('no at', 5)).toBeUndefined()
  })

  const people = [
    { id: 'u-me', username: 'me', displayName: 'Me Myself' },
    { id: 'u-bob', username: 'bob', displayName: 'Bob Builder' },
    { id: 'u-bo', username: 'zed', displayName: 'Bora Bora' },
    { id: 'u-rob', username: 'hobo', displayName: 'Rob' },
  ]
  it('lists username matches first, then display names, then contained; never the user', () => {
    const got = filterCandidates(people, 'bo', { me: 'u-me', allowAll: false })
    expect(got.map((c) => c.username)).toEqual(['bob', 'zed', 'hobo'])
    expect(filterCandidates(people, 'me', { me: 'u-me', allowAll: false })).toEqual([])
    expect(filterCandidates(people, 'BUI', { me: 'u-me', allowAll: false }).map((c) => c.username)).toEqual(['bob'])
  })
  it('offers @channel and @here only when allowed', () => {
    expect(filterCandidates(people, 'he', { me: 'u-me', allowAll: false })).toEqual([])
    expect(filterCandidates(people, 'he', { me: 'u-me', allowAll: true }).map((c) => c.username)).toEqual(['here'])
    expect(filterCandidates(people, '', { me: 'u-me', allowAll: true, limit: 10 }).map((c) => c.username)).toEqual(['bob', 'hobo', 'zed', 'channel', 'here'])
  })
  it('allows @channel to admins and owners of groups and channels', () => {
    expect(canMentionAll({ kind: 'group', role: 'owner' })).toBe(true)
    expect(canMentionAll({ kind: 'channel', role: 'admin' })).toBe(true)
    expect(canMentionAll({ kind: 'channel', role: 'member' })).toBe(false)
    expect(canMentionAll({ kind: 'direct', role: 'owner' })).toBe(false)
  })
  it('inserts the picked name with a space, replacing the partial word', () => {
    expect(insertMention('hi @bo', { start: 3, query: 'bo' }, 6, 'bob')).toEqual({ text: 'hi @bob ', caret: 8 })
    expect(insertMention('hi @bo, ok', { start: 3, query: 'bo' }, 6, 'bob')).toEqual({ text: 'hi @bob , ok', caret: 8 })
    expect(insertMention('hi @b there', { start: 3, query: 'b' }, 5, 'bob')).toEqual({ text: 'hi @bob there', caret: 8 })
  })
})
