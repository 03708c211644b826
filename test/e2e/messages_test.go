package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

func TestMessages(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx := t.Context()
	alice, bob, carol := s.signUp(t, "alice"), s.signUp(t, "bob"), s.signUp(t, "carol")
	g := alice.create(t, sdk.CreateConversationRequestKindGroup, "Messages", bob, carol)

	t.Run("sendMessage stores the message with the next seq", func(t *testing.T) {
		m := alice.send(t, g.Id, "hello\nworld")
		assert.Equal(t, int64(1), m.Seq)
		assert.Equal(t, g.Id, m.ConversationId)
		assert.Equal(t, alice.ID, m.SenderId)
		assert.Equal(t, "hello\nworld", m.Body)
		assert.NotEmpty(t, m.Id)
		assert.Nil(t, m.EditedAt)
		assert.Nil(t, m.DeletedAt)
		assert.Nil(t, m.ReplyTo)
		assert.WithinDuration(t, time.Now(), m.CreatedAt, time.Minute)

		// Without a clientMsgId one is generated: no idempotency, but a stored message.
		r, err := bob.c.SendMessageWithResponse(ctx, g.Id, sdk.SendMessageRequest{Body: "no key", ReplyTo: &m.Id})
		wantStatus(t, r, err, http.StatusCreated)
		assert.NotEmpty(t, r.JSON201.ClientMsgId)
		assert.Equal(t, int64(2), r.JSON201.Seq)
		require.NotNil(t, r.JSON201.ReplyTo)
		assert.Equal(t, m.Id, *r.JSON201.ReplyTo)

		r, err = bob.c.SendMessageWithResponse(ctx, g.Id, sdk.SendMessageRequest{Body: "to nothing", ReplyTo: ptr("no-such-message")})
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
		assert.Len(t, alice.history(t, g.Id, 0), 2)
	})

	t.Run("idempotent send: a retry answers 200 with the identical message", func(t *testing.T) {
		before := alice.history(t, g.Id, 0)
		req := sdk.SendMessageRequest{ClientMsgId: ptr("retry-1"), Body: "only once"}
		first, err := alice.c.SendMessageWithResponse(ctx, g.Id, req)
		wantStatus(t, first, err, http.StatusCreated)
		retry, err := alice.c.SendMessageWithResponse(ctx, g.Id, req)
		wantStatus(t, retry, err, http.StatusOK)
		assert.Equal(t, *first.JSON201, *retry.JSON200)
		changed, err := alice.c.SendMessageWithResponse(ctx, g.Id, sdk.SendMessageRequest{ClientMsgId: ptr("retry-1"), Body: "different text"})
		wantStatus(t, changed, err, http.StatusOK)
		assert.Equal(t, *first.JSON201, *changed.JSON200, "the key decides: the original is returned")

		// The key is per sender: bob may use the same one.
		other, err := bob.c.SendMessageWithResponse(ctx, g.Id, req)
		wantStatus(t, other, err, http.StatusCreated)
		assert.NotEqual(t, first.JSON201.Id, other.JSON201.Id)

		after := alice.history(t, g.Id, 0)
		require.Len(t, after, len(before)+2)
		n := 0
		for _, m := range after {
			if m.ClientMsgId == "retry-1" && m.SenderId == alice.ID {
				n++
				assert.Equal(t, *first.JSON201, m)
			}
		}
		assert.Equal(t, 1, n, "history holds exactly one")
	})

	t.Run("concurrent retries store one message", func(t *testing.T) {
		before := alice.history(t, g.Id, 0)
		const n = 6
		var wg sync.WaitGroup
		results := make([]*sdk.SendMessageResponse, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				results[i], errs[i] = carol.c.SendMessageWithResponse(ctx, g.Id,
					sdk.SendMessageRequest{ClientMsgId: ptr("racing"), Body: "racing"})
			})
		}
		wg.Wait()
		created := 0
		var id string
		for i, r := range results {
			require.NoError(t, errs[i])
			var m *sdk.Message
			switch r.StatusCode() {
			case http.StatusCreated:
				created++
				m = r.JSON201
			case http.StatusOK:
				m = r.JSON200
			default:
				t.Fatalf("status %d: %s", r.StatusCode(), r.Body)
			}
			if id == "" {
				id = m.Id
			}
			assert.Equal(t, id, m.Id)
		}
		assert.Equal(t, 1, created, "exactly one send creates the message")
		assert.Len(t, alice.history(t, g.Id, 0), len(before)+1)
	})

	t.Run("listMessages pages backwards and forwards in ascending order", func(t *testing.T) {
		h := s.signUp(t, "historian")
		c := h.create(t, sdk.CreateConversationRequestKindGroup, "History")
		var sent []sdk.Message
		for i := range 23 {
			sent = append(sent, h.send(t, c.Id, fmt.Sprintf("message %d", i)))
		}
		for i, m := range sent {
			require.Equal(t, int64(i+1), m.Seq)
		}
		assert.Equal(t, sent, h.history(t, c.Id, 5), "walking back with before, pages of 5")
		assert.Equal(t, sent, h.history(t, c.Id, 1), "pages of 1")
		assert.Equal(t, sent, h.history(t, c.Id, 200), "one page")

		latest, err := h.c.ListMessagesWithResponse(ctx, c.Id, &sdk.ListMessagesParams{Limit: ptr[int64](4)})
		wantStatus(t, latest, err, http.StatusOK)
		assert.Equal(t, sent[19:], latest.JSON200.Items, "without before/after: the latest")
		assert.Equal(t, "20", *latest.JSON200.Next)

		// Forwards with after.
		var fwd []sdk.Message
		after := int64(3)
		for range 100 {
			r, err := h.c.ListMessagesWithResponse(ctx, c.Id, &sdk.ListMessagesParams{After: &after, Limit: ptr[int64](6)})
			wantStatus(t, r, err, http.StatusOK)
			requireAscending(t, r.JSON200.Items)
			fwd = append(fwd, r.JSON200.Items...)
			if r.JSON200.Next == nil {
				break
			}
			after, err = strconv.ParseInt(*r.JSON200.Next, 10, 64)
			require.NoError(t, err)
			require.Equal(t, fwd[len(fwd)-1].Seq, after, "next is the last seq when paging forwards")
		}
		assert.Equal(t, sent[3:], fwd)

		r, err := h.c.ListMessagesWithResponse(ctx, c.Id, &sdk.ListMessagesParams{Before: ptr[int64](3)})
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, sent[:2], r.JSON200.Items)
		assert.Nil(t, r.JSON200.Next, "nothing before the first message")
		r, err = h.c.ListMessagesWithResponse(ctx, c.Id, &sdk.ListMessagesParams{After: ptr[int64](23)})
		wantStatus(t, r, err, http.StatusOK)
		assert.Empty(t, r.JSON200.Items)
		assert.Nil(t, r.JSON200.Next)
		r, err = h.c.ListMessagesWithResponse(ctx, c.Id, &sdk.ListMessagesParams{After: ptr[int64](3), Before: ptr[int64](9)})
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)

		empty := h.create(t, sdk.CreateConversationRequestKindGroup, "Empty")
		r, err = h.c.ListMessagesWithResponse(ctx, empty.Id, nil)
		wantStatus(t, r, err, http.StatusOK)
		assert.JSONEq(t, `{"items": []}`, string(r.Body))
	})

	t.Run("editMessage: own messages only", func(t *testing.T) {
		m := bob.send(t, g.Id, "tpyo")
		r, err := bob.c.EditMessageWithResponse(ctx, g.Id, m.Id, sdk.EditMessageRequest{Body: "typo"})
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, "typo", r.JSON200.Body)
		assert.Equal(t, m.Seq, r.JSON200.Seq, "an edit keeps the seq")
		require.NotNil(t, r.JSON200.EditedAt)

		for _, other := range []*user{carol, alice} { // a member, and the owner: nobody edits others' messages
			r, err = other.c.EditMessageWithResponse(ctx, g.Id, m.Id, sdk.EditMessageRequest{Body: "hijacked"})
			wantProblem(t, r, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
		}
		r, err = bob.c.EditMessageWithResponse(ctx, g.Id, "no-such-message", sdk.EditMessageRequest{Body: "x"})
		wantProblem(t, r, err, http.StatusNotFound, sdk.ProblemCodeNotFound)

		h := alice.history(t, g.Id, 0)
		got := h[len(h)-1]
		assert.Equal(t, m.Id, got.Id)
		assert.Equal(t, "typo", got.Body)
		assert.NotNil(t, got.EditedAt)
	})

	t.Run("deleteMessage leaves a tombstone in history", func(t *testing.T) {
		own := carol.send(t, g.Id, "regrettable")
		r, err := carol.c.DeleteMessageWithResponse(ctx, g.Id, own.Id)
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, "", r.JSON200.Body)
		require.NotNil(t, r.JSON200.DeletedAt)
		assert.Equal(t, own.Seq, r.JSON200.Seq)
		again, err := carol.c.DeleteMessageWithResponse(ctx, g.Id, own.Id)
		wantStatus(t, again, err, http.StatusOK)
		assert.Equal(t, *r.JSON200, *again.JSON200, "deleting twice is harmless")
		er, err := carol.c.EditMessageWithResponse(ctx, g.Id, own.Id, sdk.EditMessageRequest{Body: "back"})
		wantProblem(t, er, err, http.StatusConflict, sdk.ProblemCodeConflict)

		others := alice.send(t, g.Id, "alice's")
		r, err = carol.c.DeleteMessageWithResponse(ctx, g.Id, others.Id)
		wantProblem(t, r, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied) // members delete only their own

		mod := bob.send(t, g.Id, "needs moderation")
		ur, err := alice.setRole(t, g.Id, carol, sdk.UpdateMemberRequestRoleAdmin)
		wantStatus(t, ur, err, http.StatusOK)
		r, err = carol.c.DeleteMessageWithResponse(ctx, g.Id, mod.Id)
		wantStatus(t, r, err, http.StatusOK) // admins delete anyone's
		r, err = alice.c.DeleteMessageWithResponse(ctx, g.Id, others.Id)
		wantStatus(t, r, err, http.StatusOK)

		h := bob.history(t, g.Id, 3)
		byID := map[string]sdk.Message{}
		for _, m := range h {
			byID[m.Id] = m
		}
		for _, id := range []string{own.Id, others.Id, mod.Id} {
			tomb, ok := byID[id]
			require.True(t, ok, "the tombstone stays in history")
			assert.Equal(t, "", tomb.Body)
			assert.NotNil(t, tomb.DeletedAt)
		}
		assert.Equal(t, own.Seq, byID[own.Id].Seq)
	})

	t.Run("listEvents: dense seqs 1..N with member, edit and delete events", func(t *testing.T) {
		o, p, q := s.signUp(t, "evo"), s.signUp(t, "evp"), s.signUp(t, "evq")
		c := o.create(t, sdk.CreateConversationRequestKindChannel, "Events")
		m1 := o.send(t, c.Id, "one")
		jr, err := p.c.JoinConversationWithResponse(ctx, c.Id)
		wantStatus(t, jr, err, http.StatusOK)
		m2 := p.send(t, c.Id, "two")
		er, err := o.c.EditMessageWithResponse(ctx, c.Id, m1.Id, sdk.EditMessageRequest{Body: "one!"})
		wantStatus(t, er, err, http.StatusOK)
		dr, err := p.c.DeleteMessageWithResponse(ctx, c.Id, m2.Id)
		wantStatus(t, dr, err, http.StatusOK)
		ar, err := o.c.AddMembersWithResponse(ctx, c.Id, sdk.AddMembersRequest{UserIds: []string{q.ID}})
		wantStatus(t, ar, err, http.StatusOK)
		lr, err := p.c.LeaveConversationWithResponse(ctx, c.Id)
		wantStatus(t, lr, err, http.StatusNoContent)
		ur, err := o.c.UpdateConversationWithResponse(ctx, c.Id, sdk.UpdateConversationRequest{Topic: ptr("events")})
		wantStatus(t, ur, err, http.StatusOK)
		m3 := q.send(t, c.Id, "three")
		assert.Equal(t, int64(9), m3.Seq, "messages share the sequence with every other event")

		all := q.events(t, c.Id, 0)
		requireDense(t, c.Id, all)
		assert.Equal(t, []string{"message.created", "member.joined", "message.created", "message.edited",
			"message.deleted", "member.joined", "member.left", "conversation.updated", "message.created"}, eventTypes(all))
		assert.Equal(t, m1.Id, all[0].Data.Message.Id)
		assert.Equal(t, "one!", all[3].Data.Message.Body)
		assert.NotNil(t, all[4].Data.Message.DeletedAt)
		assert.Equal(t, p.ID, all[6].Data.Member.UserId)
		assert.Equal(t, "events", all[7].Data.Conversation.Topic)
		assert.Equal(t, m3, *all[8].Data.Message)
		assert.Equal(t, int64(9), o.conversation(t, c.Id).LastSeq)

		assert.Equal(t, all, q.events(t, c.Id, 2), "pages of 2 with after")
		assert.Equal(t, all, q.events(t, c.Id, 1), "pages of 1")
		r, err := q.c.ListEventsWithResponse(ctx, c.Id, &sdk.ListEventsParams{After: ptr[int64](6)})
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, all[6:], r.JSON200.Items)
		assert.Nil(t, r.JSON200.Next)
		r, err = q.c.ListEventsWithResponse(ctx, c.Id, &sdk.ListEventsParams{After: ptr[int64](9)})
		wantStatus(t, r, err, http.StatusOK)
		assert.Empty(t, r.JSON200.Items)
	})

	t.Run("markRead is monotonic and unread follows", func(t *testing.T) {
		r1, r2 := s.signUp(t, "reader1"), s.signUp(t, "reader2")
		c := r1.create(t, sdk.CreateConversationRequestKindGroup, "Reading", r2)
		for i := range 4 {
			r1.send(t, c.Id, fmt.Sprintf("m%d", i))
		}
		r2.send(t, c.Id, "mine")
		conv := r2.conversation(t, c.Id)
		assert.Equal(t, int64(5), conv.LastSeq)
		assert.Equal(t, int64(0), conv.ReadSeq)
		assert.Equal(t, int64(4), conv.Unread, "own messages are not unread")

		mark := func(seq int64) int64 {
			t.Helper()
			r, err := r2.c.MarkReadWithResponse(ctx, c.Id, sdk.MarkReadRequest{Seq: seq})
			wantStatus(t, r, err, http.StatusOK)
			return r.JSON200.ReadSeq
		}
		assert.Equal(t, int64(2), mark(2))
		conv = r2.conversation(t, c.Id)
		assert.Equal(t, int64(2), conv.ReadSeq)
		assert.Equal(t, int64(2), conv.Unread)
		assert.Equal(t, int64(2), mark(1), "read positions never move backwards")
		assert.Equal(t, int64(2), mark(0))
		assert.Equal(t, int64(2), r2.conversation(t, c.Id).ReadSeq)

		r, err := r2.c.MarkReadWithResponse(ctx, c.Id, sdk.MarkReadRequest{Seq: 6})
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument) // beyond lastSeq
		assert.Equal(t, int64(2), r2.conversation(t, c.Id).ReadSeq)

		assert.Equal(t, int64(5), mark(5))
		conv = r2.conversation(t, c.Id)
		assert.Equal(t, int64(0), conv.Unread)
		m := r1.send(t, c.Id, "new")
		assert.Equal(t, int64(1), r2.conversation(t, c.Id).Unread)
		dr, err := r1.c.DeleteMessageWithResponse(ctx, c.Id, m.Id)
		wantStatus(t, dr, err, http.StatusOK)
		assert.Equal(t, int64(0), r2.conversation(t, c.Id).Unread, "deleted messages are not unread")

		members := r1.members(t, c.Id, 50)
		require.Len(t, members, 2)
		lr, err := r1.c.ListMembersWithResponse(ctx, c.Id, nil)
		wantStatus(t, lr, err, http.StatusOK)
		for _, mem := range lr.JSON200.Items {
			if mem.UserId == r2.ID {
				assert.Equal(t, int64(5), mem.ReadSeq, "the member list shows read positions")
			}
		}
		assert.Equal(t, int64(0), r1.conversation(t, c.Id).ReadSeq, "read positions are per member")
	})
}

