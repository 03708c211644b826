package postgres

import (
	"time"

	"github.com/scalechat/scalechat/core"
)

// appendPlan is the net effect of one Append, folded in seq order per table so that each kind of change is
// one multi-row statement: events written, messages inserted or replaced, memberships inserted, updated or
// deleted, and the conversation's counters (and title, topic and slow mode) advanced.
type appendPlan struct {
	convID     string
	events     []core.Event
	newMsgs    []msgRow       // message.created, with later edits in the batch folded in
	editedMsgs []msgRow       // edits and deletes of messages stored before this Append, last one wins
	msgIndex   map[string]int // message id -> position in newMsgs (>= 0) or editedMsgs (-1-position)
	members    []*memberPlan  // in order of first appearance
	memberOf   map[string]*memberPlan
	conv       *core.Conversation // the last conversation.updated payload
	reactions  []*reactionPlan    // in order of first appearance
	reactionOf map[core.Reaction]*reactionPlan
	tombstones []string // messages deleted: their stored reactions go
}

// reactionPlan is the net change to one (message, user, emoji) reaction; like memberPlan, the first event
// decides what must hold before.
type reactionPlan struct {
	key       core.Reaction
	mustExist bool  // the first event was a removal
	present   bool  // after the events folded so far
	seq       int64 // of the last reaction.added
}

// msgRow is one messages row.
type msgRow struct {
	id, sender, clientMsgID, body, replyTo, commandID string
	seq                                               int64
	createdAt                                         time.Time
	editedAt, deletedAt, pinnedAt                     *time.Time
	pinnedBy, mentionAll                              string
	mentions                                          []string
	attachments                                       []core.Attachment
	threadRootID                                      string
}

// memberPlan is the net change to one user's membership. The first event decides what must hold before:
// a join needs no membership, an update or a leave needs one.
type memberPlan struct {
	userID    string
	mustExist bool         // the first event was an update or a leave
	present   bool         // membership after the events folded so far
	dropOld   bool         // the membership stored before this Append is deleted
	newRole   string       // for a stored membership kept: the role set by updates ("" = unchanged)
	newMute   *time.Time   // for a stored membership kept: the MutedUntil set by the last update
	row       *core.Member // the membership inserted at the end, if any
}

