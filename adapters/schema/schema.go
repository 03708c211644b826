// Package schema holds the JSON shapes that the REST API and the Socket.IO endpoint share (a message, an event,
// a presence, ...) and their conversions from the core model. Their Go type names are the schema names of the
// OpenAPI and AsyncAPI documents; the struct tags document them for Huma.
package schema

import (
	"time"

	"github.com/scalechat/scalechat/core"
)

// User is a registered account.
type User struct {
	ID          string    `json:"id" doc:"User id." example:"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"`
	Username    string    `json:"username" doc:"Unique, lowercase [a-z0-9_.-]{3,32}." example:"alice"`
	DisplayName string    `json:"displayName" doc:"Name shown to others." example:"Alice Liddell"`
	Bot         bool      `json:"bot" doc:"A bot account: it acts through an API key of scope bot."`
	Admin       bool      `json:"admin" doc:"The system role admin: uses the admin API with their own sign-in and moderates every conversation."`
	CreatedAt   time.Time `json:"createdAt" doc:"When the account was created (RFC 3339, UTC)."`
	// DeactivatedAt is when an admin deactivated the account; absent while it is active.
	DeactivatedAt *time.Time `json:"deactivatedAt,omitempty" doc:"When an admin deactivated the account (it cannot sign in; its messages stay); absent while it is active."`
}

// Conversation is a direct conversation, group or channel as the caller sees it.
type Conversation struct {
	ID             string     `json:"id" doc:"Conversation id."`
	Kind           string     `json:"kind" enum:"direct,group,channel" doc:"direct: exactly two members; group: private, invite-only; channel: public, anyone may join."`
	Title          string     `json:"title" doc:"Title; for a direct conversation, the other member's display name."`
	Topic          string     `json:"topic" doc:"Topic; empty when unset."`
	LastSeq        int64      `json:"lastSeq" doc:"Seq of the conversation's latest event (0 when none)."`
	SlowMode       int        `json:"slowModeSeconds" doc:"Slow mode: the least seconds between two messages of a plain member (owners and admins are exempt); 0 when off."`
	ReadSeq        int64      `json:"readSeq" doc:"The caller's read position (0 when not a member)."`
	Unread         int64      `json:"unread" doc:"Messages after readSeq sent by others and not deleted (0 when not a member)."`
	Mentions       int64      `json:"mentions" doc:"Of the unread messages, those that mention the caller (@username, @channel, @here); 0 when not a member."`
	NotifyLevel    string     `json:"notifyLevel,omitempty" enum:"all,mentions,none" doc:"What the caller wants to be told about here: every message, mentions only, or nothing; absent when not a member."`
	Muted          bool       `json:"muted,omitempty" doc:"The caller muted the conversation (no notifications, whatever the level)."`
	LastMessage    *Message   `json:"lastMessage,omitempty" doc:"The latest message, when there is one and the caller is a member."`
	CreatedAt      time.Time  `json:"createdAt" doc:"When the conversation was created (RFC 3339, UTC)."`
	LastActivityAt time.Time  `json:"lastActivityAt" doc:"When its latest event happened (RFC 3339, UTC)."`
	Role           string     `json:"role,omitempty" enum:"owner,admin,member" doc:"The caller's role; absent when not a member."`
	MutedUntil     *time.Time `json:"mutedUntil,omitempty" doc:"A moderator muted the caller here: they may not send or edit before then; absent when not muted."`
}

// Member is a user's membership of a conversation.
type Member struct {
	ConversationID string     `json:"conversationId" doc:"Conversation id."`
	UserID         string     `json:"userId" doc:"User id."`
	Role           string     `json:"role" enum:"owner,admin,member" doc:"owner: everything; admin: manage members and settings; member: read and write."`
	ReadSeq        int64      `json:"readSeq" doc:"The member's read position."`
	JoinedAt       time.Time  `json:"joinedAt" doc:"When the user joined (RFC 3339, UTC)."`
	MutedUntil     *time.Time `json:"mutedUntil,omitempty" doc:"A moderator muted the member: they may not send or edit messages before then (RFC 3339, UTC); absent when not muted."`
}

