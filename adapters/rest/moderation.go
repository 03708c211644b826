package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// tagModeration groups bans, mutes and slow mode: operations for a conversation's owners and admins, and for
// system admins (admin API keys and users with the system role admin).
const tagModeration = "moderation"

// Actor is who did something: a user, or an admin API key.
type Actor struct {
	Type string `json:"type" enum:"user,api_key,operator" doc:"user: a user (a conversation's moderator or a system admin); api_key: an admin API key; operator: someone who ran a scalechat command on the storage (scalechat apikey)."`
	ID   string `json:"id" doc:"The user id, the API key id, or the operator's operating-system user name."`
}

// Ban keeps a user out of a conversation.
type Ban struct {
	ConversationID string     `json:"conversationId" doc:"Conversation id."`
	UserID         string     `json:"userId" doc:"The banned user."`
	BannedBy       Actor      `json:"bannedBy" doc:"Who banned them."`
	Reason         string     `json:"reason" doc:"Why (empty when none was given)."`
	CreatedAt      time.Time  `json:"createdAt" doc:"When (RFC 3339, UTC)."`
	ExpiresAt      *time.Time `json:"expiresAt,omitempty" doc:"When the ban ends; absent: until it is lifted."`
}

// BanList is a page of bans.
type BanList struct {
	Items []Ban  `json:"items" nullable:"false" doc:"Bans by user id, expired ones included."`
	Next  string `json:"next,omitempty" doc:"Cursor of the next page; absent on the last page."`
}

// BanRequest bans a user.
type BanRequest struct {
	UserID          string `json:"userId" maxLength:"64" doc:"The user to ban: a member (removed at once) or anyone else (kept out)."`
	Reason          string `json:"reason,omitempty" maxLength:"2000" doc:"Why, for the audit log and the other moderators (at most 500 characters)."`
	DurationSeconds int    `json:"durationSeconds,omitempty" minimum:"0" maximum:"31622400" doc:"How long the ban lasts; 0 or absent: until it is lifted."`
}

// MuteRequest mutes a member.
type MuteRequest struct {
	DurationSeconds int    `json:"durationSeconds" minimum:"1" maximum:"2419200" doc:"How long the member may not send or edit messages (at most 28 days)."`
	Reason          string `json:"reason,omitempty" maxLength:"2000" doc:"Why, for the audit log (at most 500 characters)."`
}

// SlowModeRequest sets slow mode.
type SlowModeRequest struct {
	Seconds int `json:"seconds" minimum:"0" maximum:"21600" doc:"The least seconds between two messages of a plain member; 0 turns slow mode off."`
}

// Report is a member's report of a message, queued for the system's admins.
type Report struct {
	ID             string     `json:"id" doc:"Report id (UUIDv7)."`
	ConversationID string     `json:"conversationId" doc:"Conversation of the message."`
	MessageID      string     `json:"messageId" doc:"The reported message."`
	ReporterID     string     `json:"reporterId" doc:"Who reported it."`
	Reason         string     `json:"reason" doc:"Why (empty when none was given)."`
	CreatedAt      time.Time  `json:"createdAt" doc:"When (RFC 3339, UTC)."`
	Status         string     `json:"status" enum:"open,resolved,dismissed" doc:"open: waiting for an admin; resolved: acted upon; dismissed: nothing wrong found."`
	ResolvedBy     *Actor     `json:"resolvedBy,omitempty" doc:"The admin who closed it."`
	ResolvedAt     *time.Time `json:"resolvedAt,omitempty" doc:"When it was closed."`
	Resolution     string     `json:"resolution,omitempty" doc:"The admin's note."`
}

// ReportList is a page of reports.
type ReportList struct {
	Items []Report `json:"items" nullable:"false" doc:"Reports, oldest first."`
	Next  string   `json:"next,omitempty" doc:"Cursor of the next page; absent on the last page."`
}

