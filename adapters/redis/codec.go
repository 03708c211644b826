package redis

import (
	"encoding/json"
	"time"

	"github.com/scalechat/scalechat/adapters/internal/attachjson"
	"github.com/scalechat/scalechat/core"
)

// The wire format of a fan-out message is a JSON array of envelopes: one PUBLISH carries everything one
// Publish call was given, so a batch keeps its order and costs one round trip. These structs are the only
// place that format is defined; fields are added, never renamed, so mixed-version nodes keep understanding
// each other (unknown fields are ignored). Times travel in UTC with nanoseconds; a *core.Error keeps its
// client-safe parts only (its cause is internal to the node that produced it).

type wireEnvelope struct {
	Event      *wireEvent      `json:"event,omitzero"`
	Result     *wireResult     `json:"result,omitzero"`
	Typing     *wireTyping     `json:"typing,omitzero"`
	Read       *wireRead       `json:"read,omitzero"`
	Presence   *wirePresence   `json:"presence,omitzero"`
	Membership *wireMembership `json:"membership,omitzero"`
	Session    *wireSession    `json:"session,omitzero"`
}

type wireEvent struct {
	ConversationID string            `json:"conversationId,omitzero"`
	Seq            int64             `json:"seq,omitzero"`
	Type           string            `json:"type,omitzero"`
	At             time.Time         `json:"at,omitzero"`
	ActorID        string            `json:"actorId,omitzero"`
	Message        *wireMessage      `json:"message,omitzero"`
	Member         *wireMember       `json:"member,omitzero"`
	Conversation   *wireConversation `json:"conversation,omitzero"`
	Reaction       *wireReaction     `json:"reaction,omitzero"`
}

type wireReaction struct {
	MessageID string `json:"messageId,omitzero"`
	UserID    string `json:"userId,omitzero"`
	Emoji     string `json:"emoji,omitzero"`
}

type wireMessage struct {
	ID             string                  `json:"id,omitzero"`
	ConversationID string                  `json:"conversationId,omitzero"`
	Seq            int64                   `json:"seq,omitzero"`
	SenderID       string                  `json:"senderId,omitzero"`
	ClientMsgID    string                  `json:"clientMsgId,omitzero"`
	Body           string                  `json:"body,omitzero"`
	ReplyTo        string                  `json:"replyTo,omitzero"`
	ThreadRootID   string                  `json:"threadRootId,omitzero"`
	CreatedAt      time.Time               `json:"createdAt,omitzero"`
	EditedAt       *time.Time              `json:"editedAt,omitzero"`
	DeletedAt      *time.Time              `json:"deletedAt,omitzero"`
	CommandID      string                  `json:"commandId,omitzero"`
	PinnedAt       *time.Time              `json:"pinnedAt,omitzero"`
	PinnedBy       string                  `json:"pinnedBy,omitzero"`
	Mentions       []string                `json:"mentions,omitzero"`
	MentionAll     string                  `json:"mentionAll,omitzero"`
	Attachments    []attachjson.Attachment `json:"attachments,omitzero"`
}

type wireMember struct {
	ConversationID string     `json:"conversationId,omitzero"`
	UserID         string     `json:"userId,omitzero"`
	Role           string     `json:"role,omitzero"`
	ReadSeq        int64      `json:"readSeq,omitzero"`
	JoinedAt       time.Time  `json:"joinedAt,omitzero"`
	MutedUntil     *time.Time `json:"mutedUntil,omitzero"`
}

type wireConversation struct {
	ID             string        `json:"id,omitzero"`
	Kind           string        `json:"kind,omitzero"`
	Title          string        `json:"title,omitzero"`
	Topic          string        `json:"topic,omitzero"`
	DirectKey      string        `json:"directKey,omitzero"`
	CreatedBy      string        `json:"createdBy,omitzero"`
	LastSeq        int64         `json:"lastSeq,omitzero"`
	CreatedAt      time.Time     `json:"createdAt,omitzero"`
	LastActivityAt time.Time     `json:"lastActivityAt,omitzero"`
	SlowMode       time.Duration `json:"slowMode,omitzero"`
}

type wireResult struct {
	CommandID string      `json:"commandId,omitzero"`
	Message   wireMessage `json:"message,omitzero"`
	Duplicate bool        `json:"duplicate,omitzero"`
	Err       *wireError  `json:"error,omitzero"`
}

