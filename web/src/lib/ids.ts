// Idempotency keys for sends: a retry reuses the key, so the server stores the message once.
// crypto.getRandomValues works in insecure contexts too (plain http on a LAN address), unlike randomUUID.

let counter = 0

/** A fresh clientMsgId matching the API's pattern ^[A-Za-z0-9_.:-]+$ (at most 64 characters). */
export function newClientMsgId(now = Date.now()): string {
  const bytes = new Uint8Array(8)
  globalThis.crypto.getRandomValues(bytes)
  const rand = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  counter = (counter + 1) % 1_000_000
  return `web-${now.toString(36)}-${rand}-${counter}`
}
