package chat_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

func TestSendIsSequencedAndIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user("alice"), e.user("bob")
	g := e.group(alice, bob)

	first, err := e.svc.Send(ctx, alice, chat.SendInput{ConversationID: g, ClientMsgID: "c-1", Body: "hello"})
	require.NoError(t, err)
	assert.False(t, first.Duplicate)
	assert.Equal(t, int64(1), first.Message.Seq)
	retry, err := e.svc.Send(ctx, alice, chat.SendInput{ConversationID: g, ClientMsgID: "c-1", Body: "hello"})
	require.NoError(t, err)
	assert.True(t, retry.Duplicate)
	assert.Equal(t, first.Message, retry.Message)
	other, err := e.svc.Send(ctx, bob, chat.SendInput{ConversationID: g, ClientMsgID: "c-1", Body: "same key, other sender"})
	require.NoError(t, err)
	assert.False(t, other.Duplicate, "clientMsgId is scoped per sender")
	assert.Equal(t, int64(2), other.Message.Seq)

	reply := e.send(bob, g, "re")
	_, err = e.svc.Send(ctx, alice, chat.SendInput{ConversationID: g, Body: "x", ReplyTo: reply.ID})
	require.NoError(t, err)

	bad := []struct {
		name string
		in   chat.SendInput
		code core.Code
	}{
		{"empty body", chat.SendInput{ConversationID: g, Body: " "}, core.CodeInvalidArgument},
		{"bad clientMsgId", chat.SendInput{ConversationID: g, Body: "x", ClientMsgID: "no spaces"}, core.CodeInvalidArgument},
		{"unknown reply", chat.SendInput{ConversationID: g, Body: "x", ReplyTo: "nope"}, core.CodeInvalidArgument},
		{"unknown conversation", chat.SendInput{ConversationID: "nope", Body: "x"}, core.CodeNotFound},
	}
	for _, c := range bad {
		_, err := e.svc.Send(ctx, alice, c.in)
		assert.Equal(t, c.code, core.CodeOf(err), c.name)
	}
	msgs, more, err := e.svc.History(ctx, alice, g, core.HistoryQuery{})
	require.NoError(t, err)
	assert.False(t, more)
	assert.Len(t, msgs, 4, "refused sends stored nothing")
}

func TestConcurrentSendsGetDenseSeqs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user("alice"), e.user("bob")
	g := e.group(alice, bob)
	const n = 60
	var wg sync.WaitGroup
	seqs := make(chan int64, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			who := []string{alice, bob}[i%2]
			out, err := e.svc.Send(ctx, who, chat.SendInput{ConversationID: g, ClientMsgID: fmt.Sprint("k", i), Body: "m"})
			if assert.NoError(t, err) {
				seqs <- out.Message.Seq
			}
		}(i)
	}
	wg.Wait()
	close(seqs)
	seen := map[int64]bool{}
	for s := range seqs {
		assert.False(t, seen[s], "seq %d given twice", s)
		seen[s] = true
	}
	for s := int64(1); s <= n; s++ {
		assert.True(t, seen[s], "seq %d missing", s)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *chat.Config) { c.SendRate = core.Rate{Limit: 3, Per: time.Minute} })
	ctx := context.Background()
	alice := e.user("alice")
	g := e.group(alice)
	first, err := e.svc.Send(ctx, alice, chat.SendInput{ConversationID: g, ClientMsgID: "c-1", Body: "ok"})
	require.NoError(t, err)
	// A retry under the rate goes to the sequencer, which answers it with the stored message.
	retry, err := e.svc.Send(ctx, alice, chat.SendInput{ConversationID: g, ClientMsgID: "c-1", Body: "ok"})
	require.NoError(t, err)
	assert.True(t, retry.Duplicate)
	assert.Equal(t, first.Message, retry.Message)
	e.send(alice, g, "ok")
	_, err = e.svc.Send(ctx, alice, chat.SendInput{ConversationID: g, Body: "too many"})
	require.ErrorIs(t, err, core.ErrRateLimited)
	assert.Greater(t, core.AsError(err).RetryAfter, time.Duration(0))
	// Over the rate, a retry of a stored message is still answered, from storage; nothing new is stored.
	retry, err = e.svc.Send(ctx, alice, chat.SendInput{ConversationID: g, ClientMsgID: "c-1", Body: "ok"})
	require.NoError(t, err)
	assert.True(t, retry.Duplicate)
	assert.Equal(t, first.Message, retry.Message)
	_, err = e.svc.Send(ctx, alice, chat.SendInput{ConversationID: g, ClientMsgID: "c-new", Body: "ok"})
	require.ErrorIs(t, err, core.ErrRateLimited)
	e.clock.Advance(time.Minute)
	e.send(alice, g, "allowed again")
}

func TestEditAndDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	owner, bob, carol := e.user("owner"), e.user("bob"), e.user("carol")
	g := e.group(owner, bob, carol)
	m := e.send(bob, g, "tpyo")

	edited, err := e.svc.Edit(ctx, bob, g, m.ID, "typo")
	require.NoError(t, err)
	assert.Equal(t, "typo", edited.Body)
	require.NotNil(t, edited.EditedAt)
	_, err = e.svc.Edit(ctx, owner, g, m.ID, "not yours")
	assert.ErrorIs(t, err, core.ErrPermissionDenied)
	_, err = e.svc.Edit(ctx, bob, g, m.ID, "")
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
	_, err = e.svc.Edit(ctx, bob, g, "missing", "x")
	assert.ErrorIs(t, err, core.ErrNotFound)
	_, err = e.svc.Delete(ctx, carol, g, m.ID)
	assert.ErrorIs(t, err, core.ErrPermissionDenied)

	gone, err := e.svc.Delete(ctx, owner, g, m.ID)
	require.NoError(t, err, "owners moderate")
	assert.Empty(t, gone.Body)
	require.NotNil(t, gone.DeletedAt)
	_, err = e.svc.Delete(ctx, owner, g, m.ID)
	require.NoError(t, err, "deleting twice is harmless")
	_, err = e.svc.Edit(ctx, bob, g, m.ID, "too late")
	assert.ErrorIs(t, err, core.ErrConflict)

	evs, _, err := e.svc.Events(ctx, carol, g, 0, 0)
	require.NoError(t, err)
	require.Len(t, evs, 3)
	assert.Equal(t, []core.EventType{core.EventMessageCreated, core.EventMessageEdited, core.EventMessageDeleted},
		[]core.EventType{evs[0].Type, evs[1].Type, evs[2].Type})
	assert.Equal(t, int64(1), evs[2].Message.Seq, "a message keeps the seq of its creation")
	msgs, _, err := e.svc.History(ctx, carol, g, core.HistoryQuery{})
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	assert.True(t, msgs[0].Deleted(), "history keeps the tombstone")
}

func TestHistoryPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	a := e.user("alice")
	g := e.group(a)
	for i := 1; i <= 7; i++ {
		e.send(a, g, fmt.Sprint("m", i))
	}
	latest, more, err := e.svc.History(ctx, a, g, core.HistoryQuery{Limit: 3})
	require.NoError(t, err)
	assert.True(t, more)
	assert.Equal(t, []int64{5, 6, 7}, seqsOf(latest))
	older, _, err := e.svc.History(ctx, a, g, core.HistoryQuery{Before: 5, Limit: 3})
	require.NoError(t, err)
	assert.Equal(t, []int64{2, 3, 4}, seqsOf(older))
	newer, more, err := e.svc.History(ctx, a, g, core.HistoryQuery{After: 5, Limit: 10})
	require.NoError(t, err)
	assert.False(t, more)
	assert.Equal(t, []int64{6, 7}, seqsOf(newer))
	_, _, err = e.svc.History(ctx, a, g, core.HistoryQuery{Before: 3, After: 1})
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
	_, _, err = e.svc.History(ctx, a, g, core.HistoryQuery{Limit: -1})
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
	capped, _, err := e.svc.History(ctx, a, g, core.HistoryQuery{Limit: 10_000})
	require.NoError(t, err)
	assert.Len(t, capped, 7)
}

func TestMarkReadAndUnread(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user("alice"), e.user("bob")
	g := e.group(alice, bob)
	e.send(alice, g, "1")
	e.send(alice, g, "2")
	e.send(bob, g, "mine")
	e.send(alice, g, "3")

	list, err := e.svc.ListConversations(ctx, bob, core.PageRequest{})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	assert.Equal(t, int64(3), list.Items[0].Unread, "own messages are not unread")
	require.NotNil(t, list.Items[0].LastMessage)
	assert.Equal(t, "3", list.Items[0].LastMessage.Body)

	r, err := e.svc.MarkRead(ctx, bob, g, 2)
	require.NoError(t, err)
	assert.Equal(t, int64(2), r)
	r, err = e.svc.MarkRead(ctx, bob, g, 1)
	require.NoError(t, err)
	assert.Equal(t, int64(2), r, "readSeq never moves back")
	_, err = e.svc.MarkRead(ctx, bob, g, 99)
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
	s, err := e.svc.Conversation(ctx, bob, g)
	require.NoError(t, err)
	assert.Equal(t, int64(2), s.ReadSeq())
	assert.Equal(t, int64(1), s.Unread)
}

func TestSequencerRefusesRemovedSenderAndDedupesRedelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user("alice"), e.user("bob")
	g := e.group(alice, bob)
	require.NoError(t, e.svc.RemoveMember(ctx, alice, g, bob))

	at := e.clock.Now()
	batch := []core.SendCommand{
		{ID: "cmd-1", ConversationID: g, SenderID: alice, MessageID: "msg-1", ClientMsgID: "k1", Body: "a", At: at},
		{ID: "cmd-2", ConversationID: g, SenderID: bob, MessageID: "msg-2", ClientMsgID: "k2", Body: "queued before removal", At: at},
		{ID: "cmd-3", ConversationID: g, SenderID: alice, MessageID: "msg-3", ClientMsgID: "k1", Body: "a", At: at},
	}
	require.NoError(t, e.seq.Handle(ctx, batch))
	require.NoError(t, e.seq.Handle(ctx, batch), "a redelivered batch is harmless")
	evs, _, err := e.svc.Events(ctx, alice, g, 0, 0)
	require.NoError(t, err)
	require.Len(t, evs, 2, "member.left, then one message: no duplicate, nothing from the removed member")
	assert.Equal(t, core.EventMessageCreated, evs[1].Type)
	assert.Equal(t, "msg-1", evs[1].Message.ID)
}

func seqsOf(ms []core.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}
