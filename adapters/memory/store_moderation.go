package memory

import (
	"context"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/scalechat/scalechat/core"
)

// clonePtr copies what p points to, so that callers never share a pointer with the store.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneBan(b core.Ban) core.Ban {
	b.ExpiresAt = clonePtr(b.ExpiresAt)
	return b
}

func cloneReport(r core.Report) core.Report {
	r.ResolvedBy, r.ResolvedAt = clonePtr(r.ResolvedBy), clonePtr(r.ResolvedAt)
	return r
}

func cloneAudit(e core.AuditEntry) core.AuditEntry {
	e.Details = maps.Clone(e.Details)
	return e
}

// PutBan stores b, replacing the user's earlier ban in the conversation.
func (s *Store) PutBan(ctx context.Context, b core.Ban) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d.bans[memberKey{b.ConversationID, b.UserID}] = cloneBan(b)
	return nil
}

// Ban returns the user's ban in the conversation, expired or not.
func (s *Store) Ban(ctx context.Context, conversationID, userID string) (core.Ban, error) {
	if err := checkCtx(ctx); err != nil {
		return core.Ban{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.d.bans[memberKey{conversationID, userID}]
	if !ok {
		return core.Ban{}, core.Errorf(core.CodeNotFound, "ban not found")
	}
	return cloneBan(b), nil
}

// DeleteBan lifts the ban, saying whether there was one.
func (s *Store) DeleteBan(ctx context.Context, conversationID, userID string) (bool, error) {
	if err := checkCtx(ctx); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := memberKey{conversationID, userID}
	_, ok := s.d.bans[k]
	delete(s.d.bans, k)
	return ok, nil
}

// Bans lists a conversation's bans by user id.
func (s *Store) Bans(ctx context.Context, conversationID string, page core.PageRequest) (core.Page[core.Ban], error) {
	s.mu.RLock()
	var all []core.Ban
	for k, b := range s.d.bans {
		if k.conv == conversationID {
			all = append(all, cloneBan(b))
		}
	}
	s.mu.RUnlock()
	return pageBy(ctx, all, page, func(b core.Ban) string { return b.UserID }, false)
}

// BannedAmong returns which of userIDs are banned from the conversation at now, ascending.
func (s *Store) BannedAmong(ctx context.Context, conversationID string, userIDs []string, now time.Time) ([]string, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, u := range userIDs {
		if b, ok := s.d.bans[memberKey{conversationID, u}]; ok && b.ActiveAt(now) {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// CreateReport stores an open report; one per reporter and message.
func (s *Store) CreateReport(ctx context.Context, r core.Report) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.d.reports {
		if o.MessageID == r.MessageID && o.ReporterID == r.ReporterID {
			return core.Errorf(core.CodeAlreadyExists, "report exists")
		}
	}
	if _, ok := s.d.reports[r.ID]; ok {
		return core.Errorf(core.CodeAlreadyExists, "report exists")
	}
	s.d.reports[r.ID] = cloneReport(r)
	return nil
}

// Report returns the report.
func (s *Store) Report(ctx context.Context, id string) (core.Report, error) {
	if err := checkCtx(ctx); err != nil {
		return core.Report{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.d.reports[id]
	if !ok {
		return core.Report{}, core.Errorf(core.CodeNotFound, "report not found")
	}
	return cloneReport(r), nil
}

// Reports lists reports with the status ("" for all), oldest first.
func (s *Store) Reports(ctx context.Context, status core.ReportStatus, page core.PageRequest) (core.Page[core.Report], error) {
	s.mu.RLock()
	var all []core.Report
	for _, r := range s.d.reports {
		if status == "" || r.Status == status {
			all = append(all, cloneReport(r))
		}
	}
	s.mu.RUnlock()
	return pageBy(ctx, all, page, func(r core.Report) string { return r.ID }, false)
}

// CloseReport closes an open report.
func (s *Store) CloseReport(ctx context.Context, id string, status core.ReportStatus, by core.Actor, note string, at time.Time) (core.Report, error) {
	if err := checkCtx(ctx); err != nil {
		return core.Report{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.d.reports[id]
	switch {
	case !ok:
		return core.Report{}, core.Errorf(core.CodeNotFound, "report not found")
	case r.Status != core.ReportOpen:
		return core.Report{}, core.Errorf(core.CodeConflict, "report is closed already")
	}
	r.Status, r.ResolvedBy, r.ResolvedAt, r.Resolution = status, &by, &at, note
	s.d.reports[id] = cloneReport(r)
	return cloneReport(r), nil
}

// AppendAudit stores an entry of the audit log.
func (s *Store) AppendAudit(ctx context.Context, e core.AuditEntry) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d.audit = append(s.d.audit, cloneAudit(e))
	return nil
}

// AuditLog lists the entries matching q, newest first.
func (s *Store) AuditLog(ctx context.Context, q core.AuditQuery, page core.PageRequest) (core.Page[core.AuditEntry], error) {
	s.mu.RLock()
	var all []core.AuditEntry
	for _, e := range s.d.audit {
		if (q.Action == "" || e.Action == q.Action) && (q.ActorID == "" || e.Actor.ID == q.ActorID) &&
			(q.TargetID == "" || e.TargetID == q.TargetID) && (q.ConversationID == "" || e.ConversationID == q.ConversationID) {
			all = append(all, cloneAudit(e))
		}
	}
	s.mu.RUnlock()
	return pageBy(ctx, all, page, func(e core.AuditEntry) string { return e.ID }, true)
}

// pageBy returns one cursor page of items ordered by key (descending when desc); the cursor is the last key.
func pageBy[T any](ctx context.Context, items []T, page core.PageRequest, key func(T) string, desc bool) (core.Page[T], error) {
	if err := checkCtx(ctx); err != nil {
		return core.Page[T]{}, err
	}
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[T]{}, err
	}
	after, err := core.DecodeCursor(page.Cursor, 1)
	if err != nil {
		return core.Page[T]{}, err
	}
	hits := items[:0]
	for _, it := range items {
		if after == nil || (!desc && key(it) > after[0]) || (desc && key(it) < after[0]) {
			hits = append(hits, it)
		}
	}
	sort.Slice(hits, func(i, j int) bool { return (key(hits[i]) < key(hits[j])) != desc })
	if len(hits) <= limit {
		return core.Page[T]{Items: hits}, nil
	}
	hits = hits[:limit]
	return core.Page[T]{Items: hits, Next: core.EncodeCursor(key(hits[limit-1]))}, nil
}
