package memory

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/scalechat/scalechat/core"
)

// CreateConversation stores c and its members, or returns the existing direct conversation with c's DirectKey.
func (s *Store) CreateConversation(ctx context.Context, c core.Conversation, members []core.Member) (core.Conversation, bool, error) {
	if err := checkCtx(ctx); err != nil {
		return core.Conversation{}, false, err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.DirectKey != "" {
		if id, ok := s.d.directKeys[c.DirectKey]; ok {
			return s.d.convs[id], false, nil
		}
	}
	if _, ok := s.d.convs[c.ID]; ok {
		return core.Conversation{}, false, core.Errorf(core.CodeAlreadyExists, "conversation already exists")
	}
	c.LastSeq = 0
	s.d.convs[c.ID] = c
	if c.DirectKey != "" {
		s.d.directKeys[c.DirectKey] = c.ID
	}
	s.d.members[c.ID] = map[string]core.Member{}
	for _, m := range members {
		m.ConversationID = c.ID
		s.d.putMember(m)
	}
	return c, true, nil
}

// Conversation returns the conversation or core.ErrNotFound.
func (s *Store) Conversation(ctx context.Context, id string) (core.Conversation, error) {
	if err := checkCtx(ctx); err != nil {
		return core.Conversation{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.d.convs[id]
	if !ok {
		return core.Conversation{}, core.Errorf(core.CodeNotFound, "conversation not found")
	}
	return c, nil
}

// Channels lists channels whose title contains q, by title then id.
func (s *Store) Channels(ctx context.Context, q string, page core.PageRequest) (core.Page[core.Conversation], error) {
	if err := checkCtx(ctx); err != nil {
		return core.Page[core.Conversation]{}, err
	}
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.Conversation]{}, err
	}
	after, err := core.DecodeCursor(page.Cursor, 2)
	if err != nil {
		return core.Page[core.Conversation]{}, err
	}
	q = strings.ToLower(q)
	s.mu.RLock()
	var hits []core.Conversation
	for _, c := range s.d.convs {
		if c.Kind != core.KindChannel || !strings.Contains(strings.ToLower(c.Title), q) {
			continue
		}
		if after != nil && (c.Title < after[0] || c.Title == after[0] && c.ID <= after[1]) {
			continue
		}
		hits = append(hits, c)
	}
	s.mu.RUnlock()
	sort.Slice(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		return a.Title < b.Title || a.Title == b.Title && a.ID < b.ID
	})
	if len(hits) <= limit {
		return core.Page[core.Conversation]{Items: hits}, nil
	}
	hits = hits[:limit]
	last := hits[limit-1]
	return core.Page[core.Conversation]{Items: hits, Next: core.EncodeCursor(last.Title, last.ID)}, nil
}

// Member returns a membership or core.ErrNotFound.
func (s *Store) Member(ctx context.Context, conversationID, userID string) (core.Member, error) {
	if err := checkCtx(ctx); err != nil {
		return core.Member{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.d.members[conversationID][userID]
	if !ok {
		return core.Member{}, core.Errorf(core.CodeNotFound, "member not found")
	}
	return m, nil
}

// Members lists a conversation's members by user id.
func (s *Store) Members(ctx context.Context, conversationID string, page core.PageRequest) (core.Page[core.Member], error) {
	if err := checkCtx(ctx); err != nil {
		return core.Page[core.Member]{}, err
	}
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.Member]{}, err
	}
	after, err := core.DecodeCursor(page.Cursor, 1)
	if err != nil {
		return core.Page[core.Member]{}, err
	}
	s.mu.RLock()
	var hits []core.Member
	for _, m := range s.d.members[conversationID] {
		if after == nil || m.UserID > after[0] {
			hits = append(hits, m)
		}
	}
	s.mu.RUnlock()
	sort.Slice(hits, func(i, j int) bool { return hits[i].UserID < hits[j].UserID })
	if len(hits) <= limit {
		return core.Page[core.Member]{Items: hits}, nil
	}
	hits = hits[:limit]
	return core.Page[core.Member]{Items: hits, Next: core.EncodeCursor(hits[limit-1].UserID)}, nil
}

// ConversationsOf lists userID's conversations, most recently active first, with unread counts.
func (s *Store) ConversationsOf(ctx context.Context, userID string, page core.PageRequest) (core.Page[core.Summary], error) {
	if err := checkCtx(ctx); err != nil {
		return core.Page[core.Summary]{}, err
	}
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.Summary]{}, err
	}
	key, err := core.DecodeCursor(page.Cursor, 2)
	if err != nil {
		return core.Page[core.Summary]{}, err
	}
	var afterAt time.Time
	if key != nil {
		if afterAt, err = time.Parse(time.RFC3339Nano, key[0]); err != nil {
			return core.Page[core.Summary]{}, core.Invalid("cursor", "malformed cursor")
		}
	}
	// before reports whether a sorts before b: later activity first, then higher id.
	before := func(aAt time.Time, aID string, bAt time.Time, bID string) bool {
		return aAt.After(bAt) || aAt.Equal(bAt) && aID > bID
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var convs []core.Conversation
	for id := range s.d.userConvs[userID] {
		c := s.d.convs[id]
		if key == nil || before(afterAt, key[1], c.LastActivityAt, c.ID) {
			convs = append(convs, c)
		}
	}
	sort.Slice(convs, func(i, j int) bool {
		return before(convs[i].LastActivityAt, convs[i].ID, convs[j].LastActivityAt, convs[j].ID)
	})
	next := ""
	if len(convs) > limit {
		convs = convs[:limit]
		last := convs[limit-1]
		next = core.EncodeCursor(last.LastActivityAt.UTC().Format(time.RFC3339Nano), last.ID)
	}
	items := make([]core.Summary, len(convs))
	for i, c := range convs {
		items[i] = s.d.summary(c, userID)
	}
	return core.Page[core.Summary]{Items: items, Next: next}, nil
}

