package core

import (
	"strings"
	"time"
)

// ActorType says what kind of caller acted.
type ActorType string

// Actor types.
const (
	ActorUser   ActorType = "user"    // a user: a conversation's moderator, or a system admin
	ActorAPIKey ActorType = "api_key" // a server API key of scope admin
	// ActorOperator is whoever ran a command of the scalechat binary on the storage directly (scalechat apikey);
	// the ID is their operating-system user name.
	ActorOperator ActorType = "operator"
)

// Actor is who did something: a user or an admin API key.
type Actor struct {
	Type ActorType
	ID   string
}

// Ban keeps a user out of a conversation: they were removed, and they cannot join again or be added while the
// ban lasts (until ExpiresAt, or until it is lifted when ExpiresAt is nil).
type Ban struct {
	ConversationID string
	UserID         string
	BannedBy       Actor
	Reason         string
	CreatedAt      time.Time
	ExpiresAt      *time.Time
}

// ActiveAt reports whether the ban still holds at now.
func (b Ban) ActiveAt(now time.Time) bool { return b.ExpiresAt == nil || now.Before(*b.ExpiresAt) }

// ReportStatus is where a report of a message stands.
type ReportStatus string

// Report statuses: open reports wait in the admins' queue; resolving one says what was done.
const (
	ReportOpen      ReportStatus = "open"
	ReportResolved  ReportStatus = "resolved"  // acted upon (ResolvedAction says how)
	ReportDismissed ReportStatus = "dismissed" // nothing wrong found
)

// Valid reports whether s is a known status.
func (s ReportStatus) Valid() bool {
	return s == ReportOpen || s == ReportResolved || s == ReportDismissed
}

// Report is a member's report of a message, queued for the system's admins.
type Report struct {
	ID             string // UUIDv7: ordered by time
	ConversationID string
	MessageID      string
	ReporterID     string
	Reason         string
	CreatedAt      time.Time
	Status         ReportStatus
	ResolvedBy     *Actor
	ResolvedAt     *time.Time
	Resolution     string // the admin's note
}

// AuditEntry records one administrative action: who did what to what, when.
type AuditEntry struct {
	ID             string // UUIDv7: ordered by time
	At             time.Time
	Actor          Actor
	Action         string // e.g. "user.deactivate", "conversation.ban"; see the README's list
	TargetType     string // "user", "conversation", "member", "message", "api_key", "report"
	TargetID       string
	ConversationID string            // the conversation the action concerns, "" when none
	Details        map[string]string // what else the action said (reason, duration, role, ...)
}

// AuditQuery filters the audit log; empty fields match everything.
type AuditQuery struct {
	Action         string
	ActorID        string
	TargetID       string
	ConversationID string
}

// Limits on moderation.
const (
	MaxReasonLen = 500
	MaxSlowMode  = 6 * time.Hour
	MaxMute      = 28 * 24 * time.Hour
	MaxBan       = 366 * 24 * time.Hour // a ban without a duration lasts until it is lifted
)

// CleanReason trims and checks a reason or note given for a moderation action (may be empty).
func CleanReason(field, reason string) (string, error) {
	r := strings.TrimSpace(reason)
	if err := checkText(field, r, 0, MaxReasonLen, true); err != nil {
		return "", err
	}
	return r, nil
}

// MutedAt reports whether a moderator's mute keeps m from posting at now.
func (m Member) MutedAt(now time.Time) bool { return m.MutedUntil != nil && now.Before(*m.MutedUntil) }

// CanModerate reports whether m may ban and mute members of c, and set its slow mode: admins and owners of
// groups and channels.
func (m Member) CanModerate(c Conversation) bool {
	return c.Kind != KindDirect && m.Role.rank() >= RoleAdmin.rank()
}

// Outranks reports whether m may ban or mute target: owners act on anyone but owners, admins on plain members.
func (m Member) Outranks(target Member) bool { return m.Role.rank() > target.Role.rank() }
