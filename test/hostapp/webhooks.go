package hostapp

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// Receiver is the host application's webhook endpoint, over real HTTP: it verifies each delivery's signature
// with the webhook's secret (401 when it does not match) and keeps the verified events, deduplicated by
// conversation and seq as the README tells receivers to. Script makes it misbehave on purpose.
type Receiver struct {
	URL string

	mu       sync.Mutex
	secret   string
	script   []Answer
	events   map[EventKey]sdk.Event
	received int // verified requests, duplicates included
	refused  int // requests whose signature did not verify
}

// EventKey names an event: what a receiver dedupes on.
type EventKey struct {
	ConversationID string
	Seq            int64
}

// Answer is how the receiver answers one verified request.
type Answer struct {
	Status int           // the status answered
	Delay  time.Duration // how long it waits before answering (longer than --webhook-timeout: a timeout)
}

// NewReceiver starts a receiver; it stops when t ends. It answers 200 until Script says otherwise.
func NewReceiver(t testing.TB) *Receiver {
	t.Helper()
	r := &Receiver{events: map[EventKey]sdk.Event{}}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	r.URL = srv.URL + "/scalechat/webhooks"
	return r
}

// SetSecret sets the webhook's signing secret (known once the webhook is created).
func (r *Receiver) SetSecret(secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = secret
}

// Script makes the next verified requests get these answers, in order; then it answers 200 again.
func (r *Receiver) Script(answers ...Answer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.script = append(r.script, answers...)
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	secret := r.secret
	r.mu.Unlock()
	if err := sdk.VerifyWebhook(secret, req.Header, body, time.Now(), sdk.DefaultWebhookTolerance); err != nil {
		r.mu.Lock()
		r.refused++
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev sdk.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	answer := Answer{Status: http.StatusOK}
	if len(r.script) > 0 {
		answer, r.script = r.script[0], r.script[1:]
	}
	r.received++
	r.mu.Unlock()
	if answer.Delay > 0 {
		select {
		case <-time.After(answer.Delay):
		case <-req.Context().Done():
			return // the sender gave up first: it takes the event as not delivered, and so does the receiver
		}
	}
	if answer.Status >= 200 && answer.Status < 300 {
		r.mu.Lock()
		r.events[EventKey{ev.ConversationId, ev.Seq}] = ev
		r.mu.Unlock()
	}
	w.WriteHeader(answer.Status)
}

// Events returns the verified events accepted so far, by key.
func (r *Receiver) Events() map[EventKey]sdk.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[EventKey]sdk.Event, len(r.events))
	for k, v := range r.events {
		out[k] = v
	}
	return out
}

// Counts returns how many requests verified (duplicates included) and how many were refused.
func (r *Receiver) Counts() (received, refused int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.received, r.refused
}

// Pending returns how many scripted answers are still to be given.
func (r *Receiver) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.script)
}