// ReportRequest reports a message.
type ReportRequest struct {
	Reason string `json:"reason,omitempty" maxLength:"2000" doc:"What is wrong with it (at most 500 characters)."`
}

// CloseReportRequest closes a report.
type CloseReportRequest struct {
	Status        string `json:"status" enum:"resolved,dismissed" doc:"resolved: acted upon; dismissed: nothing wrong found."`
	DeleteMessage bool   `json:"deleteMessage,omitempty" doc:"Resolved only: delete the reported message too (it becomes a tombstone for every member)."`
	Note          string `json:"note,omitempty" maxLength:"2000" doc:"The admin's note (at most 500 characters)."`
}

// AuditEntry is one administrative action.
type AuditEntry struct {
	ID             string            `json:"id" doc:"Entry id (UUIDv7: ordered by time)."`
	At             time.Time         `json:"at" doc:"When (RFC 3339, UTC)."`
	Actor          Actor             `json:"actor" doc:"Who did it."`
	Action         string            `json:"action" doc:"What was done: api_key.create, api_key.revoke, user.create, user.update, user.deactivate, user.reactivate, conversation.create, conversation.members_add, conversation.member_role, conversation.member_remove, conversation.ban, conversation.unban, conversation.slow_mode, member.mute, member.unmute, report.resolve, report.dismiss, webhook.create, webhook.delete, webhook.redeliver."`
	TargetType     string            `json:"targetType" enum:"user,conversation,member,api_key,report" doc:"What kind of thing it was done to."`
	TargetID       string            `json:"targetId" doc:"The id of what it was done to (for member, the user id)."`
	ConversationID string            `json:"conversationId,omitempty" doc:"The conversation concerned, when one is."`
	Details        map[string]string `json:"details,omitempty" doc:"What else the action said (reason, durationSeconds, expiresAt, admin, displayName, ...)."`
}

// AuditLog is a page of the audit log.
type AuditLog struct {
	Items []AuditEntry `json:"items" nullable:"false" doc:"Entries, newest first."`
	Next  string       `json:"next,omitempty" doc:"Cursor of the next page; absent on the last page."`
}

// AdminUpdateUserRequest changes a user.
type AdminUpdateUserRequest struct {
	DisplayName *string `json:"displayName,omitempty" maxLength:"256" doc:"A new display name."`
	Admin       *bool   `json:"admin,omitempty" doc:"Give (true) or take (false) the system role admin. Bots cannot be admins; nobody takes their own."`
}

// AdminAddMembersRequest adds members.
type AdminAddMembersRequest struct {
	UserIDs []string `json:"userIds" minItems:"1" maxItems:"100" doc:"Users to add; members already are skipped."`
}

type banInput struct {
	ConversationParams
	Body BanRequest
}

type listBansInput struct {
	ConversationParams
	PageParams
}

type muteInput struct {
	MemberParams
	Body MuteRequest
}

type slowModeInput struct {
	ConversationParams
	Body SlowModeRequest
}

type reportInput struct {
	MessageParams
	Body ReportRequest
}

type listReportsInput struct {
	Status string `query:"status" enum:"open,resolved,dismissed" doc:"Only reports with this status; omit for all."`
	PageParams
}

type closeReportInput struct {
	ReportID string `path:"reportId" maxLength:"64" doc:"Report id."`
	Body     CloseReportRequest
}

type auditLogInput struct {
	Action         string `query:"action" maxLength:"64" doc:"Only entries of this action."`
	ActorID        string `query:"actorId" maxLength:"64" doc:"Only entries by this user or API key id."`
	TargetID       string `query:"targetId" maxLength:"64" doc:"Only entries about this target id."`
	ConversationID string `query:"conversationId" maxLength:"64" doc:"Only entries about this conversation."`
	PageParams
}

type adminUpdateUserInput struct {
	UserID string `path:"userId" doc:"User id."`
	Body   AdminUpdateUserRequest
}

