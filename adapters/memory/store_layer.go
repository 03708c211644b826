package memory

import (
	"github.com/scalechat/scalechat/core"
)

// ledgerView is what a transaction layer reads through: the committed data or an outer layer.
type ledgerView interface {
	conversation(id string) (core.Conversation, bool)
	member(k memberKey) (core.Member, bool)
	message(id string) (core.Message, bool)
	messageID(k clientKey) (string, bool)
	reactions(messageID string) []reactionRow
	pinned(conv string) map[string]bool // ids of the conversation's pinned messages
}

// reactionRow is one stored reaction; a message's rows are kept in the order they were added.
type reactionRow struct {
	user, emoji string
	seq         int64 // of the reaction.added event
}

// tally counts rows per emoji, in order of each emoji's first reaction, marking viewer's.
func tally(rows []reactionRow, viewer string) []core.ReactionCount {
	var out []core.ReactionCount
	at := map[string]int{}
	for _, r := range rows {
		i, ok := at[r.emoji]
		if !ok {
			i = len(out)
			at[r.emoji] = i
			out = append(out, core.ReactionCount{Emoji: r.emoji})
		}
		out[i].Count++
		out[i].Me = out[i].Me || r.user == viewer
	}
	return out
}

// committedView reads the store's committed data, each lookup under the read lock.
type committedView struct{ s *Store }

func (v committedView) conversation(id string) (core.Conversation, bool) {
	v.s.mu.RLock()
	defer v.s.mu.RUnlock()
	c, ok := v.s.d.convs[id]
	return c, ok
}

func (v committedView) member(k memberKey) (core.Member, bool) {
	v.s.mu.RLock()
	defer v.s.mu.RUnlock()
	m, ok := v.s.d.members[k.conv][k.user]
	return m, ok
}

func (v committedView) message(id string) (core.Message, bool) {
	v.s.mu.RLock()
	defer v.s.mu.RUnlock()
	m, ok := v.s.d.messages[id]
	return m, ok
}

func (v committedView) reactions(messageID string) []reactionRow {
	v.s.mu.RLock()
	defer v.s.mu.RUnlock()
	return v.s.d.reactions[messageID]
}

func (v committedView) pinned(conv string) map[string]bool {
	v.s.mu.RLock()
	defer v.s.mu.RUnlock()
	out := map[string]bool{}
	for _, id := range v.s.d.convMsgs[conv] {
		if v.s.d.messages[id].PinnedAt != nil {
			out[id] = true
		}
	}
	return out
}

func (v committedView) messageID(k clientKey) (string, bool) {
	v.s.mu.RLock()
	defer v.s.mu.RUnlock()
	id, ok := v.s.d.clientKeys[k]
	return id, ok
}

// txLayer holds uncommitted changes over a parent view; reads look here first.
type txLayer struct {
	parent   ledgerView
	convs    map[string]core.Conversation
	members  map[memberKey]*core.Member // nil marks a deleted membership
	messages map[string]core.Message
	keys     map[clientKey]string
	reacts   map[string][]reactionRow // message id -> its reactions after this layer (replaces the parent's)
	created  []string                 // ids of created messages, in seq order
	events   []core.Event
	feed     []core.FeedChange // recorded by each Append, in order
}

func newTxLayer(parent ledgerView) *txLayer {
	return &txLayer{parent: parent, convs: map[string]core.Conversation{}, members: map[memberKey]*core.Member{},
		messages: map[string]core.Message{}, keys: map[clientKey]string{}, reacts: map[string][]reactionRow{}}
}

func (l *txLayer) pinned(conv string) map[string]bool {
	out := l.parent.pinned(conv)
	for id, m := range l.messages {
		if m.ConversationID != conv {
			continue
		}
		if m.PinnedAt != nil {
			out[id] = true
		} else {
			delete(out, id)
		}
	}
	return out
}

func (l *txLayer) reactions(messageID string) []reactionRow {
	if r, ok := l.reacts[messageID]; ok {
		return r
	}
	return l.parent.reactions(messageID)
}

// applyReaction adds or removes one reaction of a message of conv.
func (l *txLayer) applyReaction(conv string, e core.Event) error {
	r := e.Reaction
	if r == nil {
		return core.Invalid("reaction", "%s needs a reaction", e.Type)
	}
	if m, ok := l.message(r.MessageID); !ok || m.ConversationID != conv {
		return core.Errorf(core.CodeNotFound, "message not found")
	}
	rows := l.reactions(r.MessageID)
	at := -1
	for i, row := range rows {
		if row.user == r.UserID && row.emoji == r.Emoji {
			at = i
		}
	}
	next := make([]reactionRow, 0, len(rows)+1)
	switch {
	case e.Type == core.EventReactionAdded && at >= 0:
		return core.Errorf(core.CodeAlreadyExists, "reaction already exists")
	case e.Type == core.EventReactionAdded:
		next = append(append(next, rows...), reactionRow{user: r.UserID, emoji: r.Emoji, seq: e.Seq})
	case at < 0:
		return core.Errorf(core.CodeNotFound, "reaction not found")
	default:
		next = append(append(next, rows[:at]...), rows[at+1:]...)
	}
	l.reacts[r.MessageID] = next
	return nil
}

func (l *txLayer) conversation(id string) (core.Conversation, bool) {
	if c, ok := l.convs[id]; ok {
		return c, true
	}
	return l.parent.conversation(id)
}

func (l *txLayer) member(k memberKey) (core.Member, bool) {
	if m, ok := l.members[k]; ok {
		if m == nil {
			return core.Member{}, false
		}
		return *m, true
	}
	return l.parent.member(k)
}

