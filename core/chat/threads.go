package chat

import (
	"context"
	"errors"

	"github.com/scalechat/scalechat/core"
)

// threadRoot returns the root of a thread for a new reply or a thread request: a top-level message of the
// conversation. A deleted root takes no new replies (forReply).
func (s *Service) threadRoot(ctx context.Context, conversationID, rootID string, forReply bool) (core.Message, error) {
	root, err := s.d.History.Message(ctx, conversationID, rootID)
	switch {
	case errors.Is(err, core.ErrNotFound):
		return core.Message{}, core.Invalid("threadRootId", "threadRootId must name a message of this conversation")
	case err != nil:
		return core.Message{}, err
	case root.ThreadRootID != "":
		return core.Message{}, core.Invalid("threadRootId", "a reply in a thread cannot start a thread; reply to its root %s", root.ThreadRootID)
	case forReply && root.Deleted():
		return core.Message{}, core.Errorf(core.CodeConflict, "the thread's first message was deleted")
	}
	return root, nil
}

// followOnReply makes the sender of a reply follow its thread (again, if they had unfollowed it), and the
// root's sender follow it unless they chose otherwise before.
func (s *Service) followOnReply(ctx context.Context, conversationID string, root core.Message, sender string) error {
	if err := s.d.Threads.Follow(ctx, conversationID, root.ID, sender, true); err != nil {
		return err
	}
	if root.SenderID == sender {
		return nil
	}
	return s.d.Threads.Follow(ctx, conversationID, root.ID, root.SenderID, false)
}

// ThreadView is a thread as one member sees it: its root (with reply info) and the member's state in it.
type ThreadView struct {
	Root  core.Message
	State core.ThreadState
}

// Thread returns a thread's root and actor's state in it (members only).
func (s *Service) Thread(ctx context.Context, actor, conversationID, rootID string) (ThreadView, error) {
	if _, _, err := s.membership(ctx, actor, conversationID); err != nil {
		return ThreadView{}, err
	}
	root, err := s.threadRoot(ctx, conversationID, rootID, false)
	if err != nil {
		return ThreadView{}, notFoundThread(err)
	}
	msgs := []core.Message{root}
	if err := s.readerView(ctx, actor, conversationID, msgs); err != nil {
		return ThreadView{}, err
	}
	st, err := s.d.Threads.ThreadState(ctx, conversationID, rootID, actor)
	return ThreadView{Root: msgs[0], State: st}, err
}

// ThreadMessages returns a page of a thread's replies in ascending seq order (paged like History, which checks
// the membership), and whether more exist.
func (s *Service) ThreadMessages(ctx context.Context, actor, conversationID, rootID string, q core.HistoryQuery) ([]core.Message, bool, error) {
	q.ThreadRootID = rootID
	msgs, more, err := s.History(ctx, actor, conversationID, q)
	if err != nil {
		return nil, false, err
	}
	if _, err := s.threadRoot(ctx, conversationID, rootID, false); err != nil {
		return nil, false, notFoundThread(err)
	}
	return msgs, more, nil
}

// FollowThread makes actor follow a thread, or stop following it.
func (s *Service) FollowThread(ctx context.Context, actor, conversationID, rootID string, follow bool) (core.ThreadState, error) {
	if err := s.allow(ctx, LimitRead, actor, "thread changes"); err != nil {
		return core.ThreadState{}, err
	}
	if _, _, err := s.membership(ctx, actor, conversationID); err != nil {
		return core.ThreadState{}, err
	}
	if _, err := s.threadRoot(ctx, conversationID, rootID, false); err != nil {
		return core.ThreadState{}, notFoundThread(err)
	}
	var err error
	if follow {
		err = s.d.Threads.Follow(ctx, conversationID, rootID, actor, true)
	} else {
		err = s.d.Threads.Unfollow(ctx, conversationID, rootID, actor)
	}
	if err != nil {
		return core.ThreadState{}, err
	}
	return s.d.Threads.ThreadState(ctx, conversationID, rootID, actor)
}

// MarkThreadRead records that actor has read a thread up to seq (a conversation seq; never moving backwards).
func (s *Service) MarkThreadRead(ctx context.Context, actor, conversationID, rootID string, seq int64) (int64, error) {
	if err := s.allow(ctx, LimitRead, actor, "read marks"); err != nil {
		return 0, err
	}
	conv, _, err := s.membership(ctx, actor, conversationID)
	if err != nil {
		return 0, err
	}
	if seq < 0 || seq > conv.LastSeq {
		return 0, core.Invalid("seq", "seq must be between 0 and the conversation's lastSeq (%d)", conv.LastSeq)
	}
	if _, err := s.threadRoot(ctx, conversationID, rootID, false); err != nil {
		return 0, notFoundThread(err)
	}
	return s.d.Threads.MarkThreadRead(ctx, conversationID, rootID, actor, seq)
}

// Threads lists the threads actor follows, most recent activity first, with their unread counts.
func (s *Service) Threads(ctx context.Context, actor string, page core.PageRequest) (core.Page[core.ThreadSummary], error) {
	return s.d.Threads.FollowedThreads(ctx, actor, page)
}

// UnreadThreads counts the threads actor follows that have unread replies.
func (s *Service) UnreadThreads(ctx context.Context, actor string) (int, error) {
	return s.d.Threads.UnreadThreads(ctx, actor)
}

// notFoundThread turns a bad root named in a path into not_found (it names a resource, not an input field).
func notFoundThread(err error) error {
	if core.CodeOf(err) == core.CodeInvalidArgument {
		return core.Errorf(core.CodeNotFound, "thread not found")
	}
	return err
}
