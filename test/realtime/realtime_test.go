package realtime_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// Two members chat: the ack carries the sequenced message, every member gets the event with the same seq, and
// a retry with the same clientMsgId answers the original message without a second event.
func TestChat(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			alice, bob := s.signUp(t, "alice"), s.signUp(t, "bob")
			conv := alice.createGroup(t, bob)
			a, b := alice.dial(t, tr), bob.dial(t, tr)

			m := a.send(t, s, conv.Id, "hello bob")
			assert.Equal(t, int64(1), m.Seq)
			assert.Equal(t, conv.Id, m.ConversationId)
			assert.Equal(t, alice.ID, m.SenderId)
			assert.Nil(t, m.EditedAt)
			assert.Nil(t, m.DeletedAt)
			assert.WithinDuration(t, time.Now(), m.CreatedAt, time.Minute)

			for _, c := range []*client{b, a} { // the sender's own sockets are in the room too
				e := c.nextEvent(t, conv.Id)
				assert.Equal(t, m.Seq, e.Seq, c.name)
				assert.Equal(t, sdk.MessageCreated, e.Type, c.name)
				assert.Equal(t, alice.ID, e.ActorId, c.name)
				require.NotNil(t, e.Data.Message, c.name)
				assert.Equal(t, m, *e.Data.Message, "%s: the event carries the acknowledged message", c.name)
			}

			// Retries, the second with another body: the key decides, the original comes back.
			for _, body := range []string{"hello bob", "something else"} {
				a2 := a.ack(t, "message:send", map[string]any{"conversationId": conv.Id, "clientMsgId": m.ClientMsgId,
					"body": body})
				assert.Equal(t, m, okMessage(t, a2), "a retry returns the original message")
			}
			// Ordering barrier: the next message's event is the very next thing bob gets.
			m2 := a.send(t, s, conv.Id, "second")
			assert.Equal(t, int64(2), m2.Seq, "the retries took no seq")
			e := b.nextEvent(t, conv.Id)
			assert.Equal(t, m2.Id, e.Data.Message.Id, "bob got exactly one event for the retried message")
			assert.Equal(t, int64(2), e.Seq)
			requireEmpty(t, b.events, "event")

			// Bob answers; alice sees it after her own two events.
			m3 := b.send(t, s, conv.Id, "hi alice")
			assert.Equal(t, int64(3), m3.Seq)
			assert.Equal(t, int64(2), a.nextEvent(t, conv.Id).Seq)
			e = a.nextEvent(t, conv.Id)
			assert.Equal(t, int64(3), e.Seq)
			assert.Equal(t, m3, *e.Data.Message)

			stored := alice.restEvents(t, conv.Id, 0)
			requireDense(t, conv.Id, 1, stored)
			assert.Len(t, stored, 3, "history holds each message once: %s", typesOf(stored))
		})
	}
}

