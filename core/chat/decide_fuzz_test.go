package chat

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/scalechat/scalechat/core"
)

// FuzzDecideSends builds a batch of sends, and the state of each of its conversations, from fuzz bytes, splits
// it as the Sequencer does (groupSends) and decides each conversation (DecideSends). It checks what the
// sequencer promises: every command gets exactly one result, its own; new messages take the conversation's
// next seqs, dense from lastSeq and in batch order, with one event each; a (sender, clientMsgId) seen before,
// stored or earlier in the batch, is answered with that message and takes no seq; a missing conversation, a
// sender who is not a member and a replyTo to no message of the conversation are refused and take no seq;
// deciding is pure (the state is untouched, the same input decides the same); and a batch delivered again after
// its commit (a replay) answers every accepted send with the message it got (see fuzzCheckReplay).
//
// Bytes 0..3*4-1 are the states of conversations c0, c1, c2, four bytes each: flags (bit 0: it exists; bits 1-4:
// senders u0..u3 are members), two bytes saying which of the 16 (sender, clientMsgId) keys were stored before,
// and one byte saying which of the messages old0..old3 exist. Then two bytes per send: sender (bits 0-1),
// clientMsgId k0..k3 (bits 2-3), conversation (bits 4-5, c3 being one that has no state byte: missing); and
// replyTo (0: none, 1-4: old0..old3, 5-8: old0..old3 of the next conversation, more: the message id of send
// number (b-9) mod n of the batch, whichever conversation it is in and whether or not it is created). Message
// ids are derived from (conversation, sender, clientMsgId), as gateways derive them.
func FuzzDecideSends(f *testing.F) {
	f.Add([]byte{0x0b, 0, 0, 0x01, 0x03, 0, 0, 0, 0x00, 0, 0, 0, 0x00, 0, 0x04, 9, 0x10, 1, 0x14, 10}, int64(9))
	f.Add([]byte{0x1f, 0x01, 0x00, 0x0f, 0x1f, 0xff, 0xff, 0x00, 0x01, 0, 0, 0,
		0x00, 0, 0x00, 0, 0x01, 0, 0x05, 9, 0x11, 0, 0x21, 2, 0x31, 0, 0x00, 12}, int64(0))
	f.Add([]byte{0x1f, 0, 0, 0, 0x1f, 0, 0, 0, 0x1f, 0, 0, 0,
		0x00, 0, 0x01, 0, 0x02, 0, 0x03, 0, 0x04, 0, 0x05, 0, 0x06, 0, 0x07, 0, 0x08, 0, 0x09, 0}, int64(1<<40))
	f.Add([]byte{0x00, 0xff, 0xff, 0xff}, int64(3))                                   // no sends
	f.Add([]byte{0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 10, 0x04, 0}, int64(5)) // a reply to a later send
	f.Fuzz(func(t *testing.T, data []byte, lastSeq int64) {
		if lastSeq < 0 || lastSeq > 1<<53 {
			lastSeq = int64(uint64(lastSeq) % (1 << 53))
		}
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		get := func(i int) byte {
			if i < len(data) {
				return data[i]
			}
			return 0
		}
		const convs = 3
		var states [convs]core.SendState
		for c := range convs {
			b := func(i int) byte { return get(4*c + i) }
			id := fmt.Sprintf("c%d", c)
			st := core.SendState{Conversation: core.Conversation{ID: id, LastSeq: lastSeq + int64(c)}, Found: b(0)&1 != 0,
				Members: map[string]bool{}, Sent: map[core.SendKey]core.Message{}, Messages: map[string]bool{}}
			for s := range 4 {
				st.Members[fmt.Sprintf("u%d", s)] = b(0)&(2<<s) != 0
			}
			sent := uint16(b(1)) | uint16(b(2))<<8
			for i := range 16 {
				if sent&(1<<i) != 0 {
					key := core.SendKey{SenderID: fmt.Sprintf("u%d", i%4), ClientMsgID: fmt.Sprintf("k%d", i/4)}
					seq := max(st.Conversation.LastSeq-int64(i), 0)
					m := core.Message{ID: core.MessageID(id, key.SenderID, key.ClientMsgID), ConversationID: id, Seq: seq,
						SenderID: key.SenderID, ClientMsgID: key.ClientMsgID, Body: "stored", CreatedAt: at.Add(-time.Hour)}
					st.Sent[key], st.Messages[m.ID] = m, true
				}
			}
			for i := range 4 {
				if b(3)&(1<<i) != 0 {
					st.Messages[fmt.Sprintf("old%d-%s", i, id)] = true
				}
			}
			states[c] = st
		}
		var batch []core.SendCommand
		var replies []byte
		for i := 4 * convs; i+1 < len(data) && len(batch) < 64; i += 2 {
			sel := data[i]
			conv, sender, key := fmt.Sprintf("c%d", (sel>>4)&3), fmt.Sprintf("u%d", sel&3), fmt.Sprintf("k%d", (sel>>2)&3)
			batch = append(batch, core.SendCommand{ID: fmt.Sprintf("cmd-%d", len(batch)), Origin: "node",
				ConversationID: conv, SenderID: sender, MessageID: core.MessageID(conv, sender, key), ClientMsgID: key,
				Body: fmt.Sprintf("body %d", len(batch)), At: at.Add(time.Duration(len(batch)) * time.Millisecond)})
			replies = append(replies, data[i+1])
		}
		for i, rep := range replies {
			conv := int(batch[i].ConversationID[1] - '0')
			switch {
			case rep == 0:
			case rep <= 4:
				batch[i].ReplyTo = fmt.Sprintf("old%d-c%d", rep-1, conv)
			case rep <= 8:
				batch[i].ReplyTo = fmt.Sprintf("old%d-c%d", rep-5, (conv+1)%4)
			default:
				batch[i].ReplyTo = batch[int(rep-9)%len(batch)].MessageID
			}
		}
		stateOf := func(conv string) core.SendState {
			for _, st := range states {
				if st.Conversation.ID == conv {
					return st
				}
			}
			return core.SendState{Conversation: core.Conversation{ID: conv}} // no such conversation
		}

		groups := groupSends(batch)
		fuzzCheckGroups(t, batch, groups)
		results := make([]core.SendResult, len(batch))
		answered := make([]int, len(batch))
		for _, g := range groups {
			st := stateOf(g.reads.ConversationID)
			before := fuzzCloneState(st)
			rs, evs := DecideSends(st, g.cmds)
			if !reflect.DeepEqual(before, fuzzCloneState(st)) {
				t.Fatalf("DecideSends changed its state: %+v, now %+v", before, st)
			}
			rs2, evs2 := DecideSends(st, g.cmds)
			if !reflect.DeepEqual(rs, rs2) || !reflect.DeepEqual(evs, evs2) {
				t.Fatalf("DecideSends decided the same input twice differently")
			}
			if len(rs) != len(g.cmds) {
				t.Fatalf("%d results for %d commands", len(rs), len(g.cmds))
			}
			fuzzCheckDecision(t, st, g.cmds, rs, evs)
			for j, r := range rs {
				results[g.index[j]] = r
				answered[g.index[j]]++
			}
			fuzzCheckReplay(t, st, g.cmds, rs, evs)
		}
		for i, n := range answered {
			if n != 1 || results[i].CommandID != batch[i].ID {
				t.Fatalf("command %d was answered %d times (result for %q)", i, n, results[i].CommandID)
			}
		}
	})
}

