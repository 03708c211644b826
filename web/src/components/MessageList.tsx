import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react'
import type { Conversation, Member, Message, ThreadInfo, User } from '../api/types'
import { preview, timeOf } from '../lib/format'
import { readersOf } from '../state/conversations'
import { canPin } from '../state/pins'
import { emptyTimeline, isPinned, threadOf, type PendingMessage } from '../state/timeline'
import { useChat, useStore } from './context'
import { AttachmentList } from './Attachments'
import { MentionText } from './Mentions'
import { ReactionPicker, ReactionsBar } from './Reactions'
import { ThreadLink } from './Threads'
import { Avatar, Icon, Spinner } from './ui'

type Row = { kind: 'message'; m: Message } | { kind: 'pending'; p: PendingMessage }

const GROUP_MS = 5 * 60 * 1000

/** The message pane (role=log): history, live messages and pending sends; loads older pages when scrolled up.
 * highlight: a message to scroll to and mark (from the pins panel); n changes on every jump. */
export function MessageList({
  conv,
  editing,
  onEdit,
  onReply,
  highlight,
}: {
  conv: Conversation
  editing: string | null
  onEdit: (id: string | null) => void
  onReply: (m: Message) => void
  highlight?: { id: string; n: number }
}) {
  const store = useStore()
  const openThread = useCallback((id: string) => void store.openThread(conv.id, id), [store, conv.id])
  const me = useChat((s) => s.me.id)
  const timeline = useChat((s) => s.timelines[conv.id]) ?? emptyTimeline
  const users = useChat((s) => s.users)
  const members = useChat((s) => s.members[conv.id])
  const loadingOlder = useChat((s) => !!s.loadingOlder[conv.id])
  const ref = useRef<HTMLDivElement>(null)
  const atBottom = useRef(true)
  const prev = useRef<{ first?: string; last?: string; height: number }>({ height: 0 })

  const rows: Row[] = [
    ...timeline.messages.map((m): Row => ({ kind: 'message', m })),
    ...timeline.pending.map((p): Row => ({ kind: 'pending', p })),
  ]
  const keyOf = (r: Row) => (r.kind === 'message' ? r.m.id : r.p.clientMsgId)
  const first = rows[0] ? keyOf(rows[0]) : undefined
  const last = rows.length ? keyOf(rows[rows.length - 1]) : undefined
  const lastIsMine = rows.length > 0 && (rows[rows.length - 1].kind === 'pending' || (rows[rows.length - 1] as { m: Message }).m.senderId === me)

  // Keep the view where the reader expects it: at the bottom for new messages (when it was there, or when the
  // new message is one's own), at the same message when an older page is added above.
  useLayoutEffect(() => {
    const el = ref.current
    if (!el) return
    const p = prev.current
    if (p.last === undefined && last !== undefined) el.scrollTop = el.scrollHeight
    else if (first !== p.first && last === p.last) el.scrollTop += el.scrollHeight - p.height
    else if (last !== p.last && (atBottom.current || lastIsMine)) el.scrollTop = el.scrollHeight
    prev.current = { first, last, height: el.scrollHeight }
  })

  // A first page that does not fill the pane: load more right away (there is nothing to scroll).
  useEffect(() => {
    const el = ref.current
    if (el && timeline.loaded && timeline.hasOlder && !loadingOlder && el.scrollHeight <= el.clientHeight + 10) {
      void store.loadOlder(conv.id)
    }
  }, [timeline.loaded, timeline.hasOlder, loadingOlder, first, store, conv.id])

  // Jump to the highlighted message: bring it into view and give it focus (keyboard users land on it).
  useEffect(() => {
    if (!highlight) return
    const el = ref.current?.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(highlight.id)}"]`)
    if (!el) return
    el.scrollIntoView({ block: 'center' })
    el.focus({ preventScroll: true })
  }, [highlight])

  function onScroll() {
    const el = ref.current
    if (!el) return
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48
    if (el.scrollTop < 120 && timeline.hasOlder && !loadingOlder) void store.loadOlder(conv.id)
  }

  const nameOf = (id?: string) => (!id ? undefined : id === me ? 'You' : users[id]?.displayName)

  // The latest of my messages that others have read gets the read marker.
  let seenId: string | undefined
  let seenBy: Member[] = []
  if (members) {
    for (let i = timeline.messages.length - 1; i >= 0; i--) {
      const m = timeline.messages[i]
      if (m.senderId !== me || m.deletedAt) continue
      const readers = readersOf(members, m.seq, me)
      if (readers.length) {
        seenId = m.id
        seenBy = readers
      }
      break
    }
  }

  return (
    <div
      ref={ref}
      role="log"
      aria-label={`Messages in ${conv.title}`}
      aria-live="polite"
      aria-relevant="additions"
      tabIndex={0}
      onScroll={onScroll}
      className="min-h-0 flex-1 overflow-y-auto px-2 py-3 outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 focus-visible:ring-inset sm:px-4"
    >
      {!timeline.loaded ? (
        <div className="flex justify-center p-6">
          <Spinner label="Loading messages…" />
        </div>
      ) : timeline.hasOlder ? (
        <div className="flex justify-center py-2">{loadingOlder ? <Spinner label="Loading older messages…" /> : <span className="text-xs text-slate-400">Scroll up for older messages</span>}</div>
      ) : (
        <p className="py-4 text-center text-xs text-slate-400">
          {rows.length ? 'This is the beginning of the conversation.' : 'No messages yet. Say hello!'}
        </p>
      )}
      {rows.map((r, i) => {
        const prevRow = rows[i - 1]
        if (r.kind === 'pending') {
          const continued = prevRow !== undefined && (prevRow.kind === 'pending' || prevRow.m.senderId === me)
          const target = r.p.replyTo ? timeline.messages.find((x) => x.id === r.p.replyTo) : undefined
          return <PendingItem key={r.p.clientMsgId} conv={conv} p={r.p} continued={continued} replyTarget={target} replyName={nameOf(target?.senderId)} />
        }
        const m = r.m
        const continued =
          prevRow?.kind === 'message' && prevRow.m.senderId === m.senderId && Date.parse(m.createdAt) - Date.parse(prevRow.m.createdAt) < GROUP_MS
        return (
          <MessageItem
            key={m.id}
            conv={conv}
            m={m}
            mine={m.senderId === me}
            sender={users[m.senderId]}
            continued={continued}
            editing={editing === m.id}
            onEdit={onEdit}
            onReply={onReply}
            replyTarget={m.replyTo ? timeline.messages.find((x) => x.id === m.replyTo) : undefined}
            replyName={m.replyTo ? nameOf(timeline.messages.find((x) => x.id === m.replyTo)?.senderId) : undefined}
            seen={m.id === seenId ? (conv.kind === 'direct' ? 'Seen' : `Seen by ${seenBy.length}`) : undefined}
            highlighted={highlight?.id === m.id}
            thread={threadOf(timeline, m)}
            onOpenThread={openThread}
          />
        )
      })}
    </div>
  )
}

