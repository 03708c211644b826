package chat

import (
	"context"
	"time"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// changeFunc decides, inside the ledger transaction and with the conversation locked, which events a
// synchronous change produces. It returns the events without seqs; change numbers them.
type changeFunc func(ctx context.Context, tx ports.LedgerTx, conv core.Conversation) ([]core.Event, error)

// change applies a synchronous (gateway-side) change to one conversation: membership, edits, deletes and
// conversation updates share the ledger's per-conversation counter with the sequencer's messages, so seqs
// stay dense. Committed events are then published.
func (s *Service) change(ctx context.Context, conversationID string, fn changeFunc) ([]core.Event, error) {
	var events []core.Event
	err := s.d.Ledger.Update(ctx, func(ctx context.Context, tx ports.LedgerTx) error {
		events = nil
		conv, err := tx.Conversation(ctx, conversationID)
		if err != nil {
			return notFoundAs(err, "conversation not found")
		}
		evs, err := fn(ctx, tx, conv)
		if err != nil || len(evs) == 0 {
			return err
		}
		now := s.now()
		for i := range evs {
			evs[i].ConversationID = conv.ID
			evs[i].Seq = conv.LastSeq + int64(i) + 1
			evs[i].At = now
			if evs[i].Conversation != nil {
				evs[i].Conversation.LastSeq = evs[i].Seq
				evs[i].Conversation.LastActivityAt = now
			}
		}
		if err := tx.Append(ctx, evs...); err != nil {
			return err
		}
		events = evs
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.publishEvents(ctx, events)
	return events, nil
}

// now is the clock's time in UTC at the millisecond precision every store keeps.
func (s *Service) now() time.Time { return s.d.Clock.Now().UTC().Truncate(time.Millisecond) }
