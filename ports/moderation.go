package ports

import (
	"context"
	"time"

	"github.com/scalechat/scalechat/core"
)

// ModerationStore keeps channel bans, the report queue and the audit log of administrative actions.
type ModerationStore interface {
	// PutBan stores b, replacing a ban of the same user in the same conversation (a second ban renews it).
	PutBan(ctx context.Context, b core.Ban) error
	// Ban returns the ban of userID in conversationID, expired or not, or core.ErrNotFound.
	Ban(ctx context.Context, conversationID, userID string) (core.Ban, error)
	// DeleteBan lifts the ban and says whether there was one.
	DeleteBan(ctx context.Context, conversationID, userID string) (bool, error)
	// Bans lists a conversation's bans, expired or not, ordered by user id, cursor-paged.
	Bans(ctx context.Context, conversationID string, page core.PageRequest) (core.Page[core.Ban], error)
	// BannedAmong returns which of userIDs (at most a few thousand) have a ban in conversationID that holds
	// at now, in ascending order.
	BannedAmong(ctx context.Context, conversationID string, userIDs []string, now time.Time) ([]string, error)

	// CreateReport stores r (status open). A report of the same message by the same reporter fails with
	// core.ErrAlreadyExists.
	CreateReport(ctx context.Context, r core.Report) error
	// Report returns the report or core.ErrNotFound.
	Report(ctx context.Context, id string) (core.Report, error)
	// Reports lists reports with the status (all when ""), oldest first (by id), cursor-paged.
	Reports(ctx context.Context, status core.ReportStatus, page core.PageRequest) (core.Page[core.Report], error)
	// CloseReport sets an open report's status (resolved or dismissed), who closed it, when and the note,
	// and returns it. core.ErrNotFound if there is no such report; core.ErrConflict if it is closed already
	// (then nothing changes).
	CloseReport(ctx context.Context, id string, status core.ReportStatus, by core.Actor, note string, at time.Time) (core.Report, error)

	// AppendAudit stores an entry of the audit log.
	AppendAudit(ctx context.Context, e core.AuditEntry) error
	// AuditLog lists the entries matching q, newest first (by id), cursor-paged.
	AuditLog(ctx context.Context, q core.AuditQuery, page core.PageRequest) (core.Page[core.AuditEntry], error)
}
