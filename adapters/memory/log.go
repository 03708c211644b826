package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var (
	_ ports.CommandLog      = (*Log)(nil)
	_ ports.CommandConsumer = (*Log)(nil)
)

// Defaults of LogConfig, and the longest wait between redeliveries of a failing batch.
const (
	DefaultLogCapacity     = 10000
	DefaultLogMaxBatch     = 100
	DefaultLogRetryBackoff = 100 * time.Millisecond
	maxLogRetryBackoff     = 5 * time.Second
)

// LogConfig configures a Log. Zero (or negative) fields take the defaults.
type LogConfig struct {
	// Capacity is how many appended commands may wait unacknowledged.
	Capacity int
	// MaxBatch is the most commands handed to one handle call.
	MaxBatch int
	// RetryBackoff is the wait before a failed batch is delivered again; it doubles with each consecutive
	// failure, up to 5s.
	RetryBackoff time.Duration
	// FailWhenFull makes Append fail at once with core.ErrUnavailable when the log is full, instead of
	// waiting for room (or for its ctx to end).
	FailWhenFull bool
}

func (c LogConfig) withDefaults() LogConfig {
	if c.Capacity <= 0 {
		c.Capacity = DefaultLogCapacity
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = DefaultLogMaxBatch
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = DefaultLogRetryBackoff
	}
	return c
}

// Log is an in-process command log: one bounded FIFO queue, consumed by one Consume call at a time (a second
// one waits for the first to return, like an idle member of a Kafka consumer group). Since every command
// goes through one queue, per-conversation order is simply append order.
//
// Log is NOT durable: commands not yet acknowledged are lost when the process exits. A caller that needs
// a durable ack must wait for the consumer's commit (in standalone, the SQLite transaction) instead of
// treating a successful Append as one.
type Log struct {
	cfg      LogConfig
	consumer chan struct{} // holds a token while a Consume call runs

	mu      sync.Mutex
	queue   []core.SendCommand // unacknowledged commands, oldest first; a batch in flight is its head
	changed chan struct{}      // closed (and replaced) whenever queue changes
}

// NewLog returns an empty log.
func NewLog(cfg LogConfig) *Log {
	return &Log{cfg: cfg.withDefaults(), consumer: make(chan struct{}, 1), changed: make(chan struct{})}
}

// Append queues cmds, all at once and in order. When the log lacks room for them it waits for the consumer
// to make some, or fails with core.ErrUnavailable if so configured or when ctx ends. A call larger than the
// capacity is accepted once the log is empty.
func (l *Log) Append(ctx context.Context, cmds ...core.SendCommand) error {
	if len(cmds) == 0 {
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return core.Wrap(core.CodeUnavailable, err, "command log: append abandoned")
		}
		l.mu.Lock()
		if len(l.queue) == 0 || len(l.queue)+len(cmds) <= l.cfg.Capacity {
			l.queue = append(l.queue, cmds...)
			l.notifyLocked()
			l.mu.Unlock()
			return nil
		}
		wait := l.changed
		l.mu.Unlock()
		if l.cfg.FailWhenFull {
			return core.Errorf(core.CodeUnavailable, "command log is full")
		}
		select {
		case <-wait:
		case <-ctx.Done():
		}
	}
}

// Len returns how many commands wait unacknowledged.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue)
}

// Consume hands batches of up to MaxBatch commands to handle until ctx ends, then returns nil. A batch that
// fails is handed again, unchanged, after a backoff; a batch in flight when ctx ends stays queued for the
// next Consume call. The ctx given to handle is ctx.
func (l *Log) Consume(ctx context.Context, handle func(ctx context.Context, batch []core.SendCommand) error) error {
	select {
	case l.consumer <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	defer func() { <-l.consumer }()

	backoff, size := l.cfg.RetryBackoff, l.cfg.MaxBatch
	for ctx.Err() == nil {
		batch, wait := l.peek(size)
		if len(batch) == 0 {
			select {
			case <-wait:
			case <-ctx.Done():
			}
			continue
		}
		if err := handle(ctx, batch); err != nil {
			// Redeliver exactly the same commands: the queue's head is unchanged, as nobody else takes from it.
			size = len(batch)
			if !logSleep(ctx, backoff) {
				break
			}
			backoff = min(2*backoff, maxLogRetryBackoff)
			continue
		}
		l.ack(len(batch))
		backoff, size = l.cfg.RetryBackoff, l.cfg.MaxBatch
	}
	return nil
}

// peek copies up to n commands from the head of the queue, or returns a channel closed on the next change.
func (l *Log) peek(n int) ([]core.SendCommand, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queue) == 0 {
		return nil, l.changed
	}
	return slices.Clone(l.queue[:min(n, len(l.queue))]), nil
}

// ack removes the n oldest commands.
func (l *Log) ack(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.queue[:n]) // let the strings go
	l.queue = l.queue[n:]
	if len(l.queue) == 0 {
		l.queue = nil // start a fresh backing array rather than keep the old one
	}
	l.notifyLocked()
}

func (l *Log) notifyLocked() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// logSleep waits for d and reports whether ctx is still live.
func logSleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
