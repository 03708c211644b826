package faults_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// storedEvents reads every event of every conversation through a running gateway (GET .../events?after=0, in
// pages), retrying a failed read a few times.
func (e *env) storedEvents() (map[string][]sdk.Event, error) {
	out := map[string][]sdk.Event{}
	for _, conv := range e.convs {
		var evs []sdk.Event
		var err error
		for attempt := range 5 {
			if evs, err = e.readEvents(conv, attempt); err == nil {
				break
			}
			time.Sleep(time.Second)
		}
		if err != nil {
			return nil, err
		}
		out[conv] = evs
	}
	return out, nil
}

// readEvents pages through one conversation's events from after=0, on the attempt-th running gateway.
func (e *env) readEvents(conv string, attempt int) ([]sdk.Event, error) {
	gws := e.running()
	if len(gws) == 0 {
		return nil, fmt.Errorf("no gateway runs")
	}
	api := gws[attempt%len(gws)].api(e.t, e.listener.Token)
	ctx, cancel := context.WithTimeout(context.Background(), 2*requestTimeout)
	defer cancel()
	var all []sdk.Event
	after, limit := int64(0), int64(500)
	for range 1000 {
		r, err := api.ListEventsWithResponse(ctx, conv, &sdk.ListEventsParams{After: &after, Limit: &limit})
		if err != nil {
			return nil, err
		}
		if r.StatusCode() != http.StatusOK || r.JSON200 == nil {
			return nil, fmt.Errorf("events of %s after %d: %d %s", conv, after, r.StatusCode(), r.Body)
		}
		all = append(all, r.JSON200.Items...)
		if r.JSON200.Next == nil {
			return all, nil
		}
		next, err := strconv.ParseInt(*r.JSON200.Next, 10, 64)
		if err != nil || next <= after {
			return nil, fmt.Errorf("events of %s: bad next %q after %d", conv, *r.JSON200.Next, after)
		}
		after = next
	}
	return nil, fmt.Errorf("events of %s: paging did not end", conv)
}

// msgKey identifies a message by its sender and clientMsgId (the idempotency key).
func msgKey(senderID, clientMsgID string) string { return senderID + "/" + clientMsgID }

// report is what a check found, for the test log and the final report.
type report struct {
	stored   int // messages stored in all
	perConv  []int
	problems []string
}

