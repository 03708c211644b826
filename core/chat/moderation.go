package chat

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// Moderation: bans, mutes and slow mode, for a conversation's owners and admins (over the members they outrank)
// and for system admins (admin API keys and users with the system role admin), over anyone but owners; the
// report queue; and the audit log, where every such action and every admin API change is recorded.

// Audit actions: the Action of every audit log entry.
const (
	AuditAPIKeyCreate     = "api_key.create"
	AuditAPIKeyRevoke     = "api_key.revoke"
	AuditUserCreate       = "user.create"
	AuditUserUpdate       = "user.update"
	AuditUserDeactivate   = "user.deactivate"
	AuditUserReactivate   = "user.reactivate"
	AuditConvCreate       = "conversation.create"
	AuditMembersAdd       = "conversation.members_add"
	AuditMemberRemove     = "conversation.member_remove"
	AuditMemberRole       = "conversation.member_role"
	AuditBan              = "conversation.ban"
	AuditUnban            = "conversation.unban"
	AuditSlowMode         = "conversation.slow_mode"
	AuditMute             = "member.mute"
	AuditUnmute           = "member.unmute"
	AuditReportResolve    = "report.resolve"
	AuditReportDismiss    = "report.dismiss"
	auditTargetUser       = "user"
	auditTargetConv       = "conversation"
	AuditTargetAPIKey     = "api_key"
	auditTargetReport     = "report"
	auditTargetMember     = "member"
	auditDetailReason     = "reason"
	auditDetailDuration   = "durationSeconds"
	auditDetailExpires    = "expiresAt"
	auditDetailMessage    = "messageId"
	auditDetailDeleteMsg  = "deleteMessage"
	auditDetailNote       = "note"
	auditDetailAdmin      = "admin"
	auditDetailName       = "displayName"
	auditDetailUsers      = "userIds"
	auditDetailScope      = "scope"
	auditDetailSlowMode   = "slowModeSeconds"
	auditDetailKind       = "kind"
	auditDetailMuteUntil  = "mutedUntil"
	auditDetailExternalID = "externalSubject"
)

// Actor returns who the caller is, as the audit log names them.
func (c Caller) Actor() core.Actor {
	if c.Key != nil && c.Key.Scope == core.ScopeAdmin {
		return core.Actor{Type: core.ActorAPIKey, ID: c.Key.ID}
	}
	return core.Actor{Type: core.ActorUser, ID: c.User.ID}
}

// eventActor is the ActorID of the events a caller's change makes: their user id, "" for an admin key.
func (c Caller) eventActor() string { return c.User.ID }

// audit records an administrative action. It is written after the action, before the caller hears of its
// success: an action acknowledged is in the log (one whose answer was lost may be missing, and is recorded
// again when retried).
func (s *Service) audit(ctx context.Context, caller Caller, action, targetType, targetID, conversationID string, details map[string]string) error {
	return appendAudit(ctx, s.d.Moderation, core.AuditEntry{ID: s.d.IDs.NewID(), At: s.now(), Actor: caller.Actor(),
		Action: action, TargetType: targetType, TargetID: targetID, ConversationID: conversationID, Details: details})
}

// AuditOperator records an action taken on the command line, on the storage directly, by operator (their
// operating-system user name): the key commands, which work without a running server.
func AuditOperator(ctx context.Context, store ports.ModerationStore, ids ports.IDGenerator, clock ports.Clock,
	operator, action, targetType, targetID string, details map[string]string) error {
	return appendAudit(ctx, store, core.AuditEntry{ID: ids.NewID(), At: clock.Now().UTC().Truncate(time.Millisecond),
		Actor: core.Actor{Type: core.ActorOperator, ID: operator}, Action: action, TargetType: targetType,
		TargetID: targetID, Details: details})
}

func appendAudit(ctx context.Context, store ports.ModerationStore, e core.AuditEntry) error {
	if err := store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		return core.Wrap(core.CodeUnavailable, err, "the action was done but could not be recorded in the audit log; retry it")
	}
	return nil
}

// AuditLog lists the audit log, newest first, for admins.
func (s *Service) AuditLog(ctx context.Context, caller Caller, q core.AuditQuery, page core.PageRequest) (core.Page[core.AuditEntry], error) {
	if err := requireAdmin(caller); err != nil {
		return core.Page[core.AuditEntry]{}, err
	}
	var err error
	if page.Limit, err = core.PageLimit(page.Limit); err != nil {
		return core.Page[core.AuditEntry]{}, err
	}
	return s.d.Moderation.AuditLog(ctx, q, page)
}