function ReplyQuote({ target, name }: { target?: Message; name?: string }) {
  return (
    <div className="mb-1 max-w-full truncate border-l-2 border-current/30 pl-2 text-xs opacity-75">
      {target ? (
        <>
          <span className="font-semibold">{name ?? 'Reply'}</span>: {target.deletedAt ? 'message deleted' : preview(target.body, 80)}
        </>
      ) : (
        'Reply to an earlier message'
      )}
    </div>
  )
}

const MessageItem = memo(function MessageItem({
  conv,
  m,
  mine,
  sender,
  continued,
  editing,
  onEdit,
  onReply,
  replyTarget,
  replyName,
  seen,
  highlighted,
  thread,
  onOpenThread,
}: {
  conv: Conversation
  m: Message
  mine: boolean
  sender?: User
  continued: boolean
  editing: boolean
  onEdit: (id: string | null) => void
  onReply: (m: Message) => void
  replyTarget?: Message
  replyName?: string
  seen?: string
  highlighted: boolean
  thread?: ThreadInfo
  onOpenThread: (rootId: string) => void
}) {
  const store = useStore()
  const name = mine ? 'You' : (sender?.displayName ?? '…')
  const deleted = !!m.deletedAt
  const pinned = isPinned(m)
  const mayPin = canPin(conv)
  const [picking, setPicking] = useState<'left' | 'right' | false>(false)
  const pickButton = useRef<HTMLButtonElement>(null)
  const closePicker = useCallback(() => setPicking(false), [])

  return (
    <article
      data-seq={m.seq}
      data-message-id={m.id}
      data-status="sent"
      data-pinned={pinned || undefined}
      data-highlighted={highlighted || undefined}
      tabIndex={-1}
      aria-label={`${name}, ${timeOf(m.createdAt)}${pinned ? ', pinned' : ''}`}
      className={`group flex gap-2 rounded-xl outline-none transition-colors ${mine ? 'flex-row-reverse' : ''} ${continued ? 'mt-0.5' : 'mt-3'} ${
        highlighted ? 'bg-amber-50 ring-2 ring-amber-400' : ''
      }`}
    >
      {conv.kind !== 'direct' && <div className="w-8 shrink-0">{!continued && !mine && <Avatar id={m.senderId} name={sender?.displayName ?? '?'} size="sm" />}</div>}
      <div className={`flex max-w-[85%] min-w-0 flex-col sm:max-w-[70%] ${mine ? 'items-end' : 'items-start'}`}>
        {!continued && (
          <div className={`mb-0.5 flex items-baseline gap-2 px-1 text-xs ${mine ? 'flex-row-reverse' : ''}`}>
            <span className="font-semibold text-slate-700">{name}</span>
            {sender?.bot && (
              <span className="rounded bg-slate-200 px-1 text-[10px] font-semibold uppercase tracking-wide text-slate-600" title="A bot account">
                bot
              </span>
            )}
            <time dateTime={m.createdAt} className="text-slate-400">
              {timeOf(m.createdAt)}
            </time>
          </div>
        )}
        {pinned && (
          <span className="mb-0.5 inline-flex items-center gap-1 px-1 text-[11px] font-medium text-amber-700" data-pin-marker title={pinnedTitle(m.pinnedAt)}>
            <Icon name="pin" className="h-3 w-3" />
            Pinned
          </span>
        )}
        {editing ? (
          <EditBox m={m} conversationId={conv.id} onDone={() => onEdit(null)} />
        ) : (
          <div
            className={`rounded-2xl px-3.5 py-2 text-[15px] leading-snug break-words whitespace-pre-wrap shadow-sm ${
              deleted ? 'bg-transparent text-slate-400 italic shadow-none ring-1 ring-slate-200' : mine ? 'bg-indigo-600 text-white' : 'bg-white text-slate-900 ring-1 ring-slate-200'
            }`}
          >
            {m.replyTo && !deleted && <ReplyQuote target={replyTarget} name={replyName} />}
            <span data-body>{deleted ? 'Message deleted' : <MentionText body={m.body} mine={mine} />}</span>
            {m.editedAt && !deleted && <span className={`ml-1.5 text-[11px] ${mine ? 'text-indigo-200' : 'text-slate-400'}`}>(edited)</span>}
          </div>
        )}
        {!deleted && !editing && m.attachments && m.attachments.length > 0 && <AttachmentList items={m.attachments} mine={mine} />}
        {!deleted && m.reactions && <ReactionsBar conversationId={conv.id} messageId={m.id} reactions={m.reactions} mine={mine} />}
        {thread && <ThreadLink info={thread} mine={mine} onOpen={() => onOpenThread(m.id)} />}
        {seen && (
          <span className="mt-0.5 px-1 text-[11px] text-slate-400" data-read-marker>
            {seen}
          </span>
        )}
      </div>
      {!deleted && !editing && (
        <div
          className={`relative flex shrink-0 items-center gap-0.5 self-center transition-opacity group-focus-within:opacity-100 group-hover:opacity-100 [@media(hover:none)]:opacity-100 ${picking ? 'opacity-100' : 'opacity-0'}`}
        >
          <button
            ref={pickButton}
            type="button"
            className="btn-ghost p-1.5"
            onClick={() => {
              // Open towards the side with room for the picker (about 18rem wide).
              const r = pickButton.current?.getBoundingClientRect()
              const room = r ? window.innerWidth - r.left : Infinity
              setPicking((v) => (v ? false : room > 300 ? 'left' : 'right'))
            }}
            aria-label="Add reaction"
            aria-haspopup="dialog"
            aria-expanded={!!picking}
            title="Add reaction"
          >
            <Icon name="smile" className="h-4 w-4" />
          </button>
          {picking && (
            <ReactionPicker
              anchor={pickButton}
              align={picking}
              onClose={closePicker}
              onPick={(code) => {
                setPicking(false)
                pickButton.current?.focus()
                void store.toggleReaction(conv.id, m.id, `:${code}:`)
              }}
            />
          )}
          <button type="button" className="btn-ghost p-1.5" onClick={() => onReply(m)} aria-label={`Reply to ${name === 'You' ? 'your message' : name}`} title="Reply">
            <Icon name="reply" className="h-4 w-4" />
          </button>
          <button type="button" className="btn-ghost p-1.5 text-xs font-semibold" onClick={() => onOpenThread(m.id)} aria-label="Reply in thread" title="Reply in thread">
            <Icon name="users" className="h-4 w-4" />
          </button>
          {mayPin && (
            <button
              type="button"
              className={`btn-ghost p-1.5 ${pinned ? 'text-amber-600' : ''}`}
              onClick={() => void store.setPinned(conv.id, m.id, !pinned)}
              aria-label={pinned ? 'Unpin message' : 'Pin message'}
              title={pinned ? 'Unpin' : 'Pin'}
            >
              <Icon name="pin" className="h-4 w-4" />
            </button>
          )}
          {!mine && (
            <button
              type="button"
              className="btn-ghost p-1.5 text-xs font-semibold hover:text-rose-600"
              onClick={() => {
                const reason = window.prompt('Report this message to the admins. What is wrong with it?')
                if (reason !== null) void store.report(conv.id, m.id, reason.trim().slice(0, 500))
              }}
              aria-label="Report message"
              title="Report"
            >
              !
            </button>
          )}
          {mine && (
            <>
              <button type="button" className="btn-ghost p-1.5" onClick={() => onEdit(m.id)} aria-label="Edit message" title="Edit">
                <Icon name="edit" className="h-4 w-4" />
              </button>
              <button type="button" className="btn-ghost p-1.5 hover:text-rose-600" onClick={() => void store.remove(conv.id, m.id)} aria-label="Delete message" title="Delete">
                <Icon name="trash" className="h-4 w-4" />
              </button>
            </>
          )}
        </div>
      )}
    </article>
  )
})

