package socketio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clientFrame is a frame as a client sends it: masked with key.
func clientFrame(fin bool, op byte, payload []byte, key [4]byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	var out []byte
	switch n := len(payload); {
	case n < 126:
		out = []byte{b0, 0x80 | byte(n)}
	case n <= 0xffff:
		out = []byte{b0, 0x80 | 126, 0, 0}
		binary.BigEndian.PutUint16(out[2:], uint16(n))
	default:
		out = []byte{b0, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0}
		binary.BigEndian.PutUint64(out[2:], uint64(n))
	}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i&3])
	}
	return out
}

// got records what the reader hands on, as "op:payload" lines.
type got struct{ items []string }

func (g *got) message(op byte, p []byte) { g.items = append(g.items, fmt.Sprintf("msg%d:%s", op, p)) }
func (g *got) control(op byte, p []byte) { g.items = append(g.items, fmt.Sprintf("ctl%d:%s", op, p)) }

var key = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// feed hands data to a reader in the chunks given, as reads would: what parse leaves is kept for the next.
func feed(t *testing.T, r *frameReader, limit int, chunks ...[]byte) (*got, error) {
	t.Helper()
	g := &got{}
	var buf []byte
	for _, c := range chunks {
		buf = append(buf, c...)
		consumed, need, err := r.parse(buf, limit, g)
		if err != nil {
			return g, err
		}
		if need > 0 {
			require.Greater(t, need, len(buf)-consumed, "need counts the whole frame that is still incomplete")
		}
		buf = buf[consumed:]
	}
	require.Empty(t, buf, "every byte was a complete frame")
	return g, nil
}

func TestFrameReaderMessages(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 300)    // a 16-bit length
	huge := bytes.Repeat([]byte("y"), 70_000) // a 64-bit length
	var stream []byte
	stream = append(stream, clientFrame(true, opText, []byte("42[\"sync\",{}]"), key)...)
	stream = append(stream, clientFrame(true, opBinary, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, key)...)
	stream = append(stream, clientFrame(false, opText, []byte("he"), key)...)
	stream = append(stream, clientFrame(true, opPing, []byte("p"), key)...) // control frames may interleave
	stream = append(stream, clientFrame(false, opContinuation, []byte("ll"), key)...)
	stream = append(stream, clientFrame(true, opContinuation, []byte("o"), key)...)
	stream = append(stream, clientFrame(true, opText, long, key)...)
	stream = append(stream, clientFrame(true, opPong, nil, key)...)
	stream = append(stream, clientFrame(true, opText, huge, key)...)
	want := []string{`msg1:42["sync",{}]`, "msg2:\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", "ctl9:p", "msg1:hello",
		"msg1:" + string(long), "ctl10:", "msg1:" + string(huge)}

	g, err := feed(t, &frameReader{}, 100_000, stream)
	require.NoError(t, err)
	assert.Equal(t, want, g.items, "all at once")

	// Split anywhere: reads end wherever TCP segments do.
	for _, size := range []int{1, 2, 3, 7, 13, 100, 4096} {
		var chunks [][]byte
		for b := stream; len(b) > 0; {
			n := min(size, len(b))
			chunks = append(chunks, append([]byte(nil), b[:n]...))
			b = b[n:]
		}
		g, err := feed(t, &frameReader{}, 100_000, chunks...)
		require.NoError(t, err)
		assert.Equal(t, want, g.items, "in chunks of %d", size)
	}
}

func TestFrameReaderRefuses(t *testing.T) {
	unmasked := clientFrame(true, opText, []byte("hi"), key)
	unmasked[1] &^= 0x80
	reserved := clientFrame(true, opText, []byte("hi"), key)
	reserved[0] |= 0x40
	var bigPieces []byte
	bigPieces = append(bigPieces, clientFrame(false, opText, bytes.Repeat([]byte("a"), 600), key)...)
	bigPieces = append(bigPieces, clientFrame(true, opContinuation, bytes.Repeat([]byte("a"), 600), key)...)

	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"an unmasked frame", unmasked, errProtocol},
		{"reserved bits", reserved, errProtocol},
		{"an unknown opcode", clientFrame(true, 0x3, []byte("x"), key), errProtocol},
		{"a continuation of nothing", clientFrame(true, opContinuation, []byte("x"), key), errProtocol},
		{"a message inside a fragmented one", append(clientFrame(false, opText, []byte("a"), key),
			clientFrame(true, opText, []byte("b"), key)...), errProtocol},
		{"a fragmented control frame", clientFrame(false, opPing, []byte("x"), key), errProtocol},
		{"a control frame over 125 bytes", clientFrame(true, opPing, bytes.Repeat([]byte("x"), 126), key), errProtocol},
		{"a message over the limit", clientFrame(true, opText, bytes.Repeat([]byte("a"), 1025), key), errTooBig},
		{"fragments over the limit together", bigPieces, errTooBig},
		{"a close frame", clientFrame(true, opClose, []byte{0x03, 0xe8}, key), errClientDone},
		{"a text message that is not UTF-8", clientFrame(true, opText, []byte("caf\xe9"), key), errBadText},
		{"fragments that are not UTF-8 together", append(clientFrame(false, opText, []byte("caf\xc3"), key),
			clientFrame(true, opContinuation, []byte("x"), key)...), errBadText},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := feed(t, &frameReader{}, 1024, tc.data)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

func TestFrameReaderRefusesAnOversizedFrameFromItsHeader(t *testing.T) {
	// The header alone says it is too big: the reader must not wait for (or buffer) its payload.
	hdr := clientFrame(true, opBinary, bytes.Repeat([]byte("z"), 70_000), key)[:14]
	_, _, err := (&frameReader{}).parse(hdr, 65_536, &got{})
	assert.ErrorIs(t, err, errTooBig)
}

func TestCloseReplyEchoesTheStatus(t *testing.T) {
	r := &frameReader{}
	_, _, err := r.parse(clientFrame(true, opClose, []byte{0x03, 0xe8, 'b', 'y', 'e'}, key), 1024, &got{})
	require.ErrorIs(t, err, errClientDone)
	assert.Equal(t, []byte{0x88, 2, 0x03, 0xe8}, closeReply(r.closePayload))
	assert.Equal(t, []byte{0x88, 0}, closeReply(nil))
}

func TestUnmaskMatchesTheBytewiseDefinition(t *testing.T) {
	for n := range 40 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i * 7)
		}
		want := make([]byte, n)
		for i := range b {
			want[i] = b[i] ^ key[i%4]
		}
		unmask(b, key[:])
		assert.Equal(t, want, b, "length %d", n)
	}
}
