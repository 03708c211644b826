package postgres

import (
	"slices"
	"strings"
	"time"

	"github.com/scalechat/scalechat/adapters/internal/attachjson"
	"github.com/scalechat/scalechat/core"
)

// memberSteps writes the folded membership changes, one statement per kind of change.
func (p *appendPlan) memberSteps() []step {
	var absent, dropped, updated, updatedRoles []string
	var updatedMutes []*time.Time
	var inserted []core.Member
	for _, mp := range p.members {
		switch {
		case !mp.mustExist && mp.row == nil: // joined and left again: only check it was not a member
			absent = append(absent, mp.userID)
		case mp.dropOld:
			dropped = append(dropped, mp.userID)
		case mp.mustExist && mp.row == nil:
			updated, updatedRoles = append(updated, mp.userID), append(updatedRoles, mp.newRole)
			updatedMutes = append(updatedMutes, mp.newMute)
		}
		if mp.row != nil {
			inserted = append(inserted, *mp.row)
		}
	}
	var steps []step
	if len(absent) > 0 {
		steps = append(steps, step{what: "member", sql: `SELECT 1 FROM members WHERE conversation_id = $1 AND user_id = ANY($2)`,
			args: []any{p.convID, absent}, want: 0,
			fail: core.Errorf(core.CodeAlreadyExists, "member already exists")})
	}
	if len(dropped) > 0 {
		steps = append(steps, step{what: "member", sql: `DELETE FROM members WHERE conversation_id = $1 AND user_id = ANY($2)`,
			args: []any{p.convID, dropped}, want: int64(len(dropped)), fail: notFound("member")})
	}
	if len(updated) > 0 {
		steps = append(steps, step{what: "member", sql: `UPDATE members mb SET role = v.role, muted_until = v.muted_until
			FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS v (user_id, role, muted_until)
			WHERE mb.conversation_id = $1 AND mb.user_id = v.user_id`,
			args: []any{p.convID, updated, updatedRoles, updatedMutes}, want: int64(len(updated)), fail: notFound("member")})
	}
	if len(inserted) > 0 {
		steps = append(steps, insertMembersStep(p.convID, inserted))
	}
	return steps
}

// insertMembersStep inserts memberships of one conversation in one statement; an existing one violates the
// primary key (core.ErrAlreadyExists).
func insertMembersStep(convID string, members []core.Member) step {
	users, roles := make([]string, len(members)), make([]string, len(members))
	reads, joined := make([]int64, len(members)), make([]time.Time, len(members))
	mutes := make([]*time.Time, len(members))
	for i, m := range members {
		users[i], roles[i], reads[i], joined[i] = m.UserID, string(m.Role), m.ReadSeq, ts(m.JoinedAt)
		mutes[i] = tsPtr(m.MutedUntil)
	}
	return step{what: "member", sql: `INSERT INTO members (conversation_id, user_id, role, read_seq, joined_at, muted_until)
		SELECT $1::text, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::timestamptz[])`,
		args: []any{convID, users, roles, reads, joined, mutes}, want: -1}
}

// editSteps replaces the messages edited or deleted; they must exist.
func (p *appendPlan) editSteps() ([]step, error) {
	n := len(p.editedMsgs)
	if n == 0 {
		return nil, nil
	}
	ids, bodies, replies, pinners := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	edited, deleted, pinned := make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n)
	mentions, alls, attachments := make([]*string, n), make([]string, n), make([]*string, n)
	for i, m := range p.editedMsgs {
		ids[i], bodies[i], replies[i], edited[i], deleted[i] = m.id, m.body, m.replyTo, m.editedAt, m.deletedAt
		pinned[i], pinners[i], mentions[i], alls[i] = m.pinnedAt, m.pinnedBy, mentionsText(m.mentions), m.mentionAll
		var err error
		if attachments[i], err = attachjson.Encode(m.attachments); err != nil {
			return nil, err
		}
	}
	// Mentions travel as the text form of each array ('{a,b}'), since unnest cannot take an array of arrays
	// of different lengths.
	return []step{{what: "message", sql: `UPDATE messages m
		SET body = v.body, reply_to = v.reply_to, edited_at = v.edited_at, deleted_at = v.deleted_at,
			pinned_at = v.pinned_at, pinned_by = v.pinned_by, mentions = v.mentions::text[], mention_all = v.mention_all,
			attachments = v.attachments
		FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[], $8::text[],
			$9::text[], $10::text[], $11::jsonb[])
			AS v (id, body, reply_to, edited_at, deleted_at, pinned_at, pinned_by, mentions, mention_all, attachments)
		WHERE m.conversation_id = $1 AND m.id = v.id`,
		args: []any{p.convID, ids, bodies, replies, edited, deleted, pinned, pinners, mentions, alls, attachments},
		want: int64(n), fail: notFound("message")}}, nil
}

// mentionsText is the text form of a mentions array, or nil (NULL) for none. Ids hold no characters that need
// quoting in an array literal (letters, digits and '-'), but each is quoted all the same.
func mentionsText(ids []string) *string {
	if len(ids) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(id))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	s := b.String()
	return &s
}

