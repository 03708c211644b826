package faults_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// Outcomes of a send, as its sender saw them.
const (
	created  = "201 created"  // REST 201: stored, with its seq
	found    = "200 retry"    // REST 200: a retry found the stored message
	accepted = "202 accepted" // REST 202: durable, seq pending; must appear
	sockOK   = "socket ok"    // socket ack {ok, message}: stored, with its seq
	sockAcc  = "socket accepted"
	unacked  = "not acknowledged"
)

// sendRecord is one message a sender sent, with the outcome of its last attempt.
type sendRecord struct {
	via         string // "rest" or "socket"
	sender      *user
	conv        string
	clientMsgID string
	body        string
	attempts    int
	lostAcks    []string // socket attempts whose ack never came on a live connection: when, and the client's state
	outcome     string
	msg         sdk.Message // what the acknowledgement carried (only id and clientMsgId when accepted)
}

func (r *sendRecord) acked() bool { return r.outcome != unacked && r.outcome != "" }

// sequenced reports whether the acknowledgement carried a seq.
func (r *sendRecord) sequenced() bool {
	return r.outcome == created || r.outcome == found || r.outcome == sockOK
}

// load runs the senders: 3 REST senders (one user each, alternating their preferred gateway) and one socket
// sender, each sending one message at a time to the conversations in turn, until stopped. A failed or timed-out
// send is retried with the same clientMsgId — REST through the next gateway, the socket after reconnecting
// (to the other gateway when its own is down, see env.pick) — until acknowledged or messageDeadline passed.
type load struct {
	e        *env
	sockGW   int // gateway the socket sender dials first
	maxEach  int // messages per sender at most
	stopping chan struct{}
	ctx      context.Context // cancelled by abort: in-flight sends give up
	abort    context.CancelFunc
	wg       sync.WaitGroup
	ackedN   atomic.Int64
	sockN    atomic.Int64 // of which through the socket
	running  atomic.Int64 // senders still sending

	mu       sync.Mutex
	records  []*sendRecord
	retries  map[string]int // retry reasons → count
	problems []string       // protocol violations (unexpected refusals, inconsistent acks)
	sockGWs  []string       // gateways the socket sender connected to, in order
}

// startLoad starts the senders.
func (e *env) startLoad(sockGW, maxEach int) *load {
	l := &load{e: e, sockGW: sockGW, maxEach: maxEach, stopping: make(chan struct{}), retries: map[string]int{}}
	l.ctx, l.abort = context.WithCancel(context.Background())
	l.running.Store(int64(len(e.senders) + 1))
	for i, u := range e.senders {
		apis := make([]*sdk.ClientWithResponses, len(e.gws))
		for j, g := range e.gws {
			apis[j] = g.api(e.t, u.Token)
		}
		l.wg.Go(func() {
			defer l.running.Add(-1)
			l.restSender(u, apis, i%len(apis))
		})
	}
	l.wg.Go(func() {
		defer l.running.Add(-1)
		l.socketSender()
	})
	// A test that ends early (failed) does not wait for its senders' retries.
	e.t.Cleanup(func() { l.abort(); l.stop() })
	return l
}

// stop tells the senders to stop after the message they are sending and waits for them. Stopping twice is
// harmless.
func (l *load) stop() {
	l.mu.Lock()
	select {
	case <-l.stopping:
	default:
		close(l.stopping)
	}
	l.mu.Unlock()
	l.wg.Wait()
}

func (l *load) stopped() bool {
	select {
	case <-l.stopping:
		return true
	default:
		return false
	}
}

// acked returns how many sends were acknowledged so far.
func (l *load) acked() int { return int(l.ackedN.Load()) }

// waitAcked waits (bounded) until n sends were acknowledged in all.
func (l *load) waitAcked(n int) error { return l.waitFor(&l.ackedN, n) }

// waitSocketAcked waits (bounded) until n sends of the socket sender were acknowledged.
func (l *load) waitSocketAcked(n int) error { return l.waitFor(&l.sockN, n) }

