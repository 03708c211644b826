package sqlite

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/scalechat/scalechat/adapters/internal/attachjson"
	"github.com/scalechat/scalechat/core"
)

// eventData is the JSON stored in events.data: the event's payload. These adapter-private structs keep
// storage names out of core; times are unix milliseconds like every other column.
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
	CreatedAt      int64                   `json:"createdAt"`
	EditedAt       *int64                  `json:"editedAt,omitempty"`
	DeletedAt      *int64                  `json:"deletedAt,omitempty"`
	PinnedAt       *int64                  `json:"pinnedAt,omitempty"`
	PinnedBy       string                  `json:"pinnedBy,omitempty"`
	Mentions       []string                `json:"mentions,omitempty"`
	MentionAll     string                  `json:"mentionAll,omitempty"`
	Attachments    []attachjson.Attachment `json:"attachments,omitempty"`
}

type memberData struct {
	ConversationID string `json:"conversationId"`
	UserID         string `json:"userId"`
	Role           string `json:"role"`
	ReadSeq        int64  `json:"readSeq"`
	JoinedAt       int64  `json:"joinedAt"`
	MutedUntil     *int64 `json:"mutedUntil,omitempty"`
}

type conversationData struct {
	ID             string `json:"id"`
	Kind           string `json:"kind"`
	Title          string `json:"title"`
	Topic          string `json:"topic,omitempty"`
	DirectKey      string `json:"directKey,omitempty"`
	CreatedBy      string `json:"createdBy"`
	LastSeq        int64  `json:"lastSeq"`
	SlowMode       int64  `json:"slowModeSeconds,omitempty"`
	CreatedAt      int64  `json:"createdAt"`
	LastActivityAt int64  `json:"lastActivityAt"`
}

// optMS and optTime convert optional times for JSON.
func optMS(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := toMS(*t)
	return &v
}

func optTime(v *int64) *time.Time {
	if v == nil {
		return nil
	}
	t := fromMS(*v)
	return &t
}

func encodeEventData(e core.Event) (string, error) {
	var d eventData
	if m := e.Message; m != nil {
		d.Message = &messageData{ID: m.ID, ConversationID: m.ConversationID, Seq: m.Seq, SenderID: m.SenderID,
			ClientMsgID: m.ClientMsgID, Body: m.Body, ReplyTo: m.ReplyTo, ThreadRootID: m.ThreadRootID, CreatedAt: toMS(m.CreatedAt),
			EditedAt: optMS(m.EditedAt), DeletedAt: optMS(m.DeletedAt), PinnedAt: optMS(m.PinnedAt), PinnedBy: m.PinnedBy,
			Mentions: m.Mentions, MentionAll: m.MentionAll, Attachments: attachjson.From(m.Attachments)}
	}
	if r := e.Reaction; r != nil {
		d.Reaction = &reactionData{MessageID: r.MessageID, UserID: r.UserID, Emoji: r.Emoji}
	}
	if m := e.Member; m != nil {
		d.Member = &memberData{ConversationID: m.ConversationID, UserID: m.UserID, Role: string(m.Role),
			ReadSeq: m.ReadSeq, JoinedAt: toMS(m.JoinedAt), MutedUntil: optMS(m.MutedUntil)}
	}
	if c := e.Conversation; c != nil {
		d.Conversation = &conversationData{ID: c.ID, Kind: string(c.Kind), Title: c.Title, Topic: c.Topic,
			DirectKey: c.DirectKey, CreatedBy: c.CreatedBy, LastSeq: c.LastSeq, SlowMode: toSeconds(c.SlowMode),
			CreatedAt: toMS(c.CreatedAt), LastActivityAt: toMS(c.LastActivityAt)}
	}
	b, err := json.Marshal(d)
	return string(b), err
}

// scanEvent reads a row of (conversation_id, seq, type, at, actor_id, data).
func scanEvent(r scanner) (core.Event, error) {
	var e core.Event
	var at int64
	var data string
	if err := r.Scan(&e.ConversationID, &e.Seq, &e.Type, &at, &e.ActorID, &data); err != nil {
		return e, err
	}
	e.At = fromMS(at)
	var d eventData
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return e, fmt.Errorf("event %s/%d: bad data: %w", e.ConversationID, e.Seq, err)
	}
	if m := d.Message; m != nil {
		e.Message = &core.Message{ID: m.ID, ConversationID: m.ConversationID, Seq: m.Seq, SenderID: m.SenderID,
			ClientMsgID: m.ClientMsgID, Body: m.Body, ReplyTo: m.ReplyTo, ThreadRootID: m.ThreadRootID, CreatedAt: fromMS(m.CreatedAt),
			EditedAt: optTime(m.EditedAt), DeletedAt: optTime(m.DeletedAt), PinnedAt: optTime(m.PinnedAt), PinnedBy: m.PinnedBy,
			Mentions: m.Mentions, MentionAll: m.MentionAll, Attachments: attachjson.To(m.Attachments)}
	}
	if r := d.Reaction; r != nil {
		e.Reaction = &core.Reaction{MessageID: r.MessageID, UserID: r.UserID, Emoji: r.Emoji}
	}
	if m := d.Member; m != nil {
		e.Member = &core.Member{ConversationID: m.ConversationID, UserID: m.UserID, Role: core.Role(m.Role),
			ReadSeq: m.ReadSeq, JoinedAt: fromMS(m.JoinedAt), MutedUntil: optTime(m.MutedUntil)}
	}
	if c := d.Conversation; c != nil {
		e.Conversation = &core.Conversation{ID: c.ID, Kind: core.Kind(c.Kind), Title: c.Title, Topic: c.Topic,
			DirectKey: c.DirectKey, CreatedBy: c.CreatedBy, LastSeq: c.LastSeq, SlowMode: fromSeconds(c.SlowMode),
			CreatedAt: fromMS(c.CreatedAt), LastActivityAt: fromMS(c.LastActivityAt)}
	}
	return e, nil
}
