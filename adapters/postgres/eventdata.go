package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/scalechat/scalechat/adapters/internal/attachjson"
	"github.com/scalechat/scalechat/core"
)

// eventData is the JSON stored in events.data: the event's payload. These adapter-private structs keep
// storage names out of core. Field names follow the sqlite adapter's; times are RFC 3339 strings in UTC with
// the microseconds the columns keep, so an event's message equals the stored one.
type eventData struct {
	Message      *messageData      `json:"message,omitempty"`
	Member       *memberData       `json:"member,omitempty"`
	Conversation *conversationData `json:"conversation,omitempty"`
	Reaction     *reactionData     `json:"reaction,omitempty"`
}

type reactionData struct {
	MessageID string `json:"messageId"`
	UserID    string `json:"userId"`
	Emoji     string `json:"emoji"`
}

type messageData struct {
	ID             string                  `json:"id"`
	ConversationID string                  `json:"conversationId"`
	Seq            int64                   `json:"seq"`
	SenderID       string                  `json:"senderId"`
	ClientMsgID    string                  `json:"clientMsgId"`
	Body           string                  `json:"body"`
	ReplyTo        string                  `json:"replyTo,omitempty"`
	ThreadRootID   string                  `json:"threadRootId,omitempty"`
	CreatedAt      time.Time               `json:"createdAt"`
	EditedAt       *time.Time              `json:"editedAt,omitempty"`
	DeletedAt      *time.Time              `json:"deletedAt,omitempty"`
	PinnedAt       *time.Time              `json:"pinnedAt,omitempty"`
	PinnedBy       string                  `json:"pinnedBy,omitempty"`
	Mentions       []string                `json:"mentions,omitempty"`
	MentionAll     string                  `json:"mentionAll,omitempty"`
	Attachments    []attachjson.Attachment `json:"attachments,omitempty"`
}

type memberData struct {
	ConversationID string     `json:"conversationId"`
	UserID         string     `json:"userId"`
	Role           string     `json:"role"`
	ReadSeq        int64      `json:"readSeq"`
	JoinedAt       time.Time  `json:"joinedAt"`
	MutedUntil     *time.Time `json:"mutedUntil,omitempty"`
}

type conversationData struct {
	ID             string    `json:"id"`
	Kind           string    `json:"kind"`
	Title          string    `json:"title"`
	Topic          string    `json:"topic,omitempty"`
	DirectKey      string    `json:"directKey,omitempty"`
	CreatedBy      string    `json:"createdBy"`
	LastSeq        int64     `json:"lastSeq"`
	SlowMode       int64     `json:"slowModeSeconds,omitempty"`
	CreatedAt      time.Time `json:"createdAt"`
	LastActivityAt time.Time `json:"lastActivityAt"`
}

// encodeEventData returns the JSON payload of e.
func encodeEventData(e core.Event) (string, error) {
	var d eventData
	if m := e.Message; m != nil {
		d.Message = &messageData{ID: m.ID, ConversationID: m.ConversationID, Seq: m.Seq, SenderID: m.SenderID,
			ClientMsgID: m.ClientMsgID, Body: m.Body, ReplyTo: m.ReplyTo, ThreadRootID: m.ThreadRootID, CreatedAt: ts(m.CreatedAt),
			EditedAt: tsPtr(m.EditedAt), DeletedAt: tsPtr(m.DeletedAt), PinnedAt: tsPtr(m.PinnedAt), PinnedBy: m.PinnedBy,
			Mentions: m.Mentions, MentionAll: m.MentionAll, Attachments: attachjson.From(m.Attachments)}
	}
	if r := e.Reaction; r != nil {
		d.Reaction = &reactionData{MessageID: r.MessageID, UserID: r.UserID, Emoji: r.Emoji}
	}
	if m := e.Member; m != nil {
		d.Member = &memberData{ConversationID: m.ConversationID, UserID: m.UserID, Role: string(m.Role),
			ReadSeq: m.ReadSeq, JoinedAt: ts(m.JoinedAt), MutedUntil: tsPtr(m.MutedUntil)}
	}
	if c := e.Conversation; c != nil {
		d.Conversation = &conversationData{ID: c.ID, Kind: string(c.Kind), Title: c.Title, Topic: c.Topic,
			DirectKey: c.DirectKey, CreatedBy: c.CreatedBy, LastSeq: c.LastSeq, SlowMode: toSeconds(c.SlowMode),
			CreatedAt: ts(c.CreatedAt), LastActivityAt: ts(c.LastActivityAt)}
	}
	b, err := json.Marshal(d)
	return string(b), err
}

// scanEvent reads a row of (conversation_id, seq, type, at, actor_id, data).
func scanEvent(r scanner) (core.Event, error) {
	var e core.Event
	var data []byte
	if err := r.Scan(&e.ConversationID, &e.Seq, &e.Type, &e.At, &e.ActorID, &data); err != nil {
		return e, err
	}
	e.At = e.At.UTC()
	var d eventData
	if err := json.Unmarshal(data, &d); err != nil {
		return e, fmt.Errorf("event %s/%d: bad data: %w", e.ConversationID, e.Seq, err)
	}
	if m := d.Message; m != nil {
		e.Message = &core.Message{ID: m.ID, ConversationID: m.ConversationID, Seq: m.Seq, SenderID: m.SenderID,
			ClientMsgID: m.ClientMsgID, Body: m.Body, ReplyTo: m.ReplyTo, ThreadRootID: m.ThreadRootID, CreatedAt: m.CreatedAt.UTC(),
			EditedAt: utcPtr(m.EditedAt), DeletedAt: utcPtr(m.DeletedAt), PinnedAt: utcPtr(m.PinnedAt), PinnedBy: m.PinnedBy,
			Mentions: m.Mentions, MentionAll: m.MentionAll, Attachments: attachjson.To(m.Attachments)}
	}
	if r := d.Reaction; r != nil {
		e.Reaction = &core.Reaction{MessageID: r.MessageID, UserID: r.UserID, Emoji: r.Emoji}
	}
	if m := d.Member; m != nil {
		e.Member = &core.Member{ConversationID: m.ConversationID, UserID: m.UserID, Role: core.Role(m.Role),
			ReadSeq: m.ReadSeq, JoinedAt: m.JoinedAt.UTC(), MutedUntil: utcPtr(m.MutedUntil)}
	}
	if c := d.Conversation; c != nil {
		e.Conversation = &core.Conversation{ID: c.ID, Kind: core.Kind(c.Kind), Title: c.Title, Topic: c.Topic,
			DirectKey: c.DirectKey, CreatedBy: c.CreatedBy, LastSeq: c.LastSeq, SlowMode: fromSeconds(c.SlowMode),
			CreatedAt: c.CreatedAt.UTC(), LastActivityAt: c.LastActivityAt.UTC()}
	}
	return e, nil
}
