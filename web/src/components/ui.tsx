import { useEffect, useId, useRef, type ReactNode } from 'react'
import { hueOf, initials } from '../lib/format'

export function Logo({ small }: { small?: boolean }) {
  const size = small ? 'h-8 w-8' : 'h-10 w-10'
  return (
    <svg viewBox="0 0 32 32" className={`${size} shrink-0`} aria-hidden="true">
      <rect width="32" height="32" rx="8" fill="#4f46e5" />
      <path d="M8 10.5A3.5 3.5 0 0 1 11.5 7h9A3.5 3.5 0 0 1 24 10.5v6a3.5 3.5 0 0 1-3.5 3.5H15l-5 4v-4.2A3.5 3.5 0 0 1 8 16.5z" fill="#fff" />
    </svg>
  )
}

/** A round avatar with initials, and a presence dot when presence is known. */
export function Avatar({
  id,
  name,
  kind = 'user',
  presence,
  size = 'md',
}: {
  id: string
  name: string
  kind?: 'user' | 'group' | 'channel'
  presence?: 'online' | 'offline'
  size?: 'sm' | 'md'
}) {
  const dims = size === 'sm' ? 'h-7 w-7 text-[11px]' : 'h-10 w-10 text-sm'
  const hue = hueOf(id)
  return (
    <span className={`relative inline-flex shrink-0 ${dims}`} aria-hidden="true">
      <span
        className={`flex h-full w-full items-center justify-center font-semibold text-white ${kind === 'user' ? 'rounded-full' : 'rounded-xl'}`}
        style={{ backgroundColor: `hsl(${hue} 55% 48%)` }}
      >
        {kind === 'channel' ? '#' : initials(name)}
      </span>
      {presence && (
        <span
          data-presence={presence}
          className={`absolute -right-0.5 -bottom-0.5 h-3 w-3 rounded-full ring-2 ring-white ${presence === 'online' ? 'bg-emerald-500' : 'bg-slate-300'}`}
        />
      )}
    </span>
  )
}

/** A modal dialog on the native <dialog> element: focus is trapped, Escape and the backdrop close it. */
export function Dialog({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  useEffect(() => {
    const d = ref.current
    if (d && !d.open) d.showModal()
    return () => d?.close()
  }, [])
  return (
    <dialog
      ref={ref}
      role="dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault()
        onClose()
      }}
      onMouseDown={(e) => {
        if (e.target === ref.current) onClose()
      }}
      className={`m-auto w-[calc(100%-1.5rem)] ${wide ? 'max-w-lg' : 'max-w-md'} rounded-2xl bg-white p-0 text-slate-900 shadow-2xl ring-1 ring-slate-200`}
    >
      <div className="flex max-h-[85dvh] flex-col">
        <div className="flex items-center justify-between border-b border-slate-100 px-5 py-4">
          <h2 id={titleId} className="text-base font-semibold">
            {title}
          </h2>
          <button type="button" onClick={onClose} className="btn-ghost -mr-2" aria-label="Close">
            <svg viewBox="0 0 20 20" className="h-5 w-5" aria-hidden="true">
              <path d="M5 5l10 10M15 5L5 15" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
            </svg>
          </button>
        </div>
        <div className="min-h-0 flex-1 overflow-y-auto px-5 py-4">{children}</div>
      </div>
    </dialog>
  )
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <span role="status" className="inline-flex items-center gap-2 text-sm text-slate-500">
      <span className="h-4 w-4 animate-spin rounded-full border-2 border-slate-300 border-t-indigo-600" aria-hidden="true" />
      {label}
    </span>
  )
}

export function Icon({ name, className = 'h-5 w-5' }: { name: 'plus' | 'hash' | 'back' | 'users' | 'send' | 'logout' | 'reply' | 'edit' | 'trash' | 'x' | 'pin' | 'smile'; className?: string }) {
  const paths: Record<string, ReactNode> = {
    plus: <path d="M10 4v12M4 10h12" />,
    hash: <path d="M7.5 3.5l-2 13M14.5 3.5l-2 13M3.5 7.5h13M3 12.5h13" />,
    back: <path d="M12.5 4.5L7 10l5.5 5.5" />,
    users: (
      <>
        <circle cx="7.5" cy="7" r="3" />
        <path d="M2.5 16.5c.6-3 2.6-4.5 5-4.5s4.4 1.5 5 4.5M13 4.3a3 3 0 010 5.4M15 12.3c1.3.6 2.2 2 2.5 4.2" />
      </>
    ),
    send: <path d="M3.5 10L16.5 3.5 12 16.5l-2.5-5.2z" />,
    logout: <path d="M8 4H4.5v12H8M12 6.5L15.5 10 12 13.5M15.5 10H7.5" />,
    reply: <path d="M8 5L3.5 9.5 8 14M4 9.5h7.5a5 5 0 015 5v1" />,
    edit: <path d="M12.5 4.5l3 3-8.5 8.5H4v-3zM11 6l3 3" />,
    trash: <path d="M4.5 6h11M8 6V4h4v2M6 6l.7 10h6.6L14 6" />,
    x: <path d="M5 5l10 10M15 5L5 15" />,
    pin: <path d="M7.5 3.5h5M8.5 3.5v4.5L6 11h8l-2.5-3V3.5M10 11v5.5" />,
    smile: (
      <>
        <circle cx="10" cy="10" r="6.5" />
        <path d="M7.3 11.8c.7.9 1.6 1.4 2.7 1.4s2-.5 2.7-1.4M7.8 8.2h.01M12.2 8.2h.01" />
      </>
    ),
  }
  return (
    <svg viewBox="0 0 20 20" className={className} fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      {paths[name]}
    </svg>
  )
}
