package realtime_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// Moderation as a socket sees it, on both transports: a mute arrives as member.updated with mutedUntil and the
// muted member's sends get an error ack until it is lifted; slow mode arrives as conversation.updated and a
// second send within the period gets rate_limited with retryAfterMs; a ban arrives as member.left and the
// banned member's socket hears nothing of the conversation after it.
func TestModerationOnSockets(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*waitFor)
			defer cancel()
			ann, bob := s.signUp(t, "ann"), s.signUp(t, "bob")
			conv := ann.createGroup(t, bob)
			ca, cb := ann.dial(t, transport), bob.dial(t, transport)

			mr, err := ann.api.MuteMemberWithResponse(ctx, conv.Id, bob.ID, sdk.MuteRequest{DurationSeconds: 600})
			wantStatus(t, mr, err, http.StatusOK)
			for _, c := range []*client{ca, cb} {
				ev := c.nextEvent(t, conv.Id)
				assert.Equal(t, sdk.MemberUpdated, ev.Type)
				require.NotNil(t, ev.Data.Member)
				require.NotNil(t, ev.Data.Member.MutedUntil, "%s sees the mute", c.name)
			}
			a := cb.ack(t, "message:send", map[string]any{"conversationId": conv.Id, "clientMsgId": fmt.Sprint("m-", s.next()),
				"body": "muted?"})
			assert.Equal(t, "permission_denied", errorCode(t, a))
			ur, err := ann.api.UnmuteMemberWithResponse(ctx, conv.Id, bob.ID)
			wantStatus(t, ur, err, http.StatusOK)
			for _, c := range []*client{ca, cb} {
				ev := c.nextEvent(t, conv.Id)
				require.NotNil(t, ev.Data.Member)
				assert.Nil(t, ev.Data.Member.MutedUntil)
			}

			sr, err := ann.api.SetSlowModeWithResponse(ctx, conv.Id, sdk.SlowModeRequest{Seconds: 60})
			wantStatus(t, sr, err, http.StatusOK)
			for _, c := range []*client{ca, cb} {
				ev := c.nextEvent(t, conv.Id)
				assert.Equal(t, sdk.ConversationUpdated, ev.Type)
				require.NotNil(t, ev.Data.Conversation)
				assert.EqualValues(t, 60, ev.Data.Conversation.SlowModeSeconds)
			}
			m := cb.send(t, s, conv.Id, "one a minute")
			for _, c := range []*client{ca, cb} {
				assert.Equal(t, m.Id, c.nextEvent(t, conv.Id).Data.Message.Id)
			}
			a = cb.ack(t, "message:send", map[string]any{"conversationId": conv.Id, "clientMsgId": fmt.Sprint("m-", s.next()),
				"body": "too soon"})
			assert.Equal(t, "rate_limited", errorCode(t, a))
			retry, _ := a["error"].(map[string]any)["retryAfterMs"].(float64)
			assert.InDelta(t, 60_000, retry, 5_000, "retryAfterMs: %v", a)

			br, err := ann.api.BanUserWithResponse(ctx, conv.Id, sdk.BanRequest{UserId: bob.ID})
			wantStatus(t, br, err, http.StatusCreated)
			for _, c := range []*client{ca, cb} {
				ev := c.nextEvent(t, conv.Id)
				assert.Equal(t, sdk.MemberLeft, ev.Type)
				assert.Equal(t, bob.ID, ev.Data.Member.UserId)
			}
			after := ca.send(t, s, conv.Id, "bob is gone")
			assert.Equal(t, after.Id, ca.nextEvent(t, conv.Id).Data.Message.Id)
			requireNone(t, cb.events, 300*time.Millisecond, "event after the ban")
			a = cb.ack(t, "message:send", map[string]any{"conversationId": conv.Id, "clientMsgId": fmt.Sprint("m-", s.next()),
				"body": "let me in"})
			assert.Contains(t, []string{"not_found", "permission_denied"}, errorCode(t, a))
		})
	}
}
