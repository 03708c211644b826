// The ChatStore of the signed-in session, for the components: ChatApp provides it, the components read it with
// useStore (to call it) and useChat (to render a slice of its state).
import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react'
import type { ChatState, ChatStore } from '../state/store'

const StoreContext = createContext<ChatStore | null>(null)

export function StoreProvider({ store, children }: { store: ChatStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>
}

export function useStore(): ChatStore {
  const s = useContext(StoreContext)
  if (!s) throw new Error('useStore outside StoreProvider')
  return s
}

/** A slice of the store's state; the component renders again when it changes. */
export function useChat<T>(select: (s: ChatState) => T): T {
  const store = useStore()
  return useSyncExternalStore(store.subscribe, () => select(store.getState()))
}