// Message is a chat message. A deleted message remains as a tombstone: deletedAt set, body empty.
type Message struct {
	ID             string              `json:"id" doc:"Message id (UUIDv7)."`
	ConversationID string              `json:"conversationId" doc:"Conversation id."`
	Seq            int64               `json:"seq" doc:"Seq of its message.created event; 0 while a send is only accepted (202)."`
	SenderID       string              `json:"senderId" doc:"User id of the sender."`
	ClientMsgID    string              `json:"clientMsgId" doc:"The sender's idempotency key."`
	Body           string              `json:"body" doc:"Text, 1 to 4000 characters; empty for a deleted message."`
	ReplyTo        string              `json:"replyTo,omitempty" doc:"Id of the message this one replies to."`
	CreatedAt      time.Time           `json:"createdAt" doc:"When it was sent (RFC 3339, UTC)."`
	EditedAt       *time.Time          `json:"editedAt,omitempty" doc:"When it was last edited (RFC 3339, UTC)."`
	DeletedAt      *time.Time          `json:"deletedAt,omitempty" doc:"When it was deleted (RFC 3339, UTC)."`
	PinnedAt       *time.Time          `json:"pinnedAt,omitempty" doc:"When it was pinned, while it is pinned (RFC 3339, UTC)."`
	PinnedBy       string              `json:"pinnedBy,omitempty" doc:"User id of who pinned it, while it is pinned."`
	Mentions       []string            `json:"mentions,omitempty" doc:"Ids of the users it mentions: each @username of an existing user, and with @here the members online when it was sent."`
	MentionAll     string              `json:"mentionAll,omitempty" enum:"channel,here" doc:"channel: it mentions every member (@channel); here: it said @here (those then online are in mentions)."`
	ThreadRootID   string              `json:"threadRootId,omitempty" doc:"For a reply in a thread: the thread's first (top-level) message. Replies stay out of the conversation's history and unread count."`
	Thread         *ThreadInfo         `json:"thread,omitempty" doc:"For a message that has replies: what its thread holds (history pages, pins, threads); absent in events."`
	Attachments    []MessageAttachment `json:"attachments,omitempty" doc:"The files it carries, in the order sent; download each from /v1/attachments/{id}/content (members only)."`
	Reactions      []ReactionCount     `json:"reactions,omitempty" doc:"Emoji tallies, in order of each emoji's first reaction, as the caller sees them: in history pages and pin lists; absent in events (reaction.added and reaction.removed events change them)."`
}

// ThreadInfo is what a thread's first message shows of its replies (deleted ones left out).
type ThreadInfo struct {
	ReplyCount   int       `json:"replyCount" doc:"How many replies it has."`
	LastReplyAt  time.Time `json:"lastReplyAt" doc:"When the latest reply was sent (RFC 3339, UTC)."`
	Participants []string  `json:"participants" nullable:"false" doc:"Ids of those who replied, ascending."`
}

// MessageAttachment is what a message shows of one of its files.
type MessageAttachment struct {
	ID          string `json:"id" doc:"Attachment id."`
	Name        string `json:"name" doc:"Sanitized file name."`
	ContentType string `json:"contentType" doc:"Type sniffed from the bytes."`
	Size        int64  `json:"size" doc:"Size in bytes."`
	Width       int    `json:"width,omitempty" doc:"Image width in pixels."`
	Height      int    `json:"height,omitempty" doc:"Image height in pixels."`
	Thumbnail   bool   `json:"thumbnail,omitempty" doc:"A preview exists at /v1/attachments/{id}/thumbnail."`
}

// ReactionCount is one emoji's tally on a message.
type ReactionCount struct {
	Emoji string `json:"emoji" doc:"The emoji (shortcodes are stored as their emoji)." example:"👍"`
	Count int    `json:"count" minimum:"1" doc:"How many members reacted with it."`
	Me    bool   `json:"me" doc:"Whether the caller is one of them."`
}

// Reaction is one member's emoji on one message.
type Reaction struct {
	MessageID string `json:"messageId" doc:"Message id."`
	UserID    string `json:"userId" doc:"User id of who reacted."`
	Emoji     string `json:"emoji" doc:"The emoji." example:"👍"`
}

// Event is one entry of a conversation's dense sequence of changes.
type Event struct {
	ConversationID string    `json:"conversationId" doc:"Conversation id."`
	Seq            int64     `json:"seq" doc:"Position in the conversation's sequence (1, 2, 3, ...)."`
	Type           string    `json:"type" enum:"message.created,message.edited,message.deleted,message.pinned,message.unpinned,reaction.added,reaction.removed,member.joined,member.updated,member.left,conversation.updated" doc:"What changed."`
	At             time.Time `json:"at" doc:"When it happened (RFC 3339, UTC)."`
	ActorID        string    `json:"actorId" doc:"User id of who made the change; empty when an admin API key made it."`
	Data           EventData `json:"data" doc:"The state after the change."`
}

// EventData holds the object an event is about: exactly one property is set. message.* events carry the
// message, member.* events the membership (for member.left: the one that ended), conversation.updated the
// conversation (readSeq, unread and role are not filled in there), reaction.* events the reaction.
type EventData struct {
	Message      *Message      `json:"message,omitempty" doc:"For message.created, message.edited, message.deleted, message.pinned and message.unpinned."`
	Reaction     *Reaction     `json:"reaction,omitempty" doc:"For reaction.added and reaction.removed (the reaction taken back)."`
	Member       *Member       `json:"member,omitempty" doc:"For member.joined, member.updated and member.left."`
	Conversation *Conversation `json:"conversation,omitempty" doc:"For conversation.updated."`
}

// Presence is a user's online status.
type Presence struct {
	UserID     string     `json:"userId" doc:"User id."`
	Status     string     `json:"status" enum:"online,offline" doc:"online while the user has a live real-time connection."`
	LastSeenAt *time.Time `json:"lastSeenAt,omitempty" doc:"When the user was last seen connected (RFC 3339, UTC); absent when never."`
}

