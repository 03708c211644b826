import { useId, useMemo, useState, type FormEvent } from 'react'
import { call, createApi } from '../api/client'
import type { Session } from '../api/types'
import { friendlyError } from '../lib/problem'
import { Logo } from './ui'

/** Sign in, or create an account (then sign in) with the same form. */
export function AuthScreen({ onSignedIn, notice }: { onSignedIn: (s: Session) => void; notice?: string }) {
  const api = useMemo(() => createApi(), [])
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [displayName, setDisplayName] = useState('')
  const [busy, setBusy] = useState<'signIn' | 'register' | null>(null)
  const [error, setError] = useState<string>()
  const ids = { user: useId(), pass: useId(), name: useId(), err: useId() }

  async function signIn() {
    return call(api.POST('/v1/sessions', { body: { username: username.trim(), password } }))
  }

  async function submit(action: 'signIn' | 'register', e?: FormEvent) {
    e?.preventDefault()
    if (busy) return
    if (!username.trim() || !password) {
      setError('Enter a username and a password.')
      return
    }
    if (action === 'register') {
      const u = username.trim().toLowerCase()
      if (!/^[a-z0-9_.-]{3,32}$/.test(u)) {
        setError('Usernames are 3 to 32 characters: letters, digits, “_”, “.” and “-”.')
        return
      }
      if (password.length < 8) {
        setError('Pick a password of at least 8 characters.')
        return
      }
    }
    setBusy(action)
    setError(undefined)
    try {
      if (action === 'register') {
        await call(
          api.POST('/v1/users', {
            body: { username: username.trim(), password, ...(displayName.trim() ? { displayName: displayName.trim() } : {}) },
          }),
        )
      }
      onSignedIn(await signIn())
    } catch (err) {
      setError(friendlyError(err, action))
      setBusy(null)
    }
  }

  return (
    <main className="flex min-h-full items-center justify-center bg-gradient-to-br from-indigo-50 via-slate-100 to-sky-100 p-4">
      <div className="w-full max-w-sm rounded-2xl bg-white p-6 shadow-xl shadow-indigo-900/5 ring-1 ring-slate-200 sm:p-8">
        <div className="mb-6 flex items-center gap-3">
          <Logo />
          <div>
            <h1 className="text-xl font-semibold tracking-tight">scalechat</h1>
            <p className="text-sm text-slate-500">Sign in, or pick a username to create an account.</p>
          </div>
        </div>
        {notice && (
          <p role="status" className="mb-4 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-800 ring-1 ring-amber-200">
            {notice}
          </p>
        )}
        <form onSubmit={(e) => submit('signIn', e)} className="space-y-4" aria-describedby={error ? ids.err : undefined} noValidate>
          <div>
            <label htmlFor={ids.user} className="mb-1 block text-sm font-medium text-slate-700">
              Username
            </label>
            <input
              id={ids.user}
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              autoFocus
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              className="input"
            />
          </div>
          <div>
            <label htmlFor={ids.pass} className="mb-1 block text-sm font-medium text-slate-700">
              Password
            </label>
            <input
              id={ids.pass}
              name="password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              className="input"
            />
          </div>
          <div>
            <label htmlFor={ids.name} className="mb-1 block text-sm font-medium text-slate-700">
              Display name <span className="font-normal text-slate-400">(new accounts, optional)</span>
            </label>
            <input
              id={ids.name}
              name="displayName"
              autoComplete="name"
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
              className="input"
            />
          </div>
          {error && (
            <p id={ids.err} role="alert" className="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-700 ring-1 ring-rose-200">
              {error}
            </p>
          )}
          <div className="flex flex-col gap-2 pt-1 sm:flex-row">
            <button type="submit" disabled={!!busy} className="btn-primary flex-1">
              {busy === 'signIn' ? 'Signing in…' : 'Sign in'}
            </button>
            <button type="button" disabled={!!busy} onClick={() => submit('register')} className="btn-secondary flex-1">
              {busy === 'register' ? 'Creating…' : 'Create account'}
            </button>
          </div>
        </form>
      </div>
    </main>
  )
}