// moderating returns ctx for a moderation call: an admin's is not rate limited (see asAdmin), a user's counts
// against their membership-change allowance.
func (s *Service) moderating(ctx context.Context, caller Caller) (context.Context, error) {
	if caller.Admin() {
		return asAdmin(ctx), nil
	}
	return ctx, s.allow(ctx, LimitMembers, caller.User.ID, "moderation actions")
}

// mayModerate checks that caller may moderate conv — and target, when it is a member — as read by get (a
// ledger transaction's Member, or the store's).
func mayModerate(ctx context.Context, get func(ctx context.Context, conversationID, userID string) (core.Member, error),
	caller Caller, conv core.Conversation, target *core.Member) error {
	if conv.Kind == core.KindDirect {
		return core.Errorf(core.CodeConflict, "direct conversations have no moderation")
	}
	if target != nil && target.UserID == caller.User.ID {
		return core.Errorf(core.CodeConflict, "you cannot moderate yourself")
	}
	if target != nil && target.Role == core.RoleOwner {
		return core.Errorf(core.CodePermissionDenied, "an owner cannot be banned or muted; change their role first")
	}
	if caller.Admin() {
		return nil
	}
	m, err := get(ctx, conv.ID, caller.User.ID)
	switch {
	case errors.Is(err, core.ErrNotFound) && conv.Kind == core.KindChannel:
		return core.Errorf(core.CodePermissionDenied, "only the channel's admins and owners may moderate it")
	case err != nil:
		return notFoundAs(err, "conversation not found")
	case !m.CanModerate(conv):
		return core.Errorf(core.CodePermissionDenied, "only the conversation's admins and owners may moderate it")
	case target != nil && !m.Outranks(*target):
		return core.Errorf(core.CodePermissionDenied, "you may not moderate a member of your rank")
	}
	return nil
}

// BanInput is a ban: why (shown to admins) and for how long (0: until lifted).
type BanInput struct {
	Reason   string
	Duration time.Duration
}

