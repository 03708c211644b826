package socketio

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"sync"

	"github.com/zishang520/socket.io/v3/pkg/types"
)

// A broadcast is encoded once, whoever receives it: the JSON once, the Socket.IO packet once and the websocket
// frame once. Sockets on the websocket transport share the frame's bytes (see wsTransport); the rare socket
// still on HTTP long-polling gets the same packet through the library (see conn.deliver).

// Websocket opcodes (RFC 6455 §5.2).
const (
	opText   = 0x1
	opBinary = 0x2
)

// maxFrameHeader is the longest header of an unmasked server frame: 2 bytes plus a 64-bit length.
const maxFrameHeader = 10

// frameHeader writes the header of a final, unmasked frame of n payload bytes into the end of dst (which must
// hold maxFrameHeader bytes) and returns where it starts.
func frameHeader(dst []byte, op byte, n int) int {
	switch {
	case n < 126:
		dst[8], dst[9] = 0x80|op, byte(n)
		return 8
	case n <= 0xffff:
		dst[6], dst[7] = 0x80|op, 126
		binary.BigEndian.PutUint16(dst[8:], uint16(n))
		return 6
	default:
		dst[0], dst[1] = 0x80|op, 127
		binary.BigEndian.PutUint64(dst[2:], uint64(n))
		return 0
	}
}

// frameOf returns payload as one complete websocket frame, in a new slice.
func frameOf(op byte, payload []byte) []byte {
	var hdr [maxFrameHeader]byte
	at := frameHeader(hdr[:], op, len(payload))
	out := make([]byte, 0, maxFrameHeader-at+len(payload))
	return append(append(out, hdr[at:]...), payload...)
}

// encoded is one server → client Socket.IO event, encoded.
type encoded struct {
	frame []byte // the websocket frame: header, then the engine.io MESSAGE "4" and the Socket.IO EVENT "2[...]"
	at    int    // where frame's payload starts
}

// poll returns the Socket.IO packet for the library's write path (it adds the engine.io type itself).
func (p encoded) poll() types.BufferInterface {
	return types.NewStringBuffer(p.frame[p.at+1:])
}

// encoders reuse buffers across broadcasts; an encoded packet gets one exact-size allocation of its own.
var encoders = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// encodeEvent encodes the Socket.IO event `name` with one argument: 42["name",<json>].
func encodeEvent(name string, arg any) (encoded, error) {
	buf := encoders.Get().(*bytes.Buffer)
	defer encoders.Put(buf)
	buf.Reset()
	buf.Write(make([]byte, maxFrameHeader)) // room for the header, filled in once the length is known
	buf.WriteString(`42["`)
	buf.WriteString(name) // event names are constants without characters to escape
	buf.WriteString(`",`)
	if err := json.NewEncoder(buf).Encode(arg); err != nil {
		return encoded{}, err
	}
	buf.Truncate(buf.Len() - 1) // Encode's newline
	buf.WriteByte(']')
	b := buf.Bytes()
	at := frameHeader(b[:maxFrameHeader], opText, len(b)-maxFrameHeader)
	frame := append([]byte(nil), b[at:]...)
	return encoded{frame: frame, at: maxFrameHeader - at}, nil
}
