package sio

import (
	"bytes"
	"strconv"
	"time"
)

// EventPrefix starts every `event` frame the server sends: engine.io MESSAGE (4), Socket.IO EVENT (2), the
// default namespace and no ack id, then the JSON array whose first element is the event name.
const EventPrefix = `42["event",`

// Marker starts the stamp the bench puts in every message body it sends.
const Marker = "bench:"

// Stamp is what a bench message carries in its body: when it was sent (Unix nanoseconds, this machine's
// clock, which every process here shares) and the tag of the measurement step it belongs to.
type Stamp struct {
	Sent int64
	Tag  uint32
}

// ParseStamp finds the stamp `bench:<sent>:<tag>:` in a frame by byte scanning (no JSON decoding: this runs
// for every delivery).
func ParseStamp(frame []byte) (Stamp, bool) {
	i := bytes.Index(frame, []byte(Marker))
	if i < 0 {
		return Stamp{}, false
	}
	p := frame[i+len(Marker):]
	sent, n := parseUint(p)
	if n == 0 || n >= len(p) || p[n] != ':' {
		return Stamp{}, false
	}
	p = p[n+1:]
	tag, n := parseUint(p)
	if n == 0 || n >= len(p) || p[n] != ':' || tag > 1<<32-1 {
		return Stamp{}, false
	}
	return Stamp{Sent: int64(sent), Tag: uint32(tag)}, true
}

// parseUint parses the leading decimal digits of p (at most 19) and returns the value and how many bytes it
// used (0: none).
func parseUint(p []byte) (uint64, int) {
	var v uint64
	i := 0
	for ; i < len(p) && i < 19; i++ {
		c := p[i]
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + uint64(c-'0')
	}
	return v, i
}

const (
	convField = `"conversationId":"`
	seqField  = `"seq":`
)

// ScanEvent returns the conversation id and seq of an event frame: the first "conversationId" and "seq"
// members, which are the event's own (the message inside an event repeats both). conv aliases frame.
func ScanEvent(frame []byte) (conv []byte, seq int64, ok bool) {
	i := bytes.Index(frame, []byte(convField))
	if i < 0 {
		return nil, 0, false
	}
	rest := frame[i+len(convField):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return nil, 0, false
	}
	conv = rest[:j]
	// The event's seq follows its conversationId (rest.Event's field order); searching from there skips the
	// frame's many earlier quotes.
	rest = rest[j:]
	k := bytes.Index(rest, []byte(seqField))
	if k < 0 {
		return nil, 0, false
	}
	v, n := parseUint(rest[k+len(seqField):])
	if n == 0 {
		return nil, 0, false
	}
	return conv, int64(v), true
}

// ParseAck splits a Socket.IO ACK packet as the server sends it, `43<id>[...]`, into the id and the JSON
// array of arguments.
func ParseAck(p []byte) (id uint64, args []byte, ok bool) {
	if len(p) < 3 || p[0] != '4' || p[1] != '3' {
		return 0, nil, false
	}
	id, n := parseUint(p[2:])
	if n == 0 || 2+n >= len(p) || p[2+n] != '[' {
		return 0, nil, false
	}
	return id, p[2+n:], true
}

// AppendBody appends a message body of exactly size bytes (at least the stamp's length): the stamp, then
// padding. The padding is plain ASCII so that JSON leaves it as it is.
func AppendBody(dst []byte, sent time.Time, tag uint32, size int) []byte {
	start := len(dst)
	dst = append(dst, Marker...)
	dst = strconv.AppendInt(dst, sent.UnixNano(), 10)
	dst = append(dst, ':')
	dst = strconv.AppendUint(dst, uint64(tag), 10)
	dst = append(dst, ':')
	for len(dst)-start < size {
		dst = append(dst, 'x')
	}
	return dst
}

// AppendSend appends the Socket.IO packet of a message:send with ack id: `42<id>["message:send",{...}]`. Ids
// and bodies made by the bench need no JSON escaping.
func AppendSend(dst []byte, ackID uint64, conversationID, clientMsgID string, body []byte) []byte {
	dst = append(dst, '4', '2')
	dst = strconv.AppendUint(dst, ackID, 10)
	dst = append(dst, `["message:send",{"conversationId":"`...)
	dst = append(dst, conversationID...)
	dst = append(dst, `","clientMsgId":"`...)
	dst = append(dst, clientMsgID...)
	dst = append(dst, `","body":"`...)
	dst = append(dst, body...)
	return append(dst, `"}]`...)
}

// AppendEmit appends `42<id>["<event>",<payload>]`; payload is JSON.
func AppendEmit(dst []byte, ackID uint64, event string, payload []byte) []byte {
	dst = append(dst, '4', '2')
	dst = strconv.AppendUint(dst, ackID, 10)
	dst = append(dst, '[', '"')
	dst = append(dst, event...)
	dst = append(dst, '"', ',')
	dst = append(dst, payload...)
	return append(dst, ']')
}