func (l *load) waitFor(count *atomic.Int64, n int) error {
	deadline := time.Now().Add(phaseTimeout)
	for int(count.Load()) < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d sends acknowledged within %s; retries so far: %v", count.Load(), n,
				phaseTimeout, l.retryCounts())
		}
		if l.running.Load() == 0 {
			return fmt.Errorf("the senders finished with %d of %d sends acknowledged; problems: %v", count.Load(), n,
				l.problemList())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

func (l *load) newRecord(via string, u *user, i int) *sendRecord {
	r := &sendRecord{via: via, sender: u, conv: l.e.convs[i%len(l.e.convs)],
		clientMsgID: fmt.Sprintf("%s-%d", u.Name, i), body: fmt.Sprintf("message %d of %s", i, u.Name), outcome: unacked}
	l.mu.Lock()
	l.records = append(l.records, r)
	l.mu.Unlock()
	return r
}

func (l *load) retry(reason string) {
	l.mu.Lock()
	l.retries[reason]++
	l.mu.Unlock()
}

func (l *load) problem(format string, args ...any) {
	l.mu.Lock()
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *load) finish(r *sendRecord, outcome string, m sdk.Message) {
	l.mu.Lock()
	r.outcome, r.msg = outcome, m
	l.mu.Unlock()
	l.ackedN.Add(1)
	if r.via == "socket" {
		l.sockN.Add(1)
	}
	// The acknowledgement describes the message that was sent.
	if m.ClientMsgId != r.clientMsgID || m.ConversationId != r.conv || m.SenderId != r.sender.ID || m.Body != r.body ||
		m.Id == "" {
		l.problem("%s %s: acknowledgement (%s) does not describe the message sent: %+v", r.via, r.clientMsgID, outcome, m)
	}
	// 200 says "a retry found the stored message": never the answer to a first attempt, whose clientMsgId is new.
	if outcome == found && r.attempts == 1 {
		l.problem("%s %s: its first attempt was answered 200 (a retry) with %+v", r.via, r.clientMsgID, m)
	}
	if seq := m.Seq; (r.sequenced() && seq <= 0) || (!r.sequenced() && seq != 0) {
		l.problem("%s %s: acknowledgement (%s) with seq %d", r.via, r.clientMsgID, outcome, seq)
	}
}

// restSender sends through the REST API (a client per gateway), preferring gateway gw.
func (l *load) restSender(u *user, apis []*sdk.ClientWithResponses, gw int) {
	for i := 0; i < l.maxEach && !l.stopped(); i++ {
		r := l.newRecord("rest", u, i)
		deadline := time.Now().Add(messageDeadline)
		backoff := 100 * time.Millisecond
		for !r.acked() {
			if time.Now().After(deadline) {
				l.problem("rest %s: not acknowledged after %d attempts within %s", r.clientMsgID, r.attempts, messageDeadline)
				return
			}
			if l.ctx.Err() != nil {
				return
			}
			r.attempts++
			reason, done := l.restAttempt(apis[gw%len(apis)], r)
			if done {
				break
			}
			l.retry("rest: " + reason)
			gw++ // the next gateway: what a client behind a load balancer gets after a failure
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
		}
		if !r.acked() {
			return // refused for good: reported as a problem
		}
	}
}

// restAttempt makes one attempt; it reports why it should be retried, or done when it needs no retry (acked, or
// refused for good).
func (l *load) restAttempt(api *sdk.ClientWithResponses, r *sendRecord) (reason string, done bool) {
	ctx, cancel := context.WithTimeout(l.ctx, requestTimeout)
	defer cancel()
	id := r.clientMsgID
	resp, err := api.SendMessageWithResponse(ctx, r.conv, sdk.SendMessageRequest{ClientMsgId: &id, Body: r.body})
	if err != nil {
		return transportReason(err), false
	}
	switch code := resp.StatusCode(); {
	case code == http.StatusCreated && resp.JSON201 != nil:
		l.finish(r, created, *resp.JSON201)
	case code == http.StatusOK && resp.JSON200 != nil:
		l.finish(r, found, *resp.JSON200)
	case code == http.StatusAccepted && resp.JSON202 != nil:
		l.finish(r, accepted, *resp.JSON202)
	case code == http.StatusTooManyRequests || code >= 500:
		return fmt.Sprintf("%d %s", code, problemCode(resp.Body)), false
	default:
		l.problem("rest %s: refused: %d %s", id, code, resp.Body)
	}
	return "", true
}

// socketSender sends through Socket.IO, one message at a time, reconnecting when its connection is gone.
func (l *load) socketSender() {
	ctx := l.ctx
	u := l.e.sockUser
	var c *sock
	defer func() {
		if c != nil {
			c.close()
		}
	}()
	for i := 0; i < l.maxEach && !l.stopped(); i++ {
		r := l.newRecord("socket", u, i)
		deadline := time.Now().Add(messageDeadline)
		backoff := 100 * time.Millisecond
		for !r.acked() {
			if time.Now().After(deadline) {
				l.problem("socket %s: not acknowledged after %d attempts within %s", r.clientMsgID, r.attempts, messageDeadline)
				return
			}
			if ctx.Err() != nil {
				return
			}
			if c == nil || c.isGone() {
				if c != nil {
					c.close()
					c = nil
				}
				g := l.e.pick(l.sockGW)
				var err error
				if c, err = dial(ctx, g.p.BaseURL, u.Token, "sender@"+g.name, false); err != nil {
					l.retry("socket dial: " + shorten(err.Error()))
					time.Sleep(200 * time.Millisecond)
					continue
				}
				l.mu.Lock()
				l.sockGWs = append(l.sockGWs, g.name)
				l.mu.Unlock()
			}
			r.attempts++
			sentAt := time.Now()
			a, err := c.emitAck(ctx, "message:send", map[string]any{"conversationId": r.conv,
				"clientMsgId": r.clientMsgID, "body": r.body})
			if err != nil {
				l.retry("socket: " + shorten(err.Error()))
				if !c.isGone() { // no ack in time on a live connection: start afresh
					l.mu.Lock()
					r.lostAcks = append(r.lostAcks, fmt.Sprintf("sent %s on %s, gave up %s (client connected: %v)",
						sentAt.UTC().Format("15:04:05.000"), c.name, time.Now().UTC().Format("15:04:05.000"), c.s.Connected()))
					l.mu.Unlock()
					c.close()
				}
				continue
			}
			switch code := ackError(a); code {
			case "":
				var m sdk.Message
				if err := decodeInto(a["message"], &m); err != nil {
					l.problem("socket %s: undecodable ack %v: %v", r.clientMsgID, a, err)
					return
				}
				if a["accepted"] == true {
					l.finish(r, sockAcc, m)
				} else {
					l.finish(r, sockOK, m)
				}
			case "unavailable", "internal", "rate_limited":
				l.retry("socket ack: " + code)
				time.Sleep(backoff)
				backoff = min(2*backoff, time.Second)
			default:
				l.problem("socket %s: refused: %v", r.clientMsgID, a)
				return
			}
		}
	}
}

// snapshot returns the records and counters (to read once the senders stopped).
func (l *load) snapshot() []*sendRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.records)
}

