package chat_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

func TestReactionsAreSequencedAndTallied(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	g := e.group(alice, bob)
	m := e.send(alice, g, "hello")
	rec := e.record(core.ConversationTopic(g))

	got, err := e.svc.React(ctx, bob, g, m.ID, ":thumbsup:")
	require.NoError(t, err)
	assert.Equal(t, []core.ReactionCount{{Emoji: "👍", Count: 1, Me: true}}, got, "a shortcode is stored as its emoji")
	got, err = e.svc.React(ctx, alice, g, m.ID, "👍")
	require.NoError(t, err)
	assert.Equal(t, []core.ReactionCount{{Emoji: "👍", Count: 2, Me: true}}, got)
	got, err = e.svc.React(ctx, alice, g, m.ID, "👍")
	require.NoError(t, err, "reacting twice is harmless")
	assert.Equal(t, []core.ReactionCount{{Emoji: "👍", Count: 2, Me: true}}, got)
	_, err = e.svc.React(ctx, alice, g, m.ID, "🇫🇷")
	require.NoError(t, err)

	msgs, _, err := e.svc.History(ctx, bob, g, core.HistoryQuery{})
	require.NoError(t, err)
	assert.Equal(t, []core.ReactionCount{{Emoji: "👍", Count: 2, Me: true}, {Emoji: "🇫🇷", Count: 1}}, msgs[0].Reactions)

	got, err = e.svc.Unreact(ctx, bob, g, m.ID, "👍")
	require.NoError(t, err)
	assert.Equal(t, []core.ReactionCount{{Emoji: "👍", Count: 1}, {Emoji: "🇫🇷", Count: 1}}, got)
	_, err = e.svc.Unreact(ctx, bob, g, m.ID, "👍")
	require.NoError(t, err, "taking back an absent reaction is harmless")

	// Each change that happened is one sequenced event; the no-ops are none.
	evs, _, err := e.svc.Events(ctx, alice, g, m.Seq, 10)
	require.NoError(t, err)
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, fmt.Sprintf("%s %s %s", ev.Type, ev.Reaction.UserID, ev.Reaction.Emoji))
	}
	assert.Equal(t, []string{"reaction.added " + bob + " 👍", "reaction.added " + alice + " 👍",
		"reaction.added " + alice + " 🇫🇷", "reaction.removed " + bob + " 👍"}, kinds)
	fanned := rec.wait(t, core.ConversationTopic(g), 4)
	assert.Equal(t, core.EventReactionRemoved, fanned[3].Event.Type, "each change is fanned out to the conversation")

	// Bad input and outsiders change nothing.
	for _, c := range []struct {
		name, actor, msg, emoji string
		code                    core.Code
	}{
		{"unknown shortcode", bob, m.ID, ":nope:", core.CodeInvalidArgument},
		{"text", bob, m.ID, "ok", core.CodeInvalidArgument},
		{"two emoji", bob, m.ID, "👍👍", core.CodeInvalidArgument},
		{"empty", bob, m.ID, "", core.CodeInvalidArgument},
		{"unknown message", bob, "nope", "👍", core.CodeNotFound},
		{"non-member", carol, m.ID, "👍", core.CodeNotFound},
	} {
		_, err := e.svc.React(ctx, c.actor, g, c.msg, c.emoji)
		assert.Equal(t, c.code, core.CodeOf(err), c.name)
	}
	after, _, err := e.svc.Events(ctx, alice, g, 0, 100)
	require.NoError(t, err)
	assert.Len(t, after, int(m.Seq)+4, "refused reactions wrote nothing")
}

func TestReactionCaps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *chat.Config) { c.Limits = chat.Limits{} })
	ctx := context.Background()
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	g := e.group(alice, bob, carol)
	m := e.send(alice, g, "hello")
	emoji := []string{"😀", "😁", "😂", "🤣", "😃", "😄", "😅", "😆", "😉", "😊", "😋", "😎", "😍", "😘", "🥰", "😗",
		"😙", "🥲", "😚", "🙂", "🤗"}
	for _, em := range emoji[:core.MaxReactionsPerUser] {
		_, err := e.svc.React(ctx, alice, g, m.ID, em)
		require.NoError(t, err)
	}
	_, err := e.svc.React(ctx, alice, g, m.ID, emoji[core.MaxReactionsPerUser])
	assert.Equal(t, core.CodeConflict, core.CodeOf(err), "at most %d emoji of one user", core.MaxReactionsPerUser)
	for _, em := range emoji[core.MaxReactionsPerUser:core.MaxReactionKinds] {
		_, err := e.svc.React(ctx, bob, g, m.ID, em)
		require.NoError(t, err)
	}
	_, err = e.svc.React(ctx, bob, g, m.ID, emoji[core.MaxReactionKinds])
	assert.Equal(t, core.CodeConflict, core.CodeOf(err), "at most %d different emoji", core.MaxReactionKinds)
	got, err := e.svc.React(ctx, carol, g, m.ID, emoji[0])
	require.NoError(t, err, "joining an existing emoji is fine at the kind cap")
	assert.Len(t, got, core.MaxReactionKinds)

	_, err = e.svc.Delete(ctx, alice, g, m.ID)
	require.NoError(t, err)
	_, err = e.svc.React(ctx, bob, g, m.ID, "👍")
	assert.Equal(t, core.CodeConflict, core.CodeOf(err), "a deleted message takes no reactions")
	msgs, _, err := e.svc.History(ctx, bob, g, core.HistoryQuery{})
	require.NoError(t, err)
	assert.Empty(t, msgs[0].Reactions, "a tombstone has no reactions")
}