function pinnedTitle(at?: string): string {
  return at ? `Pinned ${new Date(at).toLocaleString()}` : 'Pinned'
}

function EditBox({ m, conversationId, onDone }: { m: Message; conversationId: string; onDone: () => void }) {
  const store = useStore()
  const [text, setText] = useState(m.body)
  const [busy, setBusy] = useState(false)
  const ref = useRef<HTMLTextAreaElement>(null)
  useEffect(() => {
    const el = ref.current
    if (!el) return
    el.focus()
    el.setSelectionRange(el.value.length, el.value.length)
  }, [])
  async function save() {
    const body = text.trim()
    if (!body || busy) return
    if (body === m.body) return onDone()
    setBusy(true)
    const ok = await store.edit(conversationId, m.id, body)
    setBusy(false)
    if (ok) onDone()
  }
  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault()
      void save()
    } else if (e.key === 'Escape') {
      e.preventDefault()
      onDone()
    }
  }
  return (
    <div className="w-72 max-w-full rounded-2xl bg-white p-2 shadow-sm ring-2 ring-indigo-500">
      <textarea ref={ref} aria-label="Edit message" rows={2} value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKeyDown} className="w-full resize-none rounded-md p-1 text-[15px] outline-none" />
      <div className="flex justify-end gap-1">
        <button type="button" className="btn-ghost py-1 text-xs" onClick={onDone}>
          Cancel
        </button>
        <button type="button" className="btn-primary px-3 py-1 text-xs" onClick={() => void save()} disabled={busy || !text.trim()}>
          Save
        </button>
      </div>
    </div>
  )
}

