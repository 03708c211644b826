import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import type { Conversation, Member, Message, User } from '../api/types'
import { preview, timeOf } from '../lib/format'
import { friendlyError } from '../lib/problem'
import { canMentionAll, filterCandidates, insertMention, mentionQuery, type Candidate, type MentionQuery } from '../lib/mentions'
import { canPin } from '../state/pins'
import { emptyTimeline, findMessage } from '../state/timeline'
import { readyToSend } from '../state/uploads'
import { UploadQueue } from './Attachments'
import { useChat, useStore } from './context'
import { NotificationsMenu } from './Mentions'
import { MessageList } from './MessageList'
import { ThreadPanel } from './Threads'
import { Avatar, Icon, Spinner } from './ui'

export function ConversationView({ id, onBack }: { id: string; onBack: () => void }) {
  const conv = useChat((s) => s.conversations[id])
  const listLoaded = useChat((s) => s.listLoaded)
  const store = useStore()
  const [panel, setPanel] = useState<'members' | 'pins' | null>(null)
  const [replyTo, setReplyTo] = useState<Message | null>(null)
  const [editing, setEditing] = useState<string | null>(null)
  const [highlight, setHighlight] = useState<{ id: string; n: number }>()
  const composer = useRef<HTMLTextAreaElement>(null)
  const [dragging, setDragging] = useState(false)
  const jumpReq = useChat((s) => (s.jump?.conversationId === id ? s.jump : undefined))
  const timelineLoaded = useChat((s) => !!s.timelines[id]?.loaded)
  const threadOpen = useChat((s) => s.thread?.conversationId === id)
  // One side panel at a time: opening a thread closes the others, and they close it.
  useEffect(() => {
    if (threadOpen) setPanel(null)
  }, [threadOpen])

  // The highlight of a message jumped to fades after a while.
  useEffect(() => {
    if (!highlight) return
    const t = setTimeout(() => setHighlight(undefined), 2500)
    return () => clearTimeout(t)
  }, [highlight])

  const jump = useCallback(
    (messageId: string) => {
      const t = store.getState().timelines[id]
      if (!t || !findMessage(t, messageId)) {
        store.notify('That message is further up: scroll up to load it.')
        return
      }
      // On narrow screens the panel covers the messages.
      if (!window.matchMedia('(min-width: 1024px)').matches) setPanel(null)
      setHighlight((h) => ({ id: messageId, n: (h?.n ?? 0) + 1 }))
    },
    [store, id],
  )

  // A message picked in the Mentions view: shown once the conversation's history is loaded.
  useEffect(() => {
    if (!jumpReq || !timelineLoaded) return
    store.clearJump(jumpReq.n)
    jump(jumpReq.messageId)
  }, [jumpReq, timelineLoaded, store, jump])

  if (!conv) {
    return (
      <div className="flex flex-1 items-center justify-center p-6 text-sm text-slate-500">
        {listLoaded ? (
          <div className="text-center">
            <p>This conversation is not available.</p>
            <button type="button" className="btn-secondary mt-3" onClick={onBack}>
              Back to conversations
            </button>
          </div>
        ) : (
          <Spinner />
        )}
      </div>
    )
  }

  return (
    <div className="flex min-h-0 flex-1">
      <section
        aria-label={conv.title}
        className={`relative flex min-w-0 flex-1 flex-col ${dragging ? 'ring-4 ring-indigo-400 ring-inset' : ''}`}
        onDragOver={(e) => {
          if (!e.dataTransfer.types.includes('Files')) return
          e.preventDefault()
          e.dataTransfer.dropEffect = 'copy'
          setDragging(true)
        }}
        onDragLeave={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false)
        }}
        onDrop={(e) => {
          if (!e.dataTransfer.files.length) return
          e.preventDefault()
          setDragging(false)
          store.attach(id, Array.from(e.dataTransfer.files))
        }}
      >
        {dragging && (
          <div className="pointer-events-none absolute inset-0 z-20 flex items-center justify-center bg-indigo-50/80 text-sm font-semibold text-indigo-700">
            Drop files to attach them
          </div>
        )}
        <Header
          conv={conv}
          onBack={onBack}
          panel={panel}
          onTogglePanel={(p) => {
            store.closeThread()
            setPanel((v) => (v === p ? null : p))
          }}
        />
        <MessageList
          conv={conv}
          highlight={highlight}
          editing={editing}
          onEdit={setEditing}
          onReply={(m) => {
            setReplyTo(m)
            composer.current?.focus()
          }}
        />
        <TypingIndicator id={id} />
        <Composer
          key={id}
          conv={conv}
          inputRef={composer}
          replyTo={replyTo}
          onCancelReply={() => setReplyTo(null)}
          onEditLast={setEditing}
        />
      </section>
      {panel === 'members' && <MembersPanel conv={conv} onClose={() => setPanel(null)} />}
      {panel === 'pins' && <PinsPanel conv={conv} onClose={() => setPanel(null)} onJump={jump} />}
      {threadOpen && <ThreadPanel conv={conv} onClose={() => store.closeThread()} />}
    </div>
  )
}

