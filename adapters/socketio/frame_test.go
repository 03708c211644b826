package socketio

import (
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFrameHeaderLengths(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 1 << 20} {
		frame := frameOf(opText, make([]byte, n))
		require.Equal(t, byte(0x81), frame[0], "FIN + text, n=%d", n)
		switch {
		case n < 126:
			assert.Equal(t, byte(n), frame[1])
			assert.Len(t, frame, 2+n)
		case n <= 0xffff:
			assert.Equal(t, byte(126), frame[1])
			assert.Equal(t, uint16(n), binary.BigEndian.Uint16(frame[2:]))
			assert.Len(t, frame, 4+n)
		default:
			assert.Equal(t, byte(127), frame[1])
			assert.Equal(t, uint64(n), binary.BigEndian.Uint64(frame[2:]))
			assert.Len(t, frame, 10+n)
		}
	}
}

func TestEncodeEventIsOneFrameOfTheSocketIOPacket(t *testing.T) {
	t.Parallel()
	for _, size := range []int{10, 200, 70000} {
		arg := map[string]string{"body": string(make([]byte, size))}
		p, err := encodeEvent("event", arg)
		require.NoError(t, err)
		js, err := json.Marshal(arg)
		require.NoError(t, err)
		want := `42["event",` + string(js) + `]`
		assert.Equal(t, want, string(p.frame[p.at:]), "payload")
		assert.Equal(t, frameOf(opText, []byte(want)), p.frame, "header")
		assert.Equal(t, want[1:], p.poll().String(), "the packet the library writes for long-polling")
	}
}

func TestSplitWritten(t *testing.T) {
	t.Parallel()
	mk := func() []outFrame {
		return []outFrame{{b: []byte("aaaa")}, {b: []byte("bb")}, {b: []byte("cccccc")}}
	}
	for _, tc := range []struct {
		n          int
		done       int
		restFirst  string
		restLength int
	}{
		{0, 0, "aaaa", 3}, {3, 0, "a", 3}, {4, 1, "bb", 2}, {5, 1, "b", 2}, {6, 2, "cccccc", 1}, {11, 2, "c", 1}, {12, 3, "", 0},
	} {
		done, rest := splitWritten(mk(), tc.n)
		assert.Len(t, done, tc.done, "n=%d", tc.n)
		require.Len(t, rest, tc.restLength, "n=%d", tc.n)
		if len(rest) > 0 {
			assert.Equal(t, tc.restFirst, string(rest[0].b), "n=%d", tc.n)
		}
	}
}
