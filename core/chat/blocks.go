package chat

import (
	"context"
	"strings"

	"github.com/scalechat/scalechat/core"
)

// Block makes actor block userID: userID can no longer add actor to a conversation, open a direct
// conversation with actor, or see actor's presence. Blocking twice is harmless.
func (s *Service) Block(ctx context.Context, actor, userID string) error {
	if userID == actor {
		return core.Invalid("userId", "you cannot block yourself")
	}
	if err := s.allow(ctx, LimitBlock, actor, "blocks"); err != nil {
		return err
	}
	if _, err := s.d.Users.UserByID(ctx, userID); err != nil {
		return notFoundAs(err, "user not found")
	}
	return s.d.Blocks.Block(ctx, core.Block{UserID: actor, BlockedID: userID, CreatedAt: s.now()})
}

// Unblock lifts actor's block of userID; lifting a block that does not exist is harmless.
func (s *Service) Unblock(ctx context.Context, actor, userID string) error {
	if err := s.allow(ctx, LimitBlock, actor, "blocks"); err != nil {
		return err
	}
	return s.d.Blocks.Unblock(ctx, actor, userID)
}

// Blocks lists the users actor blocks.
func (s *Service) Blocks(ctx context.Context, actor string, page core.PageRequest) (core.Page[core.Block], error) {
	var err error
	if page.Limit, err = core.ClampLimit(page.Limit, core.DefaultPageLimit, core.MaxHistoryLimit); err != nil {
		return core.Page[core.Block]{}, err
	}
	return s.d.Blocks.Blocks(ctx, actor, page)
}

// refuseBlocked fails with permission_denied when any of userIDs blocks actor: actor may not draw them into
// a conversation.
func (s *Service) refuseBlocked(ctx context.Context, actor string, userIDs []string) error {
	if len(userIDs) == 0 {
		return nil
	}
	blockers, err := s.d.Blocks.BlockersOf(ctx, actor, userIDs)
	if err != nil || len(blockers) == 0 {
		return err
	}
	return &core.Error{Code: core.CodePermissionDenied, Field: "memberIds",
		Message: "these users do not accept conversations with you: " + strings.Join(blockers, ", ")}
}
