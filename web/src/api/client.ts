// The REST client: openapi-fetch over the SDK's types generated from openapi/openapi.yaml.
import createClient, { type Client } from 'openapi-fetch'
import type { paths } from '@scalechat/sdk'
import { ApiError, fromProblem } from '../lib/problem'

export type Api = Client<paths>

export interface ApiOptions {
  /** Origin of the server; '' (the default) means the page's own origin. */
  baseUrl?: string
  /** The current bearer token, if signed in. */
  token?: () => string | undefined
  /** Called when the server answers 401 to a request made with a token: the session is over. */
  onUnauthenticated?: () => void
  fetch?: typeof globalThis.fetch
}

export function createApi(opts: ApiOptions = {}): Api {
  const client = createClient<paths>({
    baseUrl: opts.baseUrl ?? '',
    fetch: opts.fetch,
    // The API takes arrays as comma-separated values (explode: false), e.g. ?userIds=a,b.
    querySerializer: { array: { style: 'form', explode: false } },
  })
  client.use({
    onRequest({ request }) {
      const token = opts.token?.()
      if (token) request.headers.set('Authorization', `Bearer ${token}`)
      return request
    },
    onResponse({ request, response }) {
      if (response.status === 401 && request.headers.has('Authorization')) opts.onUnauthenticated?.()
      return response
    },
  })
  return client
}

interface FetchResult<T> {
  data?: T
  error?: unknown
  response: Response
}

/** Awaits an openapi-fetch call and returns its data, or throws an ApiError (problem+json, or 'network'). */
export async function call<T>(request: Promise<FetchResult<T>>): Promise<T> {
  let r: FetchResult<T>
  try {
    r = await request
  } catch (e) {
    if (e instanceof ApiError) throw e
    throw new ApiError({ code: 'network', detail: e instanceof Error ? e.message : String(e) })
  }
  if (r.error !== undefined || !r.response.ok) throw fromProblem(r.response.status, r.error)
  return r.data as T
}
