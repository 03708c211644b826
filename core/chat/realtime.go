package chat

import (
	"context"
	"slices"
	"time"

	"github.com/scalechat/scalechat/core"
)

// Limits of the real-time use cases.
const (
	DefaultSyncLimit = 500
	MaxSyncLimit     = 1000
	MaxSyncCursors   = 1000
	MaxPresenceUsers = 200
	// MaxPresenceContacts bounds whom one presence change is announced to.
	MaxPresenceContacts = 10000
	// PresenceTTL is how long a connection counts as live without a heartbeat.
	PresenceTTL = 60 * time.Second
)

// typingRate bounds typing notices per user and conversation: a client may send them on every key press.
var typingRate = core.Rate{Limit: 1, Per: time.Second}

// Typing tells a conversation that actor is (or stopped) typing. Every notice counts against LimitTyping
// (rate_limited beyond it); within it, "started typing" notices beyond one a second per conversation are
// dropped silently, before anything is read: they are ephemeral hints, not data.
// Membership is checked as for sends (trustedMember), so a notice costs no storage read within SendAuthTTL.
func (s *Service) Typing(ctx context.Context, actor, conversationID string, typing bool) error {
	if err := s.allow(ctx, LimitTyping, actor, "typing notices"); err != nil {
		return err
	}
	if typing {
		ok, _, err := s.d.Limiter.Allow(ctx, "typing:"+actor+":"+conversationID, typingRate)
		if err != nil || !ok {
			return err
		}
	}
	if _, err := s.trustedMember(ctx, actor, conversationID); err != nil {
		return err
	}
	n := core.Typing{ConversationID: conversationID, UserID: actor, Typing: typing}
	s.publish(ctx, core.ConversationTopic(conversationID), core.Envelope{Typing: &n})
	return nil
}

// SyncResult is what a resuming client missed.
type SyncResult struct {
	Events    []core.Event // per conversation dense and in seq order; conversations by id
	Truncated []string     // conversations with more events than fitted: page through Events
}

// Sync returns, from durable storage, every event after each cursor (conversation id → last seq seen), up to
// limit events in all. Conversations actor does not belong to (any more) are skipped.
func (s *Service) Sync(ctx context.Context, actor string, cursors map[string]int64, limit int) (SyncResult, error) {
	var out SyncResult
	if len(cursors) > MaxSyncCursors {
		return out, core.Invalid("cursors", "at most %d conversations per sync", MaxSyncCursors)
	}
	limit, err := core.ClampLimit(limit, DefaultSyncLimit, MaxSyncLimit)
	if err != nil {
		return out, err
	}
	order := make([]string, 0, len(cursors))
	for id, after := range cursors {
		if after < 0 {
			return SyncResult{}, core.Invalid("cursors", "cursor of %q must not be negative", id)
		}
		order = append(order, id)
	}
	slices.Sort(order)
	// One read of the actor's conversations, not a membership read per cursor.
	var mine map[string]bool
	if len(order) > 0 {
		ids, err := s.d.Members.ConversationIDsOf(ctx, actor)
		if err != nil {
			return SyncResult{}, err
		}
		mine = make(map[string]bool, len(ids))
		for _, id := range ids {
			mine[id] = true
		}
	}
	for _, id := range order {
		after := cursors[id]
		if !mine[id] {
			continue
		}
		room := limit - len(out.Events)
		if room <= 0 {
			out.Truncated = append(out.Truncated, id)
			continue
		}
		evs, more, err := s.d.History.Events(ctx, id, after, room)
		if err != nil {
			return SyncResult{}, err
		}
		out.Events = append(out.Events, evs...)
		if more {
			out.Truncated = append(out.Truncated, id)
		}
	}
	return out, nil
}

// ConversationIDs lists the conversations of a user: the rooms its connections join.
func (s *Service) ConversationIDs(ctx context.Context, userID string) ([]string, error) {
	return s.d.Members.ConversationIDsOf(ctx, userID)
}

