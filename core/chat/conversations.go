package chat

import (
	"context"
	"errors"
	"slices"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// CreateInput is a new conversation. MemberIDs are the other members; the creator is always one.
type CreateInput struct {
	Kind      core.Kind
	Title     string
	Topic     string
	MemberIDs []string
}

// UpdateInput changes a conversation; nil fields stay as they are.
type UpdateInput struct {
	Title *string
	Topic *string
}

// CreateConversation creates a conversation owned by actor. Creating a direct conversation that exists already
// returns it with created=false.
func (s *Service) CreateConversation(ctx context.Context, actor string, in CreateInput) (core.Summary, bool, error) {
	if !in.Kind.Valid() {
		return core.Summary{}, false, core.Invalid("kind", "kind must be direct, group or channel")
	}
	title, err := core.ValidateTitle(in.Kind, in.Title)
	if err != nil {
		return core.Summary{}, false, err
	}
	topic, err := core.ValidateTopic(in.Kind, in.Topic)
	if err != nil {
		return core.Summary{}, false, err
	}
	if err := s.allow(ctx, LimitConversation, actor, "conversations created or changed"); err != nil {
		return core.Summary{}, false, err
	}
	others, err := s.otherUsers(ctx, actor, in.MemberIDs, core.MaxGroupMembers-1)
	if err != nil {
		return core.Summary{}, false, err
	}
	if err := s.refuseBlocked(ctx, actor, others); err != nil {
		return core.Summary{}, false, err
	}
	now := s.now()
	conv := core.Conversation{ID: s.d.IDs.NewID(), Kind: in.Kind, Title: title, Topic: topic, CreatedBy: actor,
		CreatedAt: now, LastActivityAt: now}
	members := []core.Member{{ConversationID: conv.ID, UserID: actor, Role: core.RoleOwner, JoinedAt: now}}
	if in.Kind == core.KindDirect {
		if len(others) != 1 {
			return core.Summary{}, false, core.Invalid("memberIds", "a direct conversation has exactly one other member")
		}
		conv.DirectKey = core.DirectKey(actor, others[0])
		members[0].Role = core.RoleMember
	}
	for _, id := range others {
		members = append(members, core.Member{ConversationID: conv.ID, UserID: id, Role: core.RoleMember, JoinedAt: now})
	}
	conv, created, err := s.d.Conversations.CreateConversation(ctx, conv, members)
	if err != nil {
		return core.Summary{}, false, err
	}
	if created {
		for _, m := range members {
			mc := core.MembershipChange{UserID: m.UserID, ConversationID: conv.ID, Joined: true}
			s.publish(ctx, core.UserTopic(m.UserID), core.Envelope{Membership: &mc})
		}
	}
	sum, err := s.summary(ctx, actor, conv.ID)
	return sum, created, err
}

// otherUsers dedupes ids, drops actor, and checks every one is a user.
func (s *Service) otherUsers(ctx context.Context, actor string, ids []string, max int) ([]string, error) {
	var out []string
	for _, id := range ids {
		if id == actor || slices.Contains(out, id) {
			continue
		}
		if len(out) == max {
			return nil, core.Invalid("memberIds", "at most %d members at once", max)
		}
		if _, err := s.d.Users.UserByID(ctx, id); err != nil {
			if errors.Is(err, core.ErrNotFound) {
				return nil, core.Invalid("memberIds", "unknown user %q", id)
			}
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// Conversation returns a conversation as actor sees it. Channels are visible to everyone; others only to members.
func (s *Service) Conversation(ctx context.Context, actor, id string) (core.Summary, error) {
	conv, _, err := s.membership(ctx, actor, id)
	if errors.Is(err, core.ErrPermissionDenied) && conv.Kind == core.KindChannel {
		return core.Summary{Conversation: conv}, nil // a channel seen from the directory
	}
	if err != nil {
		return core.Summary{}, err
	}
	return s.summary(ctx, actor, id)
}

// summary reads a member's view of a conversation and names direct conversations after the other member.
func (s *Service) summary(ctx context.Context, actor, id string) (core.Summary, error) {
	sum, err := s.d.Summaries.Summary(ctx, id, actor)
	if err != nil {
		return core.Summary{}, notFoundAs(err, "conversation not found")
	}
	return s.nameDirect(ctx, actor, sum)
}

// nameDirect titles a direct conversation with the other member's display name.
func (s *Service) nameDirect(ctx context.Context, actor string, sum core.Summary) (core.Summary, error) {
	if sum.Kind != core.KindDirect {
		return sum, nil
	}
	ms, err := s.d.Members.Members(ctx, sum.ID, core.PageRequest{Limit: 2})
	if err != nil {
		return sum, err
	}
	for _, m := range ms.Items {
		if m.UserID == actor {
			continue
		}
		u, err := s.d.Users.UserByID(ctx, m.UserID)
		if err != nil {
			return sum, err
		}
		sum.Title = u.DisplayName
	}
	return sum, nil
}

// ListConversations lists actor's conversations, most recently active first.
func (s *Service) ListConversations(ctx context.Context, actor string, page core.PageRequest) (core.Page[core.Summary], error) {
	var err error
	if page.Limit, err = core.ClampLimit(page.Limit, core.DefaultPageLimit, core.MaxHistoryLimit); err != nil {
		return core.Page[core.Summary]{}, err
	}
	p, err := s.d.Members.ConversationsOf(ctx, actor, page)
	if err != nil {
		return p, err
	}
	for i := range p.Items {
		if p.Items[i], err = s.nameDirect(ctx, actor, p.Items[i]); err != nil {
			return p, err
		}
	}
	return p, nil
}

// Channels lists public channels whose title contains q.
func (s *Service) Channels(ctx context.Context, q string, page core.PageRequest) (core.Page[core.Conversation], error) {
	var err error
	if page.Limit, err = core.ClampLimit(page.Limit, core.DefaultPageLimit, core.MaxHistoryLimit); err != nil {
		return core.Page[core.Conversation]{}, err
	}
	if len(q) > core.MaxTitleLen {
		return core.Page[core.Conversation]{}, core.Invalid("q", "query is too long")
	}
	return s.d.Conversations.Channels(ctx, q, page)
}

// UpdateConversation renames a conversation or changes its topic (admins and owners).
func (s *Service) UpdateConversation(ctx context.Context, actor, id string, in UpdateInput) (core.Summary, error) {
	if err := s.allow(ctx, LimitConversation, actor, "conversations created or changed"); err != nil {
		return core.Summary{}, err
	}
	if _, _, err := s.membership(ctx, actor, id); err != nil {
		return core.Summary{}, err
	}
	_, err := s.change(ctx, id, func(ctx context.Context, tx ports.LedgerTx, conv core.Conversation) ([]core.Event, error) {
		m, err := tx.Member(ctx, id, actor)
		if err != nil {
			return nil, notFoundAs(err, "conversation not found")
		}
		if !m.CanUpdate(conv) {
			return nil, core.Errorf(core.CodePermissionDenied, "only admins and owners may change this conversation")
		}
		next := conv
		if in.Title != nil {
			if next.Title, err = core.ValidateTitle(conv.Kind, *in.Title); err != nil {
				return nil, err
			}
		}
		if in.Topic != nil {
			if next.Topic, err = core.ValidateTopic(conv.Kind, *in.Topic); err != nil {
				return nil, err
			}
		}
		if next.Title == conv.Title && next.Topic == conv.Topic {
			return nil, nil // nothing changed: no event
		}
		return []core.Event{{Type: core.EventConversationUpdated, ActorID: actor, Conversation: &next}}, nil
	})
	if err != nil {
		return core.Summary{}, err
	}
	return s.summary(ctx, actor, id)
}
