package sio

import (
	"strconv"
	"time"
)

// EventTemplate describes a message.created event frame as scalechat emits it (rest.Event with its message;
// the bench mirrors the shape rather than import the server's packages, which may change under it).
type EventTemplate struct {
	ConversationID string // a UUID
	SenderID       string
	MessageID      string
	ClientMsgID    string
	Seq            int64
	At             time.Time
}

// SampleTemplate has the sizes of a typical bench delivery: UUIDs of 36 characters, a 5-digit seq, a
// timestamp with microseconds, a clientMsgId as the bench makes them.
func SampleTemplate() EventTemplate {
	const id = "0193a5c2-7d4e-7b8a-9c1d-2e3f4a5b6c7d"
	return EventTemplate{ConversationID: id, SenderID: id, MessageID: id, ClientMsgID: "m12-3-4567",
		Seq: 12345, At: time.Date(2025, 12, 3, 15, 4, 5, 123000000, time.UTC)}
}

// AppendEventFrame appends the `42["event",{...}]` text the server would deliver for a message with body.
// The baseline target sends exactly such frames, so that both targets move the same bytes per delivery and
// the generator parses them with the same code.
func AppendEventFrame(dst []byte, t EventTemplate, body []byte) []byte {
	at := t.At.UTC().Format(time.RFC3339Nano)
	dst = append(dst, EventPrefix...)
	dst = append(dst, `{"conversationId":"`...)
	dst = append(dst, t.ConversationID...)
	dst = append(dst, `","seq":`...)
	dst = strconv.AppendInt(dst, t.Seq, 10)
	dst = append(dst, `,"type":"message.created","at":"`...)
	dst = append(dst, at...)
	dst = append(dst, `","actorId":"`...)
	dst = append(dst, t.SenderID...)
	dst = append(dst, `","data":{"message":{"id":"`...)
	dst = append(dst, t.MessageID...)
	dst = append(dst, `","conversationId":"`...)
	dst = append(dst, t.ConversationID...)
	dst = append(dst, `","seq":`...)
	dst = strconv.AppendInt(dst, t.Seq, 10)
	dst = append(dst, `,"senderId":"`...)
	dst = append(dst, t.SenderID...)
	dst = append(dst, `","clientMsgId":"`...)
	dst = append(dst, t.ClientMsgID...)
	dst = append(dst, `","body":"`...)
	dst = append(dst, body...)
	dst = append(dst, `","createdAt":"`...)
	dst = append(dst, at...)
	return append(dst, `"}}}]`...)
}
