// Mentions in message bodies, by the server's rule (core.ParseMentions): `@username` (a-z, 0-9, '_', '.', '-'; 3 to 32
// characters, any case; a trailing '.' or '-' ends the sentence rather than the name), `@channel` and `@here`. An @
// right after a name character (an e-mail address) is no mention. Pure functions.
import type { Conversation, Message } from '../api/types'

export const MIN_NAME = 3
export const MAX_NAME = 32
/** How many different @username mentions of one message count (the server's MaxMentions). */
export const MAX_MENTIONS = 50

export type MentionAll = 'channel' | 'here'

function isNameChar(c: string | undefined): boolean {
  return c !== undefined && /^[a-zA-Z0-9_.-]$/.test(c)
}

/** One run of a body: plain text, or a mention as written (`@Bob`), with the name it stands for (lower case). */
export type Segment = { text: string; mention?: string }

/** Splits a body into plain text and mentions (each @name that the server would count, as written). */
export function segments(body: string): Segment[] {
  const out: Segment[] = []
  let plain = ''
  let i = 0
  while (i < body.length) {
    if (body[i] !== '@' || isNameChar(body[i - 1])) {
      plain += body[i++]
      continue
    }
    let j = i + 1
    while (j < body.length && isNameChar(body[j])) j++
    const raw = body.slice(i + 1, j).replace(/[.-]+$/, '')
    const name = raw.toLowerCase()
    if (name === 'channel' || name === 'here' || (name.length >= MIN_NAME && name.length <= MAX_NAME)) {
      if (plain) out.push({ text: plain })
      plain = ''
      out.push({ text: '@' + raw, mention: name })
      i = i + 1 + raw.length
    } else {
      plain += body.slice(i, j)
      i = j
    }
  }
  if (plain) out.push({ text: plain })
  return out
}

/** The usernames a body mentions (lower case, each once, in order, at most MAX_MENTIONS), and @channel / @here
 * (@channel winning). */
export function parseMentions(body: string): { usernames: string[]; all?: MentionAll } {
  const usernames: string[] = []
  let all: MentionAll | undefined
  for (const s of segments(body)) {
    if (!s.mention) continue
    if (s.mention === 'channel') all = 'channel'
    else if (s.mention === 'here') all ??= 'here'
    else if (!usernames.includes(s.mention) && usernames.length < MAX_MENTIONS) usernames.push(s.mention)
  }
  return { usernames, all }
}

/** Does the message mention the user (by name, by @channel, or by @here while they were online)? One's own
 * messages never count. */
export function mentionsUser(m: Pick<Message, 'senderId' | 'mentions' | 'mentionAll' | 'deletedAt'>, userId: string): boolean {
  if (m.senderId === userId || m.deletedAt) return false
  return m.mentionAll === 'channel' || !!m.mentions?.includes(userId)
}

/** May the user say @channel / @here here? The server allows admins and owners of groups and channels (and either
 * person in a direct conversation, where it adds nothing: not offered there). */
export function canMentionAll(c: Pick<Conversation, 'kind' | 'role'>): boolean {
  return c.kind !== 'direct' && (c.role === 'owner' || c.role === 'admin')
}

/** The @word being typed at the caret: where its @ is, and what follows it so far. */
export interface MentionQuery {
  start: number
  query: string
}

/** The mention being typed when the caret is at the end of `@…` (the @ at a word start). */
export function mentionQuery(text: string, caret: number): MentionQuery | undefined {
  let i = caret
  while (i > 0 && isNameChar(text[i - 1])) i--
  if (i === 0 || text[i - 1] !== '@') return undefined
  const start = i - 1
  if (isNameChar(text[start - 1])) return undefined
  const query = text.slice(i, caret)
  if (query.length > MAX_NAME) return undefined
  return { start, query }
}

/** A suggestion of the autocomplete: a member, or @channel / @here. */
export interface Candidate {
  /** What is inserted after the @. */
  username: string
  label: string
  userId?: string
}

/** The suggestions for a query: members whose username or display name starts with it (username matches first),
 * then others containing it, then @channel / @here when allowed; the user is left out. */
export function filterCandidates(
  people: readonly { id: string; username: string; displayName: string }[],
  query: string,
  opts: { me: string; allowAll: boolean; limit?: number },
): Candidate[] {
  const q = query.toLowerCase()
  const scored: { c: Candidate; rank: number }[] = []
  for (const u of people) {
    if (u.id === opts.me) continue
    const name = u.username.toLowerCase()
    const display = u.displayName.toLowerCase()
    let rank = -1
    if (name.startsWith(q)) rank = 0
    else if (display.startsWith(q) || display.split(/\s+/).some((w) => w.startsWith(q))) rank = 1
    else if (name.includes(q)) rank = 2
    if (rank >= 0) scored.push({ c: { username: u.username, label: u.displayName, userId: u.id }, rank })
  }
  scored.sort((a, b) => a.rank - b.rank || a.c.username.localeCompare(b.c.username))
  const out = scored.map((s) => s.c)
  if (opts.allowAll) {
    if ('channel'.startsWith(q)) out.push({ username: 'channel', label: 'Notify everyone in this conversation' })
    if ('here'.startsWith(q)) out.push({ username: 'here', label: 'Notify everyone online now' })
  }
  return out.slice(0, opts.limit ?? 8)
}

/** Replaces the typed `@query` with `@username ` and returns the new text and caret. */
export function insertMention(text: string, q: MentionQuery, caret: number, username: string): { text: string; caret: number } {
  const inserted = `@${username} `
  const rest = text.slice(caret).replace(/^[a-zA-Z0-9_.-]*/, '').replace(/^ /, '')
  return { text: text.slice(0, q.start) + inserted + rest, caret: q.start + inserted.length }
}
