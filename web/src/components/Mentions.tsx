import { useEffect, useRef, useState } from 'react'
import type { Conversation, NotifyLevel } from '../api/types'
import { preview, timeOf } from '../lib/format'
import { segments } from '../lib/mentions'
import { conversationPath, navigate } from '../lib/router'
import { useChat, useStore } from './context'
import { Avatar, Dialog, Spinner } from './ui'

/** A message body with its mentions marked: the user's own and @channel / @here stronger. */
export function MentionText({ body, mine }: { body: string; mine: boolean }) {
  const me = useChat((s) => s.me.username.toLowerCase())
  const parts = segments(body)
  if (!parts.some((p) => p.mention)) return <>{body}</>
  return (
    <>
      {parts.map((p, i) => {
        if (!p.mention) return p.text
        const strong = p.mention === me || p.mention === 'channel' || p.mention === 'here'
        const cls = strong
          ? mine
            ? 'rounded bg-amber-300 px-0.5 font-semibold text-slate-900'
            : 'rounded bg-amber-200 px-0.5 font-semibold text-amber-900'
          : mine
            ? 'font-semibold text-indigo-100'
            : 'font-semibold text-indigo-700'
        return (
          <span key={i} data-mention={p.mention} data-mention-me={strong || undefined} className={cls}>
            {p.text}
          </span>
        )
      })}
    </>
  )
}

/** The Mentions inbox: messages that mention the user, newest first, paged; one opens its conversation. */
export function MentionsDialog({ onClose }: { onClose: () => void }) {
  const store = useStore()
  const inbox = useChat((s) => s.inbox)
  const conversations = useChat((s) => s.conversations)
  const users = useChat((s) => s.users)

  useEffect(() => {
    void store.loadMentions()
  }, [store])

  function open(conversationId: string, messageId: string) {
    onClose()
    store.requestJump(conversationId, messageId)
    navigate(conversationPath(conversationId))
  }

  return (
    <Dialog title="Mentions" onClose={onClose} wide>
      {inbox.error && (
        <p role="alert" className="mb-2 rounded-lg bg-rose-50 p-3 text-sm text-rose-700">
          {inbox.error}
        </p>
      )}
      {!inbox.loaded ? (
        inbox.loading && <Spinner />
      ) : inbox.items.length === 0 ? (
        <p className="text-sm text-slate-500">Nobody has mentioned you yet.</p>
      ) : (
        <ul className="space-y-1" aria-label="Messages that mention you">
          {inbox.items.map((m) => {
            const c = conversations[m.conversationId]
            const who = users[m.senderId]?.displayName ?? '…'
            const unread = !!c && m.seq > c.readSeq
            return (
              <li key={m.id}>
                <button
                  type="button"
                  data-mention-item={m.id}
                  data-unread={unread || undefined}
                  className="flex w-full items-start gap-3 rounded-lg px-2 py-2 text-left hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
                  onClick={() => open(m.conversationId, m.id)}
                >
                  <Avatar id={m.senderId} name={who} size="sm" />
                  <span className="min-w-0 flex-1">
                    <span className="flex items-baseline gap-2 text-xs">
                      {unread && <span className="h-2 w-2 shrink-0 self-center rounded-full bg-amber-500" aria-label="unread" />}
                      <span className="font-semibold text-slate-700">{who}</span>
                      <span className="truncate text-slate-500">in {c ? (c.kind === 'channel' ? `#${c.title}` : c.title) : 'a conversation'}</span>
                      <time dateTime={m.createdAt} className="ml-auto shrink-0 text-slate-400">
                        {timeOf(m.createdAt)}
                      </time>
                    </span>
                    <span className="mt-0.5 block text-sm break-words text-slate-800">
                      <MentionText body={preview(m.body, 200)} mine={false} />
                    </span>
                  </span>
                </button>
              </li>
            )
          })}
        </ul>
      )}
      {inbox.loaded && inbox.next && (
        <div className="mt-3 flex justify-center">
          <button type="button" className="btn-secondary" disabled={inbox.loading} onClick={() => void store.loadMentions(true)}>
            {inbox.loading ? 'Loading…' : 'Load older mentions'}
          </button>
        </div>
      )}
    </Dialog>
  )
}

const levels: { level: NotifyLevel; label: string; hint: string }[] = [
  { level: 'all', label: 'All messages', hint: 'Badge every new message' },
  { level: 'mentions', label: 'Mentions only', hint: 'Only @you, @channel and @here' },
  { level: 'none', label: 'Nothing', hint: 'No badges at all' },
]

/** The conversation's notification settings: what to be told about, and mute. */
export function NotificationsMenu({ conv }: { conv: Conversation }) {
  const store = useStore()
  const [open, setOpen] = useState(false)
  const ref = useRef<HTMLDivElement>(null)
  const button = useRef<HTMLButtonElement>(null)
  const level = conv.notifyLevel ?? 'all'
  const muted = !!conv.muted

  useEffect(() => {
    if (!open) return
    const close = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) setOpen(false)
    }
    document.addEventListener('mousedown', close)
    ref.current?.querySelector<HTMLInputElement>('input:checked')?.focus()
    return () => document.removeEventListener('mousedown', close)
  }, [open])

  return (
    <div ref={ref} className="relative">
      <button
        ref={button}
        type="button"
        className={`btn-ghost ${muted ? 'text-slate-400' : ''}`}
        aria-haspopup="dialog"
        aria-expanded={open}
        aria-label={`Notifications: ${levels.find((l) => l.level === level)?.label}${muted ? ', muted' : ''}`}
        title="Notifications"
        onClick={() => setOpen((v) => !v)}
      >
        <svg viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
          <path d="M5 13.5V9a5 5 0 0110 0v4.5l1.5 1.5h-13zM8.5 17a1.5 1.5 0 003 0" />
          {muted && <path d="M3 3l14 14" />}
        </svg>
        <span className="hidden sm:inline">{muted ? 'Muted' : 'Notify'}</span>
      </button>
      {open && (
        <div
          role="dialog"
          aria-label="Notification settings"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation()
              setOpen(false)
              button.current?.focus()
            }
          }}
          className="fixed inset-x-2 top-14 z-30 rounded-xl bg-white p-2 shadow-lg ring-1 ring-slate-200 sm:absolute sm:inset-x-auto sm:top-full sm:right-0 sm:mt-1 sm:w-64"
        >
          <fieldset>
            <legend className="px-2 pb-1 text-xs font-semibold text-slate-500">Notify me about</legend>
            {levels.map((l) => (
              <label key={l.level} className="flex cursor-pointer items-start gap-2 rounded-lg px-2 py-1.5 hover:bg-slate-50">
                <input
                  type="radio"
                  name={`notify-${conv.id}`}
                  className="mt-1"
                  checked={level === l.level}
                  onChange={() => void store.setNotifications(conv.id, l.level, muted)}
                />
                <span>
                  <span className="block text-sm">{l.label}</span>
                  <span className="block text-xs text-slate-500">{l.hint}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <label className="mt-1 flex cursor-pointer items-center gap-2 border-t border-slate-100 px-2 pt-2 pb-1 text-sm">
            <input type="checkbox" checked={muted} onChange={(e) => void store.setNotifications(conv.id, level, e.target.checked)} />
            Mute this conversation
          </label>
        </div>
      )}
    </div>
  )
}