function useOther(conv: Conversation): string | undefined {
  const me = useChat((s) => s.me.id)
  const members = useChat((s) => s.members[conv.id])
  return conv.kind === 'direct' ? members?.find((m) => m.userId !== me)?.userId : undefined
}

function Header({
  conv,
  onBack,
  panel,
  onTogglePanel,
}: {
  conv: Conversation
  onBack: () => void
  panel: 'members' | 'pins' | null
  onTogglePanel: (p: 'members' | 'pins') => void
}) {
  const store = useStore()
  const pinCount = useChat((s) => s.pins[conv.id]?.items.length ?? 0)
  const members = useChat((s) => s.members[conv.id])
  const presence = useChat((s) => s.presence)
  const users = useChat((s) => s.users)
  const other = useOther(conv)
  const [leaving, setLeaving] = useState(false)
  const status = other ? (presence[other] ?? 'offline') : undefined

  let subtitle = ''
  if (conv.kind === 'direct') {
    subtitle = other ? `@${users[other]?.username ?? '…'} · ${status === 'online' ? 'online' : 'offline'}` : ''
  } else {
    const online = members?.filter((m) => presence[m.userId] === 'online').length ?? 0
    subtitle = members ? `${members.length} member${members.length === 1 ? '' : 's'}${online ? ` · ${online} online` : ''}` : ''
    if (conv.topic) subtitle = `${conv.topic}${subtitle ? ' · ' + subtitle : ''}`
  }

  async function leave() {
    if (leaving) return
    setLeaving(true)
    try {
      await store.leave(conv.id)
    } catch (e) {
      store.notify(friendlyError(e))
      setLeaving(false)
    }
  }

  return (
    <header className="flex items-center gap-2 border-b border-slate-200 bg-white px-2 py-2.5 sm:px-4">
      <button type="button" onClick={onBack} className="btn-ghost md:hidden" aria-label="Back to conversations">
        <Icon name="back" />
      </button>
      <Avatar id={other ?? conv.id} name={conv.title} kind={conv.kind === 'direct' ? 'user' : conv.kind} presence={status} />
      <div className="min-w-0 flex-1">
        <h2 className="truncate text-base font-semibold">{conv.title}</h2>
        <p className="truncate text-xs text-slate-500" data-testid="conversation-subtitle">
          {subtitle}
        </p>
      </div>
      <NotificationsMenu conv={conv} />
      <button type="button" className="btn-ghost" aria-expanded={panel === 'pins'} onClick={() => onTogglePanel('pins')} aria-label={`Pins (${pinCount})`} title="Pinned messages">
        <Icon name="pin" className="h-4 w-4" />
        <span className="hidden sm:inline">Pins</span>
        {pinCount > 0 && (
          <span aria-hidden="true" className="rounded-full bg-amber-100 px-1.5 text-[11px] font-semibold text-amber-800">
            {pinCount}
          </span>
        )}
      </button>
      <button type="button" className="btn-ghost" aria-expanded={panel === 'members'} onClick={() => onTogglePanel('members')}>
        <Icon name="users" className="h-4 w-4" />
        <span className="hidden sm:inline">Members</span>
        <span className="sr-only sm:hidden">Members</span>
      </button>
      {conv.kind !== 'direct' && (
        <button type="button" className="btn-ghost text-rose-600 hover:bg-rose-50 hover:text-rose-700" onClick={leave} disabled={leaving}>
          Leave
        </button>
      )}
    </header>
  )
}