// Presence returns the presence of users as actor may see it: a user actor shares no direct or group
// conversation with, or who blocks actor, is shown offline with no last-seen time, as an unknown user is
// (unless Config.PresenceToEveryone). Actor always sees their own.
func (s *Service) Presence(ctx context.Context, actor string, userIDs []string) ([]core.Presence, error) {
	if len(userIDs) == 0 || len(userIDs) > MaxPresenceUsers {
		return nil, core.Invalid("userIds", "name 1 to %d users", MaxPresenceUsers)
	}
	visible, err := s.presenceVisible(ctx, actor, userIDs)
	if err != nil {
		return nil, err
	}
	st, err := s.d.Presence.Status(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	out := make([]core.Presence, 0, len(userIDs))
	for _, id := range userIDs {
		p := core.Presence{UserID: id}
		if visible[id] {
			p = st[id]
			p.UserID = id
		}
		out = append(out, p)
	}
	return out, nil
}

// presenceVisible says which of userIDs actor may see the presence of.
func (s *Service) presenceVisible(ctx context.Context, actor string, userIDs []string) (map[string]bool, error) {
	visible := make(map[string]bool, len(userIDs))
	if s.cfg.PresenceToEveryone {
		for _, id := range userIDs {
			visible[id] = true
		}
	} else {
		contacts, err := s.d.Contacts.ContactsOf(ctx, actor, MaxPresenceContacts)
		if err != nil {
			return nil, err
		}
		for _, id := range contacts {
			visible[id] = true
		}
		visible[actor] = true
	}
	blockers, err := s.d.Blocks.BlockersOf(ctx, actor, userIDs)
	if err != nil {
		return nil, err
	}
	for _, id := range blockers {
		delete(visible, id)
	}
	return visible, nil
}

// Connected records a live connection; when it is the user's first, contacts are told the user is online.
func (s *Service) Connected(ctx context.Context, userID, connID string) error {
	online, err := s.d.Presence.Touch(ctx, userID, connID, PresenceTTL)
	if err != nil || !online {
		return err
	}
	s.announcePresence(ctx, core.Presence{UserID: userID, Online: true, LastSeenAt: s.now()})
	return nil
}

// Heartbeat keeps a connection live; call it well within PresenceTTL.
func (s *Service) Heartbeat(ctx context.Context, userID, connID string) error {
	_, err := s.d.Presence.Touch(ctx, userID, connID, PresenceTTL)
	return err
}

// Disconnected drops a connection; when it was the user's last, contacts are told the user is offline.
// Callers apply their grace period before calling it.
func (s *Service) Disconnected(ctx context.Context, userID, connID string) error {
	offline, err := s.d.Presence.Drop(ctx, userID, connID)
	if err != nil || !offline {
		return err
	}
	s.announcePresence(ctx, core.Presence{UserID: userID, Online: false, LastSeenAt: s.now()})
	return nil
}

// maxExpiredPerSweep bounds the users one ExpirePresence reports.
const maxExpiredPerSweep = 1000

// ExpirePresence announces offline the users whose connections all expired without a disconnect being seen
// (their node froze or died), as Disconnected would have: every node serving clients calls it periodically,
// and the tracker hands each such user to one of them. It says how many it announced.
func (s *Service) ExpirePresence(ctx context.Context) (int, error) {
	gone, err := s.d.Presence.Expire(ctx, maxExpiredPerSweep)
	for _, p := range gone {
		s.announcePresence(ctx, p)
	}
	return len(gone), err
}

// announcePresence tells the user and their contacts: the members of the user's direct and group
// conversations, found in one store read. Channels are public and can be huge: presence does not travel
// through them. A user with more than MaxPresenceContacts contacts is announced to the first of them.
func (s *Service) announcePresence(ctx context.Context, p core.Presence) {
	contacts, err := s.d.Contacts.ContactsOf(ctx, p.UserID, MaxPresenceContacts)
	if err != nil {
		s.log.WarnContext(ctx, "presence: listing contacts", "user", p.UserID, "err", err)
		return
	}
	blocked, err := s.d.Blocks.Blocking(ctx, p.UserID, contacts)
	if err != nil {
		s.log.WarnContext(ctx, "presence: listing blocks", "user", p.UserID, "err", err)
		return
	}
	topics := make([]string, 0, len(contacts)+1)
	topics = append(topics, core.UserTopic(p.UserID))
	for _, id := range contacts {
		if _, found := slices.BinarySearch(blocked, id); !found {
			topics = append(topics, core.UserTopic(id))
		}
	}
	if err := s.d.Fanout.PublishMany(ctx, topics, core.Envelope{Presence: &p}); err != nil {
		s.log.WarnContext(ctx, "presence: fan-out publish failed", "user", p.UserID, "err", err)
	}
}

// eachMember calls fn for every member of a conversation.
func (s *Service) eachMember(ctx context.Context, conversationID string, fn func(core.Member)) error {
	page := core.PageRequest{Limit: core.MaxHistoryLimit}
	for {
		p, err := s.d.Members.Members(ctx, conversationID, page)
		if err != nil {
			return err
		}
		for _, m := range p.Items {
			fn(m)
		}
		if p.Next == "" {
			return nil
		}
		page.Cursor = p.Next
	}
}