type adminAddMembersInput struct {
	ConversationParams
	Body AdminAddMembersRequest
}

// AddedMembers are the members an admin just added.
type AddedMembers struct {
	Items []schema.Member `json:"items" nullable:"false" doc:"The members added (those who were members already are not listed)."`
}

func registerModeration(r registrar, s *server) {
	const conv = "/v1/conversations/{conversationId}"
	huma.Register(r.api, r.secured("banUser", http.MethodPost, conv+"/bans", tagModeration, "Ban a user",
		"Bans a user from a group or channel (its owners and admins, over members they outrank; system admins, over "+
			"anyone but owners): a member is removed at once; nobody banned can join or be added while the ban lasts. "+
			"Banning again replaces the ban.", http.StatusCreated, http.StatusForbidden, http.StatusNotFound, http.StatusConflict),
		s.banUser)
	huma.Register(r.api, r.secured("listBans", http.MethodGet, conv+"/bans", tagModeration, "List bans",
		"Lists a conversation's bans, expired ones included (its owners and admins, and system admins).",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound, http.StatusConflict), s.listBans)
	huma.Register(r.api, r.secured("unbanUser", http.MethodDelete, conv+"/bans/{userId}", tagModeration, "Lift a ban",
		"Lifts a ban: the user may join or be added again. 404 when there is none.",
		http.StatusNoContent, http.StatusForbidden, http.StatusNotFound, http.StatusConflict), s.unbanUser)
	huma.Register(r.api, r.secured("muteMember", http.MethodPost, conv+"/members/{userId}/mute", tagModeration, "Mute a member",
		"Keeps a member from sending and editing messages for a while (a member.updated event carries mutedUntil). "+
			"Muting again sets a new end.", http.StatusOK, http.StatusForbidden, http.StatusNotFound, http.StatusConflict),
		s.muteMember)
	huma.Register(r.api, r.secured("unmuteMember", http.MethodDelete, conv+"/members/{userId}/mute", tagModeration, "Unmute a member",
		"Lets a muted member post again; harmless when they are not muted.",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound, http.StatusConflict), s.unmuteMember)
	huma.Register(r.api, r.secured("setSlowMode", http.MethodPut, conv+"/slow-mode", tagModeration, "Set slow mode",
		"Sets the least time between two messages of a plain member of a group or channel (owners and admins are "+
			"exempt); a faster send is refused with 429 and Retry-After. 0 turns it off. A conversation.updated event "+
			"carries slowModeSeconds.", http.StatusOK, http.StatusForbidden, http.StatusNotFound, http.StatusConflict),
		s.setSlowMode)
	huma.Register(r.api, r.secured("reportMessage", http.MethodPost, conv+"/messages/{messageId}/reports", tagMessages,
		"Report a message", "Reports another member's message to the system's admins (once per message).",
		http.StatusCreated, http.StatusForbidden, http.StatusNotFound, http.StatusConflict), s.reportMessage)

	huma.Register(r.api, r.secured("listReports", http.MethodGet, "/v1/admin/reports", tagAdmin, "List reports",
		"Lists reported messages, oldest first (admins only): the moderation queue is status=open.",
		http.StatusOK, http.StatusForbidden), s.listReports)
	huma.Register(r.api, r.secured("closeReport", http.MethodPost, "/v1/admin/reports/{reportId}/close", tagAdmin, "Close a report",
		"Resolves (optionally deleting the message) or dismisses an open report (admins only); 409 when it is closed already.",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound, http.StatusConflict), s.closeReport)
	huma.Register(r.api, r.secured("listAuditLog", http.MethodGet, "/v1/admin/audit-log", tagAdmin, "Read the audit log",
		"Lists administrative actions, newest first (admins only): every admin API change and every ban, mute and "+
			"slow-mode change, by whoever made it. Posting and exporting through the admin API are not recorded.",
		http.StatusOK, http.StatusForbidden), s.listAuditLog)
	huma.Register(r.api, r.secured("adminUpdateUser", http.MethodPatch, "/v1/admin/users/{userId}", tagAdmin, "Change a user",
		"Renames a user or gives or takes their system role admin (admins only).",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound, http.StatusConflict), s.adminUpdateUser)
	huma.Register(r.api, r.secured("adminAddMembers", http.MethodPost, "/v1/admin/conversations/{conversationId}/members", tagAdmin,
		"Add members for users", "Adds users to a group or channel (admins only), whoever its members are; bans apply.",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound, http.StatusConflict), s.adminAddMembers)
	huma.Register(r.api, r.secured("adminUpdateMember", http.MethodPatch, "/v1/admin/conversations/{conversationId}/members/{userId}", tagAdmin,
		"Change a member's role for users", "Gives a member of a group or channel a role (admins only); the last owner keeps theirs while others remain.",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound, http.StatusConflict), s.adminUpdateMember)
	huma.Register(r.api, r.secured("adminRemoveMember", http.MethodDelete, "/v1/admin/conversations/{conversationId}/members/{userId}", tagAdmin,
		"Remove a member for users", "Removes a member of a group or channel (admins only); not its last owner while others remain.",
		http.StatusNoContent, http.StatusForbidden, http.StatusNotFound, http.StatusConflict), s.adminRemoveMember)
}

