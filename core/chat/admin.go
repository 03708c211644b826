package chat

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// The admin API's use cases: what the host application's backend does with an admin API key. Each acts as the
// user it names (the owner of a conversation it creates, the sender of a message it posts), with that user's
// rights, but not against that user's rate limits: the backend is trusted and meters itself.

type adminKey struct{}

// asAdmin marks ctx as a call of the admin API (see allow).
func asAdmin(ctx context.Context) context.Context { return context.WithValue(ctx, adminKey{}, true) }

// byAdmin reports whether ctx is a call of the admin API.
func byAdmin(ctx context.Context) bool { return ctx.Value(adminKey{}) != nil }

// AdminUserInput is a user the host application creates: a username, a display name (default the username),
// and, for a user of its own, the subject of that user's application tokens — so that their first token signs
// them in as this user.
type AdminUserInput struct {
	Username        string
	DisplayName     string
	ExternalSubject string
}

// AdminCreateUser creates a user without a password, for an admin: one that signs in with application tokens
// (ExternalSubject, linked to the configured issuer), or one the host application only acts as.
func (s *Service) AdminCreateUser(ctx context.Context, caller Caller, in AdminUserInput) (core.User, error) {
	if err := requireAdmin(caller); err != nil {
		return core.User{}, err
	}
	username, err := core.NormalizeUsername(in.Username)
	if err != nil {
		return core.User{}, err
	}
	display, err := core.CleanDisplayName(in.DisplayName, username)
	if err != nil {
		return core.User{}, err
	}
	subject := strings.TrimSpace(in.ExternalSubject)
	if subject != "" && s.d.Identity == nil {
		return core.User{}, core.Invalid("externalSubject", "this server accepts no application tokens (no JWT verification is configured)")
	}
	if len(subject) > 255 {
		return core.User{}, core.Invalid("externalSubject", "externalSubject must be at most 255 bytes")
	}
	u := core.User{ID: s.d.IDs.NewID(), Username: username, DisplayName: display, CreatedAt: s.now()}
	if subject == "" {
		err = s.d.Users.CreateUser(ctx, u)
	} else {
		err = s.d.Users.CreateExternalUser(ctx, u, s.d.Identity.Issuer(), subject)
	}
	if errors.Is(err, core.ErrAlreadyExists) {
		if core.AsError(err).Field == "subject" {
			return core.User{}, &core.Error{Code: core.CodeAlreadyExists, Field: "externalSubject",
				Message: "a user with this externalSubject exists already"}
		}
		return core.User{}, &core.Error{Code: core.CodeAlreadyExists, Field: "username", Message: "username is taken"}
	}
	if err != nil {
		return core.User{}, err
	}
	return u, s.audit(ctx, caller, AuditUserCreate, auditTargetUser, u.ID, "", map[string]string{
		"username": u.Username, auditDetailExternalID: subject})
}

// AdminUpdateUserInput changes a user: their display name, their system role admin (nil: unchanged).
type AdminUpdateUserInput struct {
	DisplayName *string
	Admin       *bool
}

// AdminUpdateUser renames a user or gives or takes their system role admin, for an admin. Bots cannot be
// admins, and an admin user cannot take their own role (another admin must).
func (s *Service) AdminUpdateUser(ctx context.Context, caller Caller, userID string, in AdminUpdateUserInput) (core.User, error) {
	if err := requireAdmin(caller); err != nil {
		return core.User{}, err
	}
	u, err := s.d.Users.UserByID(ctx, userID)
	if err != nil {
		return core.User{}, notFoundAs(err, "user not found")
	}
	details := map[string]string{}
	if in.DisplayName != nil {
		name, err := core.CleanDisplayName(*in.DisplayName, u.Username)
		if err != nil {
			return core.User{}, err
		}
		if u, err = s.d.Users.SetDisplayName(ctx, userID, name); err != nil {
			return core.User{}, notFoundAs(err, "user not found")
		}
		details[auditDetailName] = name
	}
	if in.Admin != nil {
		switch {
		case *in.Admin && u.Bot:
			return core.User{}, core.Invalid("admin", "a bot cannot have the system role admin")
		case !*in.Admin && userID == caller.User.ID:
			return core.User{}, core.Errorf(core.CodeConflict, "you cannot take your own admin role; another admin must")
		}
		if u, err = s.d.Users.SetAdmin(ctx, userID, *in.Admin); err != nil {
			return core.User{}, notFoundAs(err, "user not found")
		}
		details[auditDetailAdmin] = strconv.FormatBool(*in.Admin)
	}
	if len(details) == 0 {
		return u, nil
	}
	return u, s.audit(ctx, caller, AuditUserUpdate, auditTargetUser, userID, "", details)
}

