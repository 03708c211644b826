import { useEffect, useId, useState, type FormEvent } from 'react'
import type { Conversation } from '../api/types'
import { friendlyError } from '../lib/problem'
import { conversationPath, navigate } from '../lib/router'
import { useChat, useStore } from './context'
import { Avatar, Dialog, Spinner } from './ui'

/** Public channels: search, open the ones you are in, join the others, or create one. */
export function ChannelsDialog({ onClose }: { onClose: () => void }) {
  const store = useStore()
  const mine = useChat((s) => s.conversations)
  const [q, setQ] = useState('')
  const [channels, setChannels] = useState<Conversation[] | null>(null)
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState<string>()
  const [title, setTitle] = useState('')
  const [topic, setTopic] = useState('')
  const ids = { search: useId(), title: useId(), topic: useId() }

  useEffect(() => {
    let cancelled = false
    const t = setTimeout(async () => {
      try {
        const list = await store.listChannels(q.trim())
        if (!cancelled) {
          setChannels(list)
          setError(undefined)
        }
      } catch (e) {
        if (!cancelled) setError(friendlyError(e))
      }
    }, 200)
    return () => {
      cancelled = true
      clearTimeout(t)
    }
  }, [q, store])

  function open(id: string) {
    onClose()
    navigate(conversationPath(id))
  }

  async function join(c: Conversation) {
    setBusy(c.id)
    setError(undefined)
    try {
      await store.join(c.id)
      open(c.id)
    } catch (e) {
      setError(friendlyError(e))
      setBusy(undefined)
    }
  }

  async function create(e: FormEvent) {
    e.preventDefault()
    if (!title.trim()) {
      setError('Give the channel a name.')
      return
    }
    setBusy('new')
    setError(undefined)
    try {
      const c = await store.create('channel', [], title.trim(), topic.trim() || undefined)
      open(c.id)
    } catch (err) {
      setError(friendlyError(err))
      setBusy(undefined)
    }
  }

  return (
    <Dialog title="Browse channels" onClose={onClose} wide>
      <label htmlFor={ids.search} className="mb-1 block text-sm font-medium text-slate-700">
        Search channels
      </label>
      <input id={ids.search} type="search" autoFocus autoComplete="off" className="input" value={q} onChange={(e) => setQ(e.target.value)} />
      {error && (
        <p role="alert" className="mt-3 rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-700">
          {error}
        </p>
      )}
      <div className="mt-3 min-h-20">
        {channels === null ? (
          <Spinner />
        ) : channels.length === 0 ? (
          <p className="py-3 text-sm text-slate-500">No channels{q ? ' match' : ' yet'}. Create one below.</p>
        ) : (
          <ul aria-label="Channels" className="-mx-2 space-y-0.5">
            {channels.map((c) => {
              const joined = !!mine[c.id]
              return (
                <li key={c.id} className="flex items-center gap-3 rounded-lg px-2 py-2 hover:bg-slate-50">
                  <Avatar id={c.id} name={c.title} kind="channel" size="sm" />
                  <span className="min-w-0 flex-1">
                    <span className="block truncate text-sm font-medium">{c.title}</span>
                    {c.topic && <span className="block truncate text-xs text-slate-500">{c.topic}</span>}
                  </span>
                  {joined ? (
                    <button type="button" className="btn-secondary px-3 py-1.5" onClick={() => open(c.id)} aria-label={`Open ${c.title}`}>
                      Open
                    </button>
                  ) : (
                    <button type="button" className="btn-primary px-3 py-1.5" disabled={!!busy} onClick={() => join(c)} aria-label={`Join ${c.title}`}>
                      {busy === c.id ? 'Joining…' : 'Join'}
                    </button>
                  )}
                </li>
              )
            })}
          </ul>
        )}
      </div>
      <form onSubmit={create} className="mt-4 space-y-3 border-t border-slate-100 pt-4">
        <p className="text-sm font-semibold">Create a channel</p>
        <div>
          <label htmlFor={ids.title} className="mb-1 block text-sm font-medium text-slate-700">
            Channel name
          </label>
          <input id={ids.title} className="input" maxLength={100} value={title} onChange={(e) => setTitle(e.target.value)} />
        </div>
        <div>
          <label htmlFor={ids.topic} className="mb-1 block text-sm font-medium text-slate-700">
            Topic <span className="font-normal text-slate-400">(optional)</span>
          </label>
          <input id={ids.topic} className="input" maxLength={500} value={topic} onChange={(e) => setTopic(e.target.value)} />
        </div>
        <div className="flex justify-end">
          <button type="submit" className="btn-primary" disabled={!!busy}>
            Create channel
          </button>
        </div>
      </form>
    </Dialog>
  )
}
