package faults_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// listener is a client that listens to the conversations of its user as a real one does: it keeps one
// connection, dials another when it is gone (see env.pick: to another gateway if its own is down), and after
// every (re)connect, and whenever a seq gap stays open, calls `sync` with its last contiguous seq per
// conversation. It records every event it received, live or synced, for the checks at the end.
type listener struct {
	e      *env
	u      *user
	prefer int // index of the gateway it dials first

	cancel  context.CancelFunc
	done    chan struct{}
	syncReq chan chan error

	mu      sync.Mutex
	got     map[string]map[int64]sdk.Event // conversation → seq → the first copy received
	cursor  map[string]int64               // conversation → last contiguous seq
	maxSeen map[string]int64               // conversation → highest seq received
	live    int                            // events received live
	synced  int                            // events received by sync
	conns   int                            // connections made
	gws     []string                       // gateway of each connection
	liveAt  map[string]map[int64]int       // conversation → seq → connection that received it live
	notes   []string                       // inconsistencies seen while running
	dialErr []string                       // failed dials (expected while a gateway or service is down)
	dropped int64
}

// listen starts the listener of e.listener on gateway prefer.
func (e *env) listen(prefer int) *listener {
	l := &listener{e: e, u: e.listener, prefer: prefer, done: make(chan struct{}), syncReq: make(chan chan error),
		got: map[string]map[int64]sdk.Event{}, cursor: map[string]int64{}, maxSeen: map[string]int64{},
		liveAt: map[string]map[int64]int{}}
	for _, id := range e.convs {
		l.got[id] = map[int64]sdk.Event{}
		l.cursor[id] = 0
		l.liveAt[id] = map[int64]int{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go l.run(ctx)
	e.t.Cleanup(l.stop)
	// Wait for the first connection, so that the load starts with a listening client.
	deadline := time.Now().Add(phaseTimeout)
	for {
		l.mu.Lock()
		n := l.conns
		l.mu.Unlock()
		if n > 0 {
			return l
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("listener not connected within %s: %v", phaseTimeout, l.dialErrors())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop closes the connection and ends the listener. Stopping twice is harmless.
func (l *listener) stop() {
	l.cancel()
	<-l.done
}

func (l *listener) run(ctx context.Context) {
	defer close(l.done)
	for ctx.Err() == nil {
		g := l.e.pick(l.prefer)
		c, err := dial(ctx, g.p.BaseURL, l.u.Token, "listener@"+g.name, true)
		if err != nil {
			l.mu.Lock()
			l.dialErr = append(l.dialErr, err.Error())
			l.mu.Unlock()
			sleepCtx(ctx, 200*time.Millisecond)
			continue
		}
		l.mu.Lock()
		l.conns++
		conn := l.conns
		l.gws = append(l.gws, g.name)
		l.mu.Unlock()
		l.serve(ctx, c, conn)
		l.mu.Lock()
		l.dropped += c.dropped.Load()
		if bad := c.badFrame.Load(); bad != nil {
			l.notes = append(l.notes, fmt.Sprintf("connection %d: undecodable event %v", conn, bad))
		}
		l.mu.Unlock()
		c.close()
	}
}

// serve runs one connection until it is gone or ctx ends: resume with sync, then live events, syncing again
// when a gap stays open for a tick.
func (l *listener) serve(ctx context.Context, c *sock, conn int) {
	if err := l.sync(ctx, c); err != nil && c.isGone() {
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var lastGap map[string]int64
	for {
		select {
		case ev := <-c.events:
			l.record(ev, conn)
		case <-c.gone:
			// What arrived before the connection closed still counts.
			for {
				select {
				case ev := <-c.events:
					l.record(ev, conn)
				default:
					return
				}
			}
		case reply := <-l.syncReq:
			reply <- l.sync(ctx, c)
		case <-tick.C:
			gap := l.gaps()
			if len(gap) > 0 && maps.Equal(gap, lastGap) {
				_ = l.sync(ctx, c) // failures are retried at the next tick or connection
				gap = l.gaps()
			}
			lastGap = gap
		case <-ctx.Done():
			return
		}
	}
}

// gaps returns, per conversation with a hole, the contiguous cursor below it.
func (l *listener) gaps() map[string]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int64{}
	for id, max := range l.maxSeen {
		if max > l.cursor[id] {
			out[id] = l.cursor[id]
		}
	}
	return out
}

// sync asks for everything after the cursors until no conversation is truncated.
func (l *listener) sync(ctx context.Context, c *sock) error {
	for range 100 {
		l.mu.Lock()
		cursors := maps.Clone(l.cursor)
		l.mu.Unlock()
		a, err := c.emitAck(ctx, "sync", map[string]any{"cursors": cursors, "limit": 1000})
		if err != nil {
			return err
		}
		if code := ackError(a); code != "" {
			return fmt.Errorf("sync refused: %s", code)
		}
		var out struct {
			Events    []sdk.Event `json:"events"`
			Truncated []string    `json:"truncated"`
		}
		if err := decodeInto(a, &out); err != nil {
			return err
		}
		l.mu.Lock()
		for _, ev := range out.Events {
			l.add(ev)
			l.synced++
		}
		l.mu.Unlock()
		if len(out.Truncated) == 0 {
			return nil
		}
	}
	return errors.New("sync kept being truncated")
}

// record takes a live event of connection conn.
func (l *listener) record(ev sdk.Event, conn int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.live++
	at, ok := l.liveAt[ev.ConversationId]
	if !ok {
		l.notes = append(l.notes, fmt.Sprintf("live event of a conversation it does not follow: %s seq %d",
			ev.ConversationId, ev.Seq))
		return
	}
	if prev, dup := at[ev.Seq]; dup && prev == conn {
		l.notes = append(l.notes, fmt.Sprintf("conversation %s seq %d received live twice on connection %d",
			ev.ConversationId, ev.Seq, conn))
	}
	at[ev.Seq] = conn
	l.add(ev)
}

// add keeps the first copy of an event and compares later copies with it. l.mu is held.
func (l *listener) add(ev sdk.Event) {
	got, ok := l.got[ev.ConversationId]
	if !ok {
		l.notes = append(l.notes, fmt.Sprintf("event of a conversation it does not follow: %s seq %d",
			ev.ConversationId, ev.Seq))
		return
	}
	if ev.Seq <= 0 {
		l.notes = append(l.notes, fmt.Sprintf("event without a seq: %+v", ev))
		return
	}
	if prev, ok := got[ev.Seq]; ok {
		if d := eventDiff(prev, ev); d != "" {
			l.notes = append(l.notes, fmt.Sprintf("conversation %s seq %d received twice, differently: %s",
				ev.ConversationId, ev.Seq, d))
		}
		return
	}
	got[ev.Seq] = ev
	l.maxSeen[ev.ConversationId] = max(l.maxSeen[ev.ConversationId], ev.Seq)
	for {
		if _, ok := got[l.cursor[ev.ConversationId]+1]; !ok {
			break
		}
		l.cursor[ev.ConversationId]++
	}
}

// catchUp syncs until the listener's cursor of every conversation reached want (bounded).
func (l *listener) catchUp(want map[string]int64) error {
	deadline := time.Now().Add(settleTimeout)
	var last error
	for time.Now().Before(deadline) {
		l.mu.Lock()
		behind := map[string][2]int64{}
		for id, n := range want {
			if l.cursor[id] < n {
				behind[id] = [2]int64{l.cursor[id], n}
			}
		}
		l.mu.Unlock()
		if len(behind) == 0 {
			return nil
		}
		last = fmt.Errorf("behind (cursor, stored): %v", behind)
		reply := make(chan error, 1)
		select {
		case l.syncReq <- reply:
			if err := <-reply; err != nil {
				last = fmt.Errorf("%w; last sync: %v", last, err)
			}
		case <-time.After(time.Second): // not connected right now
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("listener did not catch up within %s: %v", settleTimeout, last)
}

// liveSeqs returns how many live events it received.
func (l *listener) liveCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.live
}

// liveAbove reports whether some conversation's event with a seq above from[conversation] arrived live.
func (l *listener) liveAbove(from map[string]int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, at := range l.liveAt {
		for seq := range at {
			if seq > from[id] {
				return true
			}
		}
	}
	return false
}

func (l *listener) dialErrors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.dialErr...)
}

// eventDiff describes how two copies of an event differ ("" when they do not, in what identifies them).
func eventDiff(a, b sdk.Event) string {
	ka, kb := eventKey(a), eventKey(b)
	if ka == kb {
		return ""
	}
	return fmt.Sprintf("%s ≠ %s", ka, kb)
}

// eventKey is what identifies an event and the message it carries.
func eventKey(e sdk.Event) string {
	s := fmt.Sprintf("conv=%s seq=%d type=%s actor=%s at=%s", e.ConversationId, e.Seq, e.Type, e.ActorId,
		e.At.UTC().Format(time.RFC3339Nano))
	if m := e.Data.Message; m != nil {
		s += fmt.Sprintf(" msg{id=%s seq=%d sender=%s clientMsgId=%s body=%q createdAt=%s}", m.Id, m.Seq, m.SenderId,
			m.ClientMsgId, m.Body, m.CreatedAt.UTC().Format(time.RFC3339Nano))
	}
	return s
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}