func (l *load) retryCounts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.retries))
	for k, v := range l.retries {
		out[k] = v
	}
	return out
}

func (l *load) problemList() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.problems)
}

// stats summarises the outcomes.
func (l *load) stats() string {
	recs := l.snapshot()
	by := map[string]int{}
	attempts, rest, socket := 0, 0, 0
	for _, r := range recs {
		by[r.outcome]++
		attempts += r.attempts
		if r.via == "rest" {
			rest++
		} else {
			socket++
		}
	}
	acked := 0
	for _, o := range []string{created, found, accepted, sockOK, sockAcc} {
		acked += by[o]
	}
	l.mu.Lock()
	gws := slices.Clone(l.sockGWs)
	l.mu.Unlock()
	return fmt.Sprintf("sent %d (REST %d, socket %d) in %d attempts; acknowledged %d: %d×201, %d×200, %d×202, "+
		"%d socket ok, %d socket accepted; not acknowledged %d; retries %v; socket sender's connections: %v",
		len(recs), rest, socket, attempts, acked, by[created], by[found], by[accepted], by[sockOK], by[sockAcc],
		by[unacked], l.retryCounts(), gws)
}

// transportReason shortens a transport error into a retry reason.
func transportReason(err error) string {
	s := err.Error()
	for _, k := range []string{"connection refused", "connection reset", "EOF", "Client.Timeout",
		"context deadline exceeded"} {
		if strings.Contains(s, k) {
			return "transport: " + k
		}
	}
	return "transport: " + shorten(s)
}

// problemCode extracts the code of a problem+json body.
func problemCode(body []byte) string {
	var p sdk.Problem
	if err := json.Unmarshal(body, &p); err != nil || p.Code == "" {
		return shorten(string(body))
	}
	return string(p.Code)
}

func shorten(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