// fuzzCheckGroups checks the Sequencer's split of a batch: every command in exactly one group, the group of its
// conversation, in batch order; groups in conversation id order (the lock order); each group's reads naming
// its keys, senders and replyTo ids, each once.
func fuzzCheckGroups(t *testing.T, batch []core.SendCommand, groups []*sendGroup) {
	t.Helper()
	seen := make([]bool, len(batch))
	for gi, g := range groups {
		if gi > 0 && groups[gi-1].reads.ConversationID >= g.reads.ConversationID {
			t.Fatalf("groups out of order or repeated: %q then %q", groups[gi-1].reads.ConversationID, g.reads.ConversationID)
		}
		if len(g.cmds) != len(g.index) || len(g.cmds) != len(g.reads.Keys) || len(g.cmds) == 0 {
			t.Fatalf("group %q: %d commands, %d indexes, %d keys", g.reads.ConversationID, len(g.cmds), len(g.index), len(g.reads.Keys))
		}
		var senders, replies []string
		for j, cmd := range g.cmds {
			i := g.index[j]
			if seen[i] || j > 0 && g.index[j-1] >= i || !reflect.DeepEqual(batch[i], cmd) || cmd.ConversationID != g.reads.ConversationID {
				t.Fatalf("group %q: command %d misplaced", g.reads.ConversationID, i)
			}
			seen[i] = true
			if (g.reads.Keys[j] != core.SendKey{SenderID: cmd.SenderID, ClientMsgID: cmd.ClientMsgID}) {
				t.Fatalf("group %q: key %d is %+v", g.reads.ConversationID, j, g.reads.Keys[j])
			}
			if !slices.Contains(senders, cmd.SenderID) {
				senders = append(senders, cmd.SenderID)
			}
			if cmd.ReplyTo != "" && !slices.Contains(replies, cmd.ReplyTo) {
				replies = append(replies, cmd.ReplyTo)
			}
		}
		if !slices.Equal(g.reads.Senders, senders) || !slices.Equal(g.reads.ReplyTo, replies) {
			t.Fatalf("group %q reads senders %q, replyTo %q; want %q, %q", g.reads.ConversationID,
				g.reads.Senders, g.reads.ReplyTo, senders, replies)
		}
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("command %d is in no group", i)
		}
	}
}