// A user who is not a member cannot send, edit, delete, read or sync a conversation and receives none of its
// events, until added: then the socket joins the room by itself.
func TestNonMember(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			alice, bob, carol := s.signUp(t, "alice"), s.signUp(t, "bob"), s.signUp(t, "carol")
			conv := alice.createGroup(t, bob)
			a, b, c := alice.dial(t, tr), bob.dial(t, tr), carol.dial(t, tr)
			m := a.send(t, s, conv.Id, "members only")
			b.nextEvent(t, conv.Id)

			refused := []struct {
				event   string
				payload map[string]any
			}{
				{"message:send", map[string]any{"conversationId": conv.Id, "clientMsgId": "intruder-1", "body": "let me in"}},
				{"message:send", map[string]any{"conversationId": "no-such-conversation", "clientMsgId": "x", "body": "?"}},
				{"message:edit", map[string]any{"conversationId": conv.Id, "messageId": m.Id, "body": "mine now"}},
				{"message:delete", map[string]any{"conversationId": conv.Id, "messageId": m.Id}},
				{"conversation:read", map[string]any{"conversationId": conv.Id, "seq": 1}},
			}
			for _, r := range refused {
				ack := c.ack(t, r.event, r.payload)
				assert.Equal(t, "not_found", errorCode(t, ack), "%s %v: %v", r.event, r.payload, ack)
			}
			events, truncated := c.sync(t, map[string]int64{conv.Id: 0}, 0)
			assert.Empty(t, events, "sync skips conversations the caller is not in")
			assert.Empty(t, truncated)
			_ = c.sock.Emit("typing", map[string]any{"conversationId": conv.Id, "typing": true})

			m2 := a.send(t, s, conv.Id, "still members only")
			assert.Equal(t, int64(2), m2.Seq, "the refused requests took no seq")
			assert.Equal(t, m2.Id, b.nextEvent(t, conv.Id).Data.Message.Id)
			requireNone(t, c.events, quiet, "event for a non-member")
			requireEmpty(t, b.typing, "typing notice of a non-member")
			requireEmpty(t, c.typing, "typing")
			requireEmpty(t, c.reads, "read")
			stored := alice.restEvents(t, conv.Id, 0)
			requireDense(t, conv.Id, 1, stored)
			assert.Len(t, stored, 2)
			assert.Equal(t, m.Body, stored[0].Data.Message.Body, "the edit was refused")

			// Added, carol's live socket is put in the room: she sees her own member.joined, then messages.
			alice.addMember(t, conv.Id, carol)
			joined := c.nextEvent(t, conv.Id)
			assert.Equal(t, sdk.MemberJoined, joined.Type)
			assert.Equal(t, int64(3), joined.Seq)
			require.NotNil(t, joined.Data.Member)
			assert.Equal(t, carol.ID, joined.Data.Member.UserId)
			m4 := a.send(t, s, conv.Id, "welcome carol")
			e := c.nextEvent(t, conv.Id)
			assert.Equal(t, m4.Seq, e.Seq)
			assert.Equal(t, m4.Id, e.Data.Message.Id)
			m5 := c.send(t, s, conv.Id, "thanks")
			assert.Equal(t, int64(5), m5.Seq)
		})
	}
}

// A bad, missing or revoked token fails the handshake with connect_error data {code: "unauthenticated"}, and
// the client does not keep retrying.
func TestBadToken(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			revoked := s.signUp(t, "revoked")
			r, err := revoked.api.DeleteCurrentSessionWithResponse(t.Context())
			require.NoError(t, err)
			require.Less(t, r.StatusCode(), 300, "logout: %s", r.Body)

			for name, token := range map[string]string{"garbage": "not-a-token", "missing": "", "revoked": revoked.Token} {
				c := open(t, s.p.BaseURL, token, tr, name+"/"+tr)
				c.connect(t)
				var cerr error
				select {
				case cerr = <-c.connectErrs:
				case <-c.connects:
					t.Fatalf("%s token: connected", name)
				case <-time.After(waitFor):
					t.Fatalf("%s token: no connect_error within %s", name, waitFor)
				}
				var ext *types.ExtendedError
				require.True(t, errors.As(cerr, &ext), "%s token: connect_error is a server refusal, got %T %v", name, cerr, cerr)
				data, ok := ext.Data.(map[string]any)
				require.True(t, ok, "%s token: connect_error data is an object: %#v", name, ext.Data)
				assert.Equal(t, "unauthenticated", data["code"], "%s token", name)
				assert.NotEmpty(t, ext.Message, "%s token", name)
				assert.False(t, c.sock.Connected())
				assert.False(t, c.sock.Active(), "%s token: a refused handshake is not retried", name)
			}

			// The server is fine: a good token still connects.
			good := s.signUp(t, "good")
			good.dial(t, tr)
		})
	}
}

