package core

import "time"

// EventType names a sequenced change to a conversation.
type EventType string

// Event types. Every one gets the conversation's next seq.
const (
	EventMessageCreated      EventType = "message.created"
	EventMessageEdited       EventType = "message.edited"
	EventMessageDeleted      EventType = "message.deleted"
	EventMemberJoined        EventType = "member.joined"
	EventMemberUpdated       EventType = "member.updated" // role or mute changed
	EventMemberLeft          EventType = "member.left"
	EventConversationUpdated EventType = "conversation.updated"
	EventMessagePinned       EventType = "message.pinned"
	EventMessageUnpinned     EventType = "message.unpinned"
	EventReactionAdded       EventType = "reaction.added"
	EventReactionRemoved     EventType = "reaction.removed"
)

// EventTypes lists every event type.
var EventTypes = []EventType{EventMessageCreated, EventMessageEdited, EventMessageDeleted,
	EventMemberJoined, EventMemberUpdated, EventMemberLeft, EventConversationUpdated, EventMessagePinned,
	EventMessageUnpinned, EventReactionAdded, EventReactionRemoved}

// MessageEvent reports whether events of type t carry the message's state after the change.
func (t EventType) MessageEvent() bool {
	switch t {
	case EventMessageCreated, EventMessageEdited, EventMessageDeleted, EventMessagePinned, EventMessageUnpinned:
		return true
	}
	return false
}

// Event is one entry of a conversation's dense sequence. Exactly one of Message, Member, Conversation and
// Reaction is set, holding the state after the change (for member.left: the membership that ended; for
// reaction.removed: the reaction that was taken back).
type Event struct {
	ConversationID string
	Seq            int64
	Type           EventType
	At             time.Time
	ActorID        string
	Message        *Message
	Member         *Member
	Conversation   *Conversation
	Reaction       *Reaction
}

// SendCommand asks the sequencer to append a message. Gateways put it on the message log; the sequencer
// dedupes it by (ConversationID, SenderID, ClientMsgID) and gives it the next seq.
type SendCommand struct {
	ID             string // unique per attempt; correlates the result
	Origin         string // node that waits for the result ("" = nobody)
	ConversationID string
	SenderID       string
	MessageID      string // id the message gets unless the clientMsgId was seen before
	ClientMsgID    string
	Body           string
	ReplyTo        string
	ThreadRootID   string
	Mentions       []string // resolved by the gateway: see Message.Mentions
	MentionAll     string
	Attachments    []Attachment // checked and linked by the gateway: see Message.Attachments
	At             time.Time
}

// SendResult is the sequencer's answer to one SendCommand.
type SendResult struct {
	CommandID string
	Message   Message // the stored message (the original one for a duplicate)
	Duplicate bool    // the clientMsgId had been seen: nothing new was written
	Err       *Error  // the command was refused (e.g. the sender left the conversation)
}

// Typing is an ephemeral typing notice.
type Typing struct {
	ConversationID string
	UserID         string
	Typing         bool
}

// ReadReceipt tells a conversation that a member has read up to Seq.
type ReadReceipt struct {
	ConversationID string
	UserID         string
	Seq            int64
}

// Presence is a user's online status.
type Presence struct {
	UserID     string
	Online     bool
	LastSeenAt time.Time // zero when never seen
}

// MembershipChange tells a user's connections to join or leave a conversation's room.
type MembershipChange struct {
	UserID         string
	ConversationID string
	Joined         bool
}

// SessionEnded tells the nodes holding a user's connections that one of the user's sessions ended (logged out):
// the connections it authenticated close.
type SessionEnded struct {
	UserID    string
	TokenHash string // the session that ended, when All is false
	All       bool   // every session of the user ended, except Except (if set)
	Except    string // with All: the token hash of the session that stays
}

// Ends reports whether the session with tokenHash is one of those that ended.
func (e SessionEnded) Ends(tokenHash string) bool {
	if e.All {
		return tokenHash != e.Except
	}
	return tokenHash == e.TokenHash
}

// Envelope is what travels through fan-out. Exactly one field is set.
type Envelope struct {
	Event      *Event
	Result     *SendResult
	Typing     *Typing
	Read       *ReadReceipt
	Presence   *Presence
	Membership *MembershipChange
	Session    *SessionEnded
}

// Fan-out topics.

// ConversationTopic carries a conversation's events, typing and read receipts.
func ConversationTopic(conversationID string) string { return "conv:" + conversationID }

// UserTopic carries what concerns one user's connections (membership changes, presence of contacts).
func UserTopic(userID string) string { return "user:" + userID }

// NodeTopic carries send results back to the node that accepted the commands.
func NodeTopic(node string) string { return "node:" + node }

// Rate is an allowance of Limit actions per Per, with bursts up to Limit.
type Rate struct {
	Limit int
	Per   time.Duration
}

// SendKey is the idempotency key of a send within its conversation.
type SendKey struct{ SenderID, ClientMsgID string }

// SendState is what the sequencer reads about one conversation, under its lock, to sequence a batch of sends
// to it: the conversation, which of the batch's senders are members, which of its keys were sent before, and
// which of the messages it replies to exist.
type SendState struct {
	Conversation Conversation
	Found        bool                 // the conversation exists
	Members      map[string]bool      // sender id -> is a member
	MutedUntil   map[string]time.Time // sender id -> muted by a moderator until then (absent: not muted)
	Sent         map[SendKey]Message  // messages stored before under the batch's keys
	Messages     map[string]bool      // message id -> exists in this conversation (the batch's replyTo ids)
}

// GroupByConversation splits events by conversation, in order of each conversation's first event, keeping
// the order of each one's events.
func GroupByConversation(events []Event) [][]Event {
	if len(events) > 0 && events[0].ConversationID == events[len(events)-1].ConversationID {
		same := true
		for _, e := range events {
			if e.ConversationID != events[0].ConversationID {
				same = false
				break
			}
		}
		if same {
			return [][]Event{events}
		}
	}
	at := map[string]int{}
	var groups [][]Event
	for _, e := range events {
		i, ok := at[e.ConversationID]
		if !ok {
			i = len(groups)
			at[e.ConversationID] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], e)
	}
	return groups
}
