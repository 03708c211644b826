package core

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Limits on messages.
const (
	MaxBodyLen        = 4000
	MaxClientMsgIDLen = 64
	MaxHistoryLimit   = 200
	DefaultPageLimit  = 50
)

// Message is a chat message. A deleted message stays as a tombstone: DeletedAt set, Body empty.
type Message struct {
	ID             string
	ConversationID string
	Seq            int64 // seq of its message.created event
	SenderID       string
	ClientMsgID    string // unique per (conversation, sender): the idempotency key
	Body           string
	ReplyTo        string // id of a message in the same conversation, or ""
	ThreadRootID   string // the top-level message whose thread this reply is in, or "" (a top-level message)
	// Thread is what a thread's root shows of its replies, filled in by reads (nil: no replies, or not read).
	Thread     *ThreadInfo
	CreatedAt  time.Time
	EditedAt   *time.Time
	DeletedAt  *time.Time
	PinnedAt   *time.Time // set while the message is pinned
	PinnedBy   string     // who pinned it, while pinned
	Mentions   []string   // ids of the users it mentions (@username; with @here, the members then online)
	MentionAll string     // MentionChannel, MentionHere or "": whether it mentions every member
	// Attachments are the files the message carries (their ID, Name, ContentType, Size, Width, Height and
	// Thumbnail; the rest is left empty), in the order the sender gave. A tombstone carries none.
	Attachments []Attachment
	// Reactions are the message's emoji tallies as one viewer sees them. Stores do not keep them in the message:
	// the use cases fill them in for the reader (see HistoryStore.Reactions); events never carry them.
	Reactions []ReactionCount
	// CommandID is the id of the send command that created the message. Internal (no API shows it): every
	// attempt of one send names the same message id, so this is how the sequencer tells a retry (another
	// command) from the same command delivered again. Empty for messages stored before it was kept.
	CommandID string
}

// MessageID is the id of the message sender sends to a conversation under clientMsgID: a name-based UUID
// (version 8, from SHA-256). Every attempt of one send (a retry through another gateway, a command redelivered
// to another worker) names the same message, so an answer given before sequencing, "accepted", names the
// message that is stored, whichever attempt is sequenced first.
func MessageID(conversationID, senderID, clientMsgID string) string {
	h := sha256.New()
	for _, s := range []string{conversationID, senderID, clientMsgID} {
		h.Write([]byte(s))
		h.Write([]byte{0}) // ids and clientMsgIds hold no NUL: the fields cannot run into each other
	}
	var b [16]byte
	copy(b[:], h.Sum(nil))
	b[6] = b[6]&0x0f | 0x80 // version 8
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:16])
	return string(out[:])
}

// Deleted reports whether the message is a tombstone.
func (m Message) Deleted() bool { return m.DeletedAt != nil }

// ValidateBody checks a message body: 1..4000 characters, not only white space or invisible characters, valid
// UTF-8.
func ValidateBody(body string) error {
	if Blank(body) {
		return Invalid("body", "body must not be empty")
	}
	return checkText("body", body, 1, MaxBodyLen, true)
}

// ValidateClientMsgID checks a client-chosen idempotency key: 1..64 of [A-Za-z0-9_.:-].
func ValidateClientMsgID(id string) error {
	if len(id) == 0 || len(id) > MaxClientMsgIDLen {
		return Invalid("clientMsgId", "clientMsgId must be 1 to %d characters", MaxClientMsgIDLen)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.:-", r)) {
			return Invalid("clientMsgId", "clientMsgId may contain only letters, digits, '_', '.', ':' and '-'")
		}
	}
	return nil
}

// HistoryQuery selects a page of messages by seq: the conversation's top-level messages, or with ThreadRootID
// the replies of that thread. Paging forward (Forward, or After > 0), the page holds the messages right after
// After; otherwise the latest ones before Before (or the latest overall). Items are always in ascending seq
// order.
type HistoryQuery struct {
	ThreadRootID string // "" = top-level messages
	Before       int64  // exclusive; 0 = none
	After        int64  // exclusive
	Forward      bool   // page forward from After even when it is 0 (from the first message)
	Limit        int
}

// Forwards reports whether q pages forward from After.
func (q HistoryQuery) Forwards() bool { return q.Forward || q.After > 0 }

// PageRequest asks for one page of a cursor-paged list. Cursor is opaque, produced by the store.
type PageRequest struct {
	Cursor string
	Limit  int
}

// Page is one page of a list; Next is the cursor of the following page, "" at the end.
type Page[T any] struct {
	Items []T
	Next  string
}

// ClampLimit returns limit bounded to 1..max, with def for 0.
func ClampLimit(limit, def, max int) (int, error) {
	if limit < 0 {
		return 0, Invalid("limit", "limit must not be negative")
	}
	if limit == 0 {
		return def, nil
	}
	if limit > max {
		return max, nil
	}
	return limit, nil
}