// fuzzCheckDecision checks one conversation's results and events against the rules, command by command.
func fuzzCheckDecision(t *testing.T, st core.SendState, cmds []core.SendCommand, rs []core.SendResult, evs []core.Event) {
	t.Helper()
	created := map[core.SendKey]core.Message{}
	newIDs := map[string]bool{}
	seq := st.Conversation.LastSeq
	for i, cmd := range cmds {
		r := rs[i]
		key := core.SendKey{SenderID: cmd.SenderID, ClientMsgID: cmd.ClientMsgID}
		if r.CommandID != cmd.ID {
			t.Fatalf("result %d answers %q, not %q", i, r.CommandID, cmd.ID)
		}
		stored, wasStored := st.Sent[key]
		earlier, wasCreated := created[key]
		var wantCode core.Code
		switch {
		case wasStored || wasCreated:
		case !st.Found:
			wantCode = core.CodeNotFound
		case !st.Members[cmd.SenderID]:
			wantCode = core.CodePermissionDenied
		case cmd.ReplyTo != "" && !st.Messages[cmd.ReplyTo] && !newIDs[cmd.ReplyTo]:
			wantCode = core.CodeInvalidArgument
		}
		switch {
		case wasStored || wasCreated:
			want := stored
			if !wasStored {
				want = earlier
			}
			// A duplicate unless the stored message is this very command's (a batch delivered again).
			if r.Duplicate != (want.CommandID != cmd.ID) || r.Err != nil || !reflect.DeepEqual(r.Message, want) {
				t.Fatalf("command %d (%+v) repeats a key: want the duplicate %+v, got %+v", i, key, want, r)
			}
		case wantCode != "":
			if r.Err == nil || r.Err.Code != wantCode || r.Duplicate || !reflect.DeepEqual(r.Message, core.Message{}) {
				t.Fatalf("command %d (%+v, replyTo %q): want refused with %s, got %+v", i, key, cmd.ReplyTo, wantCode, r)
			}
			if wantCode == core.CodeInvalidArgument && r.Err.Field != "replyTo" {
				t.Fatalf("command %d: refused on field %q, want replyTo", i, r.Err.Field)
			}
		default:
			seq++
			want := core.Message{ID: cmd.MessageID, ConversationID: st.Conversation.ID, Seq: seq, SenderID: cmd.SenderID,
				ClientMsgID: cmd.ClientMsgID, Body: cmd.Body, ReplyTo: cmd.ReplyTo, CreatedAt: cmd.At, CommandID: cmd.ID}
			if r.Err != nil || r.Duplicate || !reflect.DeepEqual(r.Message, want) {
				t.Fatalf("command %d: want the new message %+v, got %+v", i, want, r)
			}
			created[key], newIDs[want.ID] = want, true
			n := len(created) - 1
			if n >= len(evs) {
				t.Fatalf("command %d created message %d but there are %d events", i, n+1, len(evs))
			}
			e := evs[n]
			if e.Type != core.EventMessageCreated || e.Seq != seq || e.ConversationID != st.Conversation.ID ||
				e.ActorID != cmd.SenderID || !e.At.Equal(cmd.At) || e.Message == nil || !reflect.DeepEqual(*e.Message, want) {
				t.Fatalf("event %d is %+v, want message.created of %+v", n, e, want)
			}
		}
	}
	if len(evs) != len(created) {
		t.Fatalf("%d events for %d new messages", len(evs), len(created))
	}
	for j, e := range evs { // dense, continuing lastSeq
		if e.Seq != st.Conversation.LastSeq+int64(j)+1 {
			t.Fatalf("event %d has seq %d after lastSeq %d", j, e.Seq, st.Conversation.LastSeq)
		}
	}
}

