// Errors from the REST API (RFC 9457 problem+json) and from Socket.IO acks, turned into sentences for people.
import type { ErrorCode, Problem } from '../api/types'

/** An error the server answered with: a problem+json body or a socket ack error. */
export class ApiError extends Error {
  readonly code: ErrorCode | 'network'
  readonly status: number
  readonly detail?: string
  readonly retryAfterMs?: number
  readonly fields: { location?: string; message: string }[]

  constructor(p: {
    code: ErrorCode | 'network'
    status?: number
    detail?: string
    title?: string
    retryAfterMs?: number
    errors?: { location?: string; message: string }[]
  }) {
    super(p.detail || p.title || p.code)
    this.name = 'ApiError'
    this.code = p.code
    this.status = p.status ?? 0
    this.detail = p.detail
    this.retryAfterMs = p.retryAfterMs
    this.fields = p.errors ?? []
  }
}

const codes: readonly string[] = [
  'invalid_argument',
  'unauthenticated',
  'permission_denied',
  'not_found',
  'already_exists',
  'conflict',
  'rate_limited',
  'too_large',
  'unavailable',
  'internal',
]

const byStatus: Record<number, ErrorCode> = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
  422: 'invalid_argument',
  429: 'rate_limited',
  503: 'unavailable',
}

/** Builds an ApiError from a response status and its (possibly non-problem) body. */
export function fromProblem(status: number, body: unknown): ApiError {
  const p = (body && typeof body === 'object' ? body : {}) as Partial<Problem>
  const code = (typeof p.code === 'string' && codes.includes(p.code) ? p.code : byStatus[status]) ?? 'internal'
  return new ApiError({
    code,
    status,
    detail: typeof p.detail === 'string' ? p.detail : undefined,
    title: typeof p.title === 'string' ? p.title : undefined,
    retryAfterMs: typeof p.retryAfterMs === 'number' ? p.retryAfterMs : undefined,
    errors: Array.isArray(p.errors) ? p.errors : undefined,
  })
}

/** Builds an ApiError from a Socket.IO ack `{ok: false, error: {code, message, retryAfterMs?}}`. */
export function fromAck(error: { code?: string; message?: string; retryAfterMs?: number } | undefined): ApiError {
  const code = error?.code && codes.includes(error.code) ? (error.code as ErrorCode) : 'internal'
  return new ApiError({ code, detail: error?.message, retryAfterMs: error?.retryAfterMs })
}

/** What the user was doing, for messages that depend on it. */
export type Action = 'signIn' | 'register' | 'send' | 'other'

/** A short sentence for the user. Server details (safe to show by contract) are used when they help. */
export function friendlyError(err: unknown, action: Action = 'other'): string {
  if (!(err instanceof ApiError)) {
    if (err instanceof TypeError || (err instanceof Error && /fetch|network/i.test(err.message))) {
      return "Can't reach the server. Check your connection and try again."
    }
    if (err instanceof Error && /timeout|timed out/i.test(err.message)) {
      return 'The server took too long to answer. Try again.'
    }
    return 'Something went wrong. Try again.'
  }
  const detail = err.fields.length ? err.fields.map(fieldSentence).join('; ') : err.detail
  switch (err.code) {
    case 'network':
      return "Can't reach the server. Check your connection and try again."
    case 'unauthenticated':
      return action === 'signIn' ? 'Wrong username or password.' : 'Your session has ended. Please sign in again.'
    case 'already_exists':
      return action === 'register' ? 'That username is taken. Pick another one.' : sentence(detail, 'That already exists.')
    case 'invalid_argument':
      return sentence(detail, 'Please check what you entered.')
    case 'permission_denied':
      return sentence(detail, "You're not allowed to do that.")
    case 'not_found':
      return sentence(detail, "That doesn't exist (any more), or you can't see it.")
    case 'conflict':
      return sentence(detail, 'That conflicts with a change made in the meantime. Try again.')
    case 'rate_limited': {
      const s = err.retryAfterMs ? Math.max(1, Math.ceil(err.retryAfterMs / 1000)) : 0
      return s ? `You're going too fast. Try again in ${s} second${s === 1 ? '' : 's'}.` : "You're going too fast. Try again shortly."
    }
    case 'too_large':
      return sentence(detail, 'That is too large.')
    case 'unavailable':
      return 'The server is busy or restarting. Try again in a moment.'
    default:
      return 'Something went wrong on the server. Try again.'
  }
}

/** "body.password" + "expected length >= 8" → "Password: expected length >= 8". */
function fieldSentence(f: { location?: string; message: string }): string {
  const name = f.location?.split('.').pop()
  if (!name) return f.message
  const label = name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
  return `${label.charAt(0).toUpperCase()}${label.slice(1)}: ${f.message}`
}

function sentence(s: string | undefined, fallback: string): string {
  if (!s) return fallback
  const t = s.trim()
  const capital = t.charAt(0).toUpperCase() + t.slice(1)
  return /[.!?]$/.test(capital) ? capital : capital + '.'
}
