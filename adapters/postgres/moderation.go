package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scalechat/scalechat/core"
)

const banCols = `conversation_id, user_id, banned_by_type, banned_by_id, reason, created_at, expires_at`

func scanBan(r scanner) (core.Ban, error) {
	var b core.Ban
	err := r.Scan(&b.ConversationID, &b.UserID, &b.BannedBy.Type, &b.BannedBy.ID, &b.Reason, &b.CreatedAt, &b.ExpiresAt)
	b.CreatedAt, b.ExpiresAt = b.CreatedAt.UTC(), utcPtr(b.ExpiresAt)
	return b, err
}

// PutBan stores b, replacing the user's ban in that conversation if there is one.
func (s *Store) PutBan(ctx context.Context, b core.Ban) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO bans (`+banCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (conversation_id, user_id) DO UPDATE SET banned_by_type = excluded.banned_by_type,
			banned_by_id = excluded.banned_by_id, reason = excluded.reason, created_at = excluded.created_at,
			expires_at = excluded.expires_at`,
		b.ConversationID, b.UserID, string(b.BannedBy.Type), b.BannedBy.ID, b.Reason, ts(b.CreatedAt), tsPtr(b.ExpiresAt))
	return translate(err, "ban")
}

// Ban returns the user's ban in the conversation, expired or not, or core.ErrNotFound.
func (s *Store) Ban(ctx context.Context, conversationID, userID string) (core.Ban, error) {
	b, err := scanBan(s.pool.QueryRow(ctx, `SELECT `+banCols+` FROM bans WHERE conversation_id = $1 AND user_id = $2`,
		conversationID, userID))
	return b, translate(err, "ban")
}

// DeleteBan lifts the ban and says whether there was one.
func (s *Store) DeleteBan(ctx context.Context, conversationID, userID string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM bans WHERE conversation_id = $1 AND user_id = $2`, conversationID, userID)
	if err != nil {
		return false, translate(err, "ban")
	}
	return tag.RowsAffected() > 0, nil
}

// Bans lists the conversation's bans, expired or not, by user id.
func (s *Store) Bans(ctx context.Context, conversationID string, page core.PageRequest) (core.Page[core.Ban], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.Ban]{}, err
	}
	after, err := core.DecodeCursor(page.Cursor, 1)
	if err != nil {
		return core.Page[core.Ban]{}, err
	}
	if after == nil {
		after = []string{""}
	}
	items, err := queryAll(ctx, s.pool, scanBan, `SELECT `+banCols+` FROM bans WHERE conversation_id = $1 AND user_id > $2
		ORDER BY user_id LIMIT $3`, conversationID, after[0], limit+1)
	if err != nil {
		return core.Page[core.Ban]{}, err
	}
	return pageOf(items, limit, func(b core.Ban) []string { return []string{b.UserID} }), nil
}

// BannedAmong returns which of userIDs have a ban in the conversation that holds at now, ascending.
func (s *Store) BannedAmong(ctx context.Context, conversationID string, userIDs []string, now time.Time) ([]string, error) {
	if len(userIDs) == 0 {
		return []string{}, nil
	}
	return queryAll(ctx, s.pool, func(r scanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, `SELECT user_id FROM bans WHERE conversation_id = $1 AND user_id = ANY($2)
		AND (expires_at IS NULL OR expires_at > $3) ORDER BY user_id`, conversationID, userIDs, ts(now))
}

const reportCols = `id, conversation_id, message_id, reporter_id, reason, created_at, status, resolved_by_type,
	resolved_by_id, resolved_at, resolution`

func scanReport(r scanner) (core.Report, error) {
	var rp core.Report
	var byType, byID *string
	err := r.Scan(&rp.ID, &rp.ConversationID, &rp.MessageID, &rp.ReporterID, &rp.Reason, &rp.CreatedAt, &rp.Status,
		&byType, &byID, &rp.ResolvedAt, &rp.Resolution)
	rp.CreatedAt, rp.ResolvedAt = rp.CreatedAt.UTC(), utcPtr(rp.ResolvedAt)
	if byType != nil && byID != nil {
		rp.ResolvedBy = &core.Actor{Type: core.ActorType(*byType), ID: *byID}
	}
	return rp, err
}

// CreateReport stores r as an open report; a second report of the message by the same reporter (or a taken
// id) is core.ErrAlreadyExists.
func (s *Store) CreateReport(ctx context.Context, r core.Report) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO reports (id, conversation_id, message_id, reporter_id, reason, created_at,
		status) VALUES ($1, $2, $3, $4, $5, $6, $7)`, r.ID, r.ConversationID, r.MessageID, r.ReporterID, r.Reason,
		ts(r.CreatedAt), string(core.ReportOpen))
	return translate(err, "report")
}

// Report returns the report or core.ErrNotFound.
func (s *Store) Report(ctx context.Context, id string) (core.Report, error) {
	r, err := scanReport(s.pool.QueryRow(ctx, `SELECT `+reportCols+` FROM reports WHERE id = $1`, id))
	return r, translate(err, "report")
}