func (l *txLayer) message(id string) (core.Message, bool) {
	if m, ok := l.messages[id]; ok {
		return m, true
	}
	return l.parent.message(id)
}

func (l *txLayer) messageID(k clientKey) (string, bool) {
	if id, ok := l.keys[k]; ok {
		return id, true
	}
	return l.parent.messageID(k)
}

// applyEvent applies one event's state change (see ports.LedgerTx.Append) and records the event.
func (l *txLayer) applyEvent(e core.Event) error {
	conv := e.ConversationID
	switch e.Type {
	case core.EventMessageCreated:
		if e.Message == nil {
			return core.Invalid("message", "%s needs a message", e.Type)
		}
		m := cloneMessage(*e.Message)
		m.ConversationID, m.Seq = conv, e.Seq // a message's seq is its creation event's
		key := clientKey{conv, m.SenderID, m.ClientMsgID}
		if _, ok := l.message(m.ID); ok {
			return core.Errorf(core.CodeAlreadyExists, "message already exists")
		}
		if _, ok := l.messageID(key); ok {
			return core.Errorf(core.CodeAlreadyExists, "clientMsgId already used")
		}
		l.messages[m.ID], l.keys[key] = m, m.ID
		l.created = append(l.created, m.ID)
	case core.EventMessageEdited, core.EventMessageDeleted, core.EventMessagePinned, core.EventMessageUnpinned:
		if e.Message == nil {
			return core.Invalid("message", "%s needs a message", e.Type)
		}
		m, ok := l.message(e.Message.ID)
		if !ok || m.ConversationID != conv {
			return core.Errorf(core.CodeNotFound, "message not found")
		}
		// Identity fields (id, seq, sender, clientMsgId) stay: the dedupe index depends on them.
		n := cloneMessage(*e.Message)
		m.Body, m.ReplyTo, m.EditedAt, m.DeletedAt = n.Body, n.ReplyTo, n.EditedAt, n.DeletedAt
		m.PinnedAt, m.PinnedBy = n.PinnedAt, n.PinnedBy
		m.Mentions, m.MentionAll, m.Attachments = n.Mentions, n.MentionAll, n.Attachments
		l.messages[m.ID] = m
		if e.Type == core.EventMessageDeleted {
			l.reacts[m.ID] = nil
		}
	case core.EventReactionAdded, core.EventReactionRemoved:
		if err := l.applyReaction(conv, e); err != nil {
			return err
		}
	case core.EventMemberJoined, core.EventMemberUpdated, core.EventMemberLeft:
		if e.Member == nil {
			return core.Invalid("member", "%s needs a member", e.Type)
		}
		k := memberKey{conv, e.Member.UserID}
		cur, exists := l.member(k)
		switch {
		case e.Type == core.EventMemberJoined && exists:
			return core.Errorf(core.CodeAlreadyExists, "already a member")
		case e.Type == core.EventMemberJoined:
			m := *e.Member
			m.ConversationID = conv
			l.members[k] = &m
		case !exists:
			return core.Errorf(core.CodeNotFound, "member not found")
		case e.Type == core.EventMemberUpdated:
			cur.Role, cur.MutedUntil = e.Member.Role, clonePtr(e.Member.MutedUntil)
			l.members[k] = &cur
		default:
			l.members[k] = nil
		}
	case core.EventConversationUpdated:
		if e.Conversation == nil {
			return core.Invalid("conversation", "%s needs a conversation", e.Type)
		}
		c, _ := l.conversation(conv)
		c.Title, c.Topic, c.SlowMode = e.Conversation.Title, e.Conversation.Topic, e.Conversation.SlowMode
		l.convs[conv] = c
	default:
		return core.Invalid("type", "unknown event type %q", e.Type)
	}
	c, _ := l.conversation(conv)
	c.LastSeq, c.LastActivityAt = e.Seq, e.At
	l.convs[conv] = c
	l.events = append(l.events, cloneEvent(e))
	return nil
}

// mergeInto moves l's changes into its parent layer p.
func (l *txLayer) mergeInto(p *txLayer) {
	for k, v := range l.convs {
		p.convs[k] = v
	}
	for k, v := range l.members {
		p.members[k] = v
	}
	for k, v := range l.messages {
		p.messages[k] = v
	}
	for k, v := range l.keys {
		p.keys[k] = v
	}
	for k, v := range l.reacts {
		p.reacts[k] = v
	}
	p.created = append(p.created, l.created...)
	p.events = append(p.events, l.events...)
	p.feed = append(p.feed, l.feed...)
}

// apply commits a transaction's layer to the store's data. The caller holds the write lock.
func (d *storeData) apply(l *txLayer) {
	for id, c := range l.convs {
		d.convs[id] = c
	}
	for k, m := range l.members {
		if m == nil {
			d.deleteMember(k.conv, k.user)
		} else {
			d.putMember(*m)
		}
	}
	for id, m := range l.messages {
		d.messages[id] = m
	}
	for k, id := range l.keys {
		d.clientKeys[k] = id
	}
	for id, rows := range l.reacts {
		if len(rows) == 0 {
			delete(d.reactions, id)
		} else {
			d.reactions[id] = rows
		}
	}
	for _, id := range l.created {
		conv := d.messages[id].ConversationID
		d.convMsgs[conv] = append(d.convMsgs[conv], id)
	}
	for _, e := range l.events {
		d.events[e.ConversationID] = append(d.events[e.ConversationID], e)
	}
	for _, c := range l.feed {
		d.feedID++
		d.feed = append(d.feed, feedRow{id: d.feedID, change: c})
	}
}
