package ports

import (
	"context"

	"github.com/scalechat/scalechat/core"
)

// ConversationStore creates and reads conversations.
type ConversationStore interface {
	// CreateConversation stores c with its initial members (lastSeq 0, no events) in one transaction.
	// For a direct conversation whose DirectKey exists already it stores nothing and returns the existing
	// conversation with created=false.
	CreateConversation(ctx context.Context, c core.Conversation, members []core.Member) (conv core.Conversation, created bool, err error)
	// Conversation returns the conversation or core.ErrNotFound.
	Conversation(ctx context.Context, id string) (core.Conversation, error)
	// Channels lists channels whose title contains q (case-insensitive; empty q lists all), ordered by title
	// then id, cursor-paged.
	Channels(ctx context.Context, q string, page core.PageRequest) (core.Page[core.Conversation], error)
}

// MemberStore reads memberships and keeps read positions.
type MemberStore interface {
	// Member returns userID's membership of the conversation or core.ErrNotFound.
	Member(ctx context.Context, conversationID, userID string) (core.Member, error)
	// Members lists a conversation's members ordered by user id, cursor-paged.
	Members(ctx context.Context, conversationID string, page core.PageRequest) (core.Page[core.Member], error)
	// ConversationsOf lists userID's conversations, most recently active first (LastActivityAt, then id),
	// each with the membership, the unread count (messages with seq > readSeq, sent by others, not deleted)
	// and the latest message. Cursor-paged.
	ConversationsOf(ctx context.Context, userID string, page core.PageRequest) (core.Page[core.Summary], error)
	// MemberCount returns how many members the conversation has (0 for an unknown conversation).
	MemberCount(ctx context.Context, conversationID string) (int, error)
	// ConversationIDsOf returns the ids of every conversation userID belongs to.
	ConversationIDsOf(ctx context.Context, userID string) ([]string, error)
	// SetNotifications stores a member's notification level and mute; a non-member gets core.ErrNotFound.
	// Memberships start at core.NotifyAll, not muted.
	SetNotifications(ctx context.Context, conversationID, userID string, level core.NotifyLevel, muted bool) error
	// MarkRead raises the member's readSeq to seq (never lowers it) and returns the resulting readSeq.
	// A non-member gets core.ErrNotFound.
	MarkRead(ctx context.Context, conversationID, userID string, seq int64) (int64, error)
}

// HistoryStore reads messages and events.
type HistoryStore interface {
	// Messages returns a page of messages (tombstones included) in ascending seq order, per core.HistoryQuery,
	// and whether more exist beyond the page in the direction of the query.
	Messages(ctx context.Context, conversationID string, q core.HistoryQuery) (msgs []core.Message, more bool, err error)
	// Message returns one message of the conversation or core.ErrNotFound.
	Message(ctx context.Context, conversationID, messageID string) (core.Message, error)
	// MessageByClientMsgID returns the message a sender sent with that clientMsgId, or core.ErrNotFound.
	MessageByClientMsgID(ctx context.Context, conversationID, senderID, clientMsgID string) (core.Message, error)
	// Reactions returns, for each of messageIDs of the conversation that has reactions, its tallies: one per
	// emoji, in order of each emoji's first reaction (then emoji), with Me set where viewerID reacted with it.
	// Messages without reactions are absent from the map.
	Reactions(ctx context.Context, conversationID, viewerID string, messageIDs []string) (map[string][]core.ReactionCount, error)
	// MentionsOf lists the messages that mention userID (in Mentions, or by @channel) in the conversations
	// userID is a member of now, not deleted and not sent by userID, newest first (CreatedAt, then id),
	// cursor-paged.
	MentionsOf(ctx context.Context, userID string, page core.PageRequest) (core.Page[core.Message], error)
	// Threads returns, for each of rootIDs of the conversation that has replies (deleted ones left out), what
	// its root shows of them. Roots without replies are absent from the map.
	Threads(ctx context.Context, conversationID string, rootIDs []string) (map[string]core.ThreadInfo, error)
	// Pins returns the conversation's pinned messages, most recently pinned first (then by seq).
	Pins(ctx context.Context, conversationID string) ([]core.Message, error)
	// Events returns up to limit events with seq > after in ascending, dense seq order, and whether more exist.
	Events(ctx context.Context, conversationID string, after int64, limit int) (events []core.Event, more bool, err error)
}

// SummaryStore reads one conversation as a member sees it.
type SummaryStore interface {
	// Summary returns conversation id as userID sees it (membership, unread count, latest message), as
	// ConversationsOf would list it, or core.ErrNotFound when the conversation does not exist or userID is
	// not a member.
	Summary(ctx context.Context, conversationID, userID string) (core.Summary, error)
}

// ContactStore finds who hears of a user's presence.
type ContactStore interface {
	// ContactsOf returns the ids of the users who share a direct or group conversation (not a channel) with
	// userID, userID itself excluded, each once, in ascending order, at most limit of them.
	ContactsOf(ctx context.Context, userID string, limit int) ([]string, error)
}

// ThreadStore keeps who follows which thread and how far each has read it. A user's row for a thread exists
// once they follow it or read it; the thread itself is its messages (core.Message.ThreadRootID).
type ThreadStore interface {
	// ThreadState returns userID's state in the thread (the zero value when there is none).
	ThreadState(ctx context.Context, conversationID, rootID, userID string) (core.ThreadState, error)
	// Follow makes userID follow the thread. With override false it only creates a row that does not exist
	// (an automatic follow never undoes an unfollow); with override true it follows whatever the row said.
	Follow(ctx context.Context, conversationID, rootID, userID string, override bool) error
	// Unfollow stops userID following the thread, keeping the read position.
	Unfollow(ctx context.Context, conversationID, rootID, userID string) error
	// MarkThreadRead raises userID's read position in the thread to seq (never lowers it) and returns the
	// result; it does not change whether userID follows it.
	MarkThreadRead(ctx context.Context, conversationID, rootID, userID string, seq int64) (int64, error)
	// FollowedThreads lists the threads userID follows in the conversations userID is a member of, with their
	// roots, reply info and unread counts (replies after the read position, by others, not deleted), most
	// recent activity first (the last reply, else the root's creation; then root id), cursor-paged.
	FollowedThreads(ctx context.Context, userID string, page core.PageRequest) (core.Page[core.ThreadSummary], error)
	// UnreadThreads counts the threads FollowedThreads lists that have unread replies.
	UnreadThreads(ctx context.Context, userID string) (int, error)
}
