package socketio

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"github.com/zishang520/socket.io/servers/socket/v3"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
)

// Client → server payloads. Field names are the contract's (camelCase); unknown fields are refused.

type sendPayload struct {
	ConversationID string   `json:"conversationId"`
	ClientMsgID    string   `json:"clientMsgId"`
	Body           string   `json:"body"`
	ReplyTo        string   `json:"replyTo,omitempty"`
	ThreadRootID   string   `json:"threadRootId,omitempty"`
	AttachmentIDs  []string `json:"attachmentIds,omitempty"`
}

type editPayload struct {
	ConversationID string `json:"conversationId"`
	MessageID      string `json:"messageId"`
	Body           string `json:"body"`
}

type deletePayload struct {
	ConversationID string `json:"conversationId"`
	MessageID      string `json:"messageId"`
}

type reactPayload struct {
	ConversationID string `json:"conversationId"`
	MessageID      string `json:"messageId"`
	Emoji          string `json:"emoji"`
}

type readPayload struct {
	ConversationID string `json:"conversationId"`
	Seq            *int64 `json:"seq"`
}

type typingPayload struct {
	ConversationID string `json:"conversationId"`
	Typing         *bool  `json:"typing"`
}

type syncPayload struct {
	Cursors map[string]int64 `json:"cursors"`
	Limit   int              `json:"limit,omitempty"`
}

// Server → client payloads.

type ackOK struct {
	OK       bool            `json:"ok"`
	Message  *schema.Message `json:"message,omitempty"`
	Accepted bool            `json:"accepted,omitempty"`
}

type ackSync struct {
	OK        bool           `json:"ok"`
	Events    []schema.Event `json:"events"`
	Truncated []string       `json:"truncated"`
}

type ackError struct {
	OK    bool      `json:"ok"`
	Error errorInfo `json:"error"`
}

type errorInfo struct {
	Code         string `json:"code"`
	Message      string `json:"message"`
	RetryAfterMs int64  `json:"retryAfterMs,omitempty"`
}

type typingOut struct {
	ConversationID string `json:"conversationId"`
	UserID         string `json:"userId"`
	Typing         bool   `json:"typing"`
}

type readOut struct {
	ConversationID string `json:"conversationId"`
	UserID         string `json:"userId"`
	Seq            int64  `json:"seq"`
}

// errorBody is the ack of a refused request; it is the only place core codes become socket error codes.
func errorBody(err error) ackError {
	e := core.AsError(err)
	msg := e.Message
	if e.Code == core.CodeInternal {
		msg = "internal error" // the cause is logged, never sent
	}
	return ackError{Error: errorInfo{Code: string(e.Code), Message: msg, RetryAfterMs: e.RetryAfter.Milliseconds()}}
}

// splitArgs separates a client event's payload from its ack callback (nil when the client wants none).
func splitArgs(args []any) (payload any, ack socket.Ack) {
	if n := len(args); n > 0 {
		if fn, ok := args[n-1].(socket.Ack); ok {
			ack, args = fn, args[:n-1]
		} else if fn, ok := args[n-1].(func([]any, error)); ok {
			ack, args = fn, args[:n-1]
		}
	}
	if len(args) > 0 {
		payload = args[0]
	}
	return payload, ack
}

// decode converts a client payload into v, strictly: it must be an object, of the right types, with no unknown
// fields. Its re-encoding goes through JSON because that is what the client sent.
func decode(payload any, v any) error {
	obj, ok := payload.(map[string]any)
	if !ok {
		return core.Invalid("payload", "payload must be an object")
	}
	names := fieldNames(reflect.TypeOf(v).Elem())
	for k := range obj { // encoding/json matches names in any case: the contract's are exact
		if !names[k] {
			return core.Invalid("payload", "unknown field %q", k)
		}
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return core.Invalid("payload", "payload is not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if ok := asType(err, &te); ok {
			got := te.Value
			if got == "bool" { // encoding/json names JSON values Go's way
				got = "boolean"
			}
			return core.Invalid(te.Field, "%s: expected %s, got %s", te.Field, schema.JSONType(te.Type), got)
		}
		return core.Invalid("payload", "%s", cleanJSONError(err))
	}
	return nil
}

// payloadFields caches the JSON names of each payload struct's fields.
var payloadFields sync.Map // reflect.Type -> map[string]bool

// fieldNames returns the JSON names of the fields of struct type t.
func fieldNames(t reflect.Type) map[string]bool {
	if m, ok := payloadFields.Load(t); ok {
		return m.(map[string]bool)
	}
	m := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case name != "":
			m[name] = true
		case f.IsExported():
			m[f.Name] = true
		}
	}
	payloadFields.Store(t, m)
	return m
}

func asType(err error, target **json.UnmarshalTypeError) bool {
	te, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*target = te
	}
	return ok
}

// cleanJSONError keeps the decoder's description (e.g. unknown field "x") without Go type names.
func cleanJSONError(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

// required reports a missing string field.
func required(field, v string) error {
	if v == "" {
		return core.Invalid(field, "%s is required", field)
	}
	return nil
}
