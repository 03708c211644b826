package realtime_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// Reactions and pins made over one member's socket reach the other member live, as sequenced events that sync
// returns again after them.
func TestReactionsAndPinsLive(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			alice, bob := s.signUp(t, "alice"), s.signUp(t, "bob")
			conv := alice.createGroup(t, bob)
			a, b := alice.dial(t, tr), bob.dial(t, tr)
			m := a.send(t, s, conv.Id, "react to this")
			a.nextEvent(t, conv.Id)
			b.nextEvent(t, conv.Id)
			// next returns the event both members receive next, which must be the same one.
			next := func() sdk.Event {
				t.Helper()
				e := a.nextEvent(t, conv.Id)
				assert.Equal(t, e, b.nextEvent(t, conv.Id))
				return e
			}

			ack := b.ack(t, "message:react", map[string]any{"conversationId": conv.Id, "messageId": m.Id, "emoji": ":tada:"})
			require.Equal(t, true, ack["ok"], "%v", ack)
			assert.Equal(t, []any{map[string]any{"emoji": "🎉", "count": float64(1), "me": true}}, ack["reactions"])
			e := next()
			assert.Equal(t, sdk.ReactionAdded, e.Type)
			require.NotNil(t, e.Data.Reaction)
			assert.Equal(t, sdk.Reaction{MessageId: m.Id, UserId: bob.ID, Emoji: "🎉"}, *e.Data.Reaction)
			assert.Equal(t, m.Seq+1, e.Seq)

			bad := b.ack(t, "message:react", map[string]any{"conversationId": conv.Id, "messageId": m.Id, "emoji": "nope"})
			assert.Equal(t, "invalid_argument", errorCode(t, bad))
			refused := b.ack(t, "message:pin", map[string]any{"conversationId": conv.Id, "messageId": m.Id})
			assert.Equal(t, "permission_denied", errorCode(t, refused), "a plain member of a group may not pin")

			ack = a.ack(t, "message:pin", map[string]any{"conversationId": conv.Id, "messageId": m.Id})
			require.Equal(t, true, ack["ok"], "%v", ack)
			e = next()
			assert.Equal(t, sdk.MessagePinned, e.Type)
			require.NotNil(t, e.Data.Message)
			require.NotNil(t, e.Data.Message.PinnedAt)
			assert.Equal(t, alice.ID, *e.Data.Message.PinnedBy)

			ack = b.ack(t, "message:unreact", map[string]any{"conversationId": conv.Id, "messageId": m.Id, "emoji": "🎉"})
			require.Equal(t, true, ack["ok"], "%v", ack)
			assert.Equal(t, []any{}, ack["reactions"])
			e = next()
			assert.Equal(t, sdk.ReactionRemoved, e.Type)

			events, _ := b.sync(t, map[string]int64{conv.Id: m.Seq}, 0)
			var types []string
			for _, ev := range events {
				types = append(types, string(ev.Type))
			}
			assert.Equal(t, []string{"reaction.added", "message.pinned", "reaction.removed"}, types,
				"the refused requests took no seq")
		})
	}
}