// fuzzCheckReplay delivers the batch again against the state its commit left: every send that got a message gets
// the same one, a duplicate exactly when it was one the first time (a command delivered again is not a retry of
// itself), a send refused for its conversation or its sender stays refused, and nothing else is created (but
// for sends refused for a replyTo to a message created later in the batch).
func fuzzCheckReplay(t *testing.T, st core.SendState, cmds []core.SendCommand, rs []core.SendResult, evs []core.Event) {
	t.Helper()
	after := fuzzCloneState(st)
	after.Conversation.LastSeq += int64(len(evs))
	for _, e := range evs {
		after.Sent[core.SendKey{SenderID: e.Message.SenderID, ClientMsgID: e.Message.ClientMsgID}] = *e.Message
		after.Messages[e.Message.ID] = true
	}
	again, evs2 := DecideSends(after, cmds)
	created := 0
	for i, r := range rs {
		a := again[i]
		switch {
		case r.Err == nil:
			if a.Duplicate != r.Duplicate || a.Err != nil || !reflect.DeepEqual(a.Message, r.Message) {
				t.Fatalf("replayed command %d: got %+v, want again %+v", i, a, r)
			}
		case a.Err == nil:
			// Only a send refused for its replyTo can go through on replay, when it names a message created later
			// in the batch (the gateway refuses such a send before it reaches the log: the message it names must
			// be stored already).
			if r.Err.Code != core.CodeInvalidArgument {
				t.Fatalf("replayed command %d got a message; first it got %+v", i, r)
			}
			if !a.Duplicate {
				created++
			}
		case r.Err.Code == core.CodeNotFound || r.Err.Code == core.CodePermissionDenied:
			if a.Err == nil || a.Err.Code != r.Err.Code {
				t.Fatalf("replayed command %d: refused with %s, now %+v", i, r.Err.Code, a)
			}
		}
	}
	if len(evs2) != created {
		t.Fatalf("a replayed batch created %d messages", len(evs2))
	}
}

func fuzzCloneState(st core.SendState) core.SendState {
	st.Members, st.Sent, st.Messages = maps.Clone(st.Members), maps.Clone(st.Sent), maps.Clone(st.Messages)
	if st.Sent == nil {
		st.Sent = map[core.SendKey]core.Message{}
	}
	if st.Messages == nil {
		st.Messages = map[string]bool{}
	}
	return st
}
