package chat_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
	"github.com/scalechat/scalechat/ports"
)

// removeElsewhere commits userID's removal straight to the ledger, as another gateway would: this node's
// service hears nothing of it.
func (e *env) removeElsewhere(conv, actor, userID string) {
	e.t.Helper()
	require.NoError(e.t, e.store.Update(context.Background(), func(ctx context.Context, tx ports.LedgerTx) error {
		c, err := tx.Conversation(ctx, conv)
		if err != nil {
			return err
		}
		m, err := tx.Member(ctx, conv, userID)
		if err != nil {
			return err
		}
		return tx.Append(ctx, core.Event{ConversationID: conv, Seq: c.LastSeq + 1, Type: core.EventMemberLeft,
			At: e.clock.Now(), ActorID: actor, Member: &m})
	}))
}

func sendCode(t *testing.T, e *env, actor, conv, body string) core.Code {
	t.Helper()
	_, err := e.svc.Send(context.Background(), actor, chat.SendInput{ConversationID: conv, Body: body})
	if err == nil {
		return ""
	}
	return core.AsError(err).Code
}

// A member removed on another node may still get past this gateway's cached check until the TTL ends, but the
// sequencer refuses the message: nothing from a non-member is ever stored.
func TestSendAuthCacheNeverLetsARemovedMemberIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *chat.Config) { c.SendAuthTTL = 5 * time.Second })
	ctx := context.Background()
	alice, bob := e.user("alice"), e.user("bob")
	g := e.group(alice, bob)
	e.send(bob, g, "hello") // bob's membership is now cached here

	e.removeElsewhere(g, alice, bob)
	assert.Equal(t, core.CodePermissionDenied, sendCode(t, e, bob, g, "within the TTL"),
		"the gateway's entry is stale: the sequencer refuses")
	e.clock.Advance(5 * time.Second)
	assert.Equal(t, core.CodeNotFound, sendCode(t, e, bob, g, "after the TTL"), "the gateway reads again and refuses")

	evs, _, err := e.svc.Events(ctx, alice, g, 0, 0)
	require.NoError(t, err)
	for _, ev := range evs {
		if ev.Type == core.EventMessageCreated {
			assert.Equal(t, "hello", ev.Message.Body, "only the message sent while a member is stored")
		}
	}
}

// A removal committed through this node's service takes effect on its cache at once.
func TestSendAuthCacheForgetsRemovalsCommittedHere(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *chat.Config) { c.SendAuthTTL = time.Hour })
	ctx := context.Background()
	alice, bob := e.user("alice"), e.user("bob")
	g := e.group(alice, bob)
	e.send(bob, g, "hello")
	require.NoError(t, e.svc.RemoveMember(ctx, alice, g, bob))
	assert.Equal(t, core.CodeNotFound, sendCode(t, e, bob, g, "after removal"), "refused by the gateway itself")
}

// Without a TTL every send reads the membership: a removal elsewhere is refused by the gateway at once.
func TestSendAuthCacheOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	g := e.group(alice, bob)
	e.send(bob, g, "hello")
	e.removeElsewhere(g, alice, bob)
	assert.Equal(t, core.CodeNotFound, sendCode(t, e, bob, g, "no cache"))
}
