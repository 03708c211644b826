package sio

import (
	"bufio"
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serverFrame is a frame as a server writes it: FIN set, unmasked.
func serverFrame(op byte, p []byte) []byte { return AppendFrame(nil, op, p, [4]byte{}, false) }

// rawFrame builds a frame by hand, for shapes AppendFrame never writes (fragments, reserved bits).
func rawFrame(b0 byte, p []byte) []byte {
	out := []byte{b0}
	switch n := len(p); {
	case n <= 125:
		out = append(out, byte(n))
	case n <= 0xffff:
		out = append(out, 126, byte(n>>8), byte(n))
	default:
		out = append(out, 127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, p...)
}

func reader(b []byte, size int) *FrameReader {
	return NewFrameReader(bufio.NewReaderSize(bytes.NewReader(b), size))
}

func TestFrameRoundTrip(t *testing.T) {
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	cases := []struct {
		name   string
		size   int // payload bytes
		masked bool
		op     byte
	}{
		{"empty text", 0, false, OpText},
		{"7-bit length", 125, false, OpText},
		{"16-bit length", 126, false, OpText},
		{"16-bit max", 65535, false, OpBinary},
		{"64-bit length", 65536, false, OpBinary},
		{"bigger than the read buffer", 100_000, false, OpText},
		{"masked 7-bit", 11, true, OpText},
		{"masked 16-bit", 300, true, OpText},
		{"masked 64-bit", 70_000, true, OpBinary},
		{"ping", 5, false, OpPing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			payload := make([]byte, c.size)
			for i := range payload {
				payload[i] = byte(i*7 + 3)
			}
			wire := AppendFrame(nil, c.op, payload, key, c.masked)
			if c.masked && c.size > 0 {
				assert.NotEqual(t, payload, wire[len(wire)-c.size:], "the payload is masked on the wire")
			}
			fin, op, got, err := reader(wire, 4096).Frame()
			require.NoError(t, err)
			assert.True(t, fin)
			assert.Equal(t, c.op, op)
			assert.Equal(t, payload, got)
		})
	}
}

func TestMaskingIsItsOwnInverse(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for n := range 40 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		orig := append([]byte{}, b...)
		pos := maskBytes(key, 0, b)
		assert.Equal(t, n%4, pos)
		for i := range b {
			assert.Equal(t, orig[i]^key[i%4], b[i], "n=%d i=%d", n, i)
		}
		maskBytes(key, 0, b)
		assert.Equal(t, orig, b)
	}
}

func TestMessageReassemblesFragmentsAroundControlFrames(t *testing.T) {
	var wire []byte
	wire = append(wire, rawFrame(OpText, []byte("hel"))...) // FIN clear: first fragment
	wire = append(wire, serverFrame(OpPing, []byte("p1"))...)
	wire = append(wire, rawFrame(OpContinuation, []byte("lo "))...)
	wire = append(wire, rawFrame(0x80|OpContinuation, []byte("world"))...)
	wire = append(wire, serverFrame(OpText, []byte("next"))...)
	wire = append(wire, serverFrame(OpClose, []byte{0x03, 0xe8})...)
	fr := reader(wire, 64)
	var controls []string
	control := func(op byte, p []byte) error {
		controls = append(controls, string([]byte{'0' + op})+string(p))
		return nil
	}
	op, p, err := fr.Message(control)
	require.NoError(t, err)
	assert.Equal(t, OpText, op)
	assert.Equal(t, "hello world", string(p))
	_, p, err = fr.Message(control)
	require.NoError(t, err)
	assert.Equal(t, "next", string(p))
	_, _, err = fr.Message(control)
	assert.ErrorIs(t, err, io.EOF, "a close frame ends the stream")
	assert.Equal(t, []string{string([]byte{'0' + OpPing}) + "p1", string([]byte{'0' + OpClose}) + "\x03\xe8"}, controls)
}

func TestProtocolErrors(t *testing.T) {
	cases := []struct {
		name string
		wire []byte
	}{
		{"reserved bits", rawFrame(0x80|0x40|OpText, []byte("x"))},
		{"control frame too long", rawFrame(0x80|OpPing, make([]byte, 126))},
		{"fragmented control frame", rawFrame(OpPing, []byte("x"))},
		{"continuation without a message", rawFrame(0x80|OpContinuation, []byte("x"))},
		{"new message inside a fragmented one", append(rawFrame(OpText, []byte("a")), rawFrame(0x80|OpText, []byte("b"))...)},
		{"unknown opcode", rawFrame(0x80|0x3, []byte("x"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := reader(c.wire, 4096).Message(nil)
			assert.ErrorIs(t, err, ErrProtocol)
		})
	}
	t.Run("truncated payload", func(t *testing.T) {
		wire := serverFrame(OpText, []byte("hello"))
		_, _, err := reader(wire[:len(wire)-2], 4096).Message(nil)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	})
	t.Run("clean end between frames", func(t *testing.T) {
		_, _, err := reader(nil, 4096).Message(nil)
		assert.ErrorIs(t, err, io.EOF)
	})
}

// BenchmarkFrameReader is the per-delivery cost of reading frames from a buffer: no allocation in steady state.
func BenchmarkFrameReader(b *testing.B) {
	frame := serverFrame(OpText, []byte(sampleFrame))
	wire := bytes.Repeat(frame, 1000)
	src := bytes.NewReader(wire)
	fr := NewFrameReader(bufio.NewReaderSize(src, 4096))
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, _, err := fr.Message(nil); err == io.EOF {
			src.Reset(wire)
			continue
		} else if err != nil {
			b.Fatal(err)
		}
	}
}
