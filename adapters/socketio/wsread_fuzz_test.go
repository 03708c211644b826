package socketio

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"unicode/utf8"
)

// fuzzFrameEvents records what a frameReader hands on, with the checks that hold for every call: a text message is
// UTF-8, a message is within the limit, a control frame is a ping or pong of at most 125 bytes.
type fuzzFrameEvents struct {
	t     *testing.T
	limit int
	items []string
}

func (h *fuzzFrameEvents) message(op byte, p []byte) {
	if op != opText && op != opBinary {
		h.t.Fatalf("message of opcode %d", op)
	}
	if op == opText && !utf8.Valid(p) {
		h.t.Fatalf("a text message that is not UTF-8 was delivered: %q", p)
	}
	if len(p) > h.limit {
		h.t.Fatalf("a message of %d bytes was delivered over the limit of %d", len(p), h.limit)
	}
	h.items = append(h.items, fmt.Sprintf("msg%d:%x", op, p))
}

func (h *fuzzFrameEvents) control(op byte, p []byte) {
	if op != opPing && op != opPong || len(p) > maxControlPayload {
		h.t.Fatalf("control frame of opcode %d, %d bytes", op, len(p))
	}
	h.items = append(h.items, fmt.Sprintf("ctl%d:%x", op, p))
}

// fuzzReadFrames runs a frameReader over data arriving in reads of at most chunk bytes, keeping what parse leaves
// for the next read as the transport does, and checks parse's accounting on the way.
func fuzzReadFrames(t *testing.T, data []byte, limit, chunk int) ([]string, *frameReader, error) {
	longest := 2 + 4 + 8 + max(limit, maxControlPayload) // the largest frame parse may wait for
	r := &frameReader{}
	h := &fuzzFrameEvents{t: t, limit: limit}
	var buf []byte
	for at := 0; at < len(data); {
		n := min(chunk, len(data)-at)
		buf = append(buf, data[at:at+n]...)
		at += n
		consumed, need, err := r.parse(buf, limit, h)
		if consumed < 0 || consumed > len(buf) {
			t.Fatalf("parse consumed %d of %d bytes", consumed, len(buf))
		}
		if err != nil {
			return h.items, r, err
		}
		if need != 0 && need <= len(buf)-consumed {
			t.Fatalf("parse needs %d bytes for a frame but left %d unparsed", need, len(buf)-consumed)
		}
		if need > longest {
			t.Fatalf("parse waits for a %d-byte frame over the limit of %d", need, limit)
		}
		buf = buf[consumed:]
	}
	if len(buf) >= longest {
		t.Fatalf("%d bytes left unparsed: more than any frame within the limit", len(buf))
	}
	return h.items, r, nil
}

// FuzzFrameReader feeds the websocket frame reader arbitrary client bytes: it never panics, it delivers only
// what RFC 6455 allows (UTF-8 text, messages within the limit, short unfragmented pings and pongs), errors are
// one of its four reasons, and how the bytes are split into reads changes nothing.
func FuzzFrameReader(f *testing.F) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	frame := func(fin bool, op byte, p []byte) []byte {
		b := fuzzMaskFrame(op, p, key)
		if !fin {
			b[0] &^= 0x80
		}
		return b
	}
	cat := func(fs ...[]byte) []byte { return bytes.Join(fs, nil) }
	f.Add(frame(true, opText, []byte(`42["message:send",{"conversationId":"c","clientMsgId":"k","body":"hi"}]`)), uint16(1024), uint8(255))
	f.Add(cat(frame(false, opText, []byte("he")), frame(true, opPing, []byte("p")), frame(true, opContinuation, []byte("llo"))), uint16(1024), uint8(2))
	f.Add(frame(true, opBinary, bytes.Repeat([]byte{0xab}, 300)), uint16(1024), uint8(7))
	f.Add(frame(true, opText, []byte("caf\xe9")), uint16(1024), uint8(255))
	f.Add(cat(frame(false, opText, []byte("caf\xc3")), frame(true, opContinuation, []byte("\xa9"))), uint16(1024), uint8(3))
	f.Add(frame(true, opClose, []byte{0x03, 0xe8, 'b', 'y', 'e'}), uint16(1024), uint8(1))
	f.Add(frame(true, opText, bytes.Repeat([]byte("a"), 200)), uint16(100), uint8(255))
	f.Add([]byte{0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}, uint16(1024), uint8(255)) // 2^63-byte frame
	f.Add([]byte{0x81, 0x02, 'h', 'i'}, uint16(1024), uint8(255))                                                   // unmasked
	f.Add(frame(false, opPing, nil), uint16(1024), uint8(255))
	f.Fuzz(func(t *testing.T, data []byte, limit16 uint16, chunk8 uint8) {
		limit, chunk := int(limit16), int(chunk8)+1
		whole, r, errWhole := fuzzReadFrames(t, slices.Clone(data), limit, len(data)+1)
		split, _, errSplit := fuzzReadFrames(t, slices.Clone(data), limit, chunk)
		if !slices.Equal(whole, split) || errSplit != errWhole {
			t.Fatalf("reads of %d bytes give %q, %v; one read gives %q, %v", chunk, split, errSplit, whole, errWhole)
		}
		switch {
		case errWhole == nil:
		case errors.Is(errWhole, errClientDone):
			if len(r.closePayload) > maxControlPayload {
				t.Fatalf("close payload of %d bytes", len(r.closePayload))
			}
			reply := closeReply(r.closePayload)
			if len(reply) != 2 && len(reply) != 4 || reply[0] != 0x88 {
				t.Fatalf("close reply %x", reply)
			}
		case errors.Is(errWhole, errProtocol), errors.Is(errWhole, errTooBig), errors.Is(errWhole, errBadText):
		default:
			t.Fatalf("unexpected error %v", errWhole)
		}
	})
}

