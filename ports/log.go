package ports

import (
	"context"

	"github.com/scalechat/scalechat/core"
)

// CommandLog is where gateways put send commands for the sequencer.
type CommandLog interface {
	// Append returns once the commands are accepted by the log: durably (replicated, acks=all) for a
	// persistent log. Commands of one conversation are delivered in the order appended.
	Append(ctx context.Context, cmds ...core.SendCommand) error
}

// CommandConsumer delivers the log's commands to the sequencer.
type CommandConsumer interface {
	// Consume calls handle with batches of commands until ctx ends, then returns nil (or a fatal error).
	// A batch is acknowledged when handle returns nil; when it returns an error the same commands are
	// delivered again (at-least-once), so handle must be idempotent. Per conversation, order is kept.
	Consume(ctx context.Context, handle func(ctx context.Context, batch []core.SendCommand) error) error
}