function PendingItem({ conv, p, continued, replyTarget, replyName }: { conv: Conversation; p: PendingMessage; continued: boolean; replyTarget?: Message; replyName?: string }) {
  const store = useStore()
  const failed = p.status === 'failed'
  return (
    <article data-client-msg-id={p.clientMsgId} data-status={p.status} aria-label={`You, ${failed ? 'not sent' : 'sending'}`} className={`flex flex-row-reverse gap-2 ${continued ? 'mt-0.5' : 'mt-3'}`}>
      {conv.kind !== 'direct' && <div className="w-8 shrink-0" />}
      <div className="flex max-w-[85%] min-w-0 flex-col items-end sm:max-w-[70%]">
        {!continued && <div className="mb-0.5 px-1 text-xs font-semibold text-slate-700">You</div>}
        <div className={`rounded-2xl px-3.5 py-2 text-[15px] leading-snug break-words whitespace-pre-wrap shadow-sm ${failed ? 'bg-rose-50 text-rose-900 ring-1 ring-rose-300' : 'bg-indigo-600/70 text-white'}`}>
          {p.replyTo && <ReplyQuote target={replyTarget} name={replyName} />}
          <span data-body>{p.body}</span>
        </div>
        {p.attachments && p.attachments.length > 0 && (
          <span className="mt-0.5 px-1 text-[11px] text-slate-500">{p.attachments.map((a) => a.name).join(', ')}</span>
        )}
        <span className={`mt-0.5 px-1 text-[11px] ${failed ? 'text-rose-600' : 'text-slate-400'}`}>
          {p.status === 'sending' && 'Sending…'}
          {p.status === 'accepted' && 'Sent'}
          {failed && (
            <>
              Not sent{p.error ? `: ${p.error}` : ''}{' '}
              <button type="button" className="font-semibold underline hover:text-rose-800" onClick={() => store.retry(conv.id, p.clientMsgId)}>
                Retry
              </button>{' '}
              <button type="button" className="underline hover:text-rose-800" onClick={() => store.discard(conv.id, p.clientMsgId)}>
                Discard
              </button>
            </>
          )}
        </span>
      </div>
    </article>
  )
}