// Ban bans userID from a group or channel: they are removed, and cannot join again or be added while the ban
// lasts. Banning again replaces the ban (a new reason and expiry).
func (s *Service) Ban(ctx context.Context, caller Caller, conversationID, userID string, in BanInput) (core.Ban, error) {
	reason, err := core.CleanReason("reason", in.Reason)
	if err != nil {
		return core.Ban{}, err
	}
	if in.Duration < 0 || in.Duration > core.MaxBan || in.Duration%time.Second != 0 {
		return core.Ban{}, core.Invalid("durationSeconds", "durationSeconds must be 0 (until lifted) to %d", int(core.MaxBan/time.Second))
	}
	if _, err := s.d.Users.UserByID(ctx, userID); err != nil {
		return core.Ban{}, notFoundAs(err, "user not found")
	}
	if ctx, err = s.moderating(ctx, caller); err != nil {
		return core.Ban{}, err
	}
	conv, err := s.d.Conversations.Conversation(ctx, conversationID)
	if err != nil {
		return core.Ban{}, notFoundAs(err, "conversation not found")
	}
	var target *core.Member
	if m, err := s.d.Members.Member(ctx, conversationID, userID); err == nil {
		target = &m
	} else if !errors.Is(err, core.ErrNotFound) {
		return core.Ban{}, err
	}
	if err := mayModerate(ctx, s.d.Members.Member, caller, conv, target); err != nil {
		return core.Ban{}, err
	}
	if userID == caller.User.ID {
		return core.Ban{}, core.Errorf(core.CodeConflict, "you cannot moderate yourself")
	}
	now := s.now()
	b := core.Ban{ConversationID: conversationID, UserID: userID, BannedBy: caller.Actor(), Reason: reason, CreatedAt: now}
	if in.Duration > 0 {
		until := now.Add(in.Duration)
		b.ExpiresAt = &until
	}
	// Stored before the removal: a join that holds the conversation after this either sees the ban or
	// committed before the removal below, which then removes it (Join reads bans while holding the conversation).
	if err := s.d.Moderation.PutBan(ctx, b); err != nil {
		return core.Ban{}, err
	}
	_, err = s.change(ctx, conversationID, func(ctx context.Context, tx ports.LedgerTx, conv core.Conversation) ([]core.Event, error) {
		m, err := tx.Member(ctx, conversationID, userID)
		if errors.Is(err, core.ErrNotFound) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		if m.Role == core.RoleOwner { // made owner since the check above: the ban stands, the owner stays
			return nil, core.Errorf(core.CodeConflict, "the user became an owner meanwhile: they were banned but not removed")
		}
		return []core.Event{{Type: core.EventMemberLeft, ActorID: caller.eventActor(), Member: &m}}, nil
	})
	if err != nil {
		return core.Ban{}, err
	}
	details := map[string]string{auditDetailReason: reason, auditDetailDuration: strconv.Itoa(int(in.Duration / time.Second))}
	if b.ExpiresAt != nil {
		details[auditDetailExpires] = b.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return b, s.audit(ctx, caller, AuditBan, auditTargetUser, userID, conversationID, details)
}

// Unban lifts a ban (404 when there is none).
func (s *Service) Unban(ctx context.Context, caller Caller, conversationID, userID string) error {
	ctx, err := s.moderating(ctx, caller)
	if err != nil {
		return err
	}
	if err := s.mayModerateConversation(ctx, caller, conversationID); err != nil {
		return err
	}
	found, err := s.d.Moderation.DeleteBan(ctx, conversationID, userID)
	if err != nil {
		return err
	}
	if !found {
		return core.Errorf(core.CodeNotFound, "ban not found")
	}
	return s.audit(ctx, caller, AuditUnban, auditTargetUser, userID, conversationID, nil)
}

// Bans lists a conversation's bans, expired ones included, for its moderators.
func (s *Service) Bans(ctx context.Context, caller Caller, conversationID string, page core.PageRequest) (core.Page[core.Ban], error) {
	if err := s.mayModerateConversation(ctx, caller, conversationID); err != nil {
		return core.Page[core.Ban]{}, err
	}
	var err error
	if page.Limit, err = core.PageLimit(page.Limit); err != nil {
		return core.Page[core.Ban]{}, err
	}
	return s.d.Moderation.Bans(ctx, conversationID, page)
}

// mayModerateConversation checks, from the store, that caller may moderate the conversation.
func (s *Service) mayModerateConversation(ctx context.Context, caller Caller, conversationID string) error {
	conv, err := s.d.Conversations.Conversation(ctx, conversationID)
	if err != nil {
		return notFoundAs(err, "conversation not found")
	}
	return mayModerate(ctx, s.d.Members.Member, caller, conv, nil)
}

// refuseBanned refuses userIDs of which any is banned from the conversation now (read while the caller holds
// the conversation in a ledger transaction, so that a ban stored before sees no join after it).
func (s *Service) refuseBanned(ctx context.Context, conversationID string, userIDs []string, field string) error {
	banned, err := s.d.Moderation.BannedAmong(ctx, conversationID, userIDs, s.now())
	if err != nil || len(banned) == 0 {
		return err
	}
	if field == "" {
		return core.Errorf(core.CodePermissionDenied, "you are banned from this conversation")
	}
	return &core.Error{Code: core.CodePermissionDenied, Field: field, Message: "user " + banned[0] + " is banned from this conversation"}
}

// Mute keeps a member from posting (sending and editing) for d; muting again sets a new end.
func (s *Service) Mute(ctx context.Context, caller Caller, conversationID, userID string, d time.Duration, reason string) (core.Member, error) {
	reason, err := core.CleanReason("reason", reason)
	if err != nil {
		return core.Member{}, err
	}
	if d < time.Second || d > core.MaxMute || d%time.Second != 0 {
		return core.Member{}, core.Invalid("durationSeconds", "durationSeconds must be 1 to %d", int(core.MaxMute/time.Second))
	}
	until := s.now().Add(d)
	m, err := s.setMute(ctx, caller, conversationID, userID, &until)
	if err != nil {
		return core.Member{}, err
	}
	return m, s.audit(ctx, caller, AuditMute, auditTargetMember, userID, conversationID, map[string]string{
		auditDetailReason: reason, auditDetailDuration: strconv.Itoa(int(d / time.Second)),
		auditDetailMuteUntil: until.UTC().Format(time.RFC3339)})
}

// Unmute lets a muted member post again (harmless when they are not muted).
func (s *Service) Unmute(ctx context.Context, caller Caller, conversationID, userID string) (core.Member, error) {
	m, err := s.setMute(ctx, caller, conversationID, userID, nil)
	if err != nil {
		return core.Member{}, err
	}
	return m, s.audit(ctx, caller, AuditUnmute, auditTargetMember, userID, conversationID, nil)
}

// setMute sets a member's MutedUntil in the ledger (a member.updated event).
func (s *Service) setMute(ctx context.Context, caller Caller, conversationID, userID string, until *time.Time) (core.Member, error) {
	ctx, err := s.moderating(ctx, caller)
	if err != nil {
		return core.Member{}, err
	}
	var out core.Member
	_, err = s.change(ctx, conversationID, func(ctx context.Context, tx ports.LedgerTx, conv core.Conversation) ([]core.Event, error) {
		target, err := tx.Member(ctx, conversationID, userID)
		if errors.Is(err, core.ErrNotFound) {
			if err := mayModerate(ctx, tx.Member, caller, conv, nil); err != nil {
				return nil, err
			}
			return nil, core.Errorf(core.CodeNotFound, "member not found")
		} else if err != nil {
			return nil, err
		}
		if err := mayModerate(ctx, tx.Member, caller, conv, &target); err != nil {
			return nil, err
		}
		out = target
		if until == nil && target.MutedUntil == nil {
			return nil, nil
		}
		out.MutedUntil = until
		return []core.Event{{Type: core.EventMemberUpdated, ActorID: caller.eventActor(), Member: &out}}, nil
	})
	return out, err
}

// SetSlowMode sets the least time between two messages of a plain member of a group or channel (0: off).
func (s *Service) SetSlowMode(ctx context.Context, caller Caller, conversationID string, d time.Duration) (core.Conversation, error) {
	if d < 0 || d > core.MaxSlowMode || d%time.Second != 0 {
		return core.Conversation{}, core.Invalid("seconds", "seconds must be 0 (off) to %d", int(core.MaxSlowMode/time.Second))
	}
	ctx, err := s.moderating(ctx, caller)
	if err != nil {
		return core.Conversation{}, err
	}
	var out core.Conversation
	_, err = s.change(ctx, conversationID, func(ctx context.Context, tx ports.LedgerTx, conv core.Conversation) ([]core.Event, error) {
		if err := mayModerate(ctx, tx.Member, caller, conv, nil); err != nil {
			return nil, err
		}
		out = conv
		if conv.SlowMode == d {
			return nil, nil
		}
		out.SlowMode = d
		return []core.Event{{Type: core.EventConversationUpdated, ActorID: caller.eventActor(), Conversation: &out}}, nil
	})
	if err != nil {
		return core.Conversation{}, err
	}
	return out, s.audit(ctx, caller, AuditSlowMode, auditTargetConv, conversationID, conversationID,
		map[string]string{auditDetailSlowMode: strconv.Itoa(int(d / time.Second))})
}

// allowSlowMode takes the sender's turn in a conversation held to slow mode slow (0: none).
func (s *Service) allowSlowMode(ctx context.Context, actor, conversationID string, slow time.Duration) error {
	if slow <= 0 || byAdmin(ctx) {
		return nil
	}
	ok, retry, err := s.d.Limiter.Allow(ctx, "slow:"+conversationID+":"+actor, core.Rate{Limit: 1, Per: slow})
	if err != nil {
		return err
	}
	if !ok {
		return &core.Error{Code: core.CodeRateLimited, RetryAfter: retry,
			Message: "this conversation is in slow mode: one message every " + slow.String()}
	}
	return nil
}

// ReportMessage reports a message of another member to the system's admins, with a reason.
func (s *Service) ReportMessage(ctx context.Context, actor, conversationID, messageID, reason string) (core.Report, error) {
	reason, err := core.CleanReason("reason", reason)
	if err != nil {
		return core.Report{}, err
	}
	if _, _, err := s.membership(ctx, actor, conversationID); err != nil {
		return core.Report{}, err
	}
	msg, err := s.d.History.Message(ctx, conversationID, messageID)
	if err != nil {
		return core.Report{}, notFoundAs(err, "message not found")
	}
	switch {
	case msg.SenderID == actor:
		return core.Report{}, core.Errorf(core.CodeConflict, "you cannot report your own message")
	case msg.Deleted():
		return core.Report{}, core.Errorf(core.CodeConflict, "the message was deleted")
	}
	if err := s.allow(ctx, LimitReport, actor, "reports"); err != nil {
		return core.Report{}, err
	}
	r := core.Report{ID: s.d.IDs.NewID(), ConversationID: conversationID, MessageID: messageID, ReporterID: actor,
		Reason: reason, CreatedAt: s.now(), Status: core.ReportOpen}
	if err := s.d.Moderation.CreateReport(ctx, r); err != nil {
		if errors.Is(err, core.ErrAlreadyExists) {
			return core.Report{}, core.Errorf(core.CodeAlreadyExists, "you reported this message already")
		}
		return core.Report{}, err
	}
	return r, nil
}

// Reports lists reports with a status ("" for all), oldest first, for admins.
func (s *Service) Reports(ctx context.Context, caller Caller, status core.ReportStatus, page core.PageRequest) (core.Page[core.Report], error) {
	if err := requireAdmin(caller); err != nil {
		return core.Page[core.Report]{}, err
	}
	if status != "" && !status.Valid() {
		return core.Page[core.Report]{}, core.Invalid("status", "status must be open, resolved or dismissed")
	}
	var err error
	if page.Limit, err = core.PageLimit(page.Limit); err != nil {
		return core.Page[core.Report]{}, err
	}
	return s.d.Moderation.Reports(ctx, status, page)
}

// CloseReportInput closes a report: resolved (optionally deleting the message) or dismissed, with a note.
type CloseReportInput struct {
	Status        core.ReportStatus
	DeleteMessage bool
	Note          string
}

// CloseReport closes an open report, for admins; resolving it may delete the reported message.
func (s *Service) CloseReport(ctx context.Context, caller Caller, id string, in CloseReportInput) (core.Report, error) {
	if err := requireAdmin(caller); err != nil {
		return core.Report{}, err
	}
	if in.Status != core.ReportResolved && in.Status != core.ReportDismissed {
		return core.Report{}, core.Invalid("status", "status must be resolved or dismissed")
	}
	if in.DeleteMessage && in.Status != core.ReportResolved {
		return core.Report{}, core.Invalid("deleteMessage", "only a resolved report deletes its message")
	}
	note, err := core.CleanReason("note", in.Note)
	if err != nil {
		return core.Report{}, err
	}
	r, err := s.d.Moderation.Report(ctx, id)
	if err != nil {
		return core.Report{}, notFoundAs(err, "report not found")
	}
	if r.Status != core.ReportOpen {
		return core.Report{}, core.Errorf(core.CodeConflict, "the report is closed already")
	}
	if in.DeleteMessage {
		if err := s.deleteAsAdmin(ctx, caller, r.ConversationID, r.MessageID); err != nil {
			return core.Report{}, err
		}
	}
	r, err = s.d.Moderation.CloseReport(ctx, id, in.Status, caller.Actor(), note, s.now())
	if errors.Is(err, core.ErrConflict) {
		return core.Report{}, core.Errorf(core.CodeConflict, "the report is closed already")
	} else if err != nil {
		return core.Report{}, err
	}
	action := AuditReportDismiss
	if in.Status == core.ReportResolved {
		action = AuditReportResolve
	}
	return r, s.audit(ctx, caller, action, auditTargetReport, id, r.ConversationID, map[string]string{
		auditDetailMessage: r.MessageID, auditDetailDeleteMsg: strconv.FormatBool(in.DeleteMessage), auditDetailNote: note})
}

// deleteAsAdmin turns a message into a tombstone for an admin (deleting twice is harmless).
func (s *Service) deleteAsAdmin(ctx context.Context, caller Caller, conversationID, messageID string) error {
	_, err := s.change(ctx, conversationID, func(ctx context.Context, tx ports.LedgerTx, _ core.Conversation) ([]core.Event, error) {
		msg, err := tx.Message(ctx, conversationID, messageID)
		if err != nil {
			return nil, notFoundAs(err, "message not found")
		}
		if msg.Deleted() {
			return nil, nil
		}
		tombstone(&msg, s.now())
		return []core.Event{{Type: core.EventMessageDeleted, ActorID: caller.eventActor(), Message: &msg}}, nil
	})
	return err
}