type wireError struct {
	Code         string `json:"code,omitzero"`
	Message      string `json:"message,omitzero"`
	Field        string `json:"field,omitzero"`
	RetryAfterNs int64  `json:"retryAfterNs,omitzero"`
}

type wireTyping struct {
	ConversationID string `json:"conversationId,omitzero"`
	UserID         string `json:"userId,omitzero"`
	Typing         bool   `json:"typing,omitzero"`
}

type wireRead struct {
	ConversationID string `json:"conversationId,omitzero"`
	UserID         string `json:"userId,omitzero"`
	Seq            int64  `json:"seq,omitzero"`
}

type wirePresence struct {
	UserID     string    `json:"userId,omitzero"`
	Online     bool      `json:"online,omitzero"`
	LastSeenAt time.Time `json:"lastSeenAt,omitzero"`
}

type wireSession struct {
	UserID    string `json:"userId,omitzero"`
	TokenHash string `json:"tokenHash,omitzero"`
	All       bool   `json:"all,omitzero"`
	Except    string `json:"except,omitzero"`
}

type wireMembership struct {
	UserID         string `json:"userId,omitzero"`
	ConversationID string `json:"conversationId,omitzero"`
	Joined         bool   `json:"joined,omitzero"`
}

// encodeEnvelopes returns the payload of one fan-out message.
func encodeEnvelopes(envs []core.Envelope) ([]byte, error) {
	out := make([]wireEnvelope, len(envs))
	for i, e := range envs {
		out[i] = toWire(e)
	}
	return json.Marshal(out)
}

// decodeEnvelopes parses the payload of one fan-out message.
func decodeEnvelopes(payload string) ([]core.Envelope, error) {
	var in []wireEnvelope
	if err := json.Unmarshal([]byte(payload), &in); err != nil {
		return nil, err
	}
	out := make([]core.Envelope, len(in))
	for i, w := range in {
		out[i] = w.core()
	}
	return out, nil
}

func toWire(e core.Envelope) wireEnvelope {
	var w wireEnvelope
	if v := e.Event; v != nil {
		w.Event = &wireEvent{ConversationID: v.ConversationID, Seq: v.Seq, Type: string(v.Type), At: v.At.UTC(),
			ActorID: v.ActorID}
		if v.Message != nil {
			m := messageToWire(*v.Message)
			w.Event.Message = &m
		}
		if m := v.Member; m != nil {
			w.Event.Member = &wireMember{ConversationID: m.ConversationID, UserID: m.UserID, Role: string(m.Role),
				ReadSeq: m.ReadSeq, JoinedAt: m.JoinedAt.UTC(), MutedUntil: m.MutedUntil}
		}
		if c := v.Conversation; c != nil {
			w.Event.Conversation = &wireConversation{ID: c.ID, Kind: string(c.Kind), Title: c.Title,
				Topic: c.Topic, DirectKey: c.DirectKey, CreatedBy: c.CreatedBy, LastSeq: c.LastSeq,
				CreatedAt: c.CreatedAt.UTC(), LastActivityAt: c.LastActivityAt.UTC(), SlowMode: c.SlowMode}
		}
		if r := v.Reaction; r != nil {
			w.Event.Reaction = &wireReaction{MessageID: r.MessageID, UserID: r.UserID, Emoji: r.Emoji}
		}
	}
	if v := e.Result; v != nil {
		w.Result = &wireResult{CommandID: v.CommandID, Message: messageToWire(v.Message), Duplicate: v.Duplicate}
		if err := v.Err; err != nil {
			w.Result.Err = &wireError{Code: string(err.Code), Message: err.Message, Field: err.Field,
				RetryAfterNs: int64(err.RetryAfter)}
		}
	}
	if v := e.Typing; v != nil {
		w.Typing = &wireTyping{ConversationID: v.ConversationID, UserID: v.UserID, Typing: v.Typing}
	}
	if v := e.Read; v != nil {
		w.Read = &wireRead{ConversationID: v.ConversationID, UserID: v.UserID, Seq: v.Seq}
	}
	if v := e.Presence; v != nil {
		w.Presence = &wirePresence{UserID: v.UserID, Online: v.Online, LastSeenAt: v.LastSeenAt.UTC()}
	}
	if v := e.Membership; v != nil {
		w.Membership = &wireMembership{UserID: v.UserID, ConversationID: v.ConversationID, Joined: v.Joined}
	}
	if v := e.Session; v != nil {
		w.Session = &wireSession{UserID: v.UserID, TokenHash: v.TokenHash, All: v.All, Except: v.Except}
	}
	return w
}

