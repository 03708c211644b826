package chat

import (
	"sync"

	"github.com/scalechat/scalechat/core"
)

// waiters routes sequencing results to the sends waiting for them, by command id.
type waiters struct {
	mu sync.Mutex
	m  map[string]chan core.SendResult
}

func newWaiters() *waiters { return &waiters{m: map[string]chan core.SendResult{}} }

// add registers a waiter; the returned func unregisters it.
func (w *waiters) add(id string) (<-chan core.SendResult, func()) {
	ch := make(chan core.SendResult, 1)
	w.mu.Lock()
	w.m[id] = ch
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		delete(w.m, id)
		w.mu.Unlock()
	}
}

// deliver hands r to its waiter, if one is still waiting. It never blocks.
func (w *waiters) deliver(r core.SendResult) {
	w.mu.Lock()
	ch := w.m[r.CommandID]
	delete(w.m, r.CommandID)
	w.mu.Unlock()
	if ch != nil {
		ch <- r
	}
}
