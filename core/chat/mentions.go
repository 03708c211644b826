package chat

import (
	"context"
	"errors"
	"slices"

	"github.com/scalechat/scalechat/core"
)

// maxHereMembers bounds how many members one @here reads the presence of (pages of herePage).
const (
	maxHereMembers = 10 * core.MaxGroupMembers
	herePage       = 500
)

// mentionsOf parses body and resolves its mentions as actor writes them in the conversation: @usernames of
// existing users (unknown names stay plain text), and @channel/@here, which only members who may mention
// everyone may use (permission_denied otherwise) and which count against the mention-all limit. @here adds
// the members online now to the ids. edited names the message an edit replaces ("" for a new message): an
// edit that keeps its @channel or @here is not counted again (the stored message is read only then).
func (s *Service) mentionsOf(ctx context.Context, actor, conversationID, body, edited string) (ids []string, all string, err error) {
	names, all := core.ParseMentions(body)
	for _, name := range names {
		u, err := s.d.Users.UserByUsername(ctx, name)
		switch {
		case errors.Is(err, core.ErrNotFound):
			continue
		case err != nil:
			return nil, "", err
		}
		if !slices.Contains(ids, u.ID) {
			ids = append(ids, u.ID)
		}
	}
	if all == "" {
		return ids, "", nil
	}
	conv, m, err := s.membership(ctx, actor, conversationID)
	if err != nil {
		return nil, "", err
	}
	if !m.CanMentionAll(conv) {
		return nil, "", core.Errorf(core.CodePermissionDenied, "only admins and owners may mention @%s here", all)
	}
	wasAll := ""
	if edited != "" {
		was, err := s.d.History.Message(ctx, conversationID, edited)
		if err != nil && !errors.Is(err, core.ErrNotFound) { // not found: the edit itself answers that
			return nil, "", err
		}
		wasAll = was.MentionAll
	}
	if all != wasAll {
		if err := s.allow(ctx, LimitMentionAll, actor, "@channel and @here mentions"); err != nil {
			return nil, "", err
		}
	}
	if all == core.MentionHere {
		online, err := s.onlineMembers(ctx, conversationID, actor)
		if err != nil {
			return nil, "", err
		}
		for _, id := range online {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids, all, nil
}

// onlineMembers returns the members of the conversation other than actor who are online now (at most
// maxHereMembers are looked at).
func (s *Service) onlineMembers(ctx context.Context, conversationID, actor string) ([]string, error) {
	var out []string
	page := core.PageRequest{Limit: herePage}
	for seen := 0; seen < maxHereMembers; {
		p, err := s.d.Members.Members(ctx, conversationID, page)
		if err != nil {
			return nil, err
		}
		ids := make([]string, 0, len(p.Items))
		for _, m := range p.Items {
			if m.UserID != actor {
				ids = append(ids, m.UserID)
			}
		}
		status, err := s.d.Presence.Status(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if status[id].Online {
				out = append(out, id)
			}
		}
		seen += len(p.Items)
		if p.Next == "" {
			break
		}
		page.Cursor = p.Next
	}
	return out, nil
}

// SetNotifications sets actor's notification level and mute in a conversation and returns the conversation as
// actor sees it.
func (s *Service) SetNotifications(ctx context.Context, actor, conversationID string, level core.NotifyLevel, muted bool) (core.Summary, error) {
	if !level.Valid() {
		return core.Summary{}, core.Invalid("level", "level must be all, mentions or none")
	}
	if err := s.allow(ctx, LimitMembers, actor, "membership changes"); err != nil {
		return core.Summary{}, err
	}
	if _, _, err := s.membership(ctx, actor, conversationID); err != nil {
		return core.Summary{}, err
	}
	if err := s.d.Members.SetNotifications(ctx, conversationID, actor, level, muted); err != nil {
		return core.Summary{}, notFoundAs(err, "conversation not found")
	}
	return s.d.Summaries.Summary(ctx, conversationID, actor)
}

// Mentions lists the messages that mention actor in the conversations actor belongs to, newest first.
func (s *Service) Mentions(ctx context.Context, actor string, page core.PageRequest) (core.Page[core.Message], error) {
	return s.d.History.MentionsOf(ctx, actor, page)
}