func actorOf(a core.Actor) Actor { return Actor{Type: string(a.Type), ID: a.ID} }

func banOf(b core.Ban) Ban {
	return Ban{ConversationID: b.ConversationID, UserID: b.UserID, BannedBy: actorOf(b.BannedBy), Reason: b.Reason,
		CreatedAt: b.CreatedAt.UTC(), ExpiresAt: schema.UTC(b.ExpiresAt)}
}

func reportOf(r core.Report) Report {
	out := Report{ID: r.ID, ConversationID: r.ConversationID, MessageID: r.MessageID, ReporterID: r.ReporterID,
		Reason: r.Reason, CreatedAt: r.CreatedAt.UTC(), Status: string(r.Status), ResolvedAt: schema.UTC(r.ResolvedAt),
		Resolution: r.Resolution}
	if r.ResolvedBy != nil {
		a := actorOf(*r.ResolvedBy)
		out.ResolvedBy = &a
	}
	return out
}

func auditEntryOf(e core.AuditEntry) AuditEntry {
	details := map[string]string{}
	for k, v := range e.Details {
		if v != "" {
			details[k] = v
		}
	}
	return AuditEntry{ID: e.ID, At: e.At.UTC(), Actor: actorOf(e.Actor), Action: e.Action, TargetType: e.TargetType,
		TargetID: e.TargetID, ConversationID: e.ConversationID, Details: details}
}

func (s *server) banUser(ctx context.Context, in *banInput) (*body[Ban], error) {
	b, err := s.svc.Ban(ctx, caller(ctx).Caller, in.ConversationID, in.Body.UserID, chat.BanInput{Reason: in.Body.Reason,
		Duration: time.Duration(in.Body.DurationSeconds) * time.Second})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[Ban]{Body: banOf(b)}, nil
}

