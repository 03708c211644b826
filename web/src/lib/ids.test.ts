import { describe, expect, it } from 'vitest'
import { newClientMsgId } from './ids'

describe('clientMsgId', () => {
  it('matches the API pattern and is unique', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 1000; i++) {
      const id = newClientMsgId()
      expect(id).toMatch(/^[A-Za-z0-9_.:-]+$/)
      expect(id.length).toBeLessThanOrEqual(64)
      seen.add(id)
    }
    expect(seen.size).toBe(1000)
  })
})
