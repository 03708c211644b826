package memory

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/scalechat/scalechat/core"
)

// Messages returns a page of messages in ascending seq order, per core.HistoryQuery.
func (s *Store) Messages(ctx context.Context, conversationID string, q core.HistoryQuery) ([]core.Message, bool, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, false, err
	}
	limit, err := core.ClampLimit(q.Limit, core.DefaultPageLimit, core.MaxHistoryLimit)
	if err != nil {
		return nil, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ids []string // the conversation's top-level messages, or the thread's replies
	for _, id := range s.d.convMsgs[conversationID] {
		if s.d.messages[id].ThreadRootID == q.ThreadRootID {
			ids = append(ids, id)
		}
	}
	seqAt := func(i int) int64 { return s.d.messages[ids[i]].Seq }
	// [lo, hi) is the range of messages the bounds allow.
	lo, hi := 0, len(ids)
	if q.Forwards() {
		lo = sort.Search(len(ids), func(i int) bool { return seqAt(i) > q.After })
	}
	if q.Before > 0 {
		hi = sort.Search(len(ids), func(i int) bool { return seqAt(i) >= q.Before })
	}
	if hi < lo {
		hi = lo
	}
	more := hi-lo > limit
	if more && q.Forwards() {
		hi = lo + limit
	} else if more {
		lo = hi - limit
	}
	out := make([]core.Message, 0, hi-lo)
	for _, id := range ids[lo:hi] {
		out = append(out, cloneMessage(s.d.messages[id]))
	}
	return out, more, nil
}

