import { useEffect, useId, useState, type FormEvent } from 'react'
import type { User } from '../api/types'
import { friendlyError } from '../lib/problem'
import { conversationPath, navigate } from '../lib/router'
import { useChat, useStore } from './context'
import { Avatar, Dialog, Icon, Spinner } from './ui'

/** Find people by username: pick one for a direct conversation, or several (and a name) for a group. */
export function NewConversationDialog({ onClose }: { onClose: () => void }) {
  const store = useStore()
  const me = useChat((s) => s.me.id)
  const [mode, setMode] = useState<'direct' | 'group'>('direct')
  const [q, setQ] = useState('')
  const [results, setResults] = useState<User[] | null>(null)
  const [searching, setSearching] = useState(false)
  const [picked, setPicked] = useState<User[]>([])
  const [title, setTitle] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const ids = { search: useId(), title: useId(), results: useId() }

  useEffect(() => {
    let cancelled = false
    setSearching(true)
    const t = setTimeout(async () => {
      try {
        const users = await store.searchUsers(q.trim())
        if (!cancelled) {
          setResults(users.filter((u) => u.id !== me))
          setError(undefined)
        }
      } catch (e) {
        if (!cancelled) setError(friendlyError(e))
      } finally {
        if (!cancelled) setSearching(false)
      }
    }, 200)
    return () => {
      cancelled = true
      clearTimeout(t)
    }
  }, [q, store, me])

  async function startDirect(u: User) {
    if (busy) return
    setBusy(true)
    setError(undefined)
    try {
      const c = await store.create('direct', [u.id])
      onClose()
      navigate(conversationPath(c.id))
    } catch (e) {
      setError(friendlyError(e))
      setBusy(false)
    }
  }

  async function createGroup(e: FormEvent) {
    e.preventDefault()
    if (busy) return
    if (!title.trim()) {
      setError('Give the group a name.')
      return
    }
    if (picked.length === 0) {
      setError('Pick at least one person.')
      return
    }
    setBusy(true)
    setError(undefined)
    try {
      const c = await store.create('group', picked.map((u) => u.id), title.trim())
      onClose()
      navigate(conversationPath(c.id))
    } catch (err) {
      setError(friendlyError(err))
      setBusy(false)
    }
  }

  function toggle(u: User) {
    setPicked((p) => (p.some((x) => x.id === u.id) ? p.filter((x) => x.id !== u.id) : [...p, u]))
  }

  return (
    <Dialog title="New conversation" onClose={onClose}>
      <div className="mb-4 grid grid-cols-2 gap-1 rounded-lg bg-slate-100 p-1" role="group" aria-label="Kind of conversation">
        {(['direct', 'group'] as const).map((m) => (
          <button
            key={m}
            type="button"
            aria-pressed={mode === m}
            onClick={() => {
              setMode(m)
              setError(undefined)
            }}
            className={`rounded-md px-3 py-1.5 text-sm font-medium ${mode === m ? 'bg-white text-slate-900 shadow-sm' : 'text-slate-600 hover:text-slate-900'}`}
          >
            {m === 'direct' ? 'Direct message' : 'Group'}
          </button>
        ))}
      </div>
      <form onSubmit={createGroup} className="space-y-3">
        {mode === 'group' && (
          <div>
            <label htmlFor={ids.title} className="mb-1 block text-sm font-medium text-slate-700">
              Group name
            </label>
            <input id={ids.title} className="input" value={title} maxLength={100} onChange={(e) => setTitle(e.target.value)} />
          </div>
        )}
        <div>
          <label htmlFor={ids.search} className="mb-1 block text-sm font-medium text-slate-700">
            Search people
          </label>
          <input
            id={ids.search}
            type="search"
            autoFocus
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            placeholder="Username or name"
            className="input"
            value={q}
            aria-controls={ids.results}
            onChange={(e) => setQ(e.target.value)}
          />
        </div>
        {mode === 'group' && picked.length > 0 && (
          <ul aria-label="Selected people" className="flex flex-wrap gap-1.5">
            {picked.map((u) => (
              <li key={u.id}>
                <button type="button" onClick={() => toggle(u)} className="inline-flex items-center gap-1 rounded-full bg-indigo-50 py-1 pr-2 pl-3 text-xs font-medium text-indigo-700 ring-1 ring-indigo-200 hover:bg-indigo-100" aria-label={`Remove ${u.displayName}`}>
                  {u.displayName}
                  <Icon name="x" className="h-3.5 w-3.5" />
                </button>
              </li>
            ))}
          </ul>
        )}
        {error && (
          <p role="alert" className="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-700">
            {error}
          </p>
        )}
        <div id={ids.results} className="min-h-24">
          {results === null ? (
            <Spinner label="Searching…" />
          ) : results.length === 0 ? (
            <p className="py-3 text-sm text-slate-500">{searching ? 'Searching…' : 'Nobody found.'}</p>
          ) : (
            <ul aria-label="People" className="-mx-2 space-y-0.5">
              {results.map((u) => {
                const on = picked.some((x) => x.id === u.id)
                return (
                  <li key={u.id}>
                    <button
                      type="button"
                      disabled={busy}
                      onClick={() => (mode === 'direct' ? startDirect(u) : toggle(u))}
                      aria-pressed={mode === 'group' ? on : undefined}
                      className={`flex w-full items-center gap-3 rounded-lg px-2 py-2 text-left hover:bg-slate-50 focus-visible:ring-2 focus-visible:ring-indigo-600 focus-visible:outline-none ${on ? 'bg-indigo-50' : ''}`}
                    >
                      <Avatar id={u.id} name={u.displayName} size="sm" />
                      <span className="min-w-0 flex-1">
                        <span className="block truncate text-sm font-medium">{u.displayName}</span>
                        <span className="block truncate text-xs text-slate-500">@{u.username}</span>
                      </span>
                      {mode === 'group' && (
                        <span className={`h-4 w-4 rounded border ${on ? 'border-indigo-600 bg-indigo-600' : 'border-slate-300'}`} aria-hidden="true" />
                      )}
                    </button>
                  </li>
                )
              })}
            </ul>
          )}
        </div>
        {mode === 'group' && (
          <div className="flex justify-end gap-2 border-t border-slate-100 pt-3">
            <button type="button" className="btn-secondary" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="btn-primary" disabled={busy}>
              Create group
            </button>
          </div>
        )}
      </form>
    </Dialog>
  )
}