// TestHistoryForwardFromTheStart pages history forwards from the very beginning. The spec allows after=0
// ("the messages right after this seq", minimum 0) and the README says to pass next back as after when paging
// forwards, so after=0 must answer the first messages, with next the last seq of the page.
func TestHistoryForwardFromTheStart(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	u := s.signUp(t, "forward")
	c := u.create(t, sdk.CreateConversationRequestKindGroup, "Forward")
	var sent []sdk.Message
	for i := range 5 {
		sent = append(sent, u.send(t, c.Id, fmt.Sprintf("m%d", i)))
	}
	var got []sdk.Message
	after := int64(0)
	for range 10 {
		r, err := u.c.ListMessagesWithResponse(t.Context(), c.Id, &sdk.ListMessagesParams{After: &after, Limit: ptr[int64](2)})
		wantStatus(t, r, err, http.StatusOK)
		got = append(got, r.JSON200.Items...)
		if r.JSON200.Next == nil {
			break
		}
		after, err = strconv.ParseInt(*r.JSON200.Next, 10, 64)
		require.NoError(t, err)
	}
	assert.Equal(t, msgIDs(sent), msgIDs(got),
		"after=0 must page forwards from seq 1 (adapters/rest/messages.go listMessages and core.HistoryQuery treat 0 as absent)")
}