func (w wireEnvelope) core() core.Envelope {
	var e core.Envelope
	if v := w.Event; v != nil {
		e.Event = &core.Event{ConversationID: v.ConversationID, Seq: v.Seq, Type: core.EventType(v.Type), At: v.At,
			ActorID: v.ActorID}
		if v.Message != nil {
			m := v.Message.core()
			e.Event.Message = &m
		}
		if m := v.Member; m != nil {
			e.Event.Member = &core.Member{ConversationID: m.ConversationID, UserID: m.UserID,
				Role: core.Role(m.Role), ReadSeq: m.ReadSeq, JoinedAt: m.JoinedAt, MutedUntil: m.MutedUntil}
		}
		if c := v.Conversation; c != nil {
			e.Event.Conversation = &core.Conversation{ID: c.ID, Kind: core.Kind(c.Kind), Title: c.Title,
				Topic: c.Topic, DirectKey: c.DirectKey, CreatedBy: c.CreatedBy, LastSeq: c.LastSeq,
				CreatedAt: c.CreatedAt, LastActivityAt: c.LastActivityAt, SlowMode: c.SlowMode}
		}
		if r := v.Reaction; r != nil {
			e.Event.Reaction = &core.Reaction{MessageID: r.MessageID, UserID: r.UserID, Emoji: r.Emoji}
		}
	}
	if v := w.Result; v != nil {
		e.Result = &core.SendResult{CommandID: v.CommandID, Message: v.Message.core(), Duplicate: v.Duplicate}
		if err := v.Err; err != nil {
			e.Result.Err = &core.Error{Code: core.Code(err.Code), Message: err.Message, Field: err.Field,
				RetryAfter: time.Duration(err.RetryAfterNs)}
		}
	}
	if v := w.Typing; v != nil {
		e.Typing = &core.Typing{ConversationID: v.ConversationID, UserID: v.UserID, Typing: v.Typing}
	}
	if v := w.Read; v != nil {
		e.Read = &core.ReadReceipt{ConversationID: v.ConversationID, UserID: v.UserID, Seq: v.Seq}
	}
	if v := w.Presence; v != nil {
		e.Presence = &core.Presence{UserID: v.UserID, Online: v.Online, LastSeenAt: v.LastSeenAt}
	}
	if v := w.Membership; v != nil {
		e.Membership = &core.MembershipChange{UserID: v.UserID, ConversationID: v.ConversationID, Joined: v.Joined}
	}
	if v := w.Session; v != nil {
		e.Session = &core.SessionEnded{UserID: v.UserID, TokenHash: v.TokenHash, All: v.All, Except: v.Except}
	}
	return e
}

func messageToWire(m core.Message) wireMessage {
	return wireMessage{ID: m.ID, ConversationID: m.ConversationID, Seq: m.Seq, SenderID: m.SenderID,
		ClientMsgID: m.ClientMsgID, Body: m.Body, ReplyTo: m.ReplyTo, ThreadRootID: m.ThreadRootID, CreatedAt: m.CreatedAt.UTC(),
		EditedAt: utcPtr(m.EditedAt), DeletedAt: utcPtr(m.DeletedAt), CommandID: m.CommandID,
		PinnedAt: utcPtr(m.PinnedAt), PinnedBy: m.PinnedBy, Mentions: m.Mentions, MentionAll: m.MentionAll,
		Attachments: attachjson.From(m.Attachments)}
}

func (w wireMessage) core() core.Message {
	return core.Message{ID: w.ID, ConversationID: w.ConversationID, Seq: w.Seq, SenderID: w.SenderID,
		ClientMsgID: w.ClientMsgID, Body: w.Body, ReplyTo: w.ReplyTo, ThreadRootID: w.ThreadRootID, CreatedAt: w.CreatedAt,
		EditedAt: w.EditedAt, DeletedAt: w.DeletedAt, CommandID: w.CommandID, PinnedAt: w.PinnedAt, PinnedBy: w.PinnedBy,
		Mentions: w.Mentions, MentionAll: w.MentionAll, Attachments: attachjson.To(w.Attachments)}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
