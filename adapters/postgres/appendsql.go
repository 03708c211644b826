package postgres

import (
	"time"

	"github.com/scalechat/scalechat/core"
)

// memberSteps writes the folded membership changes, one statement per kind of change.
func (p *appendPlan) memberSteps() []step {
	var absent, dropped, updated, updatedRoles []string
	var inserted []core.Member
	for _, mp := range p.members {
		switch {
		case !mp.mustExist && mp.row == nil: // joined and left again: only check it was not a member
			absent = append(absent, mp.userID)
		case mp.dropOld:
			dropped = append(dropped, mp.userID)
		case mp.mustExist && mp.row == nil:
			updated, updatedRoles = append(updated, mp.userID), append(updatedRoles, mp.newRole)
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
		steps = append(steps, step{what: "member", sql: `UPDATE members mb SET role = v.role
			FROM unnest($2::text[], $3::text[]) AS v (user_id, role)
			WHERE mb.conversation_id = $1 AND mb.user_id = v.user_id`,
			args: []any{p.convID, updated, updatedRoles}, want: int64(len(updated)), fail: notFound("member")})
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
	for i, m := range members {
		users[i], roles[i], reads[i], joined[i] = m.UserID, string(m.Role), m.ReadSeq, ts(m.JoinedAt)
	}
	return step{what: "member", sql: `INSERT INTO members (conversation_id, user_id, role, read_seq, joined_at)
		SELECT $1::text, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::timestamptz[])`,
		args: []any{convID, users, roles, reads, joined}, want: -1}
}

// editSteps replaces the messages edited or deleted; they must exist.
func (p *appendPlan) editSteps() []step {
	n := len(p.editedMsgs)
	if n == 0 {
		return nil
	}
	ids, bodies, replies := make([]string, n), make([]string, n), make([]string, n)
	edited, deleted := make([]*time.Time, n), make([]*time.Time, n)
	for i, m := range p.editedMsgs {
		ids[i], bodies[i], replies[i], edited[i], deleted[i] = m.id, m.body, m.replyTo, m.editedAt, m.deletedAt
	}
	return []step{{what: "message", sql: `UPDATE messages m
		SET body = v.body, reply_to = v.reply_to, edited_at = v.edited_at, deleted_at = v.deleted_at
		FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[])
			AS v (id, body, reply_to, edited_at, deleted_at)
		WHERE m.conversation_id = $1 AND m.id = v.id`,
		args: []any{p.convID, ids, bodies, replies, edited, deleted}, want: int64(n), fail: notFound("message")}}
}

// insertMessagesStep inserts the new messages of every plan in one statement, whose primary key and
// (conversation, sender, clientMsgId) key refuse duplicates; ok is false when there are none.
func insertMessagesStep(plans []*appendPlan) (s step, ok bool) {
	var ids, convs, senders, clients, bodies, replies, commands []string
	var seqs []int64
	var created []time.Time
	var edited, deleted []*time.Time
	for _, p := range plans {
		for _, m := range p.newMsgs {
			ids, convs, senders = append(ids, m.id), append(convs, p.convID), append(senders, m.sender)
			clients, bodies, replies = append(clients, m.clientMsgID), append(bodies, m.body), append(replies, m.replyTo)
			seqs, created = append(seqs, m.seq), append(created, m.createdAt)
			edited, deleted = append(edited, m.editedAt), append(deleted, m.deletedAt)
			commands = append(commands, m.commandID)
		}
	}
	if len(ids) == 0 {
		return step{}, false
	}
	return step{what: "message", sql: `INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id,
			body, reply_to, created_at, edited_at, deleted_at, command_id)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::text[])`,
		args: []any{ids, convs, seqs, senders, clients, bodies, replies, created, edited, deleted, commands}, want: -1}, true
}