// Summary returns one conversation as userID, a member, sees it.
func (s *Store) Summary(ctx context.Context, conversationID, userID string) (core.Summary, error) {
	if err := checkCtx(ctx); err != nil {
		return core.Summary{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.d.convs[conversationID]
	if _, member := s.d.members[conversationID][userID]; !ok || !member {
		return core.Summary{}, core.Errorf(core.CodeNotFound, "conversation not found")
	}
	return s.d.summary(c, userID), nil
}

// summary builds userID's view of c; the caller holds the lock and has checked membership.
func (d *storeData) summary(c core.Conversation, userID string) core.Summary {
	m := d.members[c.ID][userID]
	sum := core.Summary{Conversation: c, Member: &m}
	sum.Unread, sum.Mentions = d.unread(c.ID, userID, m.ReadSeq)
	if ids := d.convMsgs[c.ID]; len(ids) > 0 {
		last := cloneMessage(d.messages[ids[len(ids)-1]])
		sum.LastMessage = &last
	}
	return sum
}

// MemberCount returns how many members the conversation has (0 for an unknown one).
func (s *Store) MemberCount(ctx context.Context, conversationID string) (int, error) {
	if err := checkCtx(ctx); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.d.members[conversationID]), nil
}

// ConversationIDsOf returns the ids of userID's conversations.
func (s *Store) ConversationIDsOf(ctx context.Context, userID string) ([]string, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, len(s.d.userConvs[userID]))
	for id := range s.d.userConvs[userID] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// ContactsOf returns the members of userID's direct and group conversations, userID excluded.
func (s *Store) ContactsOf(ctx context.Context, userID string, limit int) ([]string, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	seen := map[string]struct{}{}
	for convID := range s.d.userConvs[userID] {
		if s.d.convs[convID].Kind == core.KindChannel {
			continue
		}
		for other := range s.d.members[convID] {
			if other != userID {
				seen[other] = struct{}{}
			}
		}
	}
	s.mu.RUnlock()
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if len(ids) > limit {
		ids = ids[:limit]
	}
	return ids, nil
}

// MarkRead raises the member's readSeq to seq and returns the result.
func (s *Store) MarkRead(ctx context.Context, conversationID, userID string, seq int64) (int64, error) {
	if err := checkCtx(ctx); err != nil {
		return 0, err
	}
	// writeMu keeps a concurrent Ledger transaction from committing a stale copy of this member.
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.d.members[conversationID][userID]
	if !ok {
		return 0, core.Errorf(core.CodeNotFound, "member not found")
	}
	if seq > m.ReadSeq {
		m.ReadSeq = seq
		s.d.members[conversationID][userID] = m
	}
	return m.ReadSeq, nil
}

// putMember stores m and indexes it by user.
func (d *storeData) putMember(m core.Member) {
	if m.Notify == "" {
		m.Notify = core.NotifyAll
	}
	if d.members[m.ConversationID] == nil {
		d.members[m.ConversationID] = map[string]core.Member{}
	}
	d.members[m.ConversationID][m.UserID] = m
	if d.userConvs[m.UserID] == nil {
		d.userConvs[m.UserID] = map[string]struct{}{}
	}
	d.userConvs[m.UserID][m.ConversationID] = struct{}{}
}

// deleteMember removes a membership and its index entry.
func (d *storeData) deleteMember(conv, user string) {
	delete(d.members[conv], user)
	delete(d.userConvs[user], conv)
	if len(d.userConvs[user]) == 0 {
		delete(d.userConvs, user)
	}
}

// unread counts the live messages after readSeq sent by someone other than user, and those of them that
// mention user.
func (d *storeData) unread(conv, user string, readSeq int64) (unread, mentions int64) {
	ids := d.convMsgs[conv]
	i := sort.Search(len(ids), func(i int) bool { return d.messages[ids[i]].Seq > readSeq })
	for _, id := range ids[i:] {
		if m := d.messages[id]; m.SenderID != user && m.DeletedAt == nil {
			if m.ThreadRootID == "" { // thread replies are counted per thread
				unread++
			}
			if mentionsUser(m, user) {
				mentions++
			}
		}
	}
	return unread, mentions
}

// mentionsUser reports whether m mentions user by name, by @here (listed in Mentions) or by @channel.
func mentionsUser(m core.Message, user string) bool {
	return m.MentionAll == core.MentionChannel || slices.Contains(m.Mentions, user)
}

// SetNotifications stores the member's notification level and mute.
func (s *Store) SetNotifications(ctx context.Context, conversationID, userID string, level core.NotifyLevel, muted bool) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	// writeMu keeps a concurrent Ledger transaction from committing a stale copy of this member.
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.d.members[conversationID][userID]
	if !ok {
		return core.Errorf(core.CodeNotFound, "member not found")
	}
	m.Notify, m.Muted = level, muted
	s.d.members[conversationID][userID] = m
	return nil
}