// Typing notices and read receipts reach the other members; the typist gets no echo of its own notice.
func TestTypingAndRead(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			alice, bob := s.signUp(t, "alice"), s.signUp(t, "bob")
			conv := alice.createGroup(t, bob)
			a, b := alice.dial(t, tr), bob.dial(t, tr)

			require.NoError(t, a.sock.Emit("typing", map[string]any{"conversationId": conv.Id, "typing": true}))
			assert.Equal(t, typingNote{ConversationID: conv.Id, UserID: alice.ID, Typing: true}, recv(t, b.typing, "typing"))
			require.NoError(t, a.sock.Emit("typing", map[string]any{"conversationId": conv.Id, "typing": false}))
			assert.Equal(t, typingNote{ConversationID: conv.Id, UserID: alice.ID, Typing: false}, recv(t, b.typing, "typing"))

			// Notices and events share the conversation's topic, in order: once alice has her message's event,
			// an echo of her typing would have arrived before it.
			m := a.send(t, s, conv.Id, "done typing")
			a.nextEvent(t, conv.Id)
			b.nextEvent(t, conv.Id)
			requireEmpty(t, a.typing, "typing echo to the typist")

			ack := b.ack(t, "conversation:read", map[string]any{"conversationId": conv.Id, "seq": m.Seq})
			assert.Equal(t, true, ack["ok"], "read ack: %v", ack)
			assert.EqualValues(t, m.Seq, ack["readSeq"], "read ack: %v", ack)
			want := readNote{ConversationID: conv.Id, UserID: bob.ID, Seq: m.Seq}
			assert.Equal(t, want, recv(t, a.reads, "read"))
			assert.Equal(t, want, recv(t, b.reads, "read"), "the reader's other devices learn it too")
			requireEmpty(t, a.events, "event (typing and reads are not sequenced)")
		})
	}
}

// A contact sees a user come online when the user's first socket connects and go offline once the last one has
// been closed for the grace period. Users sharing no conversation are not told.
func TestPresence(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			alice, bob, stranger := s.signUp(t, "alice"), s.signUp(t, "bob"), s.signUp(t, "stranger")
			alice.createGroup(t, bob)
			b, x := bob.dial(t, tr), stranger.dial(t, tr)
			isAlice := func(status sdk.PresenceStatus) func(sdk.Presence) bool {
				return func(p sdk.Presence) bool { return p.UserId == alice.ID && p.Status == status }
			}

			before := time.Now()
			a := alice.dial(t, tr)
			online, skipped := recvMatch(t, b.presence, "alice online", isAlice(sdk.Online))
			for _, p := range skipped {
				assert.NotEqual(t, alice.ID, p.UserId, "unexpected presence before online: %+v", p)
			}
			require.NotNil(t, online.LastSeenAt)
			assert.WithinDuration(t, before, *online.LastSeenAt, time.Minute)

			// A second socket of alice changes nothing; closing one of two keeps her online.
			a2 := alice.dial(t, tr)
			a2.close()
			requireNone(t, b.presence, quiet+300*time.Millisecond, "presence while alice keeps a socket")

			a.close()
			closed := time.Now()
			offline, skipped := recvMatch(t, b.presence, "alice offline", isAlice(sdk.Offline))
			assert.Empty(t, skipped)
			assert.GreaterOrEqual(t, time.Since(closed), 250*time.Millisecond, "offline comes after the grace period")
			require.NotNil(t, offline.LastSeenAt)
			assert.False(t, offline.LastSeenAt.Before(online.LastSeenAt.Add(-time.Second)))

			r, err := bob.api.GetPresenceWithResponse(t.Context(), &sdk.GetPresenceParams{UserIds: &[]string{alice.ID}})
			wantStatus(t, r, err, http.StatusOK)
			require.Len(t, r.JSON200.Items, 1)
			assert.Equal(t, sdk.Offline, r.JSON200.Items[0].Status)

			for _, p := range drain(x.presence) {
				assert.NotEqual(t, alice.ID, p.UserId, "a stranger was told about alice: %+v", p)
			}
		})
	}
}

