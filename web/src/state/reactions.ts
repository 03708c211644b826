// Reactions: each message's emoji tallies as the signed-in user sees them ({emoji, count, me}). History pages and pin
// lists bring tallies; sequenced reaction.added / reaction.removed events (applied once each, in seq order, by the
// sequencer) change them by one. Events carry who reacted, not tallies, so the client counts: +1 / -1, and `me`
// when the reaction is the user's own. The user's own reaction is a set membership (me is true or false), so
// applying it twice — an optimistic toggle and then its event, or a page that already counted it — changes nothing.
import type { ReactionCount } from '../api/types'

/** The server's :shortcode: set (core/reaction.go Shortcodes), each the emoji it stands for, in its order. */
export const SHORTCODES: readonly (readonly [string, string])[] = [
  ['+1', '👍'],
  ['thumbsup', '👍'],
  ['-1', '👎'],
  ['thumbsdown', '👎'],
  ['heart', '❤️'],
  ['joy', '😂'],
  ['smile', '😄'],
  ['laughing', '😆'],
  ['wink', '😉'],
  ['open_mouth', '😮'],
  ['cry', '😢'],
  ['sob', '😭'],
  ['rage', '😡'],
  ['tada', '🎉'],
  ['rocket', '🚀'],
  ['eyes', '👀'],
  ['fire', '🔥'],
  ['clap', '👏'],
  ['pray', '🙏'],
  ['ok_hand', '👌'],
  ['wave', '👋'],
  ['thinking', '🤔'],
  ['100', '💯'],
  ['white_check_mark', '✅'],
  ['x', '❌'],
  ['warning', '⚠️'],
  ['star', '⭐'],
  ['muscle', '💪'],
  ['raised_hands', '🙌'],
  ['party', '🥳'],
  ['coffee', '☕'],
  ['bug', '🐛'],
  ['question', '❓'],
]

/** The picker's choices: each emoji once, with its (first non-alias) shortcode. */
export const PICKER: readonly { emoji: string; shortcode: string }[] = (() => {
  const seen = new Map<string, string>()
  for (const [code, emoji] of SHORTCODES) {
    if (code === '+1' || code === '-1') continue // aliases of thumbsup / thumbsdown
    if (!seen.has(emoji)) seen.set(emoji, code)
  }
  return [...seen].map(([emoji, shortcode]) => ({ emoji, shortcode }))
})()

/** The emoji a :shortcode: stands for (reactions are stored, and counted, as their emoji); others as they are. */
export function emojiOf(s: string): string {
  if (s.length > 2 && s.startsWith(':') && s.endsWith(':')) {
    const code = s.slice(1, -1)
    const hit = SHORTCODES.find(([c]) => c === code)
    if (hit) return hit[1]
  }
  return s
}

/** Adds one reaction with emoji (mine: the signed-in user's). New emoji go last (tallies keep first-reaction order). */
export function addTally(list: readonly ReactionCount[], emoji: string, mine: boolean): ReactionCount[] {
  const i = list.findIndex((r) => r.emoji === emoji)
  if (i < 0) return [...list, { emoji, count: 1, me: mine }]
  const r = list[i]
  if (mine && r.me) return list as ReactionCount[] // already counted
  const next = list.slice()
  next[i] = { emoji, count: r.count + 1, me: r.me || mine }
  return next
}

/** Takes back one reaction with emoji (mine: the signed-in user's). */
export function removeTally(list: readonly ReactionCount[], emoji: string, mine: boolean): ReactionCount[] {
  const i = list.findIndex((r) => r.emoji === emoji)
  if (i < 0) return list as ReactionCount[]
  const r = list[i]
  // Mine: only if I am counted. Someone else's: only if someone besides me is counted.
  if (mine ? !r.me : r.count - (r.me ? 1 : 0) <= 0) return list as ReactionCount[]
  const count = r.count - 1
  if (count <= 0) return list.filter((_, j) => j !== i)
  const next = list.slice()
  next[i] = { emoji, count, me: mine ? false : r.me }
  return next
}

/** Do I have this reaction on the message? */
export function reactedWith(list: readonly ReactionCount[] | null | undefined, emoji: string): boolean {
  return !!list?.some((r) => r.emoji === emoji && r.me)
}
