// Threads: the "N replies · last reply …" link under a root, the thread panel (root, replies, a composer that
// replies in the thread, follow toggle) and the Threads view (the threads the user follows, with unread replies).
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react'
import type { Conversation, Message, ThreadInfo } from '../api/types'
import { preview, timeOf } from '../lib/format'
import { conversationPath, navigate } from '../lib/router'
import { emptyTimeline, findMessage } from '../state/timeline'
import { AttachmentList } from './Attachments'
import { useChat, useStore } from './context'
import { MentionText } from './Mentions'
import { ReactionsBar } from './Reactions'
import { Avatar, Dialog, Icon, Spinner } from './ui'

export function replyCountText(n: number): string {
  return `${n} ${n === 1 ? 'reply' : 'replies'}`
}

/** Under a root: how many replies, when the last came; opens the thread. */
export function ThreadLink({ info, onOpen, mine }: { info: ThreadInfo; onOpen: () => void; mine: boolean }) {
  return (
    <button
      type="button"
      data-thread-link
      data-reply-count={info.replyCount}
      onClick={onOpen}
      className={`mt-0.5 rounded-md px-1 text-xs font-semibold text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600 ${mine ? 'self-end' : ''}`}
    >
      {replyCountText(info.replyCount)}
      {info.lastReplyAt && <span className="font-normal text-slate-500"> · last reply {timeOf(info.lastReplyAt)}</span>}
    </button>
  )
}

/** The open thread of the conversation, beside its messages. */
export function ThreadPanel({ conv, onClose }: { conv: Conversation; onClose: () => void }) {
  const store = useStore()
  const me = useChat((s) => s.me.id)
  const panel = useChat((s) => (s.thread?.conversationId === conv.id ? s.thread : undefined))
  const loadedRoot = useChat((s) => (s.thread ? findMessage(s.timelines[conv.id] ?? emptyTimeline, s.thread.rootId) : undefined))
  const users = useChat((s) => s.users)
  const ref = useRef<HTMLDivElement>(null)
  const prevLast = useRef<string | undefined>(undefined)
  const [highlight, setHighlight] = useState<string>()

  const replies = panel?.replies ?? emptyTimeline
  const last = replies.pending.length ? replies.pending[replies.pending.length - 1].clientMsgId : replies.messages[replies.messages.length - 1]?.id

  // New replies (and one's own sends) scroll into view.
  useLayoutEffect(() => {
    const el = ref.current
    if (el && last !== prevLast.current && !panel?.jump) el.scrollTop = el.scrollHeight
    prevLast.current = last
  }, [last, panel?.jump])

  // A reply picked in search: shown, highlighted, once loaded.
  const jump = panel?.jump
  useEffect(() => {
    if (!jump || !replies.loaded) return
    const el = ref.current?.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(jump.messageId)}"]`)
    if (!el) {
      store.notify('That reply is further up: load older replies to see it.')
      return
    }
    el.scrollIntoView({ block: 'center' })
    el.focus({ preventScroll: true })
    setHighlight(jump.messageId)
    const t = setTimeout(() => setHighlight(undefined), 2500)
    return () => clearTimeout(t)
  }, [jump, replies.loaded, store])

  if (!panel) return null
  const root = loadedRoot ?? panel.root
  const nameOf = (id: string) => (id === me ? 'You' : (users[id]?.displayName ?? '…'))

  return (
    <aside
      aria-label="Thread"
      onKeyDown={(e) => e.key === 'Escape' && onClose()}
      className="fixed inset-y-0 right-0 z-40 flex w-full max-w-sm flex-col bg-white shadow-2xl ring-1 ring-slate-200 lg:static lg:z-auto lg:w-96 lg:max-w-none lg:shadow-none lg:ring-0 lg:border-l lg:border-slate-200"
    >
      <div className="flex items-center gap-2 border-b border-slate-200 px-4 py-3">
        <h3 className="flex-1 text-sm font-semibold">Thread</h3>
        {panel.following !== undefined && (
          <button
            type="button"
            className={`btn-ghost px-2 py-1 text-xs ${panel.following ? 'text-indigo-700' : ''}`}
            aria-pressed={panel.following}
            onClick={() => void store.setThreadFollowing(!panel.following)}
            title={panel.following ? 'Stop following: it leaves your Threads' : 'Follow: it shows in your Threads'}
          >
            {panel.following ? 'Following' : 'Follow'}
          </button>
        )}
        <button type="button" className="btn-ghost -mr-2" onClick={onClose} aria-label="Close thread">
          <Icon name="x" className="h-4 w-4" />
        </button>
      </div>
      <div ref={ref} className="min-h-0 flex-1 overflow-y-auto px-3 py-3" role="log" aria-label="Thread replies">
        {root ? (
          <ThreadMessage conv={conv} m={root} name={nameOf(root.senderId)} mine={root.senderId === me} root />
        ) : panel.error ? null : (
          <Spinner />
        )}
        <div className="my-2 flex items-center gap-2 text-xs text-slate-400">
          <span className="h-px flex-1 bg-slate-200" />
          Replies
          <span className="h-px flex-1 bg-slate-200" />
        </div>
        {panel.error && (
          <p role="alert" className="rounded-lg bg-rose-50 p-2 text-sm text-rose-700">
            {panel.error}
          </p>
        )}
        {replies.hasOlder && (
          <div className="mb-2 flex justify-center">
            <button type="button" className="btn-secondary py-1 text-xs" disabled={panel.loadingOlder} onClick={() => void store.loadOlderReplies()}>
              {panel.loadingOlder ? 'Loading…' : 'Load older replies'}
            </button>
          </div>
        )}
        {!replies.loaded && !panel.error && <Spinner label="Loading replies…" />}
        {replies.messages.map((m) => (
          <ThreadMessage key={m.id} conv={conv} m={m} name={nameOf(m.senderId)} mine={m.senderId === me} highlighted={highlight === m.id} />
        ))}
        {replies.pending.map((p) => (
          <article key={p.clientMsgId} data-client-msg-id={p.clientMsgId} data-status={p.status} className="mt-2 flex flex-col items-end">
            <div className={`rounded-2xl px-3 py-1.5 text-sm break-words whitespace-pre-wrap ${p.status === 'failed' ? 'bg-rose-50 text-rose-900 ring-1 ring-rose-300' : 'bg-indigo-600/70 text-white'}`}>
              <span data-body>{p.body}</span>
            </div>
            <span className={`px-1 text-[11px] ${p.status === 'failed' ? 'text-rose-600' : 'text-slate-400'}`}>
              {p.status === 'failed' ? (
                <>
                  Not sent{p.error ? `: ${p.error}` : ''}{' '}
                  <button type="button" className="font-semibold underline" onClick={() => store.retry(conv.id, p.clientMsgId, panel.rootId)}>
                    Retry
                  </button>{' '}
                  <button type="button" className="underline" onClick={() => store.discard(conv.id, p.clientMsgId, panel.rootId)}>
                    Discard
                  </button>
                </>
              ) : p.status === 'sending' ? (
                'Sending…'
              ) : (
                'Sent'
              )}
            </span>
          </article>
        ))}
      </div>
      <ThreadComposer conv={conv} rootId={panel.rootId} />
    </aside>
  )
}

