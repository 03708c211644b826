package chat

import (
	"time"

	"github.com/scalechat/scalechat/core"
)

// DecideSends sequences a batch of sends to one conversation, in order, from the state read for it: a key sent
// before (or earlier in the batch) answers with the stored message and writes nothing; a missing conversation
// is not_found, a sender who is not a member permission_denied, a replyTo that names no message of the
// conversation (stored, or created earlier in the batch) invalid; every other send becomes a message with
// the conversation's next seq. It returns one result per command and the events to append, and is pure: the
// store is read before and written after.
func DecideSends(st core.SendState, cmds []core.SendCommand) ([]core.SendResult, []core.Event) {
	results := make([]core.SendResult, len(cmds))
	var events []core.Event
	seq := st.Conversation.LastSeq
	var created map[core.SendKey]core.Message // sent earlier in this batch
	var newIDs map[string]bool                // message ids created earlier in this batch
	for i, cmd := range cmds {
		r := core.SendResult{CommandID: cmd.ID}
		key := core.SendKey{SenderID: cmd.SenderID, ClientMsgID: cmd.ClientMsgID}
		if m, ok := st.Sent[key]; ok {
			// Stored before: by another attempt (a retry), or by this very command in a batch delivered again
			// after a worker died before answering (no retry).
			r.Message, r.Duplicate = m, m.CommandID != cmd.ID
		} else if m, ok := created[key]; ok {
			r.Message, r.Duplicate = m, true
		} else if err := refusal(st, cmd, newIDs); err != nil {
			r.Err = err
		} else {
			seq++
			msg := core.Message{ID: cmd.MessageID, ConversationID: st.Conversation.ID, Seq: seq, SenderID: cmd.SenderID,
				ClientMsgID: cmd.ClientMsgID, Body: cmd.Body, ReplyTo: cmd.ReplyTo, ThreadRootID: cmd.ThreadRootID,
				CreatedAt: cmd.At, CommandID: cmd.ID,
				Mentions: cmd.Mentions, MentionAll: cmd.MentionAll, Attachments: cmd.Attachments}
			events = append(events, core.Event{ConversationID: msg.ConversationID, Seq: seq,
				Type: core.EventMessageCreated, At: cmd.At, ActorID: cmd.SenderID, Message: &msg})
			if created == nil {
				created, newIDs = map[core.SendKey]core.Message{}, map[string]bool{}
			}
			created[key], newIDs[msg.ID] = msg, true
			r.Message = msg
		}
		results[i] = r
	}
	return results, events
}

// refusal says why a send that is not a duplicate cannot be sequenced, or nil.
func refusal(st core.SendState, cmd core.SendCommand, newIDs map[string]bool) *core.Error {
	switch {
	case !st.Found:
		return core.Errorf(core.CodeNotFound, "conversation not found")
	case !st.Members[cmd.SenderID]:
		return core.Errorf(core.CodePermissionDenied, "you are not a member of this conversation")
	case cmd.At.Before(st.MutedUntil[cmd.SenderID]):
		return mutedError(st.MutedUntil[cmd.SenderID])
	case cmd.ReplyTo != "" && !st.Messages[cmd.ReplyTo] && !newIDs[cmd.ReplyTo]:
		return core.Invalid("replyTo", "replyTo must name a message of this conversation")
	case cmd.ThreadRootID != "" && !st.Messages[cmd.ThreadRootID]:
		return core.Invalid("threadRootId", "threadRootId must name a message of this conversation")
	}
	return nil
}

// mutedError refuses a send of a member a moderator muted until until.
func mutedError(until time.Time) *core.Error {
	return core.Errorf(core.CodePermissionDenied, "a moderator muted you in this conversation until %s",
		until.UTC().Format(time.RFC3339))
}
