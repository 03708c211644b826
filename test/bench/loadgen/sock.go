package loadgen

import (
	"bytes"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scalechat/scalechat/test/bench/sio"
)

// sock is one socket of the load generator and everything counted on it. Its counters are written only by
// the reading goroutine of its current connection (atomics, so that the worker can sum them at any time).
type sock struct {
	w        *Worker
	key      int // shard key for the latency histogram
	target   Socket
	raw      bool
	checkSeq bool

	conn atomic.Pointer[sio.Conn]

	live       [4]atomic.Uint64 // live deliveries by tag modulo 4 (reset when a step is armed)
	late       atomic.Uint64
	other      atomic.Uint64
	dups       atomic.Uint64
	gaps       atomic.Uint64
	frames     atomic.Uint64
	deliveries atomic.Uint64
	frameLen   atomic.Int64

	// Only the reading goroutine touches these (connections of a sock never read at the same time: a resume
	// waits for the old one to end).
	lastConv    [64]byte
	lastConvLen int
	lastSeq     int64

	amu     sync.Mutex // guards pending: sends and acks, never deliveries
	pending map[uint64]pendingAck
}

// pendingAck is a message:send waiting for its ack.
type pendingAck struct {
	sent   int64 // Unix ns
	step   *sendStep
	sender int // index in the step's senders
}

// Event, Ack and Closed make a sock the sio.Handler of its connections.

// Event counts a received frame.
func (s *sock) Event(frame []byte) { s.event(frame) }

// Ack settles a message:send.
func (s *sock) Ack(id uint64, args []byte) { s.ack(id, args) }

// Closed records the end of a connection: every connection that opened is closed exactly once.
func (s *sock) Closed(err error) {
	s.w.connected.Add(-1)
	if err != nil {
		s.w.serverClosed.Add(1)
	}
}

// event counts one received frame. This is the per-delivery path: byte scanning, atomics, no allocation.
func (s *sock) event(frame []byte) {
	s.frames.Add(1)
	if !s.raw && !bytes.HasPrefix(frame, []byte(sio.EventPrefix)) {
		s.other.Add(1) // presence, typing, read
		return
	}
	st, ok := sio.ParseStamp(frame)
	if !ok {
		s.other.Add(1) // an event without a bench stamp: a join, another client's message
		return
	}
	now := time.Now().UnixNano()
	if s.checkSeq && !s.raw {
		if conv, seq, ok := sio.ScanEvent(frame); ok && len(conv) <= len(s.lastConv) {
			if s.lastConvLen == len(conv) && bytes.Equal(s.lastConv[:s.lastConvLen], conv) {
				if seq <= s.lastSeq {
					s.dups.Add(1)
					return
				}
				if seq > s.lastSeq+1 {
					s.gaps.Add(uint64(seq - s.lastSeq - 1))
				}
			} else {
				s.lastConvLen = copy(s.lastConv[:], conv)
			}
			s.lastSeq = seq
		}
	}
	s.deliveries.Add(1)
	s.frameLen.Store(int64(len(frame)))
	w := s.w
	if st.Tag == w.tag.Load() && now <= w.until.Load() {
		s.live[st.Tag&3].Add(1)
		w.lat[st.Tag&1].Record(s.key, now-st.Sent)
		return
	}
	s.late.Add(1)
}

// ack settles a pending message:send. Acks are few (one per message, not per delivery): decoding is fine.
func (s *sock) ack(id uint64, args []byte) {
	s.w.acked.Add(1)
	s.amu.Lock()
	p, ok := s.pending[id]
	delete(s.pending, id)
	s.amu.Unlock()
	if !ok {
		s.w.lateAcks.Add(1) // timed out already, or not ours
		return
	}
	var body []struct {
		OK       bool `json:"ok"`
		Accepted bool `json:"accepted"`
		Error    struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	code := ""
	if err := json.Unmarshal(args, &body); err != nil || len(body) == 0 {
		code = "malformed_ack"
	} else if !body[0].OK {
		code = body[0].Error.Code
		if code == "" {
			code = "unknown"
		}
	}
	p.step.acked(p, code, len(body) > 0 && body[0].Accepted, time.Now().UnixNano()-p.sent)
}

// counts is a snapshot of a sock's step counters.
type counts struct{ late, other, dups, gaps uint64 }

func (s *sock) counts() counts {
	return counts{s.late.Load(), s.other.Load(), s.dups.Load(), s.gaps.Load()}
}