// A receiver that was away gets, through sync from its last seq, every event it missed — messages, an edit and a
// delete — dense and in order, paged when a limit cuts it short; then live events flow again.
func TestResume(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			alice, bob := s.signUp(t, "alice"), s.signUp(t, "bob")
			conv := alice.createGroup(t, bob)
			a, b := alice.dial(t, tr), bob.dial(t, tr)
			a.send(t, s, conv.Id, "before the gap")
			last := b.nextEvent(t, conv.Id).Seq
			require.Equal(t, int64(1), last)

			b.close()
			assert.Equal(t, "io client disconnect", b.waitDisconnect(t))

			var sent []sdk.Message
			for i := range 3 {
				sent = append(sent, a.send(t, s, conv.Id, fmt.Sprintf("missed %d", i)))
			}
			edit := a.ack(t, "message:edit", map[string]any{"conversationId": conv.Id, "messageId": sent[0].Id,
				"body": "missed 0, edited"})
			edited := okMessage(t, edit)
			assert.Equal(t, "missed 0, edited", edited.Body)
			assert.NotNil(t, edited.EditedAt)
			del := a.ack(t, "message:delete", map[string]any{"conversationId": conv.Id, "messageId": sent[1].Id})
			assert.Equal(t, true, del["ok"], "delete ack: %v", del)

			// Same socket, reconnected.
			b.connect(t)
			b.waitConnect(t)
			b.ready(t)
			events, truncated := b.sync(t, map[string]int64{conv.Id: last}, 0)
			assert.Empty(t, truncated)
			requireDense(t, conv.Id, last+1, events)
			require.Equal(t, "2:message.created 3:message.created 4:message.created 5:message.edited 6:message.deleted ",
				typesOf(events))
			for i, m := range sent {
				assert.Equal(t, m, *events[i].Data.Message, "event %d carries the message as sent", i)
			}
			assert.Equal(t, sent[0].Id, events[3].Data.Message.Id)
			assert.Equal(t, "missed 0, edited", events[3].Data.Message.Body)
			assert.NotNil(t, events[3].Data.Message.EditedAt)
			assert.Equal(t, sent[1].Id, events[4].Data.Message.Id)
			assert.NotNil(t, events[4].Data.Message.DeletedAt)
			assert.Empty(t, events[4].Data.Message.Body, "a tombstone keeps no text")
			assert.Equal(t, bob.restEvents(t, conv.Id, last), events, "sync and the REST event log agree")
			requireEmpty(t, b.events, "live event of the gap")

			// A limit truncates; paging by the last seq seen completes it.
			page, truncated := b.sync(t, map[string]int64{conv.Id: last}, 2)
			assert.Equal(t, []string{conv.Id}, truncated)
			assert.Equal(t, events[:2], page)
			page, truncated = b.sync(t, map[string]int64{conv.Id: page[1].Seq}, 2)
			assert.Equal(t, []string{conv.Id}, truncated)
			assert.Equal(t, events[2:4], page)
			page, truncated = b.sync(t, map[string]int64{conv.Id: page[1].Seq}, 2)
			assert.Empty(t, truncated)
			assert.Equal(t, events[4:], page)
			page, _ = b.sync(t, map[string]int64{conv.Id: events[4].Seq}, 0)
			assert.Empty(t, page, "nothing after the latest seq")

			m := a.send(t, s, conv.Id, "welcome back")
			e := b.nextEvent(t, conv.Id)
			assert.Equal(t, int64(7), e.Seq)
			assert.Equal(t, m, *e.Data.Message)
		})
	}
}

