package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

func TestRestartKeepsEverything(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx := t.Context()
	alice, bob := s.signUp(t, "alice"), s.signUp(t, "bob")
	g := alice.create(t, sdk.CreateConversationRequestKindGroup, "Durable", bob)
	ch := bob.create(t, sdk.CreateConversationRequestKindChannel, "Durable channel")
	var sent []sdk.Message
	for i := range 5 {
		sent = append(sent, alice.send(t, g.Id, fmt.Sprintf("before restart %d", i)))
	}
	edited, err := alice.c.EditMessageWithResponse(ctx, g.Id, sent[1].Id, sdk.EditMessageRequest{Body: "edited"})
	wantStatus(t, edited, err, http.StatusOK)
	deleted, err := alice.c.DeleteMessageWithResponse(ctx, g.Id, sent[2].Id)
	wantStatus(t, deleted, err, http.StatusOK)
	read, err := bob.c.MarkReadWithResponse(ctx, g.Id, sdk.MarkReadRequest{Seq: 3})
	wantStatus(t, read, err, http.StatusOK)
	revoked := s.login(t, "alice", alice.Password)
	lr, err := s.client(t, revoked.Token).DeleteCurrentSessionWithResponse(ctx)
	wantStatus(t, lr, err, http.StatusNoContent)

	history, events := alice.history(t, g.Id, 0), alice.events(t, g.Id, 0)
	convs, bobsConvs := alice.allConversations(t, 50), bob.allConversations(t, 50)
	users := alice.allUsers(t, "", 50)
	channels := alice.allChannels(t, "", 50)
	require.Len(t, events, 7)

	s.restart(t)

	t.Run("the same token still works", func(t *testing.T) {
		r, err := alice.c.GetMeWithResponse(ctx)
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, alice.ID, r.JSON200.Id)
		r, err = s.client(t, revoked.Token).GetMeWithResponse(ctx)
		wantProblem(t, r, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated) // still revoked
		s.login(t, "bob", bob.Password)
	})

	t.Run("history, events, conversations and users are intact", func(t *testing.T) {
		assert.Equal(t, history, alice.history(t, g.Id, 0))
		assert.Equal(t, history, alice.history(t, g.Id, 2))
		got := alice.events(t, g.Id, 0)
		requireDense(t, g.Id, got)
		assert.Equal(t, events, got)
		assert.Equal(t, convs, alice.allConversations(t, 50))
		assert.Equal(t, bobsConvs, bob.allConversations(t, 50))
		assert.Equal(t, int64(3), bob.conversation(t, g.Id).ReadSeq)
		assert.Equal(t, users, alice.allUsers(t, "", 50))
		assert.Equal(t, channels, alice.allChannels(t, "", 50))
		assert.Equal(t, "edited", history[1].Body)
		assert.NotNil(t, history[2].DeletedAt)
	})

	t.Run("a retry across the restart is still recognised", func(t *testing.T) {
		r, err := alice.c.SendMessageWithResponse(ctx, g.Id, sdk.SendMessageRequest{ClientMsgId: &sent[4].ClientMsgId, Body: sent[4].Body})
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, sent[4], *r.JSON200)
	})

	t.Run("a new send continues at the next seq", func(t *testing.T) {
		m := bob.send(t, g.Id, "after restart")
		assert.Equal(t, events[len(events)-1].Seq+1, m.Seq)
		jr, err := alice.c.JoinConversationWithResponse(ctx, ch.Id)
		wantStatus(t, jr, err, http.StatusOK)
		assert.Equal(t, int64(1), jr.JSON200.LastSeq)
		all := alice.events(t, g.Id, 0)
		requireDense(t, g.Id, all)
		assert.Len(t, all, len(events)+1)
	})
}

// TestKillLosesNoAcknowledgedMessage sends from several clients, kills the process with SIGKILL mid-stream,
// restarts it and proves by seq that every acknowledged message survived, once.
func TestKillLosesNoAcknowledgedMessage(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx := t.Context()
	alice := s.signUp(t, "alice")
	g := alice.create(t, sdk.CreateConversationRequestKindGroup, "Crash")

	type ack struct {
		clientMsgID string
		msg         sdk.Message
	}
	const senders = 4
	var (
		mu        sync.Mutex
		acked     []ack
		attempted []string
		stop      atomic.Bool
		wg        sync.WaitGroup
	)
	for w := range senders {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				id := fmt.Sprintf("w%d-%d", w, i)
				mu.Lock()
				attempted = append(attempted, id)
				mu.Unlock()
				r, err := alice.c.SendMessageWithResponse(ctx, g.Id, sdk.SendMessageRequest{ClientMsgId: &id, Body: "body " + id})
				if err != nil {
					return // the process is gone
				}
				if r.StatusCode() != http.StatusCreated {
					return // a 5xx while dying; the message is not acknowledged
				}
				mu.Lock()
				acked = append(acked, ack{id, *r.JSON201})
				mu.Unlock()
			}
		})
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 30 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.p.Kill()
	stop.Store(true)
	wg.Wait()
	require.GreaterOrEqual(t, len(acked), 5, "sends were acknowledged before the kill")
	t.Logf("%d sends attempted, %d acknowledged before SIGKILL", len(attempted), len(acked))

	s.p.Restart()
	s.http.CloseIdleConnections()

	history := alice.history(t, g.Id, 0)
	byKey := map[string]sdk.Message{}
	for _, m := range history {
		_, dup := byKey[m.ClientMsgId]
		require.False(t, dup, "clientMsgId %s stored twice", m.ClientMsgId)
		byKey[m.ClientMsgId] = m
	}
	for _, a := range acked {
		m, ok := byKey[a.clientMsgID]
		require.True(t, ok, "acknowledged message %s (seq %d) was lost", a.clientMsgID, a.msg.Seq)
		assert.Equal(t, a.msg, m, "an acknowledged message is stored as acknowledged")
	}
	requireDense(t, g.Id, alice.events(t, g.Id, 0))

	// Retrying every attempt (acknowledged or not) creates no duplicate: each key ends up stored exactly once.
	for _, id := range attempted {
		r, err := alice.c.SendMessageWithResponse(ctx, g.Id, sdk.SendMessageRequest{ClientMsgId: &id, Body: "body " + id})
		require.NoError(t, err)
		if _, stored := byKey[id]; stored {
			wantStatus(t, r, err, http.StatusOK)
			assert.Equal(t, byKey[id], *r.JSON200)
		} else {
			wantStatus(t, r, err, http.StatusCreated)
		}
	}
	after := alice.history(t, g.Id, 0)
	assert.Len(t, after, len(attempted))
	seen := map[string]bool{}
	for _, m := range after {
		assert.False(t, seen[m.ClientMsgId], "clientMsgId %s stored twice", m.ClientMsgId)
		seen[m.ClientMsgId] = true
	}
	events := alice.events(t, g.Id, 0)
	requireDense(t, g.Id, events)
	assert.Len(t, events, len(attempted))
}
