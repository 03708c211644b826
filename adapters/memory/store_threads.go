package memory

import (
	"context"
	"sort"
	"strconv"
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

// FollowedThreads lists the threads userID follows in its conversations, most recent activity first. The
// cursor holds the last item's activity in unix nanoseconds and its root id.
func (s *Store) FollowedThreads(ctx context.Context, userID string, page core.PageRequest) (core.Page[core.ThreadSummary], error) {
	if err := checkCtx(ctx); err != nil {
		return core.Page[core.ThreadSummary]{}, err
	}
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.ThreadSummary]{}, err
	}
	key, err := core.DecodeCursor(page.Cursor, 2)
	if err != nil {
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
	activity := func(t core.ThreadSummary) time.Time {
		if t.Info.ReplyCount > 0 {
			return t.Info.LastReplyAt
		}
		return t.Root.CreatedAt
	}
	before := func(a, b core.ThreadSummary) bool { // a sorts before b
		if at, bt := activity(a), activity(b); !at.Equal(bt) {
			return at.After(bt)
		}
		return a.Root.ID > b.Root.ID
	}
	sort.Slice(all, func(i, j int) bool { return before(all[i], all[j]) })
	if key != nil {
		ns, err := strconv.ParseInt(key[0], 10, 64)
		if err != nil {
			return core.Page[core.ThreadSummary]{}, core.Invalid("cursor", "malformed cursor")
		}
		last := core.ThreadSummary{Root: core.Message{ID: key[1], CreatedAt: time.Unix(0, ns)}}
		all = all[sort.Search(len(all), func(i int) bool { return before(last, all[i]) }):]
	}
	next := ""
	if len(all) > limit {
		all = all[:limit]
		last := all[limit-1]
		next = core.EncodeCursor(strconv.FormatInt(activity(last).UnixNano(), 10), last.Root.ID)
	}
	if all == nil {
		all = []core.ThreadSummary{}
	}
	return core.Page[core.ThreadSummary]{Items: all, Next: next}, nil
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