function MembersPanel({ conv, onClose }: { conv: Conversation; onClose: () => void }) {
  const me = useChat((s) => s.me.id)
  const members = useChat((s) => s.members[conv.id])
  const users = useChat((s) => s.users)
  const presence = useChat((s) => s.presence)
  const [adding, setAdding] = useState(false)
  const sorted = useMemo(
    () =>
      [...(members ?? [])].sort(
        (a, b) =>
          Number(presence[b.userId] === 'online') - Number(presence[a.userId] === 'online') ||
          (users[a.userId]?.displayName ?? '').localeCompare(users[b.userId]?.displayName ?? ''),
      ),
    [members, presence, users],
  )
  const canAdd = conv.kind === 'group' && (conv.role === 'owner' || conv.role === 'admin')

  return (
    <aside aria-label="Members" onKeyDown={(e) => e.key === 'Escape' && onClose()} className="fixed inset-y-0 right-0 z-40 flex w-full max-w-sm flex-col bg-white shadow-2xl ring-1 ring-slate-200 lg:static lg:z-auto lg:w-72 lg:shadow-none lg:ring-0 lg:border-l lg:border-slate-200">
      <div className="flex items-center justify-between border-b border-slate-200 px-4 py-3">
        <h3 className="text-sm font-semibold">Members{members ? ` (${members.length})` : ''}</h3>
        <button type="button" className="btn-ghost -mr-2" onClick={onClose} aria-label="Close members">
          <Icon name="x" className="h-4 w-4" />
        </button>
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto p-2">
        {!members ? (
          <div className="p-2">
            <Spinner />
          </div>
        ) : (
          <ul className="space-y-0.5">
            {sorted.map((m: Member) => {
              const u = users[m.userId]
              return (
                <li key={m.userId} className="flex items-center gap-3 rounded-lg px-2 py-1.5">
                  <Avatar id={m.userId} name={u?.displayName ?? '?'} size="sm" presence={presence[m.userId] ?? 'offline'} />
                  <span className="min-w-0 flex-1">
                    <span className="block truncate text-sm font-medium">
                      {u?.displayName ?? '…'}
                      {m.userId === me && <span className="font-normal text-slate-400"> (you)</span>}
                    </span>
                    <span className="block truncate text-xs text-slate-500">
                      @{u?.username ?? '…'} · {presence[m.userId] === 'online' ? 'online' : 'offline'}
                    </span>
                  </span>
                  {m.role !== 'member' && <span className="rounded bg-slate-100 px-1.5 py-0.5 text-[10px] font-semibold text-slate-600 uppercase">{m.role}</span>}
                </li>
              )
            })}
          </ul>
        )}
        {canAdd && (
          <div className="mt-3 border-t border-slate-100 px-2 pt-3">
            {adding ? (
              <AddPeople conv={conv} members={members ?? []} onDone={() => setAdding(false)} />
            ) : (
              <button type="button" className="btn-secondary w-full" onClick={() => setAdding(true)}>
                <Icon name="plus" className="h-4 w-4" /> Add people
              </button>
            )}
          </div>
        )}
      </div>
    </aside>
  )
}

