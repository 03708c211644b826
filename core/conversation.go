package core

import (
	"strings"
	"time"
)

// Kind is the kind of a conversation.
type Kind string

// Conversation kinds.
const (
	KindDirect  Kind = "direct"  // exactly two members, one conversation per pair
	KindGroup   Kind = "group"   // private, invite-only
	KindChannel Kind = "channel" // public, discoverable, anyone may join
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindDirect || k == KindGroup || k == KindChannel }

// Role is a member's role in a conversation.
type Role string

// Member roles, strongest first.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleAdmin || r == RoleMember }

func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 3
	case RoleAdmin:
		return 2
	case RoleMember:
		return 1
	}
	return 0
}

// Limits on conversation fields.
const (
	MaxTitleLen      = 100
	MaxTopicLen      = 500
	MaxGroupMembers  = 1000
	MaxMembersPerAdd = 100
)

// Conversation is a direct chat, a group or a channel.
type Conversation struct {
	ID        string
	Kind      Kind
	Title     string
	Topic     string
	DirectKey string // for direct conversations: the two member ids, sorted and joined; unique
	CreatedBy string
	LastSeq   int64 // seq of the latest event; 0 when there is none
	// SlowMode is the least time between two messages of one plain member (0: off); owners and admins are
	// exempt.
	SlowMode       time.Duration
	CreatedAt      time.Time
	LastActivityAt time.Time
}

// Member is a user's membership of a conversation.
type Member struct {
	ConversationID string
	UserID         string
	Role           Role
	ReadSeq        int64
	JoinedAt       time.Time
	Notify         NotifyLevel // "" reads as NotifyAll
	Muted          bool        // the member muted the conversation (tells nothing, whatever the level)
	// MutedUntil is set when a moderator muted the member: they may not post before then (nil: not muted).
	// Not to be confused with Muted, the member's own notification setting.
	MutedUntil *time.Time
}

// Summary is a conversation as one member sees it.
type Summary struct {
	Conversation
	Member      *Member // nil when the viewer is not a member (a channel seen from the directory)
	Unread      int64   // messages after ReadSeq sent by others and not deleted
	Mentions    int64   // of those, the ones that mention the viewer (@username, @channel, @here)
	LastMessage *Message
}

// ReadSeq is the viewer's read position (0 for non-members).
func (s Summary) ReadSeq() int64 {
	if s.Member == nil {
		return 0
	}
	return s.Member.ReadSeq
}

// DirectKey returns the unique key of the direct conversation between a and b.
func DirectKey(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + ":" + b
}

// ValidateTitle checks a conversation title for kind k.
func ValidateTitle(k Kind, title string) (string, error) {
	t := strings.TrimSpace(title)
	if k == KindDirect {
		if t != "" {
			return "", Invalid("title", "direct conversations have no title")
		}
		return "", nil
	}
	if Blank(t) {
		return "", Invalid("title", "title must not be empty")
	}
	if err := checkText("title", t, 1, MaxTitleLen, false); err != nil {
		return "", err
	}
	return t, nil
}

// ValidateTopic checks a conversation topic.
func ValidateTopic(k Kind, topic string) (string, error) {
	t := strings.TrimSpace(topic)
	if Blank(t) {
		return "", nil
	}
	if k == KindDirect {
		return "", Invalid("topic", "direct conversations have no topic")
	}
	if err := checkText("topic", t, 0, MaxTopicLen, false); err != nil {
		return "", err
	}
	return t, nil
}

// CanManageMembers reports whether m may add others to (or remove members from) conversation c.
func (m Member) CanManageMembers(c Conversation) bool {
	return c.Kind != KindDirect && m.Role.rank() >= RoleAdmin.rank()
}

// CanRemove reports whether m may remove target from c: owners remove anyone, admins remove plain members.
func (m Member) CanRemove(c Conversation, target Member) bool {
	if !m.CanManageMembers(c) {
		return false
	}
	return m.Role == RoleOwner || target.Role.rank() < m.Role.rank()
}

// CanSetRole reports whether m may give target the role r: only owners change roles.
func (m Member) CanSetRole(c Conversation, target Member, r Role) bool {
	return c.Kind != KindDirect && m.Role == RoleOwner && r.Valid()
}

// CanUpdate reports whether m may rename c or change its topic.
func (m Member) CanUpdate(c Conversation) bool {
	return c.Kind != KindDirect && m.Role.rank() >= RoleAdmin.rank()
}

// CanDelete reports whether m may delete msg: their own, or anyone's when admin or owner.
func (m Member) CanDelete(c Conversation, msg Message) bool {
	if msg.SenderID == m.UserID {
		return true
	}
	return c.Kind != KindDirect && m.Role.rank() >= RoleAdmin.rank()
}

// CanEdit reports whether m may edit msg: only their own.
func (m Member) CanEdit(msg Message) bool { return msg.SenderID == m.UserID }

// CanMentionAll reports whether m may mention every member of c (@channel, @here): admins and owners of
// groups and channels, either person in a direct conversation.
func (m Member) CanMentionAll(c Conversation) bool { return m.CanPin(c) }

// CanPin reports whether m may pin or unpin messages of c: admins and owners of groups and channels, either
// person in a direct conversation.
func (m Member) CanPin(c Conversation) bool {
	return c.Kind == KindDirect || m.Role.rank() >= RoleAdmin.rank()
}
