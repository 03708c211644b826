package rest

import (
	"time"

	"github.com/scalechat/scalechat/adapters/schema"
)

// The REST-only resources of the API (the shapes it shares with Socket.IO are in package schema). Their Go type
// names are the OpenAPI schema names.

// Session is a successful log-in. The token is shown only here.
type Session struct {
	Token     string      `json:"token" doc:"Bearer token for the Authorization header. Keep it secret."`
	ExpiresAt time.Time   `json:"expiresAt" doc:"When the token stops working (RFC 3339, UTC)."`
	User      schema.User `json:"user" doc:"The logged-in user."`
}

// UserList is a page of users.
type UserList struct {
	Items []schema.User `json:"items" nullable:"false" doc:"Users, ordered by username."`
	Next  string        `json:"next,omitempty" doc:"Cursor of the next page; absent on the last page."`
}

// ConversationList is a page of the caller's conversations.
type ConversationList struct {
	Items []schema.Conversation `json:"items" nullable:"false" doc:"Conversations, most recently active first."`
	Next  string                `json:"next,omitempty" doc:"Cursor of the next page; absent on the last page."`
}

// ChannelList is a page of the channel directory.
type ChannelList struct {
	Items []schema.Conversation `json:"items" nullable:"false" doc:"Channels, ordered by title."`
	Next  string                `json:"next,omitempty" doc:"Cursor of the next page; absent on the last page."`
}

// MemberList is a page of a conversation's members.
type MemberList struct {
	Items []schema.Member `json:"items" nullable:"false" doc:"Members, ordered by user id."`
	Next  string          `json:"next,omitempty" doc:"Cursor of the next page; absent on the last page."`
}

// MessageList is a page of history.
type MessageList struct {
	Items []schema.Message `json:"items" nullable:"false" doc:"Messages (tombstones included) in ascending seq order."`
	Next  string           `json:"next,omitempty" doc:"Seq to pass as 'before' (when paging backwards) or 'after' (when paging forwards) for the next page; absent when there is no more."`
}

// EventList is a page of a conversation's events.
type EventList struct {
	Items []schema.Event `json:"items" nullable:"false" doc:"Events in ascending, dense seq order."`
	Next  string         `json:"next,omitempty" doc:"Seq to pass as 'after' for the next page; absent when caught up."`
}

// mapItems converts a slice, never returning nil so that JSON lists are [] rather than null.
func mapItems[T, U any](in []T, f func(T) U) []U {
	out := make([]U, 0, len(in))
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}