function PinsPanel({ conv, onClose, onJump }: { conv: Conversation; onClose: () => void; onJump: (messageId: string) => void }) {
  const store = useStore()
  const me = useChat((s) => s.me.id)
  const pins = useChat((s) => s.pins[conv.id])
  const users = useChat((s) => s.users)
  const mayPin = canPin(conv)
  const ref = useRef<HTMLElement>(null)
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('h3')?.focus()
  }, [])
  useEffect(() => {
    if (pins?.items.length) store.ensureUsers(pins.items.map((m) => m.senderId))
  }, [pins, store])

  return (
    <aside
      ref={ref}
      aria-label="Pinned messages"
      onKeyDown={(e) => e.key === 'Escape' && onClose()}
      className="fixed inset-y-0 right-0 z-40 flex w-full max-w-sm flex-col bg-white shadow-2xl ring-1 ring-slate-200 lg:static lg:z-auto lg:w-72 lg:shadow-none lg:ring-0 lg:border-l lg:border-slate-200"
    >
      <div className="flex items-center justify-between border-b border-slate-200 px-4 py-3">
        <h3 tabIndex={-1} className="text-sm font-semibold outline-none">
          Pinned messages{pins?.loaded ? ` (${pins.items.length})` : ''}
        </h3>
        <button type="button" className="btn-ghost -mr-2" onClick={onClose} aria-label="Close pinned messages">
          <Icon name="x" className="h-4 w-4" />
        </button>
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto p-2">
        {!pins || (!pins.loaded && !pins.error) ? (
          <div className="p-2">
            <Spinner />
          </div>
        ) : pins.error ? (
          <div className="p-2 text-sm text-rose-600" role="alert">
            {pins.error}{' '}
            <button type="button" className="font-semibold underline" onClick={() => void store.loadPins(conv.id)}>
              Try again
            </button>
          </div>
        ) : pins.items.length === 0 ? (
          <p className="p-2 text-sm text-slate-500">No pinned messages yet.{mayPin ? ' Pin one from its actions to keep it here.' : ''}</p>
        ) : (
          <ul className="space-y-1">
            {pins.items.map((m) => {
              const name = m.senderId === me ? 'You' : (users[m.senderId]?.displayName ?? '…')
              return (
                <li key={m.id} data-pin-id={m.id} className="group/pin relative rounded-lg hover:bg-slate-50">
                  <button type="button" className="w-full rounded-lg px-2 py-1.5 text-left focus-visible:outline-2 focus-visible:outline-indigo-600" onClick={() => onJump(m.id)}>
                    <span className="flex items-baseline gap-2 text-xs">
                      <span className="font-semibold text-slate-700">{name}</span>
                      <time dateTime={m.createdAt} className="text-slate-400">
                        {timeOf(m.createdAt)}
                      </time>
                    </span>
                    <span className="mt-0.5 block text-sm break-words text-slate-800" data-pin-body>
                      {preview(m.body, 160)}
                    </span>
                    {m.reactions && m.reactions.length > 0 && (
                      <span className="mt-0.5 block text-xs text-slate-500">{m.reactions.map((r) => `${r.emoji} ${r.count}`).join('  ')}</span>
                    )}
                    <span className="sr-only">, go to message</span>
                  </button>
                  {mayPin && (
                    <button
                      type="button"
                      className="btn-ghost absolute top-1 right-1 p-1 opacity-0 group-hover/pin:opacity-100 focus-visible:opacity-100 [@media(hover:none)]:opacity-100"
                      onClick={() => void store.setPinned(conv.id, m.id, false)}
                      aria-label={`Unpin message from ${name}`}
                      title="Unpin"
                    >
                      <Icon name="x" className="h-3.5 w-3.5" />
                    </button>
                  )}
                </li>
              )
            })}
          </ul>
        )}
      </div>
    </aside>
  )
}

