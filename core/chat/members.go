package chat

import (
	"context"
	"errors"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// Members lists a conversation's members (visible to members, and to anyone for a channel).
func (s *Service) Members(ctx context.Context, actor, id string, page core.PageRequest) (core.Page[core.Member], error) {
	conv, _, err := s.membership(ctx, actor, id)
	if err != nil && !(errors.Is(err, core.ErrPermissionDenied) && conv.Kind == core.KindChannel) {
		return core.Page[core.Member]{}, err
	}
	if page.Limit, err = core.ClampLimit(page.Limit, core.DefaultPageLimit, core.MaxHistoryLimit); err != nil {
		return core.Page[core.Member]{}, err
	}
	return s.d.Members.Members(ctx, id, page)
}

// Join adds actor to a channel. Joining a channel twice is harmless.
func (s *Service) Join(ctx context.Context, actor, id string) (core.Summary, error) {
	if err := s.allow(ctx, LimitMembers, actor, "membership changes"); err != nil {
		return core.Summary{}, err
	}
	_, err := s.change(ctx, id, func(ctx context.Context, tx ports.LedgerTx, conv core.Conversation) ([]core.Event, error) {
		_, err := tx.Member(ctx, id, actor)
		switch {
		case err == nil:
			return nil, nil // already a member
		case !errors.Is(err, core.ErrNotFound):
			return nil, err
		case conv.Kind != core.KindChannel:
			return nil, core.Errorf(core.CodeNotFound, "conversation not found")
		}
		if err := s.refuseBanned(ctx, id, []string{actor}, ""); err != nil {
			return nil, err
		}
		m := core.Member{ConversationID: id, UserID: actor, Role: core.RoleMember, JoinedAt: s.now()}
		return []core.Event{{Type: core.EventMemberJoined, ActorID: actor, Member: &m}}, nil
	})
	if err != nil {
		return core.Summary{}, err
	}
	return s.summary(ctx, actor, id)
}

// Leave removes actor from a conversation. Direct conversations cannot be left, and the last owner of a
// conversation with other members must hand ownership over first.
func (s *Service) Leave(ctx context.Context, actor, id string) error {
	if err := s.allow(ctx, LimitMembers, actor, "membership changes"); err != nil {
		return err
	}
	if _, _, err := s.membership(ctx, actor, id); err != nil {
		return err
	}
	_, err := s.change(ctx, id, func(ctx context.Context, tx ports.LedgerTx, conv core.Conversation) ([]core.Event, error) {
		m, err := tx.Member(ctx, id, actor)
		if err != nil {
			return nil, notFoundAs(err, "conversation not found")
		}
		if conv.Kind == core.KindDirect {
			return nil, core.Errorf(core.CodeConflict, "direct conversations cannot be left")
		}
		if err := s.ownerMayGo(ctx, id, m, "hand ownership to another member before leaving"); err != nil {
			return nil, err
		}
		return []core.Event{{Type: core.EventMemberLeft, ActorID: actor, Member: &m}}, nil
	})
	return err
}

// countRoles counts a conversation's owners and members.
func (s *Service) countRoles(ctx context.Context, id string) (owners, members int, err error) {
	err = s.eachMember(ctx, id, func(m core.Member) {
		members++
		if m.Role == core.RoleOwner {
			owners++
		}
	})
	return owners, members, err
}

// AddMembers adds users to a group or channel (admins and owners). Users who are members already are skipped.
func (s *Service) AddMembers(ctx context.Context, actor, id string, userIDs []string) ([]core.Member, error) {
	if len(userIDs) == 0 {
		return nil, core.Invalid("userIds", "name at least one user")
	}
	if err := s.allow(ctx, LimitMembers, actor, "membership changes"); err != nil {
		return nil, err
	}
	if _, _, err := s.membership(ctx, actor, id); err != nil {
		return nil, err
	}
	others, err := s.otherUsers(ctx, actor, userIDs, core.MaxMembersPerAdd)
	if err != nil {
		return nil, err
	}
	if err := s.refuseBlocked(ctx, actor, others); err != nil {
		return nil, err
	}
	return s.addMembers(ctx, actor, id, others, func(ctx context.Context, tx ports.LedgerTx, conv core.Conversation) error {
		m, err := tx.Member(ctx, id, actor)
		if err != nil {
			return notFoundAs(err, "conversation not found")
		}
		if !m.CanManageMembers(conv) {
			return core.Errorf(core.CodePermissionDenied, "only admins and owners may add members")
		}
		return nil
	})
}

// addMembers adds others (existing users) to a group or channel in the ledger, once authorize (given the
// transaction holding the conversation; nil: anyone) agrees; members already are skipped, banned users refused.
func (s *Service) addMembers(ctx context.Context, actor, id string, others []string,
	authorize func(context.Context, ports.LedgerTx, core.Conversation) error) ([]core.Member, error) {
	events, err := s.change(ctx, id, func(ctx context.Context, tx ports.LedgerTx, conv core.Conversation) ([]core.Event, error) {
		if authorize != nil {
			if err := authorize(ctx, tx, conv); err != nil {
				return nil, err
			}
		}
		if conv.Kind == core.KindDirect {
			return nil, core.Errorf(core.CodeConflict, "members cannot be added to a direct conversation")
		}
		if err := s.refuseBanned(ctx, id, others, "userIds"); err != nil {
			return nil, err
		}
		var evs []core.Event
		for _, uid := range others {
			if _, err := tx.Member(ctx, id, uid); err == nil {
				continue
			} else if !errors.Is(err, core.ErrNotFound) {
				return nil, err
			}
			nm := core.Member{ConversationID: id, UserID: uid, Role: core.RoleMember, JoinedAt: s.now()}
			evs = append(evs, core.Event{Type: core.EventMemberJoined, ActorID: actor, Member: &nm})
		}
		if conv.Kind == core.KindGroup && len(evs) > 0 {
			// Counted while the transaction holds the conversation, as in Leave: concurrent adds queue behind it.
			n, err := s.d.Members.MemberCount(ctx, id)
			if err != nil {
				return nil, err
			}
			if n+len(evs) > core.MaxGroupMembers {
				return nil, core.Invalid("userIds", "a group has at most %d members (it has %d)", core.MaxGroupMembers, n)
			}
		}
		return evs, nil
	})
	if err != nil {
		return nil, err
	}
	added := make([]core.Member, 0, len(events))
	for _, e := range events {
		added = append(added, *e.Member)
	}
	return added, nil
}

// RemoveMember removes userID from a conversation: owners remove anyone, admins remove plain members.
// Removing oneself is leaving.
func (s *Service) RemoveMember(ctx context.Context, actor, id, userID string) error {
	if userID == actor {
		return s.Leave(ctx, actor, id)
	}
	if err := s.allow(ctx, LimitMembers, actor, "membership changes"); err != nil {
		return err
	}
	if _, _, err := s.membership(ctx, actor, id); err != nil {
		return err
	}
	_, err := s.change(ctx, id, func(ctx context.Context, tx ports.LedgerTx, conv core.Conversation) ([]core.Event, error) {
		m, err := tx.Member(ctx, id, actor)
		if err != nil {
			return nil, notFoundAs(err, "conversation not found")
		}
		target, err := tx.Member(ctx, id, userID)
		if err != nil {
			return nil, notFoundAs(err, "member not found")
		}
		if !m.CanRemove(conv, target) {
			return nil, core.Errorf(core.CodePermissionDenied, "you may not remove this member")
		}
		return []core.Event{{Type: core.EventMemberLeft, ActorID: actor, Member: &target}}, nil
	})
	return err
}

// SetRole changes a member's role (owners only). An owner may hand over ownership, then step down.
func (s *Service) SetRole(ctx context.Context, actor, id, userID string, role core.Role) (core.Member, error) {
	if !role.Valid() {
		return core.Member{}, core.Invalid("role", "role must be owner, admin or member")
	}
	if err := s.allow(ctx, LimitMembers, actor, "membership changes"); err != nil {
		return core.Member{}, err
	}
	if _, _, err := s.membership(ctx, actor, id); err != nil {
		return core.Member{}, err
	}
	var out core.Member
	_, err := s.change(ctx, id, func(ctx context.Context, tx ports.LedgerTx, conv core.Conversation) ([]core.Event, error) {
		m, err := tx.Member(ctx, id, actor)
		if err != nil {
			return nil, notFoundAs(err, "conversation not found")
		}
		target, err := tx.Member(ctx, id, userID)
		if err != nil {
			return nil, notFoundAs(err, "member not found")
		}
		if !m.CanSetRole(conv, target, role) {
			return nil, core.Errorf(core.CodePermissionDenied, "only owners may change roles")
		}
		if err := s.keepAnOwner(ctx, id, target, role); err != nil {
			return nil, err
		}
		out = target
		if target.Role == role {
			return nil, nil
		}
		out.Role = role
		return []core.Event{{Type: core.EventMemberUpdated, ActorID: actor, Member: &out}}, nil
	})
	return out, err
}

// ownerMayGo refuses (conflict, with refusal) the departure of target when they are the last owner of a
// conversation that has other members. Called inside the ledger transaction: counted while it holds the
// conversation, so a concurrent step-down of another owner either committed before (and is counted) or waits.
func (s *Service) ownerMayGo(ctx context.Context, id string, target core.Member, refusal string) error {
	if target.Role != core.RoleOwner {
		return nil
	}
	owners, members, err := s.countRoles(ctx, id)
	if err != nil {
		return err
	}
	if owners == 1 && members > 1 {
		return core.Errorf(core.CodeConflict, "%s", refusal)
	}
	return nil
}

// keepAnOwner refuses to take the owner role from target when they are the conversation's last owner. Called
// inside the ledger transaction (counted, like in Leave, while it holds the conversation), so that two owners
// cannot step down at once.
func (s *Service) keepAnOwner(ctx context.Context, id string, target core.Member, role core.Role) error {
	if target.Role != core.RoleOwner || role == core.RoleOwner {
		return nil
	}
	owners, _, err := s.countRoles(ctx, id)
	if err != nil {
		return err
	}
	if owners == 1 {
		return core.Errorf(core.CodeConflict, "a conversation needs an owner: make someone else owner first")
	}
	return nil
}