// AdminCreateConversation creates a conversation owned by ownerID, with in.MemberIDs, for an admin: as if the
// owner created it (blocks apply).
func (s *Service) AdminCreateConversation(ctx context.Context, caller Caller, ownerID string, in CreateInput) (core.Summary, bool, error) {
	if err := requireAdmin(caller); err != nil {
		return core.Summary{}, false, err
	}
	if err := s.activeUser(ctx, ownerID, "ownerId"); err != nil {
		return core.Summary{}, false, err
	}
	sum, created, err := s.CreateConversation(asAdmin(ctx), ownerID, in)
	if err != nil || !created {
		return sum, created, err
	}
	return sum, created, s.audit(ctx, caller, AuditConvCreate, auditTargetConv, sum.ID, sum.ID, map[string]string{
		"ownerId": ownerID, auditDetailKind: string(sum.Kind), auditDetailUsers: strings.Join(in.MemberIDs, ",")})
}

// AdminAddMembers adds users to a group or channel, for an admin, whoever its members are: bans apply, blocks
// do not (no member adds them). Users who are members already are skipped.
func (s *Service) AdminAddMembers(ctx context.Context, caller Caller, conversationID string, userIDs []string) ([]core.Member, error) {
	if err := requireAdmin(caller); err != nil {
		return nil, err
	}
	others, err := s.otherUsers(ctx, "", userIDs, core.MaxMembersPerAdd)
	if err != nil {
		return nil, err
	}
	added, err := s.addMembers(asAdmin(ctx), caller.eventActor(), conversationID, others, nil)
	if err != nil || len(added) == 0 {
		return added, err
	}
	ids := make([]string, len(added))
	for i, m := range added {
		ids[i] = m.UserID
	}
	return added, s.audit(ctx, caller, AuditMembersAdd, auditTargetConv, conversationID, conversationID,
		map[string]string{auditDetailUsers: strings.Join(ids, ",")})
}

// AdminSetRole gives a member of a group or channel a role, for an admin (the last owner keeps theirs while the
// conversation has other members: make another member owner first).
func (s *Service) AdminSetRole(ctx context.Context, caller Caller, conversationID, userID string, role core.Role) (core.Member, error) {
	if err := requireAdmin(caller); err != nil {
		return core.Member{}, err
	}
	if !role.Valid() {
		return core.Member{}, core.Invalid("role", "role must be owner, admin or member")
	}
	var out core.Member
	_, err := s.change(ctx, conversationID, func(ctx context.Context, tx ports.LedgerTx, conv core.Conversation) ([]core.Event, error) {
		if conv.Kind == core.KindDirect {
			return nil, core.Errorf(core.CodeConflict, "members of a direct conversation have no roles")
		}
		target, err := tx.Member(ctx, conversationID, userID)
		if err != nil {
			return nil, notFoundAs(err, "member not found")
		}
		out = target
		if target.Role == role {
			return nil, nil
		}
		if err := s.keepAnOwner(ctx, conversationID, target, role); err != nil {
			return nil, err
		}
		out.Role = role
		return []core.Event{{Type: core.EventMemberUpdated, ActorID: caller.eventActor(), Member: &out}}, nil
	})
	if err != nil {
		return core.Member{}, err
	}
	return out, s.audit(ctx, caller, AuditMemberRole, auditTargetMember, userID, conversationID,
		map[string]string{"role": string(role)})
}

