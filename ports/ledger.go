package ports

import (
	"context"

	"github.com/scalechat/scalechat/core"
)

// Ledger is the single source of truth for per-conversation sequence numbers. Every sequenced change —
// messages written by the sequencer, membership and conversation changes written by gateways — goes
// through Update, so seqs are dense and never shared.
type Ledger interface {
	// Update runs fn in one transaction and commits it when fn returns nil; any error rolls everything back
	// and is returned. A conversation read through the tx is locked against other transactions until the
	// end. Update may retry fn on a transient conflict (serialization failure); fn must be repeatable.
	Update(ctx context.Context, fn func(ctx context.Context, tx LedgerTx) error) error
}

// LedgerTx is the view of the store inside one Ledger transaction. Reads see the transaction's own writes.
type LedgerTx interface {
	// Conversation returns the conversation, locked for the rest of the transaction, or core.ErrNotFound.
	Conversation(ctx context.Context, id string) (core.Conversation, error)
	// Member returns a membership or core.ErrNotFound.
	Member(ctx context.Context, conversationID, userID string) (core.Member, error)
	// Message returns a message or core.ErrNotFound.
	Message(ctx context.Context, conversationID, messageID string) (core.Message, error)
	// Reactions returns, for each of messageIDs of the conversation that has reactions, its tallies as viewerID
	// sees them (see HistoryStore.Reactions).
	Reactions(ctx context.Context, conversationID, viewerID string, messageIDs []string) (map[string][]core.ReactionCount, error)
	// PinCount returns how many messages of the conversation are pinned.
	PinCount(ctx context.Context, conversationID string) (int, error)
	// LoadSends locks the conversations of reads, in the order given (callers sort them by id, so that
	// transactions lock in one order), and reads for each what sequencing sends to it needs (see
	// core.SendState: memberships with their MutedUntil), in one round trip to the store. A conversation that does not exist has Found false.
	LoadSends(ctx context.Context, reads []SendReads) ([]core.SendState, error)
	// Append stores events of one or more conversations. Each conversation's events, in the order given,
	// must continue its lastSeq densely (else core.ErrConflict); a refused Append writes nothing. It applies
	// each event's state: message.created inserts Event.Message
	// (core.ErrAlreadyExists if its id or (sender, clientMsgId) exists); message.edited/deleted replace the
	// stored message with Event.Message, and message.deleted also drops the message's reactions;
	// message.pinned/unpinned replace the message's pin (PinnedAt, PinnedBy) with Event.Message's; reaction.added
	// stores Event.Reaction (core.ErrAlreadyExists if that user has that emoji on the message already) and
	// reaction.removed deletes it (core.ErrNotFound if absent); member.joined inserts Event.Member; member.updated replaces its role and MutedUntil;
	// member.left deletes the membership; conversation.updated stores Event.Conversation's title, topic and slow mode.
	// Each conversation's lastSeq becomes its last event's seq and its LastActivityAt that event's At. In the
	// same transaction it records one core.FeedChange per conversation in the change feed (see ChangeFeed).
	Append(ctx context.Context, events ...core.Event) error
}

// SendReads names what LoadSends reads about one conversation: the memberships of Senders, the messages
// stored under Keys, and which of ReplyTo exist in it.
type SendReads struct {
	ConversationID string
	Senders        []string
	Keys           []core.SendKey
	ReplyTo        []string
}
