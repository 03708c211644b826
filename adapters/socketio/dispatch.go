package socketio

import (
	"context"
	"strings"
	"time"

	"github.com/zishang520/socket.io/servers/socket/v3"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
)

// dispatch delivers a fan-out envelope to the sockets of its room. It runs on the subscription's goroutine,
// in publish order per topic.
func (s *Server) dispatch(topic string, env core.Envelope) {
	room := socket.Room(topic)
	switch {
	case env.Event != nil:
		s.onEvent(room, *env.Event)
	case env.Typing != nil:
		t := env.Typing
		// Every socket of the typist is in its user room: excluding that room keeps the notice from echoing.
		_ = s.io.To(room).Except(socket.Room(core.UserTopic(t.UserID))).
			Emit("typing", typingOut{ConversationID: t.ConversationID, UserID: t.UserID, Typing: t.Typing})
	case env.Read != nil:
		r := env.Read
		_ = s.io.To(room).Emit("read", readOut{ConversationID: r.ConversationID, UserID: r.UserID, Seq: r.Seq})
	case env.Presence != nil:
		_ = s.io.To(room).Emit("presence", schema.PresenceOf(*env.Presence))
	case env.Membership != nil && strings.HasPrefix(topic, "user:"):
		s.onMembership(*env.Membership)
	}
}

// onEvent emits a sequenced event to a conversation's room. A member who joins is put in the room first, so
// that they see their own member.joined; one who leaves gets the member.left before leaving the room.
func (s *Server) onEvent(room socket.Room, e core.Event) {
	joined := e.Type == core.EventMemberJoined && e.Member != nil
	left := e.Type == core.EventMemberLeft && e.Member != nil
	if joined {
		s.onMembership(core.MembershipChange{UserID: e.Member.UserID, ConversationID: e.ConversationID, Joined: true})
	}
	_ = s.io.To(room).Emit("event", schema.EventOf(e))
	if left {
		s.onMembership(core.MembershipChange{UserID: e.Member.UserID, ConversationID: e.ConversationID})
	}
}

// onMembership puts a user's local sockets in (or takes them out of) a conversation's room.
func (s *Server) onMembership(mc core.MembershipChange) {
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	for _, c := range s.hub.conns(mc.UserID) {
		var err error
		if mc.Joined {
			err = c.join(ctx, mc.ConversationID)
		} else {
			err = c.leave(ctx, mc.ConversationID)
		}
		if err != nil {
			s.log.Warn("updating socket rooms", "user", mc.UserID, "conversation", mc.ConversationID, "err", err)
		}
	}
}