// Reports lists the reports with the status (all when ""), oldest first: by id, which is time-ordered.
func (s *Store) Reports(ctx context.Context, status core.ReportStatus, page core.PageRequest) (core.Page[core.Report], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.Report]{}, err
	}
	after, err := core.DecodeCursor(page.Cursor, 1)
	if err != nil {
		return core.Page[core.Report]{}, err
	}
	if after == nil {
		after = []string{""}
	}
	// Two statements rather than one that ORs out an empty status: a generic plan of that would not use
	// reports_status.
	query, args := `SELECT `+reportCols+` FROM reports WHERE id > $1 ORDER BY id LIMIT $2`, []any{after[0], limit + 1}
	if status != "" {
		query = `SELECT ` + reportCols + ` FROM reports WHERE status = $3 AND id > $1 ORDER BY id LIMIT $2`
		args = append(args, string(status))
	}
	items, err := queryAll(ctx, s.pool, scanReport, query, args...)
	if err != nil {
		return core.Page[core.Report]{}, err
	}
	return pageOf(items, limit, func(r core.Report) []string { return []string{r.ID} }), nil
}

// CloseReport closes an open report in one statement, so that of two admins closing it at once one wins and
// the other gets core.ErrConflict.
func (s *Store) CloseReport(ctx context.Context, id string, status core.ReportStatus, by core.Actor, note string, at time.Time) (core.Report, error) {
	r, err := scanReport(s.pool.QueryRow(ctx, `UPDATE reports SET status = $2, resolved_by_type = $3, resolved_by_id = $4,
		resolved_at = $5, resolution = $6 WHERE id = $1 AND status = 'open' RETURNING `+reportCols,
		id, string(status), string(by.Type), by.ID, ts(at), note))
	if !errors.Is(err, pgx.ErrNoRows) {
		return r, translate(err, "report")
	}
	// Nothing matched: the report is missing or closed. Reports are never deleted nor reopened, so reading it
	// after the update tells which.
	if _, err := s.Report(ctx, id); err != nil {
		return core.Report{}, err
	}
	return core.Report{}, core.Errorf(core.CodeConflict, "report already closed")
}

const auditCols = `id, at, actor_type, actor_id, action, target_type, target_id, conversation_id, details`

func scanAudit(r scanner) (core.AuditEntry, error) {
	var e core.AuditEntry
	var details []byte
	if err := r.Scan(&e.ID, &e.At, &e.Actor.Type, &e.Actor.ID, &e.Action, &e.TargetType, &e.TargetID, &e.ConversationID,
		&details); err != nil {
		return e, err
	}
	e.At = e.At.UTC()
	if err := json.Unmarshal(details, &e.Details); err != nil {
		return e, fmt.Errorf("audit entry %s: bad details: %w", e.ID, err)
	}
	if len(e.Details) == 0 {
		e.Details = nil
	}
	return e, nil
}

// AppendAudit stores an entry of the audit log; its details are a JSON object ({} for none).
func (s *Store) AppendAudit(ctx context.Context, e core.AuditEntry) error {
	details := []byte("{}")
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return core.Wrap(core.CodeInternal, err, "cannot encode audit details")
		}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO audit_log (`+auditCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)`,
		e.ID, ts(e.At), string(e.Actor.Type), e.Actor.ID, e.Action, e.TargetType, e.TargetID, e.ConversationID,
		string(details))
	return translate(err, "audit entry")
}

// AuditLog lists the entries matching q, newest first (by id, which is time-ordered).
func (s *Store) AuditLog(ctx context.Context, q core.AuditQuery, page core.PageRequest) (core.Page[core.AuditEntry], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.AuditEntry]{}, err
	}
	before, err := core.DecodeCursor(page.Cursor, 1)
	if err != nil {
		return core.Page[core.AuditEntry]{}, err
	}
	// The statement names only the filters q sets, so that its plan walks the index of one of them backwards
	// (a generic plan of a clause that ORs out an empty filter uses no index). That makes at most 32 statements
	// for the connections' statement caches.
	var conds []string
	var args []any
	for _, f := range []struct{ col, value string }{{"action", q.Action}, {"actor_id", q.ActorID},
		{"target_id", q.TargetID}, {"conversation_id", q.ConversationID}} {
		if f.value != "" {
			args = append(args, f.value)
			conds = append(conds, f.col+" = $"+strconv.Itoa(len(args)))
		}
	}
	if before != nil {
		args = append(args, before[0])
		conds = append(conds, "id < $"+strconv.Itoa(len(args)))
	}
	query := `SELECT ` + auditCols + ` FROM audit_log`
	if len(conds) > 0 {
		query += ` WHERE ` + strings.Join(conds, " AND ")
	}
	args = append(args, limit+1)
	items, err := queryAll(ctx, s.pool, scanAudit, query+` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return core.Page[core.AuditEntry]{}, err
	}
	return pageOf(items, limit, func(e core.AuditEntry) []string { return []string{e.ID} }), nil
}
