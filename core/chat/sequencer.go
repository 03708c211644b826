package chat

import (
	"context"
	"log/slog"
	"slices"
	"strings"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// Sequencer turns send commands into stored messages. Per batch it runs one ledger transaction: one read
// (LoadSends) locks the batch's conversations and loads what deciding needs, DecideSends dedupes each command
// by (conversation, sender, clientMsgId), checks the sender is still a member and gives each new message its
// conversation's next seq, and one Append writes the messages and events of every conversation. After the
// commit it publishes the events and routes each result to the node that accepted the command. A crash
// between commit and publish replays the batch, which dedupe makes harmless (the replay answers with the
// stored messages).
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
	groups := groupSends(batch)
	reads := make([]ports.SendReads, len(groups))
	for i, g := range groups {
		reads[i] = g.reads
	}
	results := make([]core.SendResult, len(batch))
	var events []core.Event
	err := q.ledger.Update(ctx, func(ctx context.Context, tx ports.LedgerTx) error {
		states, err := tx.LoadSends(ctx, reads)
		if err != nil {
			return err
		}
		events = events[:0]
		for i, g := range groups {
			rs, evs := DecideSends(states[i], g.cmds)
			for j, r := range rs {
				results[g.index[j]] = r
			}
			events = append(events, evs...)
		}
		return tx.Append(ctx, events...)
	})
	if err != nil {
		return err
	}
	// The events, then the results: one pipelined publish for the whole batch, not a round trip per
	// conversation and per node.
	pubs := append(eventPublications(events), resultPublications(batch, results)...)
	if err := q.fanout.PublishAll(ctx, pubs...); err != nil {
		q.log.WarnContext(ctx, "fan-out publish failed: events and send results not delivered",
			"events", len(events), "results", len(results), "err", err)
	}
	return nil
}

// sendGroup is the part of a batch that goes to one conversation, in batch order.
type sendGroup struct {
	reads ports.SendReads
	cmds  []core.SendCommand
	index []int           // position of each command in the batch
	seen  map[string]bool // senders and replyTo ids in reads already ("s:"/"r:" + id)
}

// groupSends splits a batch by conversation, sorted by conversation id: the order in which LoadSends locks
// them, the same in every transaction.
func groupSends(batch []core.SendCommand) []*sendGroup {
	byConv := map[string]*sendGroup{}
	var groups []*sendGroup
	for i, cmd := range batch {
		g := byConv[cmd.ConversationID]
		if g == nil {
			g = &sendGroup{reads: ports.SendReads{ConversationID: cmd.ConversationID}, seen: map[string]bool{}}
			byConv[cmd.ConversationID] = g
			groups = append(groups, g)
		}
		g.cmds, g.index = append(g.cmds, cmd), append(g.index, i)
		r := &g.reads
		r.Keys = append(r.Keys, core.SendKey{SenderID: cmd.SenderID, ClientMsgID: cmd.ClientMsgID})
		if !g.seen["s:"+cmd.SenderID] {
			g.seen["s:"+cmd.SenderID] = true
			r.Senders = append(r.Senders, cmd.SenderID)
		}
		if cmd.ThreadRootID != "" && !g.seen["r:"+cmd.ThreadRootID] { // a root must exist, like a replyTo
			g.seen["r:"+cmd.ThreadRootID] = true
			r.ReplyTo = append(r.ReplyTo, cmd.ThreadRootID)
		}
		if cmd.ReplyTo != "" && !g.seen["r:"+cmd.ReplyTo] {
			g.seen["r:"+cmd.ReplyTo] = true
			r.ReplyTo = append(r.ReplyTo, cmd.ReplyTo)
		}
	}
	slices.SortFunc(groups, func(a, b *sendGroup) int { return strings.Compare(a.reads.ConversationID, b.reads.ConversationID) })
	return groups
}

// resultPublications route results to the nodes waiting for them, one publication per node.
func resultPublications(batch []core.SendCommand, results []core.SendResult) []ports.Publication {
	var byNode publications
	for i := range results {
		if origin := batch[i].Origin; origin != "" {
			byNode.add(core.NodeTopic(origin), core.Envelope{Result: &results[i]})
		}
	}
	return byNode.pubs
}
