package socketio

import (
	"encoding/binary"
	"errors"

	"github.com/scalechat/scalechat/adapters/schema"
)

// The read side of a websocket is scalechat's too (RFC 6455 §5): the transport reads client frames from the
// connection itself, so that an idle socket needs neither a goroutine blocked in a read nor a read buffer (see
// poller). The handshake stays gorilla/websocket's, run by the library.

// More websocket opcodes (RFC 6455 §5.2; text and binary are in frame.go).
const (
	opContinuation = 0x0
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
)

// maxControlPayload is the largest payload of a control frame (RFC 6455 §5.5).
const maxControlPayload = 125

// Why a frame reader stops. Each closes the connection; the close reason says which.
var (
	errProtocol   = errors.New("websocket protocol error")
	errTooBig     = errors.New("websocket message larger than the limit")
	errBadText    = errors.New("websocket text message that is not UTF-8")
	errClientDone = errors.New("websocket closed by the client")
)

// frameReader turns the bytes a client sent into messages. What it keeps between reads is rare state: the
// start of a frame not yet complete, and the fragments of a message sent in pieces. An idle socket has neither.
type frameReader struct {
	pending []byte // bytes of an incomplete frame, kept from the last read
	frag    []byte // payload of a fragmented message so far
	fragOp  byte   // its opcode (text or binary); 0 when no fragmented message is under way
	// closePayload is the payload of the client's close frame, to echo (RFC 6455 §5.5.1).
	closePayload []byte
}

// frameHandler receives complete messages and control frames. payload is only valid during the call.
type frameHandler interface {
	message(op byte, payload []byte)
	control(op byte, payload []byte)
}

// parse consumes the complete frames at the front of data, unmasking them in place, and hands each complete
// message and control frame to h. It returns how many bytes it consumed and, when the frame that follows
// is incomplete but its header is not, how many bytes that frame needs in all. limit bounds a message's
// payload. After a close frame it returns errClientDone; after a text message that is not UTF-8, errBadText
// (RFC 6455 §8.1); after anything else RFC 6455 forbids, errProtocol.
func (r *frameReader) parse(data []byte, limit int, h frameHandler) (consumed, need int, err error) {
	for {
		rest := data[consumed:]
		if len(rest) < 2 {
			return consumed, 0, nil
		}
		b0, b1 := rest[0], rest[1]
		fin, op := b0&0x80 != 0, b0&0x0f
		if b0&0x70 != 0 || b1&0x80 == 0 { // reserved bits (no extension is negotiated), or an unmasked frame
			return consumed, 0, errProtocol
		}
		hdr, n := 2, uint64(b1&0x7f)
		switch n {
		case 126:
			if len(rest) < 4 {
				return consumed, 0, nil
			}
			hdr, n = 4, uint64(binary.BigEndian.Uint16(rest[2:]))
		case 127:
			if len(rest) < 10 {
				return consumed, 0, nil
			}
			hdr, n = 10, binary.BigEndian.Uint64(rest[2:])
		}
		control := op&0x8 != 0
		switch {
		case control && (!fin || n > maxControlPayload):
			return consumed, 0, errProtocol
		case !control && n > uint64(limit-len(r.frag)):
			return consumed, 0, errTooBig
		}
		total := hdr + 4 + int(n)
		if len(rest) < total {
			return consumed, total, nil
		}
		payload := rest[hdr+4 : total]
		unmask(payload, rest[hdr:hdr+4])
		consumed += total

		switch op {
		case opText, opBinary:
			if r.fragOp != 0 {
				return consumed, 0, errProtocol // a new message inside a fragmented one
			}
			if fin {
				if err := deliver(h, op, payload); err != nil {
					return consumed, 0, err
				}
			} else {
				r.fragOp, r.frag = op, append([]byte(nil), payload...)
			}
		case opContinuation:
			if r.fragOp == 0 {
				return consumed, 0, errProtocol
			}
			r.frag = append(r.frag, payload...)
			if fin {
				op, msg := r.fragOp, r.frag
				r.fragOp, r.frag = 0, nil
				if err := deliver(h, op, msg); err != nil {
					return consumed, 0, err
				}
			}
		case opPing, opPong:
			h.control(op, payload)
		case opClose:
			r.closePayload = append([]byte(nil), payload...)
			return consumed, 0, errClientDone
		default:
			return consumed, 0, errProtocol
		}
	}
}

// deliver hands a complete message to h; a text message must be UTF-8 (RFC 6455 §8.1), and must not escape
// half a UTF-16 surrogate pair (the JSON decoder would turn it into U+FFFD): either closes the socket (1007).
func deliver(h frameHandler, op byte, msg []byte) error {
	if op == opText && schema.TextProblem(msg) != "" {
		return errBadText
	}
	h.message(op, msg)
	return nil
}

// unmask applies a client frame's mask key to its payload (RFC 6455 §5.3).
func unmask(b, key []byte) {
	if len(b) >= 8 {
		k := binary.LittleEndian.Uint32(key)
		k8 := uint64(k) | uint64(k)<<32
		for len(b) >= 8 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k8)
			b = b[8:]
		}
		// the 8-byte steps kept the key's phase: what is left starts at key[0]
	}
	for i := range b {
		b[i] ^= key[i&3]
	}
}

// closeReply is the close frame that answers a client's: its status code echoed (RFC 6455 §5.5.1), or none
// when it sent none.
func closeReply(clientPayload []byte) []byte {
	if len(clientPayload) >= 2 {
		return frameOf(opClose, clientPayload[:2])
	}
	return frameOf(opClose, nil)
}
