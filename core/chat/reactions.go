package chat

import (
	"context"
	"slices"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// React puts emoji (an emoji or a known :shortcode:) on a message for actor. Reacting twice with the same emoji
// is harmless. It returns the message's tallies as actor sees them afterwards.
func (s *Service) React(ctx context.Context, actor, conversationID, messageID, emoji string) ([]core.ReactionCount, error) {
	return s.reaction(ctx, actor, conversationID, messageID, emoji, true)
}

// Unreact takes actor's emoji off a message; taking back one that is not there is harmless.
func (s *Service) Unreact(ctx context.Context, actor, conversationID, messageID, emoji string) ([]core.ReactionCount, error) {
	return s.reaction(ctx, actor, conversationID, messageID, emoji, false)
}

func (s *Service) reaction(ctx context.Context, actor, conversationID, messageID, emoji string, add bool) ([]core.ReactionCount, error) {
	emoji, err := core.NormalizeEmoji(emoji)
	if err != nil {
		return nil, err
	}
	if err := s.allow(ctx, LimitReaction, actor, "reactions"); err != nil {
		return nil, err
	}
	if _, _, err := s.membership(ctx, actor, conversationID); err != nil {
		return nil, err
	}
	var out []core.ReactionCount
	_, err = s.change(ctx, conversationID, func(ctx context.Context, tx ports.LedgerTx, conv core.Conversation) ([]core.Event, error) {
		if _, err := tx.Member(ctx, conversationID, actor); err != nil {
			return nil, notFoundAs(err, "conversation not found")
		}
		msg, err := tx.Message(ctx, conversationID, messageID)
		if err != nil {
			return nil, notFoundAs(err, "message not found")
		}
		if msg.Deleted() {
			return nil, core.Errorf(core.CodeConflict, "the message was deleted")
		}
		tallies, err := tx.Reactions(ctx, conversationID, actor, []string{messageID})
		if err != nil {
			return nil, err
		}
		out = tallies[messageID]
		at := slices.IndexFunc(out, func(c core.ReactionCount) bool { return c.Emoji == emoji })
		mine := at >= 0 && out[at].Me
		if add == mine {
			return nil, nil // already so
		}
		if add {
			if at < 0 && len(out) >= core.MaxReactionKinds {
				return nil, core.Errorf(core.CodeConflict, "a message carries at most %d different emoji", core.MaxReactionKinds)
			}
			n := 0
			for _, c := range out {
				if c.Me {
					n++
				}
			}
			if n >= core.MaxReactionsPerUser {
				return nil, core.Errorf(core.CodeConflict, "you may put at most %d emoji on one message", core.MaxReactionsPerUser)
			}
		}
		out = applyTally(out, emoji, add)
		typ := core.EventReactionRemoved
		if add {
			typ = core.EventReactionAdded
		}
		return []core.Event{{Type: typ, ActorID: actor,
			Reaction: &core.Reaction{MessageID: messageID, UserID: actor, Emoji: emoji}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applyTally returns tallies after the viewer's reaction with emoji is added or removed.
func applyTally(tallies []core.ReactionCount, emoji string, add bool) []core.ReactionCount {
	out := slices.Clone(tallies)
	at := slices.IndexFunc(out, func(c core.ReactionCount) bool { return c.Emoji == emoji })
	switch {
	case add && at < 0:
		return append(out, core.ReactionCount{Emoji: emoji, Count: 1, Me: true})
	case add:
		out[at].Count++
		out[at].Me = true
	case out[at].Count == 1:
		return slices.Delete(out, at, at+1)
	default:
		out[at].Count--
		out[at].Me = false
	}
	return out
}

// Pin pins a message of the conversation: admins and owners of groups and channels, either person in a direct
// conversation. Pinning a pinned message is harmless.
func (s *Service) Pin(ctx context.Context, actor, conversationID, messageID string) (core.Message, error) {
	return s.pin(ctx, actor, conversationID, messageID, true)
}

// Unpin unpins a message; unpinning one that is not pinned is harmless.
func (s *Service) Unpin(ctx context.Context, actor, conversationID, messageID string) (core.Message, error) {
	return s.pin(ctx, actor, conversationID, messageID, false)
}

func (s *Service) pin(ctx context.Context, actor, conversationID, messageID string, pin bool) (core.Message, error) {
	return s.alterMessage(ctx, LimitPin, actor, conversationID, messageID, func(tx ports.LedgerTx, m core.Member, conv core.Conversation, msg *core.Message) (core.EventType, error) {
		if !m.CanPin(conv) {
			return "", core.Errorf(core.CodePermissionDenied, "only admins and owners may pin messages here")
		}
		if (msg.PinnedAt != nil) == pin {
			return "", nil
		}
		if !pin {
			msg.PinnedAt, msg.PinnedBy = nil, ""
			return core.EventMessageUnpinned, nil
		}
		if msg.Deleted() {
			return "", core.Errorf(core.CodeConflict, "the message was deleted")
		}
		if n, err := tx.PinCount(ctx, conversationID); err != nil {
			return "", err
		} else if n >= core.MaxPins {
			return "", core.Errorf(core.CodeConflict, "a conversation has at most %d pinned messages; unpin one first", core.MaxPins)
		}
		now := s.now()
		msg.PinnedAt, msg.PinnedBy = &now, actor
		return core.EventMessagePinned, nil
	})
}

// Pins lists a conversation's pinned messages, most recently pinned first, with their reactions.
func (s *Service) Pins(ctx context.Context, actor, conversationID string) ([]core.Message, error) {
	if _, _, err := s.membership(ctx, actor, conversationID); err != nil {
		return nil, err
	}
	msgs, err := s.d.History.Pins(ctx, conversationID)
	if err != nil {
		return nil, err
	}
	return msgs, s.readerView(ctx, actor, conversationID, msgs)
}

// readerView fills in what msgs (all of one conversation) show to viewer beyond their stored state: their
// reactions as viewer sees them, and for thread roots their reply info.
func (s *Service) readerView(ctx context.Context, viewer, conversationID string, msgs []core.Message) error {
	ids := make([]string, 0, len(msgs))
	var roots []string
	for _, m := range msgs {
		if !m.Deleted() {
			ids = append(ids, m.ID)
		}
		if m.ThreadRootID == "" {
			roots = append(roots, m.ID)
		}
	}
	if len(ids) > 0 {
		tallies, err := s.d.History.Reactions(ctx, conversationID, viewer, ids)
		if err != nil {
			return err
		}
		for i := range msgs {
			msgs[i].Reactions = tallies[msgs[i].ID]
		}
	}
	if len(roots) > 0 {
		threads, err := s.d.History.Threads(ctx, conversationID, roots)
		if err != nil {
			return err
		}
		for i := range msgs {
			if info, ok := threads[msgs[i].ID]; ok {
				msgs[i].Thread = &info
			}
		}
	}
	return nil
}