// FuzzFrameRoundTrip sends a message the way a client may, masked and cut into fragments with pings between
// them: the reader gives back exactly that message (text that is not UTF-8 excepted, which is refused), and
// the pings.
func FuzzFrameRoundTrip(f *testing.F) {
	f.Add([]byte(`42["sync",{"cursors":{}}]`), true, []byte{0x37, 0xfa, 0x21, 0x3d}, uint8(0), uint8(1))
	f.Add([]byte("hello, Zoë 李 😀"), true, []byte{1, 2, 3, 4}, uint8(3), uint8(2))
	f.Add([]byte("caf\xc3\xa9"), true, []byte{0, 0, 0, 0}, uint8(4), uint8(1)) // é split across fragments
	f.Add([]byte("caf\xe9"), true, []byte{9, 9, 9, 9}, uint8(0), uint8(1))
	f.Add(bytes.Repeat([]byte{0, 0xff}, 150), false, []byte{0xde, 0xad, 0xbe, 0xef}, uint8(200), uint8(5))
	f.Add([]byte{}, false, []byte{1, 2, 3, 4}, uint8(0), uint8(3))
	f.Fuzz(func(t *testing.T, msg []byte, text bool, key []byte, cut, step uint8) {
		if len(key) < 4 || len(msg) > 1<<14 { // long messages only slow the fuzzer: TestFrameReaderMessages has them
			return
		}
		op := byte(opBinary)
		if text {
			op = opText
		}
		k := [4]byte(key[:4])
		// Fragments: cut bytes first (maybe none), then pieces of step+1 bytes.
		var stream []byte
		var pieces [][]byte
		rest := msg
		for first := true; first || len(rest) > 0; first = false {
			n := int(step) + 1
			if first {
				n = int(cut)
			}
			n = min(n, len(rest))
			pieces, rest = append(pieces, rest[:n]), rest[n:]
		}
		for i, p := range pieces {
			fop := byte(opContinuation)
			if i == 0 {
				fop = op
			}
			fr := fuzzMaskFrame(fop, p, k)
			if i < len(pieces)-1 {
				fr[0] &^= 0x80
				stream = append(stream, fuzzMaskFrame(opPing, []byte{byte(i)}, k)...)
			}
			stream = append(stream, fr...)
		}
		limit := len(msg)
		got, _, err := fuzzReadFrames(t, stream, limit, 1+int(step)%17)
		pings := len(pieces) - 1
		if text && !utf8.Valid(msg) {
			if !errors.Is(err, errBadText) || len(got) != pings {
				t.Fatalf("text that is not UTF-8: got %q, %v", got, err)
			}
			return
		}
		want := fmt.Sprintf("msg%d:%x", op, msg)
		if err != nil || len(got) != pings+1 || got[len(got)-1] != want {
			t.Fatalf("%d fragments of %d bytes: got %d items (last %.80q), %v", len(pieces), len(msg), len(got), got[max(len(got)-1, 0):], err)
		}
		// One byte under the limit, the same stream is too big.
		if limit > 0 {
			if _, _, err := fuzzReadFrames(t, stream, limit-1, len(stream)+1); !errors.Is(err, errTooBig) {
				t.Fatalf("a %d-byte message under a limit of %d: %v", len(msg), limit-1, err)
			}
		}
	})
}