function ThreadMessage({ conv, m, name, mine, root, highlighted }: { conv: Conversation; m: Message; name: string; mine: boolean; root?: boolean; highlighted?: boolean }) {
  const deleted = !!m.deletedAt
  return (
    <article
      data-message-id={m.id}
      data-thread-root={root || undefined}
      data-status="sent"
      data-highlighted={highlighted || undefined}
      tabIndex={-1}
      aria-label={`${name}, ${timeOf(m.createdAt)}`}
      className={`mt-2 flex gap-2 rounded-xl outline-none ${highlighted ? 'bg-amber-50 ring-2 ring-amber-400' : ''}`}
    >
      <Avatar id={m.senderId} name={name} size="sm" />
      <div className="min-w-0 flex-1">
        <div className="flex items-baseline gap-2 text-xs">
          <span className="font-semibold text-slate-700">{name}</span>
          <time dateTime={m.createdAt} className="text-slate-400">
            {timeOf(m.createdAt)}
          </time>
          {m.editedAt && !deleted && <span className="text-slate-400">(edited)</span>}
        </div>
        <div className={`text-sm break-words whitespace-pre-wrap ${deleted ? 'text-slate-400 italic' : 'text-slate-900'}`}>
          <span data-body>{deleted ? 'Message deleted' : <MentionText body={m.body} mine={false} />}</span>
        </div>
        {!deleted && m.attachments && m.attachments.length > 0 && <AttachmentList items={m.attachments} mine={false} />}
        {!deleted && !root && m.reactions && <ReactionsBar conversationId={conv.id} messageId={m.id} reactions={m.reactions} mine={mine} />}
      </div>
    </article>
  )
}

