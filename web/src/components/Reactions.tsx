// Reactions under a message: a chip per emoji (`emoji count`, highlighted when the user is one of them; a click
// toggles the user's own), and the picker of the server's :shortcode: set that the add-reaction button opens.
import { useEffect, useRef, type KeyboardEvent, type RefObject } from 'react'
import type { ReactionCount } from '../api/types'
import { PICKER, SHORTCODES } from '../state/reactions'
import { useStore } from './context'

function nameOf(emoji: string): string {
  return PICKER.find((p) => p.emoji === emoji)?.shortcode ?? SHORTCODES.find(([, e]) => e === emoji)?.[0] ?? emoji
}

export function ReactionsBar({ conversationId, messageId, reactions, mine }: { conversationId: string; messageId: string; reactions: readonly ReactionCount[]; mine: boolean }) {
  const store = useStore()
  if (reactions.length === 0) return null
  return (
    <div role="group" aria-label="Reactions" className={`mt-1 flex flex-wrap gap-1 px-1 ${mine ? 'justify-end' : ''}`}>
      {reactions.map((r) => (
        <button
          key={r.emoji}
          type="button"
          data-emoji={r.emoji}
          data-count={r.count}
          data-me={r.me}
          aria-pressed={r.me}
          aria-label={`${nameOf(r.emoji)}, ${r.count} ${r.count === 1 ? 'reaction' : 'reactions'}`}
          title={r.me ? `:${nameOf(r.emoji)}: — click to take yours back` : `:${nameOf(r.emoji)}: — click to react too`}
          onClick={() => void store.toggleReaction(conversationId, messageId, r.emoji)}
          className={`inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium ring-1 transition-colors focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-indigo-600 ${
            r.me ? 'bg-indigo-50 text-indigo-700 ring-indigo-400 hover:bg-indigo-100' : 'bg-white text-slate-600 ring-slate-200 hover:bg-slate-50'
          }`}
        >
          <span aria-hidden="true" className="text-sm leading-none">
            {r.emoji}
          </span>
          <span aria-hidden="true">{r.count}</span>
        </button>
      ))}
    </div>
  )
}

const COLUMNS = 8

/** A small grid of the shortcode set: arrow keys move, Enter picks, Escape (or a click outside) closes. */
export function ReactionPicker({ anchor, align, onPick, onClose }: { anchor: RefObject<HTMLElement | null>; align: 'left' | 'right'; onPick: (shortcode: string) => void; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null)
  useEffect(() => {
    ref.current?.querySelector('button')?.focus()
    const onDown = (e: MouseEvent) => {
      const t = e.target as Node
      if (!ref.current?.contains(t) && !anchor.current?.contains(t)) onClose()
    }
    document.addEventListener('mousedown', onDown)
    return () => document.removeEventListener('mousedown', onDown)
  }, [anchor, onClose])

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    if (e.key === 'Escape') {
      e.preventDefault()
      e.stopPropagation()
      onClose()
      anchor.current?.focus()
      return
    }
    const buttons = [...(ref.current?.querySelectorAll('button') ?? [])]
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement)
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS }[e.key]
    if (step === undefined || i < 0) return
    e.preventDefault()
    buttons[Math.min(buttons.length - 1, Math.max(0, i + step))]?.focus()
  }

  return (
    <div
      ref={ref}
      role="dialog"
      aria-label="Add reaction"
      onKeyDown={onKeyDown}
      className={`absolute bottom-full z-20 mb-1 grid w-max grid-cols-[repeat(8,2rem)] gap-0.5 rounded-xl bg-white p-1.5 shadow-lg ring-1 ring-slate-200 ${align === 'right' ? 'right-0' : 'left-0'}`}
    >
      {PICKER.map((p) => (
        <button
          key={p.emoji}
          type="button"
          title={`:${p.shortcode}:`}
          aria-label={`React with ${p.shortcode}`}
          onClick={() => onPick(p.shortcode)}
          className="flex h-8 w-8 items-center justify-center rounded-md text-lg leading-none hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
        >
          {p.emoji}
        </button>
      ))}
    </div>
  )
}
