package e2e

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
	"github.com/scalechat/scalechat/openapi/sdk/realtime"
)

// inbox collects what a realtime.Client delivers.
type inbox struct {
	mu     sync.Mutex
	events []sdk.Event
}

func (b *inbox) add(e sdk.Event) { b.mu.Lock(); b.events = append(b.events, e); b.mu.Unlock() }

// seqs returns the seqs delivered of a conversation, in delivery order.
func (b *inbox) seqs(conv string) []int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []int64
	for _, e := range b.events {
		if e.ConversationId == conv {
			out = append(out, e.Seq)
		}
	}
	return out
}

// waitSeqs waits (bounded) until conv's deliveries reach last, and requires them to be every seq from first to
// last once each, in order.
func (b *inbox) waitSeqs(t *testing.T, conv string, first, last int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := b.seqs(conv)
		if len(got) > 0 && got[len(got)-1] >= last {
			var want []int64
			for s := first; s <= last; s++ {
				want = append(want, s)
			}
			require.Equal(t, want, got, "every event once, in seq order")
			return
		}
		require.True(t, time.Now().Before(deadline), "delivered %v, want up to seq %d", got, last)
		time.Sleep(20 * time.Millisecond)
	}
}

// The Go SDK's real-time client against the real binary, on both transports: live delivery in seq order; the
// server killed and started again (the client reconnects by itself) while messages are sent — to a conversation
// it has heard from and to one that was quiet since it connected — and every one arrives once, in order, resumed
// by seq; a new client given the old one's cursors gets exactly what it missed; refusals are typed errors.
func TestRealtimeSDKResumesBySeq(t *testing.T) {
	t.Parallel()
	for _, transport := range []string{"websocket", "polling"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			testRealtimeSDKResumes(t, transport)
		})
	}
}

func testRealtimeSDKResumes(t *testing.T, transport string) {
	s := startServer(t)
	alice, bob := s.signUp(t, "alice"), s.signUp(t, "bob")
	busy := alice.create(t, sdk.CreateConversationRequestKindGroup, "Busy", bob)
	quiet := alice.create(t, sdk.CreateConversationRequestKindGroup, "Quiet", bob)
	alice.send(t, quiet.Id, "before bob connects") // seq 1 of quiet: bob starts after it

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got inbox
	disconnects := make(chan string, 16)
	bc, err := realtime.Dial(ctx, s.p.BaseURL, realtime.ClientOptions{Token: bob.Token, Transport: transport, API: bob.c,
		OnEvent: got.add, OnDisconnect: func(r string) { disconnects <- r }})
	require.NoError(t, err)
	defer bc.Close()
	assert.EqualValues(t, 1, bc.Cursor(quiet.Id), "tracked from the conversation list at its lastSeq")
	ac, err := realtime.Dial(ctx, s.p.BaseURL, realtime.ClientOptions{Token: alice.Token})
	require.NoError(t, err)

	for i := range 3 {
		ack, err := ac.Send(ctx, realtime.SendRequest{ConversationID: busy.Id, ClientMsgID: "live-" + string(rune('a'+i)), Body: "live"})
		require.NoError(t, err)
		assert.Positive(t, ack.Message.Seq)
	}
	got.waitSeqs(t, busy.Id, 1, 3)
	ac.Close()

	// The server dies; messages are sent while it comes back and the client reconnects.
	s.p.Kill()
	select {
	case r := <-disconnects:
		assert.Contains(t, []string{"transport close", "transport error"}, r, "a lost connection, which the client retries")
	case <-time.After(20 * time.Second):
		t.Fatal("the client never noticed the server died")
	}
	s.p.Restart()
	s.http.CloseIdleConnections()
	for range 3 {
		alice.send(t, busy.Id, "while bob was away")
	}
	alice.send(t, quiet.Id, "quiet no more")
	got.waitSeqs(t, busy.Id, 1, 6)
	got.waitSeqs(t, quiet.Id, 2, 2)

	// A new client from the old one's cursors gets exactly what it missed.
	cursors := map[string]int64{busy.Id: bc.Cursor(busy.Id), quiet.Id: bc.Cursor(quiet.Id)}
	bc.Close()
	alice.send(t, busy.Id, "missed")
	alice.send(t, busy.Id, "missed too")
	var again inbox
	bc2, err := realtime.Dial(ctx, s.p.BaseURL, realtime.ClientOptions{Token: bob.Token, Transport: transport, Cursors: cursors,
		OnEvent: again.add})
	require.NoError(t, err)
	defer bc2.Close()
	require.Equal(t, []int64{7, 8}, again.seqs(busy.Id), "caught up before Dial returned")
	assert.Empty(t, again.seqs(quiet.Id))

	_, err = bc2.Send(ctx, realtime.SendRequest{ConversationID: "nope", ClientMsgID: "x", Body: "hi"})
	var refused *realtime.Error
	require.True(t, errors.As(err, &refused), "%v", err)
	assert.Equal(t, "not_found", refused.Code)
	missed := again.events[len(again.events)-1].Data.Message
	require.NotNil(t, missed)
	tallies, err := bc2.React(ctx, realtime.ReactRequest{ConversationID: busy.Id, MessageID: missed.Id, Emoji: ":thumbsup:"})
	require.NoError(t, err)
	require.Len(t, tallies, 1)
	assert.EqualValues(t, 1, tallies[0].Count)
	_, err = bc2.Pin(ctx, realtime.DeleteRequest{ConversationID: busy.Id, MessageID: missed.Id})
	require.True(t, errors.As(err, &refused), "%v", err)
	assert.Equal(t, "permission_denied", refused.Code, "a plain member of a group does not pin")
	_, err = realtime.Dial(ctx, s.p.BaseURL, realtime.ClientOptions{Token: "sc_forged"})
	require.Error(t, err, "a bad token is refused at the handshake")
	r, err := bob.c.GetMeWithResponse(ctx)
	wantStatus(t, r, err, http.StatusOK)
}