function ThreadComposer({ conv, rootId }: { conv: Conversation; rootId: string }) {
  const store = useStore()
  const [text, setText] = useState('')
  const [error, setError] = useState<string>()
  const ref = useRef<HTMLTextAreaElement>(null)
  useEffect(() => {
    ref.current?.focus()
  }, [rootId])
  function submit() {
    const body = text.trim()
    if (!body) return
    if (body.length > 4000) {
      setError(`Messages can be at most 4000 characters (this one has ${body.length}).`)
      return
    }
    setError(undefined)
    store.sendReply(conv.id, rootId, body)
    setText('')
  }
  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault()
      submit()
    }
  }
  return (
    <form
      className="shrink-0 border-t border-slate-200 p-2"
      onSubmit={(e) => {
        e.preventDefault()
        submit()
      }}
    >
      {error && (
        <p role="alert" className="mb-1 text-xs text-rose-600">
          {error}
        </p>
      )}
      <div className="flex items-end gap-2">
        <textarea
          ref={ref}
          aria-label="Reply in thread"
          rows={1}
          value={text}
          placeholder="Reply…"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          className="input max-h-32 min-h-10 flex-1 resize-none leading-6"
        />
        <button type="submit" className="btn-primary h-10" disabled={!text.trim()} aria-label="Send reply">
          <Icon name="send" className="h-4 w-4" />
        </button>
      </div>
    </form>
  )
}

/** The threads the user follows, most recent reply first, with their unread replies; one opens its thread. */
export function ThreadsDialog({ onClose }: { onClose: () => void }) {
  const store = useStore()
  const list = useChat((s) => s.threadList)
  const conversations = useChat((s) => s.conversations)
  const users = useChat((s) => s.users)
  const me = useChat((s) => s.me.id)

  useEffect(() => {
    void store.loadThreads()
  }, [store])

  function open(conversationId: string, rootId: string) {
    onClose()
    void store.openThread(conversationId, rootId)
    navigate(conversationPath(conversationId))
  }

  return (
    <Dialog title="Threads" onClose={onClose} wide>
      {list.error && (
        <p role="alert" className="mb-2 rounded-lg bg-rose-50 p-3 text-sm text-rose-700">
          {list.error}
        </p>
      )}
      {!list.loaded ? (
        list.loading && <Spinner />
      ) : list.items.length === 0 ? (
        <p className="text-sm text-slate-500">No threads yet. Reply in a thread, or get a reply to your message, and it shows here.</p>
      ) : (
        <ul className="space-y-1" aria-label="Threads you follow">
          {list.items.map((t) => {
            const c = conversations[t.root.conversationId]
            const who = t.root.senderId === me ? 'You' : (users[t.root.senderId]?.displayName ?? '…')
            return (
              <li key={`${t.root.conversationId}/${t.root.id}`}>
                <button
                  type="button"
                  data-thread-item={t.root.id}
                  data-unread={t.unread || undefined}
                  className="flex w-full items-start gap-3 rounded-lg px-2 py-2 text-left hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
                  onClick={() => open(t.root.conversationId, t.root.id)}
                >
                  <Avatar id={t.root.senderId} name={who} size="sm" />
                  <span className="min-w-0 flex-1">
                    <span className="flex items-baseline gap-2 text-xs">
                      <span className="font-semibold text-slate-700">{who}</span>
                      <span className="truncate text-slate-500">in {c ? (c.kind === 'channel' ? `#${c.title}` : c.title) : 'a conversation'}</span>
                      {t.unread > 0 && (
                        <span className="ml-auto inline-flex h-5 min-w-5 shrink-0 items-center justify-center rounded-full bg-indigo-600 px-1.5 text-[11px] font-semibold text-white">
                          {t.unread} new
                        </span>
                      )}
                    </span>
                    <span className="mt-0.5 block text-sm break-words text-slate-800">{t.root.deletedAt ? 'Message deleted' : preview(t.root.body, 160)}</span>
                    {t.root.thread && (
                      <span className="mt-0.5 block text-xs text-slate-500">
                        {replyCountText(t.root.thread.replyCount)}
                        {t.root.thread.lastReplyAt && ` · last reply ${timeOf(t.root.thread.lastReplyAt)}`}
                      </span>
                    )}
                  </span>
                </button>
              </li>
            )
          })}
        </ul>
      )}
      {list.loaded && list.next && (
        <div className="mt-3 flex justify-center">
          <button type="button" className="btn-secondary" disabled={list.loading} onClick={() => void store.loadThreads(true)}>
            {list.loading ? 'Loading…' : 'More threads'}
          </button>
        </div>
      )}
    </Dialog>
  )
}
