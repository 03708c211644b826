// Per-conversation event ordering: events carry a dense seq (1, 2, 3, ...). Live delivery may duplicate, reorder
// or drop events; a Cursor applies each seq exactly once, in order, holds early arrivals back and reports the hole
// in between so that the client can ask the server (`sync`) for what it missed.
import type { ChatEvent } from '../api/types'

export interface Cursor {
  /** The highest seq applied: every event up to it has been applied, none after it. */
  readonly applied: number
  /** Events that arrived ahead of a hole, by seq. */
  readonly held: Readonly<Record<number, ChatEvent>>
}

export interface Accepted {
  cursor: Cursor
  /** Events to apply now, in seq order, each once. */
  ready: ChatEvent[]
  /** True when events are held behind a hole: the client should `sync` from cursor.applied. */
  gap: boolean
}

export function newCursor(applied = 0): Cursor {
  return { applied: Math.max(0, applied), held: {} }
}

/** Takes events of one conversation in any order and returns those that can be applied now, in seq order. */
export function accept(cursor: Cursor, events: readonly ChatEvent[]): Accepted {
  let held: Record<number, ChatEvent> | undefined
  for (const ev of events) {
    if (!Number.isInteger(ev.seq) || ev.seq <= cursor.applied) continue // applied already: a duplicate
    if (cursor.held[ev.seq] || held?.[ev.seq]) continue // held already: a duplicate
    held ??= { ...cursor.held }
    held[ev.seq] = ev
  }
  if (!held) return { cursor, ready: [], gap: hasGap(cursor) }
  const ready: ChatEvent[] = []
  let applied = cursor.applied
  while (held[applied + 1]) {
    applied++
    ready.push(held[applied])
    delete held[applied]
  }
  const next = { applied, held }
  return { cursor: next, ready, gap: hasGap(next) }
}

/** Moves the cursor forward to seq (a newer snapshot was loaded), dropping held events it covers. */
export function advanceTo(cursor: Cursor, seq: number): Accepted {
  if (seq <= cursor.applied) return { cursor, ready: [], gap: hasGap(cursor) }
  const rest = Object.values(cursor.held).filter((ev) => ev.seq > seq)
  return accept(newCursor(seq), rest)
}

export function hasGap(cursor: Cursor): boolean {
  for (const _ in cursor.held) return true
  return false
}

/** The first hole: seqs [from, to] are missing between what was applied and the earliest held event. */
export function missing(cursor: Cursor): { from: number; to: number } | undefined {
  const seqs = Object.keys(cursor.held).map(Number)
  if (seqs.length === 0) return undefined
  return { from: cursor.applied + 1, to: Math.min(...seqs) - 1 }
}