// AdminRemoveMember removes a member from a group or channel, for an admin. A conversation's last owner is not
// removed while it has other members (make another member owner first).
func (s *Service) AdminRemoveMember(ctx context.Context, caller Caller, conversationID, userID string) error {
	if err := requireAdmin(caller); err != nil {
		return err
	}
	_, err := s.change(ctx, conversationID, func(ctx context.Context, tx ports.LedgerTx, conv core.Conversation) ([]core.Event, error) {
		if conv.Kind == core.KindDirect {
			return nil, core.Errorf(core.CodeConflict, "direct conversations cannot be left")
		}
		target, err := tx.Member(ctx, conversationID, userID)
		if err != nil {
			return nil, notFoundAs(err, "member not found")
		}
		if err := s.ownerMayGo(ctx, conversationID, target, "the last owner cannot be removed: make another member owner first"); err != nil {
			return nil, err
		}
		return []core.Event{{Type: core.EventMemberLeft, ActorID: caller.eventActor(), Member: &target}}, nil
	})
	if err != nil {
		return err
	}
	return s.audit(ctx, caller, AuditMemberRemove, auditTargetMember, userID, conversationID, nil)
}

// AdminSend posts a message as senderID, for an admin: as if the sender sent it (they must be a member).
func (s *Service) AdminSend(ctx context.Context, caller Caller, senderID string, in SendInput) (Sent, error) {
	if err := requireAdmin(caller); err != nil {
		return Sent{}, err
	}
	if err := s.activeUser(ctx, senderID, "senderId"); err != nil {
		return Sent{}, err
	}
	return s.Send(asAdmin(ctx), senderID, in)
}

// AdminEvents returns a conversation's events after a seq, dense and in order, for an admin: the export of a
// conversation, page by page, whoever its members are.
func (s *Service) AdminEvents(ctx context.Context, caller Caller, conversationID string, after int64, limit int) ([]core.Event, bool, error) {
	if err := requireAdmin(caller); err != nil {
		return nil, false, err
	}
	return s.eventsAfter(ctx, conversationID, after, limit, func() error {
		_, err := s.d.Conversations.Conversation(ctx, conversationID)
		return notFoundAs(err, "conversation not found")
	})
}

// activeUser is a 404 on field when id names no user, a 403 when it names a deactivated one.
func (s *Service) activeUser(ctx context.Context, id, field string) error {
	u, err := s.d.Users.UserByID(ctx, id)
	switch {
	case errors.Is(err, core.ErrNotFound):
		return &core.Error{Code: core.CodeNotFound, Field: field, Message: "user not found"}
	case err != nil:
		return err
	case u.DeactivatedAt != nil:
		return &core.Error{Code: core.CodePermissionDenied, Field: field, Message: "this user's account is deactivated"}
	}
	return nil
}

// active refuses a deactivated user's sign-in, whatever its means.
func active(u core.User) error {
	if u.DeactivatedAt != nil {
		return core.Errorf(core.CodeUnauthenticated, "this account is deactivated")
	}
	return nil
}

// AdminDeactivateUser deactivates a user, for an admin: every sign-in of theirs is refused from then on
// (sessions, application tokens, a bot's key), their sessions are deleted and their real-time connections end on
// every node; their messages and memberships stay. Deactivating again changes nothing.
func (s *Service) AdminDeactivateUser(ctx context.Context, caller Caller, userID string) (core.User, error) {
	if err := requireAdmin(caller); err != nil {
		return core.User{}, err
	}
	if userID == caller.User.ID {
		return core.User{}, core.Errorf(core.CodeConflict, "you cannot deactivate yourself; another admin must")
	}
	now := s.now()
	u, err := s.d.Users.SetDeactivated(ctx, userID, &now)
	if err != nil {
		return core.User{}, notFoundAs(err, "user not found")
	}
	if err := s.endSessions(ctx, userID, ""); err != nil {
		return core.User{}, err
	}
	return u, s.audit(ctx, caller, AuditUserDeactivate, auditTargetUser, userID, "", nil)
}

// AdminReactivateUser lifts a user's deactivation, for an admin: they can sign in again (their old sessions are
// gone: they log in anew).
func (s *Service) AdminReactivateUser(ctx context.Context, caller Caller, userID string) (core.User, error) {
	if err := requireAdmin(caller); err != nil {
		return core.User{}, err
	}
	u, err := s.d.Users.SetDeactivated(ctx, userID, nil)
	if err != nil {
		return core.User{}, notFoundAs(err, "user not found")
	}
	return u, s.audit(ctx, caller, AuditUserReactivate, auditTargetUser, userID, "", nil)
}