// Conversions from the core model.

// UserOf converts a core user to its API shape.
func UserOf(u core.User) User {
	return User{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Bot: u.Bot, Admin: u.Admin, CreatedAt: u.CreatedAt.UTC(),
		DeactivatedAt: u.DeactivatedAt}
}

// ConversationOf converts a core conversation to its API shape (without the viewer's fields).
func ConversationOf(c core.Conversation) Conversation {
	return Conversation{ID: c.ID, Kind: string(c.Kind), Title: c.Title, Topic: c.Topic, LastSeq: c.LastSeq,
		SlowMode: int(c.SlowMode / time.Second), CreatedAt: c.CreatedAt.UTC(), LastActivityAt: c.LastActivityAt.UTC()}
}

// SummaryOf converts a member's view of a conversation to its API shape.
func SummaryOf(s core.Summary) Conversation {
	c := ConversationOf(s.Conversation)
	c.ReadSeq, c.Unread, c.Mentions = s.ReadSeq(), s.Unread, s.Mentions
	if s.Member != nil {
		c.Role = string(s.Member.Role)
		c.NotifyLevel, c.Muted, c.MutedUntil = string(s.Member.Notify), s.Member.Muted, UTC(s.Member.MutedUntil)
		if c.NotifyLevel == "" {
			c.NotifyLevel = string(core.NotifyAll)
		}
	}
	if s.LastMessage != nil {
		m := MessageOf(*s.LastMessage)
		c.LastMessage = &m
	}
	return c
}

// MemberOf converts a core membership to its API shape.
func MemberOf(m core.Member) Member {
	return Member{ConversationID: m.ConversationID, UserID: m.UserID, Role: string(m.Role), ReadSeq: m.ReadSeq,
		JoinedAt: m.JoinedAt.UTC(), MutedUntil: UTC(m.MutedUntil)}
}

// MessageOf converts a core message to its API shape.
func MessageOf(m core.Message) Message {
	return Message{ID: m.ID, ConversationID: m.ConversationID, Seq: m.Seq, SenderID: m.SenderID,
		ClientMsgID: m.ClientMsgID, Body: m.Body, ReplyTo: m.ReplyTo, CreatedAt: m.CreatedAt.UTC(),
		EditedAt: UTC(m.EditedAt), DeletedAt: UTC(m.DeletedAt), PinnedAt: UTC(m.PinnedAt), PinnedBy: m.PinnedBy,
		Mentions: m.Mentions, MentionAll: m.MentionAll, Reactions: ReactionsOf(m.Reactions),
		Attachments: attachmentsOf(m.Attachments), ThreadRootID: m.ThreadRootID, Thread: threadOf(m.Thread)}
}

func threadOf(t *core.ThreadInfo) *ThreadInfo {
	if t == nil {
		return nil
	}
	return &ThreadInfo{ReplyCount: t.ReplyCount, LastReplyAt: t.LastReplyAt.UTC(), Participants: append([]string{}, t.Participants...)}
}

func attachmentsOf(as []core.Attachment) []MessageAttachment {
	var out []MessageAttachment
	for _, a := range as {
		out = append(out, MessageAttachment{ID: a.ID, Name: a.Name, ContentType: a.ContentType, Size: a.Size,
			Width: a.Width, Height: a.Height, Thumbnail: a.Thumbnail})
	}
	return out
}

// ReactionsOf converts tallies to their API shape (nil for none).
func ReactionsOf(rs []core.ReactionCount) []ReactionCount {
	if len(rs) == 0 {
		return nil
	}
	out := make([]ReactionCount, len(rs))
	for i, r := range rs {
		out[i] = ReactionCount{Emoji: r.Emoji, Count: r.Count, Me: r.Me}
	}
	return out
}

// EventOf converts a core event to its API shape.
func EventOf(e core.Event) Event {
	ev := Event{ConversationID: e.ConversationID, Seq: e.Seq, Type: string(e.Type), At: e.At.UTC(), ActorID: e.ActorID}
	switch {
	case e.Message != nil:
		m := MessageOf(*e.Message)
		ev.Data.Message = &m
	case e.Member != nil:
		m := MemberOf(*e.Member)
		ev.Data.Member = &m
	case e.Conversation != nil:
		c := ConversationOf(*e.Conversation)
		ev.Data.Conversation = &c
	case e.Reaction != nil:
		ev.Data.Reaction = &Reaction{MessageID: e.Reaction.MessageID, UserID: e.Reaction.UserID, Emoji: e.Reaction.Emoji}
	}
	return ev
}

// UTC returns t in UTC (nil stays nil).
func UTC(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// PresenceOf converts a core presence to its API shape.
func PresenceOf(p core.Presence) Presence {
	out := Presence{UserID: p.UserID, Status: "offline"}
	if p.Online {
		out.Status = "online"
	}
	if !p.LastSeenAt.IsZero() {
		t := p.LastSeenAt.UTC()
		out.LastSeenAt = &t
	}
	return out
}
