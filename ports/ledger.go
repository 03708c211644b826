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
	// MessageByClientMsgID returns the message a sender sent with that clientMsgId, or core.ErrNotFound.
	MessageByClientMsgID(ctx context.Context, conversationID, senderID, clientMsgID string) (core.Message, error)
	// Append stores events of one conversation, whose seqs must continue its lastSeq densely (else
	// core.ErrConflict), and applies each one's state: message.created inserts Event.Message
	// (core.ErrAlreadyExists if its id or (sender, clientMsgId) exists); message.edited/deleted replace the
	// stored message with Event.Message; member.joined inserts Event.Member; member.updated replaces its role;
	// member.left deletes the membership; conversation.updated stores Event.Conversation's title and topic.
	// The conversation's lastSeq becomes the last event's seq and its LastActivityAt that event's At.
	Append(ctx context.Context, events ...core.Event) error
}