// Malformed payloads get an invalid_argument ack, change nothing, and leave the connection working.
func TestMalformedPayloads(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			alice, bob := s.signUp(t, "alice"), s.signUp(t, "bob")
			conv := alice.createGroup(t, bob)
			a := alice.dial(t, tr)
			valid := func() map[string]any {
				return map[string]any{"conversationId": conv.Id, "clientMsgId": fmt.Sprintf("v-%d", s.next()), "body": "ok"}
			}
			with := func(k string, v any) map[string]any { p := valid(); p[k] = v; return p }
			without := func(k string) map[string]any { p := valid(); delete(p, k); return p }

			cases := []struct {
				name    string
				event   string
				payload any
				mention string // what the error message names
			}{
				{"body as number", "message:send", with("body", 42), "body"},
				{"body as object", "message:send", with("body", map[string]any{"text": "hi"}), "body"},
				{"missing conversationId", "message:send", without("conversationId"), "conversationId"},
				{"conversationId as number", "message:send", with("conversationId", 7), "conversationId"},
				{"missing clientMsgId", "message:send", without("clientMsgId"), "clientMsgId"},
				{"empty body", "message:send", with("body", ""), "body"},
				{"body too long", "message:send", with("body", strings.Repeat("x", 4001)), "body"},
				{"unknown field", "message:send", with("bogus", true), "bogus"},
				{"payload a string", "message:send", "hello", "object"},
				{"payload an array", "message:send", []any{conv.Id, "hello"}, "object"},
				{"payload a number", "message:send", 12, "object"},
				{"payload null", "message:send", nil, "object"},
				{"edit without messageId", "message:edit", map[string]any{"conversationId": conv.Id, "body": "x"}, "messageId"},
				{"delete messageId as bool", "message:delete", map[string]any{"conversationId": conv.Id, "messageId": true}, "messageId"},
				{"read without seq", "conversation:read", map[string]any{"conversationId": conv.Id}, "seq"},
				{"read seq as string", "conversation:read", map[string]any{"conversationId": conv.Id, "seq": "1"}, "seq"},
				{"read seq beyond lastSeq", "conversation:read", map[string]any{"conversationId": conv.Id, "seq": 99}, "seq"},
				{"sync without cursors", "sync", map[string]any{}, "cursors"},
				{"sync cursors as string", "sync", map[string]any{"cursors": "all"}, "cursors"},
				{"sync negative cursor", "sync", map[string]any{"cursors": map[string]any{conv.Id: -1}}, "negative"},
				{"sync payload a string", "sync", "now", "object"},
				{"sync cursor as string", "sync", map[string]any{"cursors": map[string]any{conv.Id: "5"}}, "an integer"},
				{"read seq beyond 64 bits", "conversation:read", map[string]any{"conversationId": conv.Id, "seq": 1e30}, "seq"},
			}
			for _, c := range cases {
				ack := a.ack(t, c.event, c.payload)
				if !assert.Equal(t, "invalid_argument", errorCode(t, ack), "%s: %v", c.name, ack) {
					continue
				}
				msg, _ := ack["error"].(map[string]any)["message"].(string)
				assert.Contains(t, msg, c.mention, "%s: the message says what is wrong", c.name)
				for _, goWord := range []string{"main.", "Go ", "int64", "float64", "struct", "map["} {
					assert.NotContains(t, msg, goWord, "%s: no Go type names", c.name)
				}
				require.True(t, a.sock.Connected(), "%s: still connected", c.name)
			}
			requireEmpty(t, a.disconnects, "disconnect")

			m := a.send(t, s, conv.Id, "still works")
			assert.Equal(t, int64(1), m.Seq, "nothing was stored by the bad requests")
			assert.Equal(t, m.Id, a.nextEvent(t, conv.Id).Data.Message.Id)
			requireEmpty(t, a.events, "event")
		})
	}
}

