package chat

import (
	"context"
	"errors"
	"log/slog"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// Sequencer turns send commands into stored messages: in one ledger transaction per batch it dedupes each
// command by (conversation, sender, clientMsgId), checks the sender is still a member, and gives each new
// message the conversation's next seq. After the commit it publishes the events and routes each result to the
// node that accepted the command. A crash between commit and publish replays the batch, which dedupe makes
// harmless (the replay answers with the stored messages).
type Sequencer struct {
	ledger ports.Ledger
	fanout ports.Fanout
	log    *slog.Logger
}

// NewSequencer builds a sequencer.
func NewSequencer(ledger ports.Ledger, fanout ports.Fanout, log *slog.Logger) *Sequencer {
	if log == nil {
		log = slog.Default()
	}
	return &Sequencer{ledger: ledger, fanout: fanout, log: log}
}

// Handle sequences one batch. It returns an error only when the batch must be delivered again (storage failed);
// commands refused on their merits get a result carrying the error.
func (q *Sequencer) Handle(ctx context.Context, batch []core.SendCommand) error {
	var results []core.SendResult
	var events []core.Event
	err := q.ledger.Update(ctx, func(ctx context.Context, tx ports.LedgerTx) error {
		results, events = results[:0], events[:0]
		for _, cmd := range batch {
			r, ev, err := q.apply(ctx, tx, cmd)
			if err != nil {
				return err
			}
			results = append(results, r)
			if ev != nil {
				events = append(events, *ev)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	publishEvents(ctx, q.fanout, q.log, events)
	q.reply(ctx, batch, results)
	return nil
}

// apply sequences one command inside the transaction. A returned error aborts the batch.
func (q *Sequencer) apply(ctx context.Context, tx ports.LedgerTx, cmd core.SendCommand) (core.SendResult, *core.Event, error) {
	r := core.SendResult{CommandID: cmd.ID}
	refuse := func(err *core.Error) (core.SendResult, *core.Event, error) { r.Err = err; return r, nil, nil }
	if m, err := tx.MessageByClientMsgID(ctx, cmd.ConversationID, cmd.SenderID, cmd.ClientMsgID); err == nil {
		r.Message, r.Duplicate = m, true
		return r, nil, nil
	} else if !errors.Is(err, core.ErrNotFound) {
		return r, nil, err
	}
	conv, err := tx.Conversation(ctx, cmd.ConversationID)
	if errors.Is(err, core.ErrNotFound) {
		return refuse(core.Errorf(core.CodeNotFound, "conversation not found"))
	} else if err != nil {
		return r, nil, err
	}
	if _, err := tx.Member(ctx, cmd.ConversationID, cmd.SenderID); errors.Is(err, core.ErrNotFound) {
		return refuse(core.Errorf(core.CodePermissionDenied, "you are not a member of this conversation"))
	} else if err != nil {
		return r, nil, err
	}
	if cmd.ReplyTo != "" {
		if _, err := tx.Message(ctx, cmd.ConversationID, cmd.ReplyTo); errors.Is(err, core.ErrNotFound) {
			return refuse(core.Invalid("replyTo", "replyTo must name a message of this conversation"))
		} else if err != nil {
			return r, nil, err
		}
	}
	msg := core.Message{ID: cmd.MessageID, ConversationID: conv.ID, Seq: conv.LastSeq + 1, SenderID: cmd.SenderID,
		ClientMsgID: cmd.ClientMsgID, Body: cmd.Body, ReplyTo: cmd.ReplyTo, CreatedAt: cmd.At}
	ev := core.Event{ConversationID: conv.ID, Seq: msg.Seq, Type: core.EventMessageCreated, At: cmd.At,
		ActorID: cmd.SenderID, Message: &msg}
	if err := tx.Append(ctx, ev); err != nil {
		return r, nil, err
	}
	r.Message = msg
	return r, &ev, nil
}

// reply routes results to the nodes waiting for them.
func (q *Sequencer) reply(ctx context.Context, batch []core.SendCommand, results []core.SendResult) {
	byNode := map[string][]core.Envelope{}
	for i := range results {
		if origin := batch[i].Origin; origin != "" {
			byNode[origin] = append(byNode[origin], core.Envelope{Result: &results[i]})
		}
	}
	for node, envs := range byNode {
		if err := q.fanout.Publish(ctx, core.NodeTopic(node), envs...); err != nil {
			q.log.WarnContext(ctx, "send results not delivered", "node", node, "err", err)
		}
	}
}