func TestPins(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *chat.Config) { c.Limits = chat.Limits{} })
	ctx := context.Background()
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	g := e.group(alice, bob)
	m := e.send(bob, g, "pin me")

	_, err := e.svc.Pin(ctx, bob, g, m.ID)
	assert.Equal(t, core.CodePermissionDenied, core.CodeOf(err), "plain members of a group may not pin")
	_, err = e.svc.Pin(ctx, carol, g, m.ID)
	assert.Equal(t, core.CodeNotFound, core.CodeOf(err), "non-members may not pin")
	_, err = e.svc.Pins(ctx, carol, g)
	assert.Equal(t, core.CodeNotFound, core.CodeOf(err), "non-members may not list pins")

	pinned, err := e.svc.Pin(ctx, alice, g, m.ID)
	require.NoError(t, err)
	require.NotNil(t, pinned.PinnedAt)
	assert.Equal(t, alice, pinned.PinnedBy)
	again, err := e.svc.Pin(ctx, alice, g, m.ID)
	require.NoError(t, err, "pinning twice is harmless")
	assert.Equal(t, pinned.PinnedAt, again.PinnedAt)
	_, err = e.svc.React(ctx, bob, g, m.ID, "📌")
	require.NoError(t, err)
	pins, err := e.svc.Pins(ctx, bob, g)
	require.NoError(t, err)
	require.Len(t, pins, 1)
	assert.Equal(t, m.ID, pins[0].ID)
	assert.Equal(t, []core.ReactionCount{{Emoji: "📌", Count: 1, Me: true}}, pins[0].Reactions)

	// Either person of a direct conversation may pin.
	d, _, err := e.svc.CreateConversation(ctx, alice, chat.CreateInput{Kind: core.KindDirect, MemberIDs: []string{bob}})
	require.NoError(t, err)
	dm := e.send(alice, d.ID, "in private")
	_, err = e.svc.Pin(ctx, bob, d.ID, dm.ID)
	require.NoError(t, err)

	// Deleting a pinned message unpins it.
	_, err = e.svc.Delete(ctx, bob, g, m.ID)
	require.NoError(t, err)
	pins, err = e.svc.Pins(ctx, alice, g)
	require.NoError(t, err)
	assert.Empty(t, pins)
	_, err = e.svc.Pin(ctx, alice, g, m.ID)
	assert.Equal(t, core.CodeConflict, core.CodeOf(err), "a tombstone cannot be pinned")

	// At most MaxPins at once.
	for i := range core.MaxPins {
		_, err := e.svc.Pin(ctx, alice, g, e.send(alice, g, fmt.Sprint("m", i)).ID)
		require.NoError(t, err)
	}
	extra := e.send(alice, g, "one too many")
	_, err = e.svc.Pin(ctx, alice, g, extra.ID)
	assert.Equal(t, core.CodeConflict, core.CodeOf(err))
	pins, err = e.svc.Pins(ctx, alice, g)
	require.NoError(t, err)
	assert.Len(t, pins, core.MaxPins)
	un, err := e.svc.Unpin(ctx, alice, g, pins[0].ID)
	require.NoError(t, err)
	assert.Nil(t, un.PinnedAt)
	_, err = e.svc.Pin(ctx, alice, g, extra.ID)
	require.NoError(t, err, "room again after an unpin")

	evs, _, err := e.svc.Events(ctx, alice, g, 0, 500)
	require.NoError(t, err)
	counts := map[core.EventType]int{}
	for _, ev := range evs {
		counts[ev.Type]++
	}
	assert.Equal(t, core.MaxPins+2, counts[core.EventMessagePinned])
	assert.Equal(t, 1, counts[core.EventMessageUnpinned], "the delete unpinned without an unpin event of its own")
}
