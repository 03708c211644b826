package loadgen

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/scalechat/scalechat/test/bench/hist"
	"github.com/scalechat/scalechat/test/bench/sio"
)

func newTestWorker() *Worker {
	w := &Worker{groups: map[string][]*sock{}, steps: map[uint32]*sendStep{}}
	w.lat[0], w.lat[1] = hist.NewSharded(4), hist.NewSharded(4)
	return w
}

// deliveryFrame is a scalechat event frame for a message with a bench stamp.
func deliveryFrame(conv string, seq int64, sent time.Time, tag uint32) []byte {
	t := sio.SampleTemplate()
	t.ConversationID, t.Seq = conv, seq
	return sio.AppendEventFrame(nil, t, sio.AppendBody(nil, sent, tag, 100))
}

func TestEventCounting(t *testing.T) {
	w := newTestWorker()
	s := &sock{w: w, checkSeq: true}
	w.arm(ArmArgs{Tag: 5, UntilNs: time.Now().Add(time.Hour).UnixNano()})
	now := time.Now()
	s.event(deliveryFrame("c1", 10, now.Add(-3*time.Millisecond), 5))                      // live
	s.event(deliveryFrame("c1", 11, now, 4))                                               // another step's: late
	s.event(deliveryFrame("c1", 11, now, 5))                                               // same seq again: a duplicate
	s.event(deliveryFrame("c1", 14, now, 5))                                               // 12 and 13 never came: gaps
	s.event(deliveryFrame("c2", 1, now, 5))                                                // another conversation starts afresh
	s.event([]byte(`42["presence",{"userId":"u"}]`))                                       // not an event
	s.event([]byte(`42["event",{"conversationId":"c1","seq":15,"type":"member.joined"}]`)) // no stamp
	assert.Equal(t, uint64(3), s.live[5&3].Load())
	assert.Equal(t, uint64(1), s.late.Load())
	assert.Equal(t, uint64(1), s.dups.Load())
	assert.Equal(t, uint64(2), s.gaps.Load())
	assert.Equal(t, uint64(2), s.other.Load())
	assert.Equal(t, uint64(7), s.frames.Load())
	h := w.lat[5&1].Snapshot()
	assert.Equal(t, uint64(3), h.Count())
	assert.GreaterOrEqual(t, h.Max(), int64(3*time.Millisecond))

	// After the deadline nothing is live any more.
	w.arm(ArmArgs{Tag: 6, UntilNs: time.Now().Add(-time.Second).UnixNano()})
	s.event(deliveryFrame("c2", 2, time.Now(), 6))
	assert.Zero(t, s.live[6&3].Load())
	assert.Equal(t, uint64(2), s.late.Load())
}

func TestRawEventsSkipTheSeqCheck(t *testing.T) {
	w := newTestWorker()
	s := &sock{w: w, raw: true, checkSeq: true}
	w.arm(ArmArgs{Tag: 1, UntilNs: time.Now().Add(time.Hour).UnixNano()})
	f := deliveryFrame("c", 1, time.Now(), 1) // the baseline relays the same frame to everyone
	s.event(f)
	s.event(f)
	s.event([]byte("bench:" + strconv.FormatInt(time.Now().UnixNano(), 10) + ":1:" + strings.Repeat("x", 10)))
	assert.Equal(t, uint64(3), s.live[1].Load())
	assert.Zero(t, s.dups.Load())
}

// BenchmarkEvent is the load generator's whole per-delivery cost once a frame is in memory: prefix check,
// stamp and seq scanning, the clock, the live test, counters and the latency histogram. It must not allocate.
func BenchmarkEvent(b *testing.B) {
	w := newTestWorker()
	s := &sock{w: w, checkSeq: true}
	w.arm(ArmArgs{Tag: 3, UntilNs: time.Now().Add(time.Hour).UnixNano()})
	frames := make([][]byte, 1024)
	for i := range frames {
		frames[i] = deliveryFrame("01a23c74-509a-7dcf-9b43-e76da37554a2", int64(i+1), time.Now(), 3)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(frames[0])))
	i := 0
	for b.Loop() {
		if i == len(frames) {
			i = 0
			s.lastConvLen = 0 // a fresh history, so the seqs start over without counting as duplicates
		}
		s.event(frames[i])
		i++
	}
	if s.live[3].Load() == 0 || s.dups.Load() != 0 {
		b.Fatalf("live %d dups %d", s.live[3].Load(), s.dups.Load())
	}
}
