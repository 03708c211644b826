import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import type { Conversation } from '../api/types'
import { preview, timeOf } from '../lib/format'
import { conversationFromPath, conversationPath, navigate, usePath } from '../lib/router'
import { showsMentions, showsUnread, sortConversations } from '../state/conversations'
import { ChannelsDialog } from './ChannelsDialog'
import { useChat, useStore } from './context'
import { MentionsDialog } from './Mentions'
import { NewConversationDialog } from './NewConversationDialog'
import { SearchDialog } from './Search'
import { ThreadsDialog } from './Threads'
import { Avatar, Icon, Logo, Spinner } from './ui'

export function Sidebar({ onSignOut }: { onSignOut: () => void }) {
  const me = useChat((s) => s.me)
  const conversations = useChat((s) => s.conversations)
  const listLoaded = useChat((s) => s.listLoaded)
  const listError = useChat((s) => s.listError)
  const store = useStore()
  const [dialog, setDialog] = useState<'new' | 'channels' | 'mentions' | 'threads' | 'search' | null>(null)
  const unreadThreads = useChat((s) => s.threadList.unreadThreads)
  const activeId = conversationFromPath(usePath())
  // The Threads badge: the list is loaded once, then kept by events.
  useEffect(() => {
    void store.loadThreads()
  }, [store])
  const mentionTotal = useChat((s) => {
    let n = 0
    for (const c of Object.values(s.conversations)) if (showsMentions(c)) n += c.mentions
    return n
  })
  const sorted = useMemo(() => sortConversations(Object.values(conversations)), [conversations])

  return (
    <aside aria-label="Conversations sidebar" className="flex h-full w-full flex-col bg-white">
      <header className="flex items-center gap-3 border-b border-slate-200 px-4 py-3">
        <Logo small />
        <div className="min-w-0 flex-1">
          <p className="truncate text-sm font-semibold">{me.displayName}</p>
          <p className="truncate text-xs text-slate-500">@{me.username}</p>
        </div>
        <button
          type="button"
          onClick={() => setDialog('mentions')}
          className="btn-ghost relative px-2"
          title="Mentions"
          aria-label={mentionTotal ? `Mentions (${mentionTotal} unread)` : 'Mentions'}
        >
          <span aria-hidden="true" className="text-base leading-none font-semibold">@</span>
          <span className="hidden lg:inline">Mentions</span>
          {mentionTotal > 0 && (
            <span aria-hidden="true" className="absolute -top-0.5 -right-0.5 inline-flex h-4 min-w-4 items-center justify-center rounded-full bg-amber-500 px-1 text-[10px] font-bold text-white">
              {mentionTotal > 99 ? '99+' : mentionTotal}
            </span>
          )}
        </button>
        <button
          type="button"
          onClick={() => setDialog('threads')}
          className="btn-ghost relative px-2"
          title="Threads"
          aria-label={unreadThreads ? `Threads (${unreadThreads} unread)` : 'Threads'}
        >
          <Icon name="reply" className="h-4 w-4" />
          <span className="hidden lg:inline">Threads</span>
          {unreadThreads > 0 && (
            <span data-unread-threads={unreadThreads} aria-hidden="true" className="absolute -top-0.5 -right-0.5 inline-flex h-4 min-w-4 items-center justify-center rounded-full bg-indigo-600 px-1 text-[10px] font-bold text-white">
              {unreadThreads > 99 ? '99+' : unreadThreads}
            </span>
          )}
        </button>
        <button type="button" onClick={onSignOut} className="btn-ghost" title="Sign out">
          <Icon name="logout" className="h-4 w-4" />
          <span>Sign out</span>
        </button>
      </header>
      <div className="flex gap-2 px-3 py-3">
        <button type="button" className="btn-primary flex-1 px-3" onClick={() => setDialog('new')}>
          <Icon name="plus" className="h-4 w-4" />
          New conversation
        </button>
        <button type="button" className="btn-secondary px-3" onClick={() => setDialog('search')} title="Search messages" aria-label="Search messages">
          <svg viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" aria-hidden="true">
            <circle cx="8.5" cy="8.5" r="5.5" />
            <path d="M13 13l4.5 4.5" />
          </svg>
        </button>
        <button type="button" className="btn-secondary px-3" onClick={() => setDialog('channels')} title="Browse channels">
          <Icon name="hash" className="h-4 w-4" />
          <span className="sr-only">Browse channels</span>
        </button>
      </div>
      <nav aria-label="Conversations" className="min-h-0 flex-1 overflow-y-auto px-2 pb-3">
        {!listLoaded ? (
          <div className="p-4">
            <Spinner label="Loading conversations…" />
          </div>
        ) : listError ? (
          <p role="alert" className="m-2 rounded-lg bg-rose-50 p-3 text-sm text-rose-700">
            {listError}
          </p>
        ) : sorted.length === 0 ? (
          <p className="p-4 text-sm text-slate-500">No conversations yet. Start one with “New conversation”.</p>
        ) : (
          <ConversationList items={sorted} />
        )}
      </nav>
      {dialog === 'new' && <NewConversationDialog onClose={() => setDialog(null)} />}
      {dialog === 'channels' && <ChannelsDialog onClose={() => setDialog(null)} />}
      {dialog === 'mentions' && <MentionsDialog onClose={() => setDialog(null)} />}
      {dialog === 'threads' && <ThreadsDialog onClose={() => setDialog(null)} />}
      {dialog === 'search' && <SearchDialog activeId={activeId} onClose={() => setDialog(null)} />}
    </aside>
  )
}