func (r *report) fail(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// verify waits until every acknowledged message is stored (an accepted one may still be on its way), then
// checks the stored sequences against the acknowledgements and the listener's view, and fails the test with
// every problem found. The load must have stopped.
func (e *env) verify(ld *load, lis *listener) {
	t := e.t
	t.Helper()
	recs := ld.snapshot()
	var rep report
	for _, p := range ld.problemList() {
		rep.fail("sender: %s", p)
	}

	// 1. Every acknowledged message appears (bounded wait: accepted ones are sequenced after the fault healed).
	var stored map[string][]sdk.Event
	deadline := time.Now().Add(settleTimeout)
	for {
		var err error
		stored, err = e.storedEvents()
		missing := 0
		if err == nil {
			have := map[string]bool{}
			for _, evs := range stored {
				for _, ev := range evs {
					if m := ev.Data.Message; m != nil {
						have[msgKey(m.SenderId, m.ClientMsgId)] = true
					}
				}
			}
			for _, r := range recs {
				if r.acked() && !have[msgKey(r.sender.ID, r.clientMsgID)] {
					missing++
				}
			}
		}
		if err == nil && missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			if err != nil {
				t.Fatalf("reading the stored events: %v", err)
			}
			break // the comparison below names the missing messages
		}
		time.Sleep(time.Second)
	}

	// 2. Stored sequences: dense 1..N, one message per idempotency key, each one a message that was sent.
	sent := map[string]*sendRecord{}
	for _, r := range recs {
		sent[msgKey(r.sender.ID, r.clientMsgID)] = r
	}
	storedMsgs := map[string][]sdk.Message{}
	want := map[string]int64{}
	for _, conv := range e.convs {
		evs := stored[conv]
		rep.perConv = append(rep.perConv, len(evs))
		want[conv] = int64(len(evs))
		for i, ev := range evs {
			if ev.Seq != int64(i+1) || ev.ConversationId != conv {
				rep.fail("conversation %s: event %d has seq %d (conversation %s): not dense 1..%d", conv, i, ev.Seq,
					ev.ConversationId, len(evs))
				continue
			}
			m := ev.Data.Message
			if ev.Type != sdk.MessageCreated || m == nil {
				rep.fail("conversation %s seq %d: unexpected %s event (only messages were sent)", conv, ev.Seq, ev.Type)
				continue
			}
			rep.stored++
			if m.Seq != ev.Seq || m.ConversationId != conv || m.SenderId != ev.ActorId {
				rep.fail("conversation %s seq %d: event and message disagree: %s", conv, ev.Seq, eventKey(ev))
			}
			k := msgKey(m.SenderId, m.ClientMsgId)
			storedMsgs[k] = append(storedMsgs[k], *m)
			if len(storedMsgs[k]) == 2 {
				rep.fail("DUPLICATE: clientMsgId %s of sender %s stored twice: seqs %d and %d", m.ClientMsgId,
					m.SenderId, storedMsgs[k][0].Seq, m.Seq)
			}
			r := sent[k]
			switch {
			case r == nil:
				rep.fail("conversation %s seq %d: a message nobody sent: %s", conv, ev.Seq, eventKey(ev))
			case r.conv != conv || r.body != m.Body:
				rep.fail("conversation %s seq %d: stored %q, but %s sent %q to %s", conv, ev.Seq, m.Body, k, r.body, r.conv)
			}
		}
	}

	// 3. Every acknowledged message is stored exactly once, as acknowledged.
	idMismatch := 0
	for _, r := range recs {
		if !r.acked() {
			continue
		}
		ms := storedMsgs[msgKey(r.sender.ID, r.clientMsgID)]
		if len(ms) == 0 {
			rep.fail("LOST: %s %s acknowledged (%s, after %d attempts) but not stored", r.via, r.clientMsgID, r.outcome,
				r.attempts)
			continue
		}
		if len(ms) > 1 {
			continue // reported above
		}
		m := ms[0]
		if len(r.lostAcks) > 0 {
			// A request on a live connection always gets an answer (ack or error) within the server's bound.
			rep.fail("%s %s: acks lost on live connections: %v; stored with createdAt %s (when its command was "+
				"appended) at seq %d", r.via, r.clientMsgID, r.lostAcks, m.CreatedAt.UTC().Format("15:04:05.000"), m.Seq)
		}
		switch {
		case r.sequenced() && (m.Id != r.msg.Id || m.Seq != r.msg.Seq):
			rep.fail("%s %s: acknowledged (%s) as id %s seq %d, stored as id %s seq %d", r.via, r.clientMsgID,
				r.outcome, r.msg.Id, r.msg.Seq, m.Id, m.Seq)
		case !r.sequenced() && m.Id != r.msg.Id:
			// Every attempt of a send names the same id (core.MessageID): an accepted ack naming another is a bug.
			idMismatch++
			rep.fail("%s %s: accepted (%s) with id %s, stored with id %s", r.via, r.clientMsgID, r.outcome, r.msg.Id, m.Id)
		}
	}

	// 4. The listener: live events and syncs together are exactly the stored sequence.
	if lis != nil {
		if err := lis.catchUp(want); err != nil {
			rep.fail("listener: %v", err)
		}
		lis.stop()
		lis.mu.Lock()
		for _, n := range lis.notes {
			rep.fail("listener: %s", n)
		}
		if lis.dropped > 0 {
			rep.fail("listener: %d live events did not fit in the test's buffer", lis.dropped)
		}
		for _, conv := range e.convs {
			got := lis.got[conv]
			evs := stored[conv]
			for _, ev := range evs {
				g, ok := got[ev.Seq]
				if !ok {
					rep.fail("listener: conversation %s seq %d never received (live or by sync)", conv, ev.Seq)
					continue
				}
				if d := eventDiff(g, ev); d != "" {
					rep.fail("listener: conversation %s seq %d differs from the stored event: %s", conv, ev.Seq, d)
				}
			}
			if len(got) != len(evs) {
				rep.fail("listener: conversation %s: received %d distinct seqs, %d stored", conv, len(got), len(evs))
			}
		}
		t.Logf("listener: %d connection(s) %v, %d events live, %d by sync, %d failed dials",
			lis.conns, lis.gws, lis.live, lis.synced, len(lis.dialErr))
		lis.mu.Unlock()
	}

	t.Logf("load: %s", ld.stats())
	t.Logf("stored: %d messages, per conversation %v; accepted acks naming another id: %d", rep.stored, rep.perConv,
		idMismatch)
	if len(rep.problems) > 0 {
		shown := rep.problems
		if len(shown) > 40 {
			shown = append(shown[:40:40], fmt.Sprintf("… and %d more", len(rep.problems)-40))
		}
		t.Errorf("%d problem(s):\n  %s", len(rep.problems), strings.Join(shown, "\n  "))
	}
}
