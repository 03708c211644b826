package kafka

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/scalechat/scalechat/adapters/internal/attachjson"
	"github.com/scalechat/scalechat/core"
)

// commandVersion is the encoding version this build writes and the newest it reads. Adding an optional field
// keeps the version (older readers ignore unknown fields); any other change bumps it, and a reader meeting a
// version newer than its own stops instead of guessing (see Consumer).
const commandVersion = 1

// wireCommand is a core.SendCommand as stored in a record's value. It is private to this adapter: other
// producers must go through it (or match it exactly), never through core types.
type wireCommand struct {
	V              int                     `json:"v"`
	ID             string                  `json:"id"`
	Origin         string                  `json:"origin,omitempty"`
	ConversationID string                  `json:"conversationId"`
	SenderID       string                  `json:"senderId"`
	MessageID      string                  `json:"messageId"`
	ClientMsgID    string                  `json:"clientMsgId"`
	Body           string                  `json:"body"`
	ReplyTo        string                  `json:"replyTo,omitempty"`
	ThreadRootID   string                  `json:"threadRootId,omitempty"` // added within version 1: older readers ignore it
	Mentions       []string                `json:"mentions,omitempty"`     // added within version 1: older readers ignore it
	MentionAll     string                  `json:"mentionAll,omitempty"`   // likewise
	Attachments    []attachjson.Attachment `json:"attachments,omitempty"`  // likewise
	At             time.Time               `json:"at"`
}

// errUndecodable marks a record that is not a command at all (a poison pill): it is logged and skipped.
var errUndecodable = errors.New("kafka: record is not an encoded send command")

// errTooNew marks a command written by a newer build: skipping it would lose it, so the consumer stops.
var errTooNew = errors.New("kafka: command encoded by a newer version")

func encodeCommand(c core.SendCommand) ([]byte, error) {
	return json.Marshal(wireCommand{
		V: commandVersion, ID: c.ID, Origin: c.Origin, ConversationID: c.ConversationID, SenderID: c.SenderID,
		MessageID: c.MessageID, ClientMsgID: c.ClientMsgID, Body: c.Body, ReplyTo: c.ReplyTo, ThreadRootID: c.ThreadRootID, At: c.At.UTC(),
		Mentions: c.Mentions, MentionAll: c.MentionAll, Attachments: attachjson.From(c.Attachments),
	})
}

func decodeCommand(b []byte) (core.SendCommand, error) {
	var w wireCommand
	if err := json.Unmarshal(b, &w); err != nil {
		return core.SendCommand{}, fmt.Errorf("%w: %v", errUndecodable, err)
	}
	switch {
	case w.V > commandVersion:
		return core.SendCommand{}, fmt.Errorf("%w: version %d, this build reads up to %d", errTooNew, w.V, commandVersion)
	case w.V < 1 || w.ID == "" || w.ConversationID == "":
		return core.SendCommand{}, fmt.Errorf("%w: version, id or conversation id missing", errUndecodable)
	}
	return core.SendCommand{
		ID: w.ID, Origin: w.Origin, ConversationID: w.ConversationID, SenderID: w.SenderID, MessageID: w.MessageID,
		ClientMsgID: w.ClientMsgID, Body: w.Body, ReplyTo: w.ReplyTo, ThreadRootID: w.ThreadRootID, At: w.At, Mentions: w.Mentions,
		MentionAll: w.MentionAll, Attachments: attachjson.To(w.Attachments),
	}, nil
}
