// Message search (GET /v1/search): the query, its results (newest first, paged with an opaque cursor) and the
// highlight of each: the body with the matched words between U+0002 (start) and U+0003 (end), parsed here into
// text parts (rendered as text, never as HTML). An answer to an older query (the user typed on) is dropped.
import { call } from '../api/client'
import type { SearchHit } from '../api/types'
import { ApiError, friendlyError } from '../lib/problem'
import type { StoreCore } from './core'

const START = '\u0002'
const END = '\u0003'

export interface HighlightPart {
  text: string
  mark: boolean
}

/** Splits a highlight into plain and marked parts. A start without its end marks up to the end of the text; an
 * end without a start, or a start inside a marked part, is dropped; empty parts are left out. */
export function parseHighlight(s: string): HighlightPart[] {
  const parts: HighlightPart[] = []
  let mark = false
  let text = ''
  const flush = () => {
    if (!text) return
    const last = parts[parts.length - 1]
    if (last && last.mark === mark) last.text += text
    else parts.push({ text, mark })
    text = ''
  }
  for (const ch of s) {
    if (ch === START) {
      if (mark) continue
      flush()
      mark = true
    } else if (ch === END) {
      if (!mark) continue
      flush()
      mark = false
    } else text += ch
  }
  flush()
  return parts
}

export interface SearchState {
  /** The query shown (as the user typed it, trimmed). */
  q: string
  /** Only this conversation. */
  conversationId?: string
  items: SearchHit[]
  next?: string
  loading: boolean
  /** A page of this query has come. */
  loaded: boolean
  error?: string
}

export const emptySearch: SearchState = { q: '', items: [], loading: false, loaded: false }

/** Appends a page of results, each message once (reset: the first page). */
export function addSearchPage(s: SearchState, items: readonly SearchHit[], next: string | undefined, reset: boolean): SearchState {
  const base = reset ? [] : s.items
  const have = new Set(base.map((h) => h.message.id))
  return { ...s, items: [...base, ...items.filter((h) => !have.has(h.message.id))], next, loading: false, loaded: true, error: undefined }
}

/** What to tell the user when a search fails: the server's own words for a query it refused or a rate limit. */
export function searchError(e: unknown): string {
  if (e instanceof ApiError && (e.code === 'invalid_argument' || e.code === 'rate_limited') && e.detail) {
    const wait = e.code === 'rate_limited' && e.retryAfterMs ? Math.max(1, Math.ceil(e.retryAfterMs / 1000)) : 0
    const d = e.detail.trim()
    const text = d.charAt(0).toUpperCase() + d.slice(1)
    return wait ? `${text}${/[.!?]$/.test(text) ? '' : '.'} Try again in ${wait} second${wait === 1 ? '' : 's'}.` : text
  }
  return friendlyError(e)
}

export class Search {
  private readonly core: StoreCore
  /** Counts the requests: only the latest one's answer is kept. */
  private generation = 0

  constructor(core: StoreCore) {
    this.core = core
  }

  /** Runs a new query (an empty one clears the results). */
  async search(q: string, conversationId?: string) {
    const query = q.trim()
    const gen = ++this.generation
    if (!query) {
      this.core.set({ search: { ...emptySearch, conversationId } })
      return
    }
    this.core.set({ search: { ...emptySearch, q: query, conversationId, loading: true } })
    await this.fetch(gen, query, conversationId, undefined)
  }

  /** Loads the next page of the current query. */
  async more() {
    const s = this.core.state.search
    if (s.loading || !s.next || !s.q) return
    const gen = ++this.generation
    this.core.set({ search: { ...s, loading: true, error: undefined } })
    await this.fetch(gen, s.q, s.conversationId, s.next)
  }

  clear() {
    this.generation++
    this.core.set({ search: emptySearch })
  }

  private async fetch(gen: number, q: string, conversationId: string | undefined, cursor: string | undefined) {
    const core = this.core
    try {
      const r = await call(core.api.GET('/v1/search', { params: { query: { q, conversationId, cursor, limit: 20 } } }))
      if (gen !== this.generation) return
      core.set((s) => ({ search: addSearchPage(s.search, r.items, r.next, !cursor) }))
      const ids = r.items.map((h) => h.message.senderId)
      this.ensureUsers?.(ids)
    } catch (e) {
      if (gen !== this.generation) return
      const error = searchError(e)
      core.set((s) => ({ search: { ...s.search, loading: false, error } }))
    }
  }

  /** Set by the store: fetches the names of senders not known yet. */
  ensureUsers?: (ids: string[]) => void
}