function ConversationList({ items }: { items: Conversation[] }) {
  const ref = useRef<HTMLUListElement>(null)
  const activeId = conversationFromPath(usePath())

  // Arrow keys move between conversations; Home/End jump to the first/last.
  function onKeyDown(e: KeyboardEvent<HTMLUListElement>) {
    const links = Array.from(ref.current?.querySelectorAll<HTMLAnchorElement>('a[data-conversation]') ?? [])
    const i = links.indexOf(document.activeElement as HTMLAnchorElement)
    let next = -1
    if (e.key === 'ArrowDown') next = Math.min(links.length - 1, i + 1)
    else if (e.key === 'ArrowUp') next = Math.max(0, i - 1)
    else if (e.key === 'Home') next = 0
    else if (e.key === 'End') next = links.length - 1
    if (next >= 0 && links[next]) {
      e.preventDefault()
      links[next].focus()
    }
  }

  return (
    <ul ref={ref} onKeyDown={onKeyDown} className="space-y-0.5">
      {items.map((c) => (
        <li key={c.id}>
          <ConversationItem c={c} active={c.id === activeId} />
        </li>
      ))}
    </ul>
  )
}

function ConversationItem({ c, active }: { c: Conversation; active: boolean }) {
  const me = useChat((s) => s.me.id)
  const members = useChat((s) => s.members[c.id])
  const presence = useChat((s) => s.presence)
  const users = useChat((s) => s.users)
  const typing = useChat((s) => s.typing[c.id])

  const other = c.kind === 'direct' ? members?.find((m) => m.userId !== me)?.userId : undefined
  const status = other ? (presence[other] ?? 'offline') : undefined
  const last = c.lastMessage
  const typers = typing ? Object.keys(typing) : []
  let line = ''
  if (typers.length) line = 'typing…'
  else if (last) {
    const who = last.senderId === me ? 'You: ' : c.kind !== 'direct' ? `${users[last.senderId]?.displayName ?? 'Someone'}: ` : ''
    line = last.deletedAt ? `${who}message deleted` : who + preview(last.body)
  } else if (c.kind === 'channel') line = c.topic || 'Channel'
  else line = c.kind === 'group' ? c.topic || 'Group' : 'No messages yet'

  const unread = showsUnread(c)
  const mentions = showsMentions(c)
  const label = [
    c.title,
    c.kind === 'channel' ? 'channel' : c.kind === 'group' ? 'group' : '',
    unread ? `${c.unread} unread` : '',
    mentions ? `${c.mentions} mention${c.mentions === 1 ? '' : 's'}` : '',
    c.muted ? 'muted' : '',
    status === 'online' ? 'online' : '',
  ]
    .filter(Boolean)
    .join(', ')

  return (
    <a
      href={conversationPath(c.id)}
      data-conversation={c.id}
      aria-current={active ? 'page' : undefined}
      aria-label={label}
      aria-describedby={`preview-${c.id}`}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return
        e.preventDefault()
        navigate(conversationPath(c.id))
      }}
      data-muted={c.muted || undefined}
      className={`flex items-center gap-3 rounded-xl px-3 py-2.5 outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 ${active ? 'bg-indigo-50' : 'hover:bg-slate-50'} ${c.muted ? 'opacity-60' : ''}`}
    >
      <Avatar id={other ?? c.id} name={c.title} kind={c.kind === 'direct' ? 'user' : c.kind} presence={status} />
      <span className="min-w-0 flex-1" aria-hidden="true">
        <span className="flex items-baseline justify-between gap-2">
          <span className={`truncate text-sm ${c.unread > 0 && !c.muted ? 'font-semibold text-slate-900' : 'font-medium text-slate-800'}`}>{c.title}</span>
          <span className="shrink-0 text-[11px] text-slate-400">{timeOf(last?.createdAt ?? c.lastActivityAt)}</span>
        </span>
        <span className="flex items-center justify-between gap-2">
          <span id={`preview-${c.id}`} className={`truncate text-xs ${typers.length ? 'text-indigo-600 italic' : unread ? 'text-slate-700' : 'text-slate-500'}`}>{line}</span>
          {mentions && (
            <span data-mentions={c.mentions} className="inline-flex h-5 shrink-0 items-center justify-center rounded-full bg-amber-500 px-1.5 text-[11px] font-semibold text-white">
              @ {c.mentions > 99 ? '99+' : c.mentions}
            </span>
          )}
          {unread && (
            <span data-unread={c.unread} className="inline-flex h-5 min-w-5 shrink-0 items-center justify-center rounded-full bg-indigo-600 px-1.5 text-[11px] font-semibold text-white">
              {c.unread > 99 ? '99+' : c.unread}
            </span>
          )}
        </span>
      </span>
    </a>
  )
}
