// scalechat's TypeScript SDK: the REST API's types (schema.d.ts, for openapi-fetch: createClient<paths>()), the
// real-time API's types (realtime.gen.ts) and its client with resume by seq (realtime.js).
export type { paths, components, operations } from './schema'
export * from './realtime.gen'
export { RealtimeClient, RealtimeError } from './realtime.js'
export type { RealtimeOptions, IoFactory } from './realtime.js'
