// Files the user attaches to the next message of a conversation: each is uploaded at once (POST
// /v1/conversations/{id}/attachments, the raw bytes, through XMLHttpRequest for its upload progress), may be removed
// before sending (aborting its upload), and is sent as the message's attachmentIds. The queue is pure state; the
// Uploads class runs the requests.
import type { Attachment } from '../api/types'
import { ApiError, fromProblem } from '../lib/problem'
import type { StoreCore } from './core'

/** At most this many files per message (the server's limit). */
export const MAX_ATTACHMENTS = 10

export type UploadStatus = 'uploading' | 'done' | 'failed'

export interface UploadItem {
  /** Local key (the attachment id is known once uploaded). */
  key: string
  name: string
  size: number
  status: UploadStatus
  /** Bytes sent so far, 0..size. */
  loaded: number
  attachment?: Attachment
  error?: string
}

export function addUpload(q: readonly UploadItem[], key: string, name: string, size: number): UploadItem[] {
  return [...q, { key, name, size, status: 'uploading', loaded: 0 }]
}

function update(q: readonly UploadItem[], key: string, f: (u: UploadItem) => UploadItem): UploadItem[] {
  const i = q.findIndex((u) => u.key === key)
  if (i < 0) return q as UploadItem[]
  const next = f(q[i])
  if (next === q[i]) return q as UploadItem[]
  const out = q.slice()
  out[i] = next
  return out
}

export function setProgress(q: readonly UploadItem[], key: string, loaded: number): UploadItem[] {
  return update(q, key, (u) => (u.status !== 'uploading' || loaded <= u.loaded ? u : { ...u, loaded: Math.min(loaded, u.size) }))
}

export function uploadDone(q: readonly UploadItem[], key: string, attachment: Attachment): UploadItem[] {
  return update(q, key, (u) => ({ ...u, status: 'done', loaded: u.size, attachment, name: attachment.name, error: undefined }))
}

export function uploadFailed(q: readonly UploadItem[], key: string, error: string): UploadItem[] {
  return update(q, key, (u) => ({ ...u, status: 'failed', error }))
}

export function removeUpload(q: readonly UploadItem[], key: string): UploadItem[] {
  return q.some((u) => u.key === key) ? q.filter((u) => u.key !== key) : (q as UploadItem[])
}

/** Progress of an upload, 0..1. */
export function progressOf(u: UploadItem): number {
  if (u.status === 'done') return 1
  return u.size > 0 ? u.loaded / u.size : 0
}

/** Can the message be sent? Only when no upload is still running and at least one is done or there is text. */
export function readyToSend(q: readonly UploadItem[], text: string): boolean {
  if (q.some((u) => u.status === 'uploading')) return false
  return text.trim().length > 0 || q.some((u) => u.status === 'done')
}

/** The uploads the message carries (those done; failed ones are left behind). */
export function doneUploads(q: readonly UploadItem[]): Attachment[] {
  return q.flatMap((u) => (u.status === 'done' && u.attachment ? [u.attachment] : []))
}

/** The body of a message: the caption typed, or else the files' names (a body is required). */
export function messageBody(text: string, files: readonly { name: string }[]): string {
  const t = text.trim()
  if (t) return t
  return files.map((f) => f.name).join(', ').slice(0, 4000)
}

/** "1.2 MB" */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KB', 'MB', 'GB']
  let v = bytes / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`
}

/** The box an image preview takes (known before it loads, so that the list does not jump): the image's shape,
 * fitted into 240×192 and at least 64 px on its short side. */
export function previewBox(width?: number, height?: number): { width: number; height: number } {
  if (!width || !height) return { width: 160, height: 120 }
  const scale = Math.min(240 / width, 192 / height, Math.max(1, 64 / Math.min(width, height)))
  return { width: Math.max(32, Math.round(width * scale)), height: Math.max(32, Math.round(height * scale)) }
}

let nextKey = 0

/** Runs the uploads of each conversation's queue (state.uploads). */
export class Uploads {
  private readonly core: StoreCore
  private readonly running = new Map<string, XMLHttpRequest>()

  constructor(core: StoreCore) {
    this.core = core
  }

  private set(conversationId: string, f: (q: UploadItem[]) => UploadItem[]) {
    this.core.set((s) => {
      const cur = s.uploads[conversationId] ?? []
      const next = f(cur)
      return next === cur ? {} : { uploads: { ...s.uploads, [conversationId]: next } }
    })
  }

  /** Starts uploading files into the conversation; those over the per-message limit are refused with a notice. */
  add(conversationId: string, files: readonly File[]) {
    const room = MAX_ATTACHMENTS - (this.core.state.uploads[conversationId]?.length ?? 0)
    if (files.length > room) this.core.notify(`A message can carry at most ${MAX_ATTACHMENTS} files.`)
    for (const f of files.slice(0, Math.max(0, room))) this.start(conversationId, f)
  }

  private start(conversationId: string, file: File) {
    const key = `up-${++nextKey}`
    this.set(conversationId, (q) => addUpload(q, key, file.name, file.size))
    const xhr = this.core.opts.xhr?.() ?? new XMLHttpRequest()
    this.running.set(key, xhr)
    const path = `/v1/conversations/${encodeURIComponent(conversationId)}/attachments?name=${encodeURIComponent(file.name)}`
    xhr.open('POST', path)
    const token = this.core.opts.token?.()
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`)
    xhr.setRequestHeader('Content-Type', 'application/octet-stream')
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) this.set(conversationId, (q) => setProgress(q, key, e.loaded))
    }
    xhr.onload = () => {
      this.running.delete(key)
      let body: unknown
      try {
        body = JSON.parse(xhr.responseText)
      } catch {
        body = undefined
      }
      if (xhr.status === 201 || xhr.status === 200) {
        this.set(conversationId, (q) => uploadDone(q, key, body as Attachment))
        return
      }
      if (xhr.status === 401) this.core.opts.onSignedOut?.()
      const err = fromProblem(xhr.status, body)
      this.set(conversationId, (q) => uploadFailed(q, key, uploadError(err)))
    }
    xhr.onerror = () => {
      this.running.delete(key)
      this.set(conversationId, (q) => uploadFailed(q, key, "Can't reach the server. Check your connection and try again."))
    }
    xhr.send(file)
  }

  /** Removes a file from the next message, stopping its upload if it is still running. */
  remove(conversationId: string, key: string) {
    const xhr = this.running.get(key)
    if (xhr) {
      this.running.delete(key)
      xhr.abort()
    }
    this.set(conversationId, (q) => removeUpload(q, key))
  }

  /** The session ends: running uploads stop. */
  stop() {
    for (const xhr of this.running.values()) xhr.abort()
    this.running.clear()
  }

  /** The message was sent: the queue starts empty again. */
  clear(conversationId: string) {
    this.set(conversationId, () => [])
  }
}

/** The server's reason for refusing a file, for the user. */
function uploadError(err: ApiError): string {
  if (err.code === 'too_large') return err.detail ? capital(err.detail) : 'The file is too large.'
  if (err.code === 'rate_limited') return "You're uploading too fast. Try again shortly."
  if (err.detail) return capital(err.detail)
  if (err.code === 'permission_denied' || err.code === 'not_found') return "You can't upload files here."
  return 'The upload failed. Try again.'
}

function capital(s: string): string {
  const t = s.trim()
  const c = t.charAt(0).toUpperCase() + t.slice(1)
  return /[.!?]$/.test(c) ? c : c + '.'
}
