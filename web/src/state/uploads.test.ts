import { describe, expect, it } from 'vitest'
import type { Attachment } from '../api/types'
import { addUpload, doneUploads, formatSize, messageBody, previewBox, progressOf, readyToSend, removeUpload, setProgress, uploadDone, uploadFailed } from './uploads'

const att = (id: string, name: string): Attachment => ({
  id,
  name,
  contentType: 'image/png',
  size: 100,
  thumbnail: true,
  conversationId: 'c-1',
  uploaderId: 'u-me',
  createdAt: '2025-01-01T00:00:00Z',
})

describe('upload queue', () => {
  it('tracks progress until done, and sends only finished uploads', () => {
    let q = addUpload([], 'k1', 'a.png', 100)
    q = addUpload(q, 'k2', 'b.txt', 50)
    expect(readyToSend(q, 'caption')).toBe(false) // still uploading
    q = setProgress(q, 'k1', 40)
    expect(progressOf(q[0])).toBe(0.4)
    expect(setProgress(q, 'k1', 30)).toBe(q) // never backwards
    q = uploadDone(q, 'k1', att('a1', 'a.png'))
    q = uploadFailed(q, 'k2', 'The file type is not allowed.')
    expect(q[1]).toMatchObject({ status: 'failed', error: 'The file type is not allowed.' })
    expect(setProgress(q, 'k1', 10)).toBe(q) // finished
    expect(readyToSend(q, '')).toBe(true)
    expect(doneUploads(q).map((a) => a.id)).toEqual(['a1'])
  })

  it('removes an upload, and nothing when the key is unknown', () => {
    const q = addUpload(addUpload([], 'k1', 'a', 1), 'k2', 'b', 1)
    expect(removeUpload(q, 'k1').map((u) => u.key)).toEqual(['k2'])
    expect(removeUpload(q, 'nope')).toBe(q)
  })

  it('cannot send with nothing but failed uploads and no text', () => {
    const q = uploadFailed(addUpload([], 'k1', 'a', 1), 'k1', 'too large')
    expect(readyToSend(q, '  ')).toBe(false)
    expect(readyToSend([], 'hi')).toBe(true)
  })

  it('uses the caption as the body, else the files’ names', () => {
    expect(messageBody('  look  ', [{ name: 'a.png' }])).toBe('look')
    expect(messageBody('', [{ name: 'a.png' }, { name: 'b.pdf' }])).toBe('a.png, b.pdf')
  })

  it('formats sizes', () => {
    expect(formatSize(512)).toBe('512 B')
    expect(formatSize(1536)).toBe('1.5 KB')
    expect(formatSize(5 * 1024 * 1024)).toBe('5.0 MB')
  })

  it('sizes image previews from the image’s shape before they load', () => {
    expect(previewBox(4000, 3000)).toEqual({ width: 240, height: 180 })
    expect(previewBox(100, 100)).toEqual({ width: 100, height: 100 })
    expect(previewBox(16, 16)).toEqual({ width: 64, height: 64 }) // tiny images are enlarged a little
    expect(previewBox(3000, 10)).toEqual({ width: 240, height: 32 })
    expect(previewBox()).toEqual({ width: 160, height: 120 })
  })
})