func (s *server) listBans(ctx context.Context, in *listBansInput) (*body[BanList], error) {
	p, err := s.svc.Bans(ctx, caller(ctx).Caller, in.ConversationID, core.PageRequest{Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[BanList]{Body: BanList{Items: mapItems(p.Items, banOf), Next: p.Next}}, nil
}

func (s *server) unbanUser(ctx context.Context, in *MemberParams) (*struct{}, error) {
	if err := s.svc.Unban(ctx, caller(ctx).Caller, in.ConversationID, in.UserID); err != nil {
		return nil, s.fail(ctx, err)
	}
	return &struct{}{}, nil
}

func (s *server) muteMember(ctx context.Context, in *muteInput) (*body[schema.Member], error) {
	m, err := s.svc.Mute(ctx, caller(ctx).Caller, in.ConversationID, in.UserID,
		time.Duration(in.Body.DurationSeconds)*time.Second, in.Body.Reason)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.Member]{Body: schema.MemberOf(m)}, nil
}

func (s *server) unmuteMember(ctx context.Context, in *MemberParams) (*body[schema.Member], error) {
	m, err := s.svc.Unmute(ctx, caller(ctx).Caller, in.ConversationID, in.UserID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.Member]{Body: schema.MemberOf(m)}, nil
}

func (s *server) setSlowMode(ctx context.Context, in *slowModeInput) (*body[schema.Conversation], error) {
	c, err := s.svc.SetSlowMode(ctx, caller(ctx).Caller, in.ConversationID, time.Duration(in.Body.Seconds)*time.Second)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.Conversation]{Body: schema.ConversationOf(c)}, nil
}

func (s *server) reportMessage(ctx context.Context, in *reportInput) (*body[Report], error) {
	r, err := s.svc.ReportMessage(ctx, caller(ctx).user.ID, in.ConversationID, in.MessageID, in.Body.Reason)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[Report]{Body: reportOf(r)}, nil
}

func (s *server) listReports(ctx context.Context, in *listReportsInput) (*body[ReportList], error) {
	p, err := s.svc.Reports(ctx, caller(ctx).Caller, core.ReportStatus(in.Status), core.PageRequest{Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[ReportList]{Body: ReportList{Items: mapItems(p.Items, reportOf), Next: p.Next}}, nil
}

func (s *server) closeReport(ctx context.Context, in *closeReportInput) (*body[Report], error) {
	r, err := s.svc.CloseReport(ctx, caller(ctx).Caller, in.ReportID, chat.CloseReportInput{
		Status: core.ReportStatus(in.Body.Status), DeleteMessage: in.Body.DeleteMessage, Note: in.Body.Note})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[Report]{Body: reportOf(r)}, nil
}

func (s *server) listAuditLog(ctx context.Context, in *auditLogInput) (*body[AuditLog], error) {
	p, err := s.svc.AuditLog(ctx, caller(ctx).Caller, core.AuditQuery{Action: in.Action, ActorID: in.ActorID,
		TargetID: in.TargetID, ConversationID: in.ConversationID}, core.PageRequest{Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[AuditLog]{Body: AuditLog{Items: mapItems(p.Items, auditEntryOf), Next: p.Next}}, nil
}

func (s *server) adminUpdateUser(ctx context.Context, in *adminUpdateUserInput) (*body[schema.User], error) {
	u, err := s.svc.AdminUpdateUser(ctx, caller(ctx).Caller, in.UserID, chat.AdminUpdateUserInput{
		DisplayName: in.Body.DisplayName, Admin: in.Body.Admin})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.User]{Body: schema.UserOf(u)}, nil
}

func (s *server) adminAddMembers(ctx context.Context, in *adminAddMembersInput) (*body[AddedMembers], error) {
	added, err := s.svc.AdminAddMembers(ctx, caller(ctx).Caller, in.ConversationID, in.Body.UserIDs)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[AddedMembers]{Body: AddedMembers{Items: mapItems(added, schema.MemberOf)}}, nil
}

func (s *server) adminUpdateMember(ctx context.Context, in *updateMemberInput) (*body[schema.Member], error) {
	m, err := s.svc.AdminSetRole(ctx, caller(ctx).Caller, in.ConversationID, in.UserID, core.Role(in.Body.Role))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.Member]{Body: schema.MemberOf(m)}, nil
}

func (s *server) adminRemoveMember(ctx context.Context, in *MemberParams) (*struct{}, error) {
	if err := s.svc.AdminRemoveMember(ctx, caller(ctx).Caller, in.ConversationID, in.UserID); err != nil {
		return nil, s.fail(ctx, err)
	}
	return &struct{}{}, nil
}