// On SIGTERM every client sees a disconnect that is not a server-side "go away" (so it keeps trying); once the
// process is back on the same address and data directory the clients reconnect by themselves with the same
// token, sync from their last seq finds nothing missing, and messages flow again.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	type pair struct {
		tr     string
		alice  *user
		bob    *user
		conv   sdk.Conversation
		a, b   *client
		acked  []int64
		bobGot map[int64]bool
	}
	var pairs []*pair
	for _, tr := range transports {
		p := &pair{tr: tr, alice: s.signUp(t, "alice"), bob: s.signUp(t, "bob"), bobGot: map[int64]bool{}}
		p.conv = p.alice.createGroup(t, p.bob)
		p.a, p.b = p.alice.dial(t, tr), p.bob.dial(t, tr)
		pairs = append(pairs, p)
	}
	for _, p := range pairs {
		for i := range 2 {
			p.acked = append(p.acked, p.a.send(t, s, p.conv.Id, fmt.Sprintf("before %d", i)).Seq)
			p.bobGot[p.b.nextEvent(t, p.conv.Id).Seq] = true
		}
		// Acknowledged just before the stop; bob may or may not get them live.
		for i := range 3 {
			p.acked = append(p.acked, p.a.send(t, s, p.conv.Id, fmt.Sprintf("just before %d", i)).Seq)
		}
	}

	began := time.Now()
	s.stop(t)
	t.Logf("graceful stop took %s", time.Since(began))
	for _, p := range pairs {
		for _, c := range []*client{p.a, p.b} {
			reason := c.waitDisconnect(t)
			assert.NotEqual(t, "io server disconnect", reason, "%s: the server must not tell clients to stay away", c.name)
			assert.NotEqual(t, "io client disconnect", reason, c.name)
			t.Logf("%s: disconnected: %s", c.name, reason)
			// Clients retry at once: one may have got in just before the listener closed, and been turned away
			// again by the closing server. Whatever happened before the exit is over now.
			if n := len(drain(c.connects)); n > 0 {
				t.Logf("%s: reconnected %d time(s) while the server was stopping", c.name, n)
			}
			for _, r := range drain(c.disconnects) {
				assert.NotEqual(t, "io server disconnect", r, "%s: the server must not tell clients to stay away", c.name)
			}
		}
	}
	began = time.Now()
	s.p.Restart()
	t.Logf("restart took %s", time.Since(began))
	began = time.Now()
	for _, p := range pairs {
		for _, c := range []*client{p.a, p.b} {
			c.awaitConnect(t)
			c.ready(t)
		}
	}
	t.Logf("clients back after %s", time.Since(began))
	for _, p := range pairs {
		drain(p.a.events) // alice's own events, from before the stop
		for _, e := range drain(p.b.events) {
			require.Equal(t, p.conv.Id, e.ConversationId)
			p.bobGot[e.Seq] = true
		}
		last := int64(0)
		for p.bobGot[last+1] {
			last++
		}
		events, truncated := p.b.sync(t, map[string]int64{p.conv.Id: last}, 0)
		assert.Empty(t, truncated)
		requireDense(t, p.conv.Id, last+1, events)
		for _, e := range events {
			p.bobGot[e.Seq] = true
		}
		var got []int64
		for seq := range p.bobGot {
			got = append(got, seq)
		}
		slices.Sort(got)
		assert.Equal(t, p.acked, got, "%s: live events plus sync cover every acknowledged message, nothing more", p.tr)
		assert.Equal(t, []int64{1, 2, 3, 4, 5}, p.acked)

		m := p.a.send(t, s, p.conv.Id, "after the restart")
		assert.Equal(t, int64(6), m.Seq)
		e := p.b.nextEvent(t, p.conv.Id)
		assert.Equal(t, m, *e.Data.Message)
		r := p.b.send(t, s, p.conv.Id, "welcome back")
		assert.Equal(t, int64(7), r.Seq)
		assert.Equal(t, int64(6), p.a.nextEvent(t, p.conv.Id).Seq)
		assert.Equal(t, r, *p.a.nextEvent(t, p.conv.Id).Data.Message)
	}
}
