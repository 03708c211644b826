package sio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// WebSocket opcodes (RFC 6455 §5.2).
const (
	OpContinuation byte = 0x0
	OpText         byte = 0x1
	OpBinary       byte = 0x2
	OpClose        byte = 0x8
	OpPing         byte = 0x9
	OpPong         byte = 0xA
)

// MaxMessage bounds a reassembled message; the server's own limit (64 KiB) is far below it.
const MaxMessage = 16 << 20

// ErrProtocol reports a frame that breaks RFC 6455.
var ErrProtocol = errors.New("websocket: protocol error")

// FrameReader reads WebSocket frames from a buffered reader and reassembles fragmented messages. A payload
// that fits the reader's buffer is returned as a slice of that buffer (no copy, no allocation); a bigger one,
// or a fragmented message, goes through a scratch buffer that is kept and reused.
type FrameReader struct {
	r       *bufio.Reader
	scratch []byte // big frames
	msg     []byte // a fragmented message being reassembled
	inMsg   bool   // a fragmented message is open
	msgOp   byte
}

// NewFrameReader reads frames from r.
func NewFrameReader(r *bufio.Reader) *FrameReader { return &FrameReader{r: r} }

// Frame reads one frame and returns its FIN bit, opcode and unmasked payload. The payload is valid until the
// next call.
func (fr *FrameReader) Frame() (fin bool, op byte, payload []byte, err error) {
	h, err := fr.r.Peek(2)
	if err != nil {
		return false, 0, nil, err
	}
	fin, op = h[0]&0x80 != 0, h[0]&0x0f
	if h[0]&0x70 != 0 {
		return false, 0, nil, fmt.Errorf("%w: reserved bits set (no extension was negotiated)", ErrProtocol)
	}
	masked := h[1]&0x80 != 0
	n := uint64(h[1] & 0x7f)
	hdr := 2
	switch n {
	case 126:
		hdr = 4
	case 127:
		hdr = 10
	}
	if masked {
		hdr += 4
	}
	if hdr > 2 {
		if h, err = fr.r.Peek(hdr); err != nil {
			return false, 0, nil, err
		}
		switch n {
		case 126:
			n = uint64(binary.BigEndian.Uint16(h[2:4]))
		case 127:
			n = binary.BigEndian.Uint64(h[2:10])
		}
	}
	var key [4]byte
	if masked {
		copy(key[:], h[hdr-4:hdr])
	}
	if _, err := fr.r.Discard(hdr); err != nil {
		return false, 0, nil, err
	}
	if op >= 0x8 && (n > 125 || !fin) {
		return false, 0, nil, fmt.Errorf("%w: control frame of %d bytes or fragmented", ErrProtocol, n)
	}
	if n > MaxMessage {
		return false, 0, nil, fmt.Errorf("%w: frame of %d bytes", ErrProtocol, n)
	}
	if int(n) <= fr.r.Size() {
		if payload, err = fr.r.Peek(int(n)); err != nil {
			return false, 0, nil, noEOF(err)
		}
		_, _ = fr.r.Discard(int(n))
	} else {
		if cap(fr.scratch) < int(n) {
			fr.scratch = make([]byte, n)
		}
		payload = fr.scratch[:n]
		if _, err := io.ReadFull(fr.r, payload); err != nil {
			return false, 0, nil, noEOF(err)
		}
	}
	if masked {
		maskBytes(key, 0, payload)
	}
	return fin, op, payload, nil
}

// Message reads frames until a whole data message (text or binary) is in, and returns its opcode and payload
// (valid until the next call). Control frames met on the way are passed to control, which may answer them
// (a ping) and must not keep the payload; a close frame ends the read with io.EOF after control saw it.
func (fr *FrameReader) Message(control func(op byte, payload []byte) error) (op byte, payload []byte, err error) {
	for {
		fin, fop, p, err := fr.Frame()
		if err != nil {
			return 0, nil, err
		}
		switch fop {
		case OpPing, OpPong, OpClose:
			if control != nil {
				if err := control(fop, p); err != nil {
					return 0, nil, err
				}
			}
			if fop == OpClose {
				return 0, nil, io.EOF
			}
		case OpText, OpBinary:
			if fr.inMsg {
				return 0, nil, fmt.Errorf("%w: new message inside a fragmented one", ErrProtocol)
			}
			if fin {
				return fop, p, nil
			}
			fr.inMsg, fr.msgOp, fr.msg = true, fop, append(fr.msg[:0], p...)
		case OpContinuation:
			if !fr.inMsg {
				return 0, nil, fmt.Errorf("%w: continuation without a message", ErrProtocol)
			}
			if len(fr.msg)+len(p) > MaxMessage {
				return 0, nil, fmt.Errorf("%w: message over %d bytes", ErrProtocol, MaxMessage)
			}
			fr.msg = append(fr.msg, p...)
			if fin {
				fr.inMsg = false
				return fr.msgOp, fr.msg, nil
			}
		default:
			return 0, nil, fmt.Errorf("%w: opcode %#x", ErrProtocol, fop)
		}
	}
}

// noEOF turns an EOF in the middle of a frame into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// AppendFrame appends one final (FIN) frame with opcode op and payload to dst. A non-zero key masks the
// payload as a client must (RFC 6455 §5.3); a zero key writes an unmasked, server-style frame (tests only).
func AppendFrame(dst []byte, op byte, payload []byte, key [4]byte, masked bool) []byte {
	b1 := byte(0)
	if masked {
		b1 = 0x80
	}
	n := len(payload)
	switch {
	case n <= 125:
		dst = append(dst, 0x80|op, b1|byte(n))
	case n <= 0xffff:
		dst = append(dst, 0x80|op, b1|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|op, b1|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	if !masked {
		return append(dst, payload...)
	}
	dst = append(dst, key[:]...)
	start := len(dst)
	dst = append(dst, payload...)
	maskBytes(key, 0, dst[start:])
	return dst
}

// maskBytes XORs b with the masking key, starting at key position pos; masking twice restores the input.
// Eight bytes at a time: masking is the only per-byte work of a send.
func maskBytes(key [4]byte, pos int, b []byte) int {
	if len(b) >= 8 {
		var k [8]byte
		for i := range k {
			k[i] = key[(pos+i)&3]
		}
		kw := binary.LittleEndian.Uint64(k[:])
		for len(b) >= 8 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^kw)
			b = b[8:]
		}
	}
	for i := range b {
		b[i] ^= key[pos&3]
		pos++
	}
	return pos & 3
}
