package memory

import (
	"context"
	"time"

	"github.com/scalechat/scalechat/core"
)

// threadKey names one user's row for one thread.
type threadKey struct{ root, user string }

// threadRow is a user's state in a thread.
type threadRow struct {
	conv string
	core.ThreadState
}

// ThreadState returns userID's state in the thread.
func (s *Store) ThreadState(ctx context.Context, conversationID, rootID, userID string) (core.ThreadState, error) {
	if err := checkCtx(ctx); err != nil {
		return core.ThreadState{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.d.follows[threadKey{rootID, userID}].ThreadState, nil
}

// Follow makes userID follow the thread (with override false, only when no row exists).
func (s *Store) Follow(ctx context.Context, conversationID, rootID, userID string, override bool) error {
	return s.updateThread(ctx, conversationID, rootID, userID, func(r *threadRow, existed bool) {
		if override || !existed {
			r.Following = true
		}
	})
}

// Unfollow stops userID following the thread.
func (s *Store) Unfollow(ctx context.Context, conversationID, rootID, userID string) error {
	return s.updateThread(ctx, conversationID, rootID, userID, func(r *threadRow, _ bool) { r.Following = false })
}

// MarkThreadRead raises userID's read position in the thread.
func (s *Store) MarkThreadRead(ctx context.Context, conversationID, rootID, userID string, seq int64) (int64, error) {
	var out int64
	err := s.updateThread(ctx, conversationID, rootID, userID, func(r *threadRow, _ bool) {
		r.ReadSeq = max(r.ReadSeq, seq)
		out = r.ReadSeq
	})
	return out, err
}

func (s *Store) updateThread(ctx context.Context, conversationID, rootID, userID string, fn func(r *threadRow, existed bool)) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := threadKey{rootID, userID}
	r, existed := s.d.follows[k]
	r.conv = conversationID
	fn(&r, existed)
	s.d.follows[k] = r
	return nil
}

// FollowedThreads lists the threads userID follows in its conversations, most recent activity first (the last
// reply, else the root's creation).
func (s *Store) FollowedThreads(ctx context.Context, userID string, page core.PageRequest) (core.Page[core.ThreadSummary], error) {
	if err := checkCtx(ctx); err != nil {
		return core.Page[core.ThreadSummary]{}, err
	}
	s.mu.RLock()
	var all []core.ThreadSummary
	for k, r := range s.d.follows {
		root, ok := s.d.messages[k.root]
		if k.user != userID || !r.Following || !ok {
			continue
		}
		if _, member := s.d.members[r.conv][userID]; !member {
			continue
		}
		info, _ := s.d.threadInfo(r.conv, k.root)
		ts := core.ThreadSummary{Root: cloneMessage(root), Info: info, Following: true, ReadSeq: r.ReadSeq}
		for _, id := range s.d.convMsgs[r.conv] {
			if m := s.d.messages[id]; m.ThreadRootID == k.root && m.DeletedAt == nil && m.SenderID != userID && m.Seq > r.ReadSeq {
				ts.Unread++
			}
		}
		all = append(all, ts)
	}
	s.mu.RUnlock()
	return newestFirst(all, func(t core.ThreadSummary) (time.Time, string) {
		if t.Info.ReplyCount > 0 {
			return t.Info.LastReplyAt, t.Root.ID
		}
		return t.Root.CreatedAt, t.Root.ID
	}, page)
}

// UnreadThreads counts the followed threads with unread replies.
func (s *Store) UnreadThreads(ctx context.Context, userID string) (int, error) {
	n := 0
	for next := ""; ; {
		p, err := s.FollowedThreads(ctx, userID, core.PageRequest{Cursor: next, Limit: core.MaxHistoryLimit})
		if err != nil {
			return 0, err
		}
		for _, t := range p.Items {
			if t.Unread > 0 {
				n++
			}
		}
		if next = p.Next; next == "" {
			return n, nil
		}
	}
}
