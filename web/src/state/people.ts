// People: the users the UI names (senders, members, search results), the members of each conversation, and who is
// online. Each is fetched once when first needed; presence then follows the socket's `presence` notices.
import { call } from '../api/client'
import type { Member, Presence, User } from '../api/types'
import type { StoreCore } from './core'

export class People {
  private readonly core: StoreCore
  private readonly userFetches = new Set<string>()
  private readonly memberLoads = new Set<string>()

  constructor(core: StoreCore) {
    this.core = core
  }

  /** Fetches users not known yet (names of senders and members). */
  ensureUsers(ids: readonly string[]) {
    const core = this.core
    const missing = [...new Set(ids)].filter((id) => id && !core.state.users[id] && !this.userFetches.has(id))
    for (const id of missing) {
      this.userFetches.add(id)
      void call(core.api.GET('/v1/users/{userId}', { params: { path: { userId: id } } }))
        .then((u) => core.set((s) => ({ users: { ...s.users, [u.id]: u } })))
        .catch(() => undefined)
        .finally(() => this.userFetches.delete(id))
    }
  }

  async searchUsers(q: string): Promise<User[]> {
    const r = await call(this.core.api.GET('/v1/users', { params: { query: { q, limit: 20 } } }))
    this.core.set((s) => {
      const users = { ...s.users }
      for (const u of r.items) users[u.id] = u
      return { users }
    })
    return r.items
  }

  loadMembers(id: string) {
    if (this.memberLoads.has(id)) return
    this.memberLoads.add(id)
    const core = this.core
    void (async () => {
      try {
        const all: Member[] = []
        let cursor: string | undefined
        for (let page = 0; page < 10; page++) {
          const r = await call(
            core.api.GET('/v1/conversations/{conversationId}/members', {
              params: { path: { conversationId: id }, query: { limit: 200, cursor } },
            }),
          )
          all.push(...r.items)
          if (!r.next) break
          cursor = r.next
        }
        core.set((s) => ({ members: { ...s.members, [id]: all } }))
        const ids = all.map((m) => m.userId)
        this.ensureUsers(ids)
        if (core.state.conversations[id]?.kind !== 'channel' || id === core.state.activeId) {
          void this.loadPresence(ids.filter((u) => u !== core.state.me.id))
        }
      } catch {
        // Shown without members; tried again on the next reconnect.
      } finally {
        this.memberLoads.delete(id)
      }
    })()
  }

  async addMembers(id: string, userIds: string[]) {
    await call(
      this.core.api.POST('/v1/conversations/{conversationId}/members', {
        params: { path: { conversationId: id } },
        body: { userIds },
      }),
    )
    this.loadMembers(id)
  }

  /** Fetches the presence of `ids`, or else of the members of every conversation but the channels not open. */
  async loadPresence(ids?: string[]) {
    const s = this.core.state
    const want =
      ids ??
      Object.entries(s.members)
        .filter(([cid]) => s.conversations[cid]?.kind !== 'channel' || cid === s.activeId)
        .flatMap(([, ms]) => ms.map((m) => m.userId))
    const unique = [...new Set(want)].filter((u) => u !== s.me.id)
    for (let i = 0; i < unique.length; i += 200) {
      try {
        const r = await call(this.core.api.GET('/v1/presence', { params: { query: { userIds: unique.slice(i, i + 200) } } }))
        this.setPresence(r.items)
      } catch {
        return
      }
    }
  }

  setPresence(items: readonly Presence[]) {
    if (items.length === 0) return
    this.core.set((s) => {
      const presence = { ...s.presence }
      for (const p of items) presence[p.userId] = p.status
      return { presence }
    })
  }
}
