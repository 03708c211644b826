import { describe, expect, it } from 'vitest'
import { ApiError, friendlyError, fromAck, fromProblem } from './problem'

describe('problem+json errors', () => {
  it('reads the code and detail of a problem', () => {
    const e = fromProblem(400, { title: 'Bad Request', status: 400, code: 'invalid_argument', detail: 'username must be 3 to 32 characters' })
    expect(e).toBeInstanceOf(ApiError)
    expect(e.code).toBe('invalid_argument')
    expect(friendlyError(e)).toBe('Username must be 3 to 32 characters.')
  })

  it('lists field errors', () => {
    const e = fromProblem(400, { code: 'invalid_argument', title: 'Bad Request', status: 400, errors: [{ location: 'body.password', message: 'expected length >= 8' }] })
    expect(friendlyError(e)).toBe('Password: expected length >= 8.')
    const two = fromProblem(400, { code: 'invalid_argument', title: 'Bad Request', status: 400, errors: [{ location: 'body.displayName', message: 'too long' }, { message: 'bad' }] })
    expect(friendlyError(two)).toBe('Display name: too long; bad.')
  })

  it('speaks to what the user was doing', () => {
    expect(friendlyError(fromProblem(401, { code: 'unauthenticated', title: 'Unauthorized', status: 401 }), 'signIn')).toBe('Wrong username or password.')
    expect(friendlyError(fromProblem(401, {}), 'other')).toMatch(/session has ended/)
    expect(friendlyError(fromProblem(409, { code: 'already_exists', title: 'Conflict', status: 409, detail: 'username taken' }), 'register')).toMatch(/username is taken/)
  })

  it('falls back on the status when the body is not a problem', () => {
    expect(fromProblem(404, 'nope').code).toBe('not_found')
    expect(fromProblem(502, undefined).code).toBe('internal')
    expect(friendlyError(fromProblem(503, null))).toMatch(/busy or restarting/)
  })

  it('says when to retry a rate-limited request', () => {
    expect(friendlyError(fromProblem(429, { code: 'rate_limited', title: 'Too Many Requests', status: 429, retryAfterMs: 1500 }))).toBe(
      "You're going too fast. Try again in 2 seconds.",
    )
    expect(friendlyError(fromAck({ code: 'rate_limited', message: 'slow down', retryAfterMs: 1000 }))).toBe("You're going too fast. Try again in 1 second.")
  })

  it('explains network failures', () => {
    expect(friendlyError(new TypeError('Failed to fetch'))).toMatch(/Can't reach the server/)
    expect(friendlyError(new ApiError({ code: 'network' }))).toMatch(/Can't reach the server/)
    expect(friendlyError('weird')).toBe('Something went wrong. Try again.')
  })

  it('maps unknown ack codes to internal', () => {
    expect(fromAck({ code: 'bogus', message: 'x' }).code).toBe('internal')
    expect(fromAck(undefined).code).toBe('internal')
  })

  it('reads too_large (413) and shows its detail', () => {
    const e = fromProblem(413, { code: 'too_large', title: 'Payload Too Large', status: 413, detail: 'files can be at most 10 MiB' })
    expect(e.code).toBe('too_large')
    expect(friendlyError(e)).toBe('Files can be at most 10 MiB.')
    expect(fromProblem(413, 'not json').code).toBe('too_large')
  })
})
