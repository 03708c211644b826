// A tiny router over the History API: "/" is the conversation list, "/c/<id>" an open conversation.
// The Go server answers index.html for these paths (SPA fallback), so reloads and links work.
import { useEffect, useState } from 'react'

export function conversationPath(id: string): string {
  return `/c/${encodeURIComponent(id)}`
}

export function conversationFromPath(path: string): string | undefined {
  const m = /^\/c\/([^/]+)\/?$/.exec(path)
  return m ? decodeURIComponent(m[1]) : undefined
}

export function navigate(path: string, replace = false) {
  if (location.pathname === path) return
  if (replace) history.replaceState(null, '', path)
  else history.pushState(null, '', path)
  window.dispatchEvent(new PopStateEvent('popstate'))
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname)
  useEffect(() => {
    const on = () => setPath(location.pathname)
    window.addEventListener('popstate', on)
    return () => window.removeEventListener('popstate', on)
  }, [])
  return path
}
