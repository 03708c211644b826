package kafka

import (
	"context"
	"errors"
	"slices"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var _ ports.CommandConsumer = (*Consumer)(nil)

// Consumer reads the topic as a member of the workers' consumer group: the ports.CommandConsumer of workers.
//
// Every Consume call is one group member with a reader of its own: the group splits the partitions between
// all members (of this process and others) and moves them when members come and go. Delivery is
// at-least-once:
//
//   - A batch is up to MaxBatch commands, those that arrive within BatchLinger of the first one, each within
//     BatchGap of the one before, possibly from several partitions. Its offsets are committed only after
//     handle returned nil for it.
//   - When handle fails, the same batch is handed again, after a doubling backoff, until handle succeeds or
//     ctx ends; a batch is never skipped.
//   - Commands whose batch was not committed (handle still running when ctx ended, the process died, the
//     partition moved to another member during a rebalance, the commit failed) are delivered again from the
//     group's committed offsets — to the next Consume call or to whichever member owns the partition then.
//
// A partition is read in offset order and its batches are handled one after another, so the commands of a
// conversation (one partition, see Log) reach a member in the order appended; redeliveries may repeat
// commands already handled, never reorder first deliveries. While a partition moves, its old owner may still
// be handling a batch that the new owner receives again: for a moment two members may handle the same
// commands, each in order; the sequencer's dedupe and per-conversation transactions make that harmless.
//
// A record that is not an encoded command at all (a poison pill: invalid JSON, missing version or id) can
// never succeed: it is logged at error level with its partition and offset and committed with its batch,
// without reaching handle. A command encoded by a newer build of this adapter is not skipped, since that would
// lose it: Consume handles and commits the commands before it, then returns an error, so that the operator
// upgrades this worker while the group hands the partition to the others.
type Consumer struct {
	cfg Config
}

// NewConsumer returns a Consumer of cfg.Topic in the consumer group cfg.GroupID (required).
func NewConsumer(cfg Config) (*Consumer, error) {
	cfg, err := cfg.Validate()
	if err != nil {
		return nil, err
	}
	if cfg.GroupID == "" {
		return nil, core.Invalid("groupId", "kafka: a consumer group id is required")
	}
	return &Consumer{cfg: cfg}, nil
}

// Consume joins the group and hands batches to handle until ctx ends, then leaves the group and returns nil.
// It returns an error only for a command it must not skip (see Consumer). The ctx given to handle is ctx.
func (c *Consumer) Consume(ctx context.Context, handle func(ctx context.Context, batch []core.SendCommand) error) error {
	if ctx.Err() != nil {
		return nil
	}
	r := kafkago.NewReader(c.readerConfig())
	defer func() {
		// Leaves the group, so that the partitions move to the other members at once.
		if err := r.Close(); err != nil {
			c.cfg.Logger.Warn("kafka: closing the consumer failed", "topic", c.cfg.Topic, "err", err)
		}
	}()
	for {
		msgs, err := c.fetch(ctx, r)
		if ctx.Err() != nil {
			return nil // what was fetched stays uncommitted and goes to the next owner of its partition
		}
		if err != nil {
			// The reader keeps retrying by itself (joining the group, reaching the leaders); report and wait.
			c.cfg.Logger.Warn("kafka: fetching commands failed", "topic", c.cfg.Topic, "group", c.cfg.GroupID, "err", err)
			if !sleep(ctx, c.cfg.RetryBackoff) {
				return nil
			}
			continue
		}
		cmds, n, fatal := c.decode(msgs)
		if len(cmds) > 0 && !c.deliver(ctx, handle, cmds) {
			return nil
		}
		c.commit(ctx, r, msgs[:n])
		if fatal != nil {
			return fatal
		}
	}
}

func (c *Consumer) readerConfig() kafkago.ReaderConfig {
	return kafkago.ReaderConfig{
		Brokers:           c.cfg.Brokers,
		GroupID:           c.cfg.GroupID,
		Topic:             c.cfg.Topic,
		Dialer:            &kafkago.Dialer{Timeout: dialTimeout, ClientID: "scalechat"},
		QueueCapacity:     c.cfg.MaxBatch,
		MinBytes:          1,
		MaxBytes:          fetchMaxBytes,
		MaxWait:           fetchMaxWait,
		StartOffset:       kafkago.FirstOffset, // a new group reads what was appended before it existed
		CommitInterval:    0,                   // synchronous commits: CommitMessages returns once committed
		HeartbeatInterval: c.cfg.HeartbeatInterval,
		SessionTimeout:    c.cfg.SessionTimeout,
		RebalanceTimeout:  c.cfg.RebalanceTimeout,
		JoinGroupBackoff:  joinGroupBackoff,
		ReadLagInterval:   -1,
		Logger:            debugLogger(c.cfg.Logger, "kafka reader"),
		ErrorLogger:       warnLogger(c.cfg.Logger, "kafka reader"),
	}
}

// fetch waits for one record, then gathers more while they keep coming: until none came for BatchGap,
// BatchLinger after the first, or MaxBatch.
func (c *Consumer) fetch(ctx context.Context, r *kafkago.Reader) ([]kafkago.Message, error) {
	m, err := r.FetchMessage(ctx)
	if err != nil {
		return nil, err
	}
	msgs := []kafkago.Message{m}
	end := time.Now().Add(c.cfg.BatchLinger)
	for len(msgs) < c.cfg.MaxBatch {
		wait := min(c.cfg.BatchGap, time.Until(end))
		if wait <= 0 {
			break
		}
		gap, cancel := context.WithTimeout(ctx, wait)
		m, err := r.FetchMessage(gap)
		expired := gap.Err() != nil
		cancel()
		if err != nil {
			if !expired {
				c.cfg.Logger.Warn("kafka: fetching commands failed", "topic", c.cfg.Topic, "group", c.cfg.GroupID, "err", err)
			}
			break // a fetch cancelled by the gap consumes nothing
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// decode turns records into commands, skipping poison pills. It stops at a command of a newer encoding: n is
// the number of records covered (to commit) and fatal says why it stopped.
func (c *Consumer) decode(msgs []kafkago.Message) (cmds []core.SendCommand, n int, fatal error) {
	cmds = make([]core.SendCommand, 0, len(msgs))
	for i, m := range msgs {
		cmd, err := decodeCommand(m.Value)
		switch {
		case errors.Is(err, errTooNew):
			c.cfg.Logger.Error("kafka: stopping at a command of a newer encoding; upgrade this worker",
				"topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", err)
			return cmds, i, core.Wrap(core.CodeInternal, err, "kafka: cannot read a command written by a newer version")
		case err != nil:
			c.cfg.Logger.Error("kafka: skipping an undecodable record", "topic", m.Topic, "partition", m.Partition,
				"offset", m.Offset, "key", string(m.Key), "err", err)
		default:
			cmds = append(cmds, cmd)
		}
	}
	return cmds, len(msgs), nil
}

// deliver hands cmds to handle until it succeeds, and reports false when ctx ended first.
func (c *Consumer) deliver(ctx context.Context, handle func(context.Context, []core.SendCommand) error, cmds []core.SendCommand) bool {
	backoff := c.cfg.RetryBackoff
	for attempt := 1; ; attempt++ {
		err := handle(ctx, slices.Clone(cmds)) // a clone, so that a handler's edits do not change a redelivery
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		c.cfg.Logger.Warn("kafka: handling a batch failed; it will be delivered again", "topic", c.cfg.Topic,
			"commands", len(cmds), "attempt", attempt, "backoff", backoff, "err", err)
		if !sleep(ctx, backoff) {
			return false
		}
		backoff = min(2*backoff, maxRetryBackoff)
	}
}

// commit commits the offsets of msgs, even when ctx just ended: the batch was handled. A failed commit is
// only logged: a later commit of the partition covers it, else the commands are delivered again.
func (c *Consumer) commit(ctx context.Context, r *kafkago.Reader, msgs []kafkago.Message) {
	if len(msgs) == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	if err := r.CommitMessages(cctx, msgs...); err != nil {
		c.cfg.Logger.Warn("kafka: committing offsets failed; the batch may be delivered again", "topic", c.cfg.Topic,
			"group", c.cfg.GroupID, "records", len(msgs), "err", err)
	}
}

// sleep waits for d and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
