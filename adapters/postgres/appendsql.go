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

// messageSteps replaces the messages edited or deleted (they must exist), then inserts the new ones, whose
// primary key and (conversation, sender, clientMsgId) key refuse duplicates.
func (p *appendPlan) messageSteps() []step {
	var steps []step
	if n := len(p.editedMsgs); n > 0 {
		ids, bodies, replies := make([]string, n), make([]string, n), make([]string, n)
		edited, deleted := make([]*time.Time, n), make([]*time.Time, n)
		for i, m := range p.editedMsgs {
			ids[i], bodies[i], replies[i], edited[i], deleted[i] = m.id, m.body, m.replyTo, m.editedAt, m.deletedAt
		}
		steps = append(steps, step{what: "message", sql: `UPDATE messages m
			SET body = v.body, reply_to = v.reply_to, edited_at = v.edited_at, deleted_at = v.deleted_at
			FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[])
				AS v (id, body, reply_to, edited_at, deleted_at)
			WHERE m.conversation_id = $1 AND m.id = v.id`,
			args: []any{p.convID, ids, bodies, replies, edited, deleted}, want: int64(n),
			fail: notFound("message")})
	}
	if n := len(p.newMsgs); n > 0 {
		ids, senders, clients, bodies, replies := make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n)
		seqs, created := make([]int64, n), make([]time.Time, n)
		edited, deleted := make([]*time.Time, n), make([]*time.Time, n)
		for i, m := range p.newMsgs {
			ids[i], senders[i], clients[i], bodies[i], replies[i] = m.id, m.sender, m.clientMsgID, m.body, m.replyTo
			seqs[i], created[i], edited[i], deleted[i] = m.seq, m.createdAt, m.editedAt, m.deletedAt
		}
		steps = append(steps, step{what: "message", sql: `INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id,
				body, reply_to, created_at, edited_at, deleted_at)
			SELECT v.id, $1::text, v.seq, v.sender_id, v.client_msg_id, v.body, v.reply_to, v.created_at,
				v.edited_at, v.deleted_at
			FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
				$8::timestamptz[], $9::timestamptz[], $10::timestamptz[])
				AS v (id, seq, sender_id, client_msg_id, body, reply_to, created_at, edited_at, deleted_at)`,
			args: []any{p.convID, ids, seqs, senders, clients, bodies, replies, created, edited, deleted}, want: -1})
	}
	return steps
}
