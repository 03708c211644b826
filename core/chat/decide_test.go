package chat_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// DecideSends is the sequencer's whole decision, from state to events and results, with no store.
func TestDecideSends(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	stored := core.Message{ID: "old", ConversationID: "c1", Seq: 7, SenderID: "ann", ClientMsgID: "k-old", Body: "before"}
	state := func() core.SendState {
		return core.SendState{Conversation: core.Conversation{ID: "c1", LastSeq: 9}, Found: true,
			Members:  map[string]bool{"ann": true, "bob": true},
			Sent:     map[core.SendKey]core.Message{{SenderID: "ann", ClientMsgID: "k-old"}: stored},
			Messages: map[string]bool{"old": true}}
	}
	cmd := func(id, sender, key, replyTo string) core.SendCommand {
		return core.SendCommand{ID: "cmd-" + id, ConversationID: "c1", SenderID: sender, MessageID: "m-" + id,
			ClientMsgID: key, Body: "body " + id, ReplyTo: replyTo, At: at}
	}

	t.Run("new sends take the next seqs in order; duplicates, stored or in the batch, write nothing", func(t *testing.T) {
		results, events := chat.DecideSends(state(), []core.SendCommand{
			cmd("1", "ann", "k1", ""),
			cmd("2", "ann", "k-old", ""), // sent before this batch
			cmd("3", "bob", "k1", ""),    // the same clientMsgId from another sender is another message
			cmd("4", "ann", "k1", ""),    // a retry within the batch
			cmd("5", "bob", "k5", "m-1"), // replies to a message created earlier in the batch
		})
		require.Len(t, results, 5)
		require.Len(t, events, 3)
		for i, want := range []struct {
			id  string
			seq int64
		}{{"m-1", 10}, {"m-3", 11}, {"m-5", 12}} {
			e := events[i]
			assert.Equal(t, core.EventMessageCreated, e.Type)
			assert.Equal(t, want.seq, e.Seq)
			assert.Equal(t, want.id, e.Message.ID)
			assert.Equal(t, want.seq, e.Message.Seq)
			assert.Equal(t, "c1", e.ConversationID)
			assert.Equal(t, at, e.At)
			assert.Equal(t, e.Message.SenderID, e.ActorID)
		}
		assert.Equal(t, "m-5", events[2].Message.ID)
		assert.Equal(t, "m-1", events[2].Message.ReplyTo)
		for i, r := range results {
			assert.Nil(t, r.Err, i)
			assert.Equal(t, "cmd-"+string(rune('1'+i)), r.CommandID)
		}
		assert.Equal(t, *events[0].Message, results[0].Message)
		assert.False(t, results[0].Duplicate)
		assert.True(t, results[1].Duplicate)
		assert.Equal(t, stored, results[1].Message)
		assert.Equal(t, int64(11), results[2].Message.Seq)
		assert.True(t, results[3].Duplicate)
		assert.Equal(t, *events[0].Message, results[3].Message, "a retry in the batch answers with the first")
	})

	t.Run("refusals take no seq", func(t *testing.T) {
		results, events := chat.DecideSends(state(), []core.SendCommand{
			cmd("1", "eve", "k1", ""),        // not a member
			cmd("2", "ann", "k2", "missing"), // replies to no message of the conversation
			cmd("3", "ann", "k3", "old"),     // replies to a stored one
		})
		require.Len(t, events, 1)
		assert.Equal(t, int64(10), events[0].Seq)
		assert.Equal(t, core.CodePermissionDenied, results[0].Err.Code)
		assert.Equal(t, core.CodeInvalidArgument, results[1].Err.Code)
		assert.Nil(t, results[2].Err)
		assert.Equal(t, int64(10), results[2].Message.Seq)
	})

	t.Run("a conversation that does not exist refuses every new send, and still answers duplicates", func(t *testing.T) {
		st := state()
		st.Found = false
		results, events := chat.DecideSends(st, []core.SendCommand{cmd("1", "ann", "k1", ""), cmd("2", "ann", "k-old", "")})
		assert.Empty(t, events)
		assert.Equal(t, core.CodeNotFound, results[0].Err.Code)
		assert.True(t, results[1].Duplicate)
	})
}
