// The signed-in session, kept in localStorage so that a reload stays signed in.
import type { Session } from '../api/types'

const KEY = 'scalechat.session'

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY)
    if (!raw) return null
    const s = JSON.parse(raw) as Session
    if (!s?.token || !s.user?.id) return null
    if (s.expiresAt && Date.parse(s.expiresAt) < Date.now()) return null
    return s
  } catch {
    return null
  }
}

export function saveSession(s: Session) {
  localStorage.setItem(KEY, JSON.stringify(s))
}

export function clearSession() {
  localStorage.removeItem(KEY)
}