// planAppend checks the events' shapes and density among themselves and folds them. State errors that only
// follow from the events (joining twice, leaving twice) are reported here; those that need the stored state
// are left to the statements.
func planAppend(events []core.Event) (*appendPlan, error) {
	p := &appendPlan{convID: events[0].ConversationID, events: events, msgIndex: map[string]int{},
		memberOf: map[string]*memberPlan{}, reactionOf: map[core.Reaction]*reactionPlan{}}
	for i, e := range events {
		if e.ConversationID != p.convID {
			return nil, core.Invalid("events", "events of one Append must belong to one conversation")
		}
		if i > 0 && e.Seq != events[i-1].Seq+1 {
			return nil, core.Errorf(core.CodeConflict, "event seq %d does not follow seq %d", e.Seq, events[i-1].Seq)
		}
		if err := p.fold(e); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *appendPlan) fold(e core.Event) error {
	switch e.Type {
	case core.EventMessageCreated, core.EventMessageEdited, core.EventMessageDeleted, core.EventMessagePinned,
		core.EventMessageUnpinned:
		if e.Message == nil {
			return core.Invalid("message", "%s needs a message", e.Type)
		}
		p.foldMessage(e)
	case core.EventReactionAdded, core.EventReactionRemoved:
		if e.Reaction == nil {
			return core.Invalid("reaction", "%s needs a reaction", e.Type)
		}
		return p.foldReaction(e)
	case core.EventMemberJoined, core.EventMemberUpdated, core.EventMemberLeft:
		if e.Member == nil {
			return core.Invalid("member", "%s needs a member", e.Type)
		}
		return p.foldMember(e)
	case core.EventConversationUpdated:
		if e.Conversation == nil {
			return core.Invalid("conversation", "%s needs a conversation", e.Type)
		}
		c := *e.Conversation
		p.conv = &c
	default:
		return core.Invalid("type", "unknown event type %q", e.Type)
	}
	return nil
}

func (p *appendPlan) foldMessage(e core.Event) {
	m := e.Message
	if e.Type == core.EventMessageCreated {
		// Stored with the event's seq: a message's seq is its creation event's. A second creation of the same
		// id is inserted too, so that the unique constraint refuses it.
		if _, seen := p.msgIndex[m.ID]; !seen {
			p.msgIndex[m.ID] = len(p.newMsgs)
		}
		p.newMsgs = append(p.newMsgs, msgRow{id: m.ID, seq: e.Seq, sender: m.SenderID, clientMsgID: m.ClientMsgID,
			body: m.Body, replyTo: m.ReplyTo, createdAt: ts(m.CreatedAt), editedAt: tsPtr(m.EditedAt),
			deletedAt: tsPtr(m.DeletedAt), commandID: m.CommandID, pinnedAt: tsPtr(m.PinnedAt), pinnedBy: m.PinnedBy,
			mentions: m.Mentions, mentionAll: m.MentionAll, attachments: m.Attachments, threadRootID: m.ThreadRootID})
		return
	}
	if e.Type == core.EventMessageDeleted { // its reactions go: stored ones by a statement, folded ones here
		p.tombstones = append(p.tombstones, m.ID)
		for _, rp := range p.reactions {
			if rp.key.MessageID == m.ID {
				rp.present = false
			}
		}
	}
	// Edits and deletes replace the mutable fields; identity columns (id, seq, sender, clientMsgId) stay,
	// since the dedupe key depends on them.
	var row *msgRow
	switch i, seen := p.msgIndex[m.ID]; {
	case seen && i >= 0:
		row = &p.newMsgs[i]
	case seen:
		row = &p.editedMsgs[-1-i]
	default:
		p.msgIndex[m.ID] = -1 - len(p.editedMsgs)
		p.editedMsgs = append(p.editedMsgs, msgRow{id: m.ID})
		row = &p.editedMsgs[len(p.editedMsgs)-1]
	}
	row.body, row.replyTo, row.editedAt, row.deletedAt = m.Body, m.ReplyTo, tsPtr(m.EditedAt), tsPtr(m.DeletedAt)
	row.pinnedAt, row.pinnedBy = tsPtr(m.PinnedAt), m.PinnedBy
	row.mentions, row.mentionAll, row.attachments = m.Mentions, m.MentionAll, m.Attachments
}

func (p *appendPlan) foldReaction(e core.Event) error {
	k := *e.Reaction
	rp := p.reactionOf[k]
	if rp == nil {
		exists := e.Type == core.EventReactionRemoved
		rp = &reactionPlan{key: k, mustExist: exists, present: exists}
		p.reactionOf[k] = rp
		p.reactions = append(p.reactions, rp)
	}
	if e.Type == core.EventReactionAdded {
		if rp.present {
			return core.Errorf(core.CodeAlreadyExists, "reaction already exists")
		}
		rp.present, rp.seq = true, e.Seq
		return nil
	}
	if !rp.present {
		return notFound("reaction")
	}
	rp.present = false
	return nil
}

func (p *appendPlan) foldMember(e core.Event) error {
	m := *e.Member
	mp := p.memberOf[m.UserID]
	if mp == nil {
		exists := e.Type != core.EventMemberJoined // what the first event needs to find
		mp = &memberPlan{userID: m.UserID, mustExist: exists, present: exists}
		p.memberOf[m.UserID] = mp
		p.members = append(p.members, mp)
	}
	switch e.Type {
	case core.EventMemberJoined:
		if mp.present {
			return core.Errorf(core.CodeAlreadyExists, "member already exists")
		}
		m.ConversationID, m.JoinedAt, m.MutedUntil = p.convID, ts(m.JoinedAt), tsPtr(m.MutedUntil)
		mp.present, mp.row = true, &m
	case core.EventMemberUpdated: // changes only the role and the mute
		if !mp.present {
			return notFound("member")
		}
		if mp.row != nil {
			mp.row.Role, mp.row.MutedUntil = m.Role, tsPtr(m.MutedUntil)
		} else {
			mp.newRole, mp.newMute = string(m.Role), tsPtr(m.MutedUntil)
		}
	default: // left
		if !mp.present {
			return notFound("member")
		}
		if mp.row == nil {
			mp.dropOld, mp.newRole, mp.newMute = true, "", nil
		}
		mp.present, mp.row = false, nil
	}
	return nil
}