// reactionSteps writes the folded reaction changes after the messages are in place: the reactions of deleted
// messages go, removals must find their row, additions must find their message in the conversation.
func (p *appendPlan) reactionSteps() []step {
	var steps []step
	if len(p.tombstones) > 0 {
		steps = append(steps, step{what: "reaction", sql: `DELETE FROM reactions WHERE message_id = ANY($1)`,
			args: []any{p.tombstones}, want: -1})
	}
	var drop, add, absent []core.Reaction
	var addSeqs []int64
	for _, rp := range p.reactions {
		switch {
		case rp.mustExist && slices.Contains(p.tombstones, rp.key.MessageID): // went with its message
		case rp.mustExist:
			drop = append(drop, rp.key)
		case !rp.present:
			absent = append(absent, rp.key)
		}
		if rp.present {
			add, addSeqs = append(add, rp.key), append(addSeqs, rp.seq)
		}
	}
	cols := func(rs []core.Reaction) (msgs, users, emoji []string) {
		for _, r := range rs {
			msgs, users, emoji = append(msgs, r.MessageID), append(users, r.UserID), append(emoji, r.Emoji)
		}
		return
	}
	if len(absent) > 0 { // added and taken back within this Append: it must not have existed
		m, u, e := cols(absent)
		steps = append(steps, step{what: "reaction", sql: `SELECT 1 FROM reactions r
			JOIN unnest($1::text[], $2::text[], $3::text[]) AS v (message_id, user_id, emoji)
			ON r.message_id = v.message_id AND r.user_id = v.user_id AND r.emoji = v.emoji`,
			args: []any{m, u, e}, want: 0, fail: core.Errorf(core.CodeAlreadyExists, "reaction already exists")})
	}
	if len(drop) > 0 {
		m, u, e := cols(drop)
		steps = append(steps, step{what: "reaction", sql: `DELETE FROM reactions r
			USING unnest($2::text[], $3::text[], $4::text[]) AS v (message_id, user_id, emoji)
			WHERE r.conversation_id = $1 AND r.message_id = v.message_id AND r.user_id = v.user_id AND r.emoji = v.emoji`,
			args: []any{p.convID, m, u, e}, want: int64(len(drop)), fail: notFound("reaction")})
	}
	if len(add) > 0 {
		m, u, e := cols(add)
		steps = append(steps, step{what: "reaction", sql: `INSERT INTO reactions (message_id, user_id, emoji, conversation_id, seq)
			SELECT v.message_id, v.user_id, v.emoji, $1, v.seq
			FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[]) AS v (message_id, user_id, emoji, seq)
			JOIN messages m ON m.id = v.message_id AND m.conversation_id = $1`,
			args: []any{p.convID, m, u, e, addSeqs}, want: int64(len(add)), fail: notFound("message")})
	}
	return steps
}

// insertMessagesStep inserts the new messages of every plan in one statement, whose primary key and
// (conversation, sender, clientMsgId) key refuse duplicates; ok is false when there are none.
func insertMessagesStep(plans []*appendPlan) (s step, ok bool, err error) {
	var ids, convs, senders, clients, bodies, replies, commands []string
	var seqs []int64
	var created []time.Time
	var edited, deleted, pinned []*time.Time
	var pinners, alls []string
	var mentions, attachments []*string
	var roots []string
	for _, p := range plans {
		for _, m := range p.newMsgs {
			pinned, pinners = append(pinned, m.pinnedAt), append(pinners, m.pinnedBy)
			mentions, alls = append(mentions, mentionsText(m.mentions)), append(alls, m.mentionAll)
			a, err := attachjson.Encode(m.attachments)
			if err != nil {
				return step{}, false, err
			}
			attachments, roots = append(attachments, a), append(roots, m.threadRootID)
			ids, convs, senders = append(ids, m.id), append(convs, p.convID), append(senders, m.sender)
			clients, bodies, replies = append(clients, m.clientMsgID), append(bodies, m.body), append(replies, m.replyTo)
			seqs, created = append(seqs, m.seq), append(created, m.createdAt)
			edited, deleted = append(edited, m.editedAt), append(deleted, m.deletedAt)
			commands = append(commands, m.commandID)
		}
	}
	if len(ids) == 0 {
		return step{}, false, nil
	}
	return step{what: "message", sql: `INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id,
			body, reply_to, created_at, edited_at, deleted_at, command_id, pinned_at, pinned_by, mentions, mention_all,
			attachments, thread_root_id)
		SELECT v.id, v.conv, v.seq, v.sender, v.client, v.body, v.reply_to, v.created, v.edited, v.deleted, v.command,
			v.pinned, v.pinner, v.mentions::text[], v.mention_all, v.attachments, v.thread_root_id
		FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::text[], $12::timestamptz[], $13::text[],
			$14::text[], $15::text[], $16::jsonb[], $17::text[])
			AS v (id, conv, seq, sender, client, body, reply_to, created, edited, deleted, command, pinned, pinner,
				mentions, mention_all, attachments, thread_root_id)`,
		args: []any{ids, convs, seqs, senders, clients, bodies, replies, created, edited, deleted, commands, pinned, pinners,
			mentions, alls, attachments, roots},
		want: -1}, true, nil
}