// Message returns one message of the conversation or core.ErrNotFound.
func (s *Store) Message(ctx context.Context, conversationID, messageID string) (core.Message, error) {
	if err := checkCtx(ctx); err != nil {
		return core.Message{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.d.messages[messageID]
	if !ok || m.ConversationID != conversationID {
		return core.Message{}, core.Errorf(core.CodeNotFound, "message not found")
	}
	return cloneMessage(m), nil
}

// MessageByClientMsgID returns the message a sender sent with that clientMsgId, or core.ErrNotFound.
func (s *Store) MessageByClientMsgID(ctx context.Context, conversationID, senderID, clientMsgID string) (core.Message, error) {
	if err := checkCtx(ctx); err != nil {
		return core.Message{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.d.clientKeys[clientKey{conversationID, senderID, clientMsgID}]
	if !ok {
		return core.Message{}, core.Errorf(core.CodeNotFound, "message not found")
	}
	return cloneMessage(s.d.messages[id]), nil
}

// Events returns up to limit events with seq > after, in seq order, and whether more exist.
func (s *Store) Events(ctx context.Context, conversationID string, after int64, limit int) ([]core.Event, bool, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, false, err
	}
	limit, err := core.ClampLimit(limit, core.DefaultPageLimit, MaxEventsLimit)
	if err != nil {
		return nil, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	evs := s.d.events[conversationID]
	// Seqs are dense from 1, so event seq n sits at index n-1.
	lo := int(min(max(after, 0), int64(len(evs))))
	hi := min(lo+limit, len(evs))
	out := make([]core.Event, 0, hi-lo)
	for _, e := range evs[lo:hi] {
		out = append(out, cloneEvent(e))
	}
	return out, hi < len(evs), nil
}

// Reactions returns the tallies of those of messageIDs of the conversation that have reactions.
func (s *Store) Reactions(ctx context.Context, conversationID, viewerID string, messageIDs []string) (map[string][]core.ReactionCount, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	return reactionsIn(committedView{s}, conversationID, viewerID, messageIDs), nil
}

// reactionsIn tallies the reactions of messageIDs as v sees them.
func reactionsIn(v ledgerView, conversationID, viewerID string, messageIDs []string) map[string][]core.ReactionCount {
	out := map[string][]core.ReactionCount{}
	for _, id := range messageIDs {
		if m, ok := v.message(id); !ok || m.ConversationID != conversationID {
			continue
		}
		if t := tally(v.reactions(id), viewerID); len(t) > 0 {
			out[id] = t
		}
	}
	return out
}

// Pins returns the conversation's pinned messages, most recently pinned first.
func (s *Store) Pins(ctx context.Context, conversationID string) ([]core.Message, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []core.Message
	for _, id := range s.d.convMsgs[conversationID] {
		if m := s.d.messages[id]; m.PinnedAt != nil {
			out = append(out, cloneMessage(m))
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].PinnedAt.Equal(*out[j].PinnedAt) {
			return out[i].PinnedAt.After(*out[j].PinnedAt)
		}
		return out[i].Seq < out[j].Seq
	})
	return out, nil
}

// MentionsOf lists the messages that mention userID in its conversations, newest first.
func (s *Store) MentionsOf(ctx context.Context, userID string, page core.PageRequest) (core.Page[core.Message], error) {
	if err := checkCtx(ctx); err != nil {
		return core.Page[core.Message]{}, err
	}
	s.mu.RLock()
	var all []core.Message
	for conv := range s.d.userConvs[userID] {
		for _, id := range s.d.convMsgs[conv] {
			if m := s.d.messages[id]; m.DeletedAt == nil && m.SenderID != userID && mentionsUser(m, userID) {
				all = append(all, cloneMessage(m))
			}
		}
	}
	s.mu.RUnlock()
	return newestFirst(all, func(m core.Message) (time.Time, string) { return m.CreatedAt, m.ID }, page)
}

// newestFirst sorts items newest first by key (a time, then an id, both descending) and cuts the page of page,
// whose cursor holds the last item's time in unix nanoseconds and its id.
func newestFirst[T any](items []T, key func(T) (time.Time, string), page core.PageRequest) (core.Page[T], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[T]{}, err
	}
	cursor, err := core.DecodeCursor(page.Cursor, 2)
	if err != nil {
		return core.Page[T]{}, err
	}
	before := func(aAt time.Time, aID string, bAt time.Time, bID string) bool {
		return aAt.After(bAt) || aAt.Equal(bAt) && aID > bID
	}
	sort.Slice(items, func(i, j int) bool {
		ai, aID := key(items[i])
		bj, bID := key(items[j])
		return before(ai, aID, bj, bID)
	})
	if cursor != nil {
		ns, err := strconv.ParseInt(cursor[0], 10, 64)
		if err != nil {
			return core.Page[T]{}, core.Invalid("cursor", "malformed cursor")
		}
		lastAt := time.Unix(0, ns)
		items = items[sort.Search(len(items), func(i int) bool {
			at, id := key(items[i])
			return before(lastAt, cursor[1], at, id)
		}):]
	}
	next := ""
	if len(items) > limit {
		items = items[:limit]
		at, id := key(items[limit-1])
		next = core.EncodeCursor(strconv.FormatInt(at.UnixNano(), 10), id)
	}
	if items == nil {
		items = []T{}
	}
	return core.Page[T]{Items: items, Next: next}, nil
}

// Threads returns what each of rootIDs shows of its replies.
func (s *Store) Threads(ctx context.Context, conversationID string, rootIDs []string) (map[string]core.ThreadInfo, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]core.ThreadInfo{}
	for _, root := range rootIDs {
		if info, ok := s.d.threadInfo(conversationID, root); ok {
			out[root] = info
		}
	}
	return out, nil
}

// threadInfo sums up the live replies of a thread; ok is false when it has none. The caller holds the lock.
func (d *storeData) threadInfo(conv, root string) (info core.ThreadInfo, ok bool) {
	for _, id := range d.convMsgs[conv] {
		m := d.messages[id]
		if m.ThreadRootID != root || m.DeletedAt != nil {
			continue
		}
		info.ReplyCount++
		if m.CreatedAt.After(info.LastReplyAt) {
			info.LastReplyAt = m.CreatedAt
		}
		if !slices.Contains(info.Participants, m.SenderID) {
			info.Participants = append(info.Participants, m.SenderID)
		}
	}
	slices.Sort(info.Participants)
	return info, info.ReplyCount > 0
}