function AddPeople({ conv, members, onDone }: { conv: Conversation; members: Member[]; onDone: () => void }) {
  const store = useStore()
  const [q, setQ] = useState('')
  const [results, setResults] = useState<User[]>([])
  const inputId = useId()
  useEffect(() => {
    let cancelled = false
    const t = setTimeout(() => {
      store
        .searchUsers(q.trim())
        .then((r) => !cancelled && setResults(r.filter((u) => !members.some((m) => m.userId === u.id))))
        .catch(() => undefined)
    }, 200)
    return () => {
      cancelled = true
      clearTimeout(t)
    }
  }, [q, store, members])
  async function add(u: User) {
    try {
      await store.addMembers(conv.id, [u.id])
      onDone()
    } catch (e) {
      store.notify(friendlyError(e))
    }
  }
  return (
    <div>
      <label htmlFor={inputId} className="mb-1 block text-xs font-medium text-slate-600">
        Add people
      </label>
      <input id={inputId} type="search" autoFocus className="input" value={q} onChange={(e) => setQ(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && onDone()} />
      <ul className="mt-2 space-y-0.5">
        {results.slice(0, 8).map((u) => (
          <li key={u.id}>
            <button type="button" className="flex w-full items-center gap-2 rounded-lg px-2 py-1.5 text-left text-sm hover:bg-slate-50" onClick={() => add(u)}>
              <Avatar id={u.id} name={u.displayName} size="sm" />
              <span className="truncate">
                {u.displayName} <span className="text-slate-400">@{u.username}</span>
              </span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  )
}

function TypingIndicator({ id }: { id: string }) {
  const typing = useChat((s) => s.typing[id])
  const users = useChat((s) => s.users)
  const names = Object.keys(typing ?? {}).map((u) => users[u]?.displayName ?? 'Someone')
  const text =
    names.length === 0
      ? ''
      : names.length === 1
        ? `${names[0]} is typing…`
        : names.length === 2
          ? `${names[0]} and ${names[1]} are typing…`
          : 'Several people are typing…'
  return (
    <div aria-live="polite" className="h-5 shrink-0 px-4 text-xs text-slate-500 italic sm:px-6">
      {text}
    </div>
  )
}

function Composer({
  conv,
  inputRef,
  replyTo,
  onCancelReply,
  onEditLast,
}: {
  conv: Conversation
  inputRef: React.RefObject<HTMLTextAreaElement | null>
  replyTo: Message | null
  onCancelReply: () => void
  onEditLast: (id: string) => void
}) {
  const store = useStore()
  const me = useChat((s) => s.me.id)
  const users = useChat((s) => s.users)
  const members = useChat((s) => s.members[conv.id])
  const uploads = useChat((s) => s.uploads[conv.id]) ?? noUploads
  const timeline = useChat((s) => s.timelines[conv.id]) ?? emptyTimeline
  const [text, setText] = useState('')
  const [error, setError] = useState<string>()
  const [caret, setCaret] = useState(0)
  const [active, setActive] = useState(0)
  /** The @ position whose suggestions the user dismissed (Escape). */
  const [dismissed, setDismissed] = useState<number>()
  const fileInput = useRef<HTMLInputElement>(null)
  const listId = useId()

  useEffect(() => {
    inputRef.current?.focus()
  }, [inputRef])

  // Grow with the text, up to a limit.
  useEffect(() => {
    const el = inputRef.current
    if (!el) return
    el.style.height = 'auto'
    el.style.height = `${Math.min(el.scrollHeight, 160)}px`
  }, [text, inputRef])

  // The @mention being typed, and the members (and @channel / @here) that fit it.
  const query: MentionQuery | undefined = useMemo(() => {
    const q = mentionQuery(text, caret)
    return q && q.start !== dismissed ? q : undefined
  }, [text, caret, dismissed])
  const candidates: Candidate[] = useMemo(() => {
    if (!query) return []
    const people = (members ?? []).flatMap((m) => (users[m.userId] ? [users[m.userId]] : []))
    return filterCandidates(people, query.query, { me, allowAll: canMentionAll(conv) })
  }, [query, members, users, me, conv])
  const suggesting = candidates.length > 0
  const activeIndex = Math.min(active, Math.max(0, candidates.length - 1))

  function pick(c: Candidate) {
    if (!query) return
    const r = insertMention(text, query, caret, c.username)
    setText(r.text)
    setCaret(r.caret)
    setActive(0)
    requestAnimationFrame(() => {
      const el = inputRef.current
      if (!el) return
      el.focus()
      el.setSelectionRange(r.caret, r.caret)
    })
  }

  const canSend = readyToSend(uploads, text)

  function submit() {
    if (!canSend) return
    const body = text.trim()
    if (body.length > 4000) {
      setError(`Messages can be at most 4000 characters (this one has ${body.length}).`)
      return
    }
    setError(undefined)
    if (!store.sendWithUploads(conv.id, body, replyTo?.id)) return
    setText('')
    setCaret(0)
    onCancelReply()
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (suggesting && !e.nativeEvent.isComposing) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault()
        const n = candidates.length
        setActive((activeIndex + (e.key === 'ArrowDown' ? 1 : n - 1)) % n)
        return
      }
      if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
        e.preventDefault()
        pick(candidates[activeIndex])
        return
      }
      if (e.key === 'Escape') {
        e.preventDefault()
        setDismissed(query?.start)
        return
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault()
      submit()
    } else if (e.key === 'Escape' && replyTo) {
      e.preventDefault()
      onCancelReply()
    } else if (e.key === 'ArrowUp' && !text) {
      const last = [...timeline.messages].reverse().find((m) => m.senderId === me && !m.deletedAt)
      if (last) {
        e.preventDefault()
        onEditLast(last.id)
      }
    }
  }

  const optionId = (i: number) => `${listId}-opt-${i}`

  return (
    <form
      className="relative shrink-0 border-t border-slate-200 bg-white px-2 pt-2 pb-[max(0.5rem,env(safe-area-inset-bottom))] sm:px-4"
      onSubmit={(e) => {
        e.preventDefault()
        submit()
      }}
    >
      {suggesting && (
        <ul
          id={listId}
          role="listbox"
          aria-label="Mention suggestions"
          className="absolute bottom-full left-2 z-30 mb-1 max-h-64 w-72 overflow-y-auto rounded-xl bg-white p-1 shadow-lg ring-1 ring-slate-200 sm:left-4"
        >
          {candidates.map((c, i) => (
            <li
              key={c.username}
              id={optionId(i)}
              role="option"
              aria-selected={i === activeIndex}
              data-username={c.username}
              onMouseDown={(e) => {
                e.preventDefault() // keep the focus in the composer
                pick(c)
              }}
              onMouseEnter={() => setActive(i)}
              className={`flex cursor-pointer items-center gap-2 rounded-lg px-2 py-1.5 text-sm ${i === activeIndex ? 'bg-indigo-50 text-indigo-900' : 'text-slate-800'}`}
            >
              {c.userId ? <Avatar id={c.userId} name={c.label} size="sm" /> : <span className="flex h-7 w-7 items-center justify-center rounded-full bg-amber-100 text-amber-800">@</span>}
              <span className="min-w-0 truncate">
                <span className="font-medium">@{c.username}</span> <span className="text-slate-500">{c.label}</span>
              </span>
            </li>
          ))}
        </ul>
      )}
      {replyTo && (
        <div className="mb-2 flex items-center gap-2 rounded-lg border-l-4 border-indigo-400 bg-indigo-50 px-3 py-1.5 text-xs">
          <Icon name="reply" className="h-4 w-4 shrink-0 text-indigo-500" />
          <span className="min-w-0 flex-1 truncate">
            Replying to <strong>{replyTo.senderId === me ? 'yourself' : (users[replyTo.senderId]?.displayName ?? 'message')}</strong>: {preview(replyTo.body, 80)}
          </span>
          <button type="button" className="btn-link" onClick={onCancelReply} aria-label="Cancel reply">
            <Icon name="x" className="h-4 w-4" />
          </button>
        </div>
      )}
      <UploadQueue items={uploads} onRemove={(key) => store.unattach(conv.id, key)} />
      <ModerationNote conv={conv} />
      {error && (
        <p role="alert" className="mb-2 text-xs text-rose-600">
          {error}
        </p>
      )}
      <div className="flex items-end gap-2">
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          aria-label="Attach files"
          data-testid="attach-input"
          onChange={(e) => {
            const files = Array.from(e.target.files ?? [])
            e.target.value = ''
            if (files.length) store.attach(conv.id, files)
          }}
        />
        <button type="button" className="btn-ghost h-10 px-2" aria-label="Attach files" title="Attach files" onClick={() => fileInput.current?.click()}>
          <svg viewBox="0 0 20 20" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
            <path d="M15.5 9.5l-5.8 5.8a3.5 3.5 0 01-5-5l6.2-6.2a2.3 2.3 0 013.3 3.3l-6 6a1.2 1.2 0 01-1.7-1.7l5.5-5.5" />
          </svg>
        </button>
        <textarea
          ref={inputRef}
          aria-label="Message"
          rows={1}
          value={text}
          placeholder={`Message ${conv.kind === 'channel' ? '#' : ''}${conv.title}`}
          aria-autocomplete="list"
          aria-controls={suggesting ? listId : undefined}
          aria-activedescendant={suggesting ? optionId(activeIndex) : undefined}
          onChange={(e) => {
            setText(e.target.value)
            setCaret(e.target.selectionStart ?? e.target.value.length)
            setActive(0)
            store.setTyping(conv.id, e.target.value.length > 0)
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onKeyDown={onKeyDown}
          className="input max-h-40 min-h-10 flex-1 resize-none leading-6"
        />
        <button type="submit" className="btn-primary h-10" disabled={!canSend}>
          <Icon name="send" className="h-4 w-4" />
          <span>Send</span>
        </button>
      </div>
      <p className="mt-1 hidden text-[11px] text-slate-400 sm:block">Enter to send · Shift+Enter for a new line · @ to mention · ↑ to edit your last message</p>
    </form>
  )
}

const noUploads: never[] = []

/** Tells the user what moderation holds them to here: a mute (until when), or slow mode (owners and admins are
 * exempt). The server refuses what they break either way; this says why before they try. */
function ModerationNote({ conv }: { conv: Conversation }) {
  const [now, setNow] = useState(() => Date.now())
  const until = conv.mutedUntil ? Date.parse(conv.mutedUntil) : 0
  useEffect(() => {
    if (until <= now) return
    const t = setTimeout(() => setNow(Date.now()), Math.min(until - now + 50, 60_000))
    return () => clearTimeout(t)
  }, [until, now])
  if (until > now) {
    return (
      <p className="mb-2 text-xs text-amber-700" data-testid="muted-note">
        A moderator muted you here until {new Date(until).toLocaleString()}.
      </p>
    )
  }
  if (conv.slowModeSeconds > 0 && conv.role === 'member') {
    return (
      <p className="mb-2 text-xs text-slate-500" data-testid="slow-mode-note">
        Slow mode: one message every {conv.slowModeSeconds} s.
      </p>
    )
  }
  return null
}
