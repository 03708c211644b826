import { useEffect, useState } from 'react'
import type { MessageAttachment } from '../api/types'
import { friendlyError } from '../lib/problem'
import { formatSize, previewBox, progressOf, type UploadItem } from '../state/uploads'
import { useStore } from './context'
import { Icon } from './ui'

/**
 * The image of a thumbnail, fetched with the bearer token (an <img src> cannot send it). It is shown as a data: URL:
 * the page's Content-Security-Policy allows images from 'self' and data: only, not blob: object URLs.
 */
function useThumbnail(id: string): { src?: string; error?: boolean } {
  const store = useStore()
  const [state, setState] = useState<{ src?: string; error?: boolean }>({})
  useEffect(() => {
    let live = true
    store
      .attachmentBlob(id, 'thumbnail')
      .then((blob) => blobToDataUrl(blob))
      .then((src) => live && setState({ src }))
      .catch(() => live && setState({ error: true }))
    return () => {
      live = false
    }
  }, [id, store])
  return state
}

function blobToDataUrl(blob: Blob): Promise<string> {
  return new Promise((ok, fail) => {
    const r = new FileReader()
    r.onload = () => ok(String(r.result))
    r.onerror = () => fail(r.error)
    r.readAsDataURL(blob)
  })
}

/** Downloads an attachment with the token: fetched as a blob, saved through a temporary <a download>. */
function useDownload() {
  const store = useStore()
  return async (a: MessageAttachment) => {
    try {
      const blob = await store.attachmentBlob(a.id, 'content')
      const url = URL.createObjectURL(blob)
      const link = document.createElement('a')
      link.href = url
      link.download = a.name
      document.body.appendChild(link)
      link.click()
      link.remove()
      setTimeout(() => URL.revokeObjectURL(url), 1000)
    } catch (e) {
      store.notify(friendlyError(e))
    }
  }
}

/** A message's files: images as thumbnails, other files as chips; a click downloads. */
export function AttachmentList({ items, mine }: { items: readonly MessageAttachment[]; mine: boolean }) {
  const download = useDownload()
  return (
    <div className={`mt-1 flex flex-wrap gap-1.5 ${mine ? 'justify-end' : ''}`} data-attachments>
      {items.map((a) =>
        a.thumbnail ? (
          <ImageAttachment key={a.id} a={a} onOpen={() => void download(a)} />
        ) : (
          <button
            key={a.id}
            type="button"
            data-attachment={a.id}
            onClick={() => void download(a)}
            className="flex max-w-64 items-center gap-2 rounded-xl bg-white px-3 py-2 text-left text-sm shadow-sm ring-1 ring-slate-200 hover:bg-slate-50"
            title={`Download ${a.name}`}
          >
            <FileIcon />
            <span className="min-w-0">
              <span className="block truncate font-medium text-slate-800">{a.name}</span>
              <span className="block text-xs text-slate-500">{formatSize(a.size)}</span>
            </span>
          </button>
        ),
      )}
    </div>
  )
}

function ImageAttachment({ a, onOpen }: { a: MessageAttachment; onOpen: () => void }) {
  const { src, error } = useThumbnail(a.id)
  const box = previewBox(a.width, a.height)
  return (
    <button
      type="button"
      data-attachment={a.id}
      onClick={onOpen}
      className="overflow-hidden rounded-xl bg-slate-100 ring-1 ring-slate-200"
      title={`Download ${a.name} (${formatSize(a.size)})`}
      aria-label={`Download ${a.name}`}
    >
      {src ? (
        <img src={src} alt={a.name} width={box.width} height={box.height} className="block object-contain" style={box} data-thumbnail />
      ) : (
        <span className="flex items-center justify-center text-xs text-slate-400" style={box}>
          {error ? a.name : 'Loading…'}
        </span>
      )}
    </button>
  )
}

function FileIcon() {
  return (
    <svg viewBox="0 0 20 20" className="h-6 w-6 shrink-0 text-slate-400" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <path d="M5 2.5h6.5L15.5 6.5v11H5zM11.5 2.5v4h4" strokeLinejoin="round" />
    </svg>
  )
}

/** The files queued for the next message, with their progress; each can be removed. */
export function UploadQueue({ items, onRemove }: { items: readonly UploadItem[]; onRemove: (key: string) => void }) {
  if (items.length === 0) return null
  return (
    <ul className="mb-2 flex flex-wrap gap-2" aria-label="Attached files">
      {items.map((u) => {
        const pct = Math.round(progressOf(u) * 100)
        return (
          <li
            key={u.key}
            data-upload={u.status}
            className={`relative flex max-w-72 items-center gap-2 overflow-hidden rounded-lg px-2.5 py-1.5 text-xs ring-1 ${
              u.status === 'failed' ? 'bg-rose-50 text-rose-800 ring-rose-200' : 'bg-slate-50 text-slate-700 ring-slate-200'
            }`}
          >
            <span className="min-w-0">
              <span className="block truncate font-medium">{u.name}</span>
              <span className="block">
                {u.status === 'uploading' ? `Uploading… ${pct}%` : u.status === 'done' ? formatSize(u.size) : <span role="alert">{u.error}</span>}
              </span>
            </span>
            <button type="button" className="btn-ghost shrink-0 p-1" aria-label={`Remove ${u.name}`} onClick={() => onRemove(u.key)}>
              <Icon name="x" className="h-3.5 w-3.5" />
            </button>
            {u.status === 'uploading' && (
              <progress className="absolute inset-x-0 bottom-0 h-0.5 w-full" max={100} value={pct} aria-label={`${u.name} upload progress`} />
            )}
          </li>
        )
      })}
    </ul>
  )
}
