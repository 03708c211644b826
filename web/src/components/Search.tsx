// Message search: a query box, results (conversation, sender, time, the body with the matched words marked) paged
// with "More results", optionally only in the open conversation. A result opens its conversation at the message
// (a thread reply opens its thread).
import { useState } from 'react'
import { timeOf } from '../lib/format'
import { conversationPath, navigate } from '../lib/router'
import { parseHighlight } from '../state/search'
import { useChat, useStore } from './context'
import { Dialog, Spinner } from './ui'

/** A highlight with its matched words in <mark>: text nodes only, never HTML. */
export function HighlightText({ text }: { text: string }) {
  return (
    <>
      {parseHighlight(text).map((p, i) =>
        p.mark ? (
          <mark key={i} className="rounded bg-amber-200 px-0.5 text-slate-900">
            {p.text}
          </mark>
        ) : (
          <span key={i}>{p.text}</span>
        ),
      )}
    </>
  )
}

export function SearchDialog({ onClose, activeId }: { onClose: () => void; activeId?: string }) {
  const store = useStore()
  const search = useChat((s) => s.search)
  const conversations = useChat((s) => s.conversations)
  const users = useChat((s) => s.users)
  const me = useChat((s) => s.me.id)
  const [q, setQ] = useState(search.q)
  const [here, setHere] = useState(!!activeId && search.conversationId === activeId)
  const active = activeId ? conversations[activeId] : undefined

  function run(onlyHere = here) {
    void store.search(q, onlyHere && activeId ? activeId : undefined)
  }

  function open(conversationId: string, messageId: string, threadRootId?: string) {
    onClose()
    if (threadRootId) void store.openThread(conversationId, threadRootId, messageId)
    else store.requestJump(conversationId, messageId)
    navigate(conversationPath(conversationId))
  }

  return (
    <Dialog title="Search messages" onClose={onClose} wide>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault()
          run()
        }}
        className="space-y-2"
      >
        <div className="flex gap-2">
          <input type="search" autoFocus aria-label="Search messages" className="input flex-1" value={q} onChange={(e) => setQ(e.target.value)} placeholder='Words, or "a phrase"' />
          <button type="submit" className="btn-primary px-3" disabled={!q.trim() || search.loading}>
            Search
          </button>
        </div>
        {active && (
          <label className="flex items-center gap-2 text-xs text-slate-600">
            <input
              type="checkbox"
              checked={here}
              onChange={(e) => {
                setHere(e.target.checked)
                if (q.trim()) run(e.target.checked)
              }}
            />
            Only in {active.kind === 'channel' ? `#${active.title}` : active.title}
          </label>
        )}
      </form>
      {search.error && (
        <p role="alert" className="mt-3 rounded-lg bg-rose-50 p-3 text-sm text-rose-700">
          {search.error}
        </p>
      )}
      {search.loading && !search.loaded && (
        <div className="mt-3">
          <Spinner label="Searching…" />
        </div>
      )}
      {search.loaded && search.items.length === 0 && <p className="mt-3 text-sm text-slate-500">No messages match “{search.q}”.</p>}
      {search.items.length > 0 && (
        <ul className="mt-3 space-y-1" aria-label="Search results">
          {search.items.map(({ message: m, highlight }) => {
            const c = conversations[m.conversationId]
            const who = m.senderId === me ? 'You' : (users[m.senderId]?.displayName ?? '…')
            return (
              <li key={m.id}>
                <button
                  type="button"
                  data-search-hit={m.id}
                  className="w-full rounded-lg px-2 py-2 text-left hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
                  onClick={() => open(m.conversationId, m.id, m.threadRootId)}
                >
                  <span className="flex items-baseline gap-2 text-xs">
                    <span className="truncate font-semibold text-slate-700">{c ? (c.kind === 'channel' ? `#${c.title}` : c.title) : 'A conversation'}</span>
                    <span className="truncate text-slate-500">
                      {who}
                      {m.threadRootId ? ' · in a thread' : ''}
                    </span>
                    <time dateTime={m.createdAt} className="ml-auto shrink-0 text-slate-400">
                      {timeOf(m.createdAt)}
                    </time>
                  </span>
                  <span className="mt-0.5 block text-sm break-words whitespace-pre-wrap text-slate-800" data-search-body>
                    <HighlightText text={highlight} />
                  </span>
                </button>
              </li>
            )
          })}
        </ul>
      )}
      {search.loaded && search.next && (
        <div className="mt-3 flex justify-center">
          <button type="button" className="btn-secondary" disabled={search.loading} onClick={() => void store.searchMore()}>
            {search.loading ? 'Loading…' : 'More results'}
          </button>
        </div>
      )}
    </Dialog>
  )
}
