import { useEffect, useState } from 'react'
import { io } from 'socket.io-client'
import { createApi } from '../api/client'
import type { Session } from '../api/types'
import { conversationFromPath, navigate, usePath } from '../lib/router'
import { showsMentions, showsUnread } from '../state/conversations'
import { ChatStore, type ChatSocket } from '../state/store'
import { StoreProvider, useChat, useStore } from './context'
import { ConversationView } from './ConversationView'
import { Sidebar } from './Sidebar'
import { Icon, Spinner } from './ui'

/** The signed-in app: owns the ChatStore (REST + socket) for the session's lifetime. */
export function ChatApp({ session, onSignOut }: { session: Session; onSignOut: (reason?: string) => void }) {
  const [store, setStore] = useState<ChatStore | null>(null)

  useEffect(() => {
    const expired = () => onSignOut('Your session has ended. Please sign in again.')
    const api = createApi({ token: () => session.token, onUnauthenticated: expired })
    const socket: ChatSocket = io({ path: '/socket.io/', auth: { token: session.token }, autoConnect: false })
    const s = new ChatStore({
      api,
      me: session.user,
      socket,
      token: () => session.token,
      onSignedOut: expired,
      onLeft: () => navigate('/', true),
      visible: () => document.visibilityState === 'visible',
    })
    setStore(s)
    void s.start()
    const online = () => s.setBrowserOnline(true)
    const offline = () => s.setBrowserOnline(false)
    const visible = () => document.visibilityState === 'visible' && s.onVisible()
    window.addEventListener('online', online)
    window.addEventListener('offline', offline)
    document.addEventListener('visibilitychange', visible)
    window.addEventListener('focus', visible)
    if (!navigator.onLine) s.setBrowserOnline(false)
    return () => {
      window.removeEventListener('online', online)
      window.removeEventListener('offline', offline)
      document.removeEventListener('visibilitychange', visible)
      window.removeEventListener('focus', visible)
      s.stop()
    }
  }, [session, onSignOut])

  if (!store) return null
  return (
    <StoreProvider store={store}>
      <Shell onSignOut={onSignOut} />
    </StoreProvider>
  )
}

function Shell({ onSignOut }: { onSignOut: (reason?: string) => void }) {
  const store = useStore()
  const path = usePath()
  const activeId = conversationFromPath(path)
  const listLoaded = useChat((s) => s.listLoaded)

  useEffect(() => {
    store.open(activeId)
  }, [store, activeId])

  useEffect(() => {
    if (path !== '/' && !activeId) navigate('/', true)
  }, [path, activeId])

  // The tab title counts unread conversations.
  const unreadConversations = useChat((s) => {
    let n = 0
    for (const c of Object.values(s.conversations)) if (showsUnread(c) || showsMentions(c)) n++
    return n
  })
  useEffect(() => {
    document.title = unreadConversations ? `(${unreadConversations}) scalechat` : 'scalechat'
  }, [unreadConversations])

  return (
    <div className="flex h-dvh flex-col overflow-hidden bg-white">
      <ConnectionBanner />
      <div className="flex min-h-0 flex-1">
        <div className={`${activeId ? 'hidden md:flex' : 'flex'} w-full shrink-0 md:w-80 lg:w-96`}>
          <Sidebar
            onSignOut={async () => {
              await store.signOut()
              onSignOut()
            }}
          />
        </div>
        <main className={`${activeId ? 'flex' : 'hidden md:flex'} min-w-0 flex-1 flex-col border-l border-slate-200 bg-slate-50`}>
          {activeId ? (
            <ConversationView key={activeId} id={activeId} onBack={() => navigate('/')} />
          ) : (
            <EmptyState loaded={listLoaded} />
          )}
        </main>
      </div>
      <Toast />
    </div>
  )
}

function EmptyState({ loaded }: { loaded: boolean }) {
  return (
    <div className="flex flex-1 flex-col items-center justify-center gap-3 p-8 text-center text-slate-500">
      {loaded ? (
        <>
          <span className="rounded-2xl bg-indigo-100 p-4 text-indigo-600">
            <Icon name="users" className="h-8 w-8" />
          </span>
          <p className="text-base font-medium text-slate-700">Pick a conversation</p>
          <p className="max-w-xs text-sm">Or start a new one with “New conversation”, or join a channel with “Browse channels”.</p>
        </>
      ) : (
        <Spinner />
      )}
    </div>
  )
}

/** Shown while the real-time connection is down: new messages arrive once it is back. */
function ConnectionBanner() {
  const connection = useChat((s) => s.connection)
  const browserOffline = useChat((s) => s.browserOffline)
  const [show, setShow] = useState(false)
  // A first connection that takes a moment is not worth a banner; a lost one is, at once.
  useEffect(() => {
    if (connection === 'online') {
      setShow(false)
      return
    }
    if (connection === 'reconnecting') {
      setShow(true)
      return
    }
    const t = setTimeout(() => setShow(true), 1500)
    return () => clearTimeout(t)
  }, [connection])
  if (!show || connection === 'online') return null
  const text = browserOffline
    ? 'You are offline — reconnecting…'
    : connection === 'connecting'
      ? 'Connecting…'
      : 'Connection lost — reconnecting…'
  return (
    <div role="status" data-connection={connection} className="flex items-center justify-center gap-2 bg-amber-100 px-3 py-1.5 text-sm font-medium text-amber-900">
      <span className="h-2 w-2 animate-pulse rounded-full bg-amber-500" aria-hidden="true" />
      {text}
    </div>
  )
}

function Toast() {
  const store = useStore()
  const notice = useChat((s) => s.notice)
  useEffect(() => {
    if (!notice) return
    const t = setTimeout(() => store.dismissNotice(notice.id), 6000)
    return () => clearTimeout(t)
  }, [notice, store])
  if (!notice) return null
  return (
    <div className="pointer-events-none fixed inset-x-0 bottom-24 z-50 flex justify-center px-4">
      <div role="alert" className="pointer-events-auto flex max-w-md items-start gap-3 rounded-xl bg-slate-900 px-4 py-3 text-sm text-white shadow-lg">
        <span className="flex-1">{notice.text}</span>
        <button type="button" className="text-slate-300 hover:text-white" aria-label="Dismiss" onClick={() => store.dismissNotice(notice.id)}>
          <Icon name="x" className="h-4 w-4" />
        </button>
      </div>
    </div>
  )
}
