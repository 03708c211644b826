import { useCallback, useState } from 'react'
import type { Session } from './api/types'
import { AuthScreen } from './components/AuthScreen'
import { ChatApp } from './components/ChatApp'
import { clearSession, loadSession, saveSession } from './lib/session'

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession)
  const [signedOutReason, setSignedOutReason] = useState<string>()

  const signIn = useCallback((s: Session) => {
    saveSession(s)
    setSignedOutReason(undefined)
    setSession(s)
  }, [])

  const signOut = useCallback((reason?: string) => {
    clearSession()
    setSignedOutReason(reason)
    setSession(null)
  }, [])

  if (!session) return <AuthScreen onSignedIn={signIn} notice={signedOutReason} />
  return <ChatApp key={session.token} session={session} onSignOut={signOut} />
}
