package porttest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
)

func stNormBan(b core.Ban) core.Ban {
	b.CreatedAt, b.ExpiresAt = stMS(b.CreatedAt), stMSPtr(b.ExpiresAt)
	return b
}

func stNormReport(r core.Report) core.Report {
	r.CreatedAt, r.ResolvedAt = stMS(r.CreatedAt), stMSPtr(r.ResolvedAt)
	return r
}

// stNormAudit also reads empty details as none: a store may keep either.
func stNormAudit(e core.AuditEntry) core.AuditEntry {
	e.At = stMS(e.At)
	if len(e.Details) == 0 {
		e.Details = nil
	}
	return e
}

// TestModerationStore checks the ports.ModerationStore contract. newStore must return empty stores.
func TestModerationStore(t *testing.T, newStore func(t *testing.T) Stores) {
	moderator := core.Actor{Type: core.ActorUser, ID: "mod"}
	adminKey := core.Actor{Type: core.ActorAPIKey, ID: "key-1"}
	ban := func(f stFixture, convID, user string, i int, expires *time.Time) core.Ban {
		f.t.Helper()
		b := core.Ban{ConversationID: convID, UserID: user, BannedBy: moderator, Reason: "spam " + user, CreatedAt: stAt(i),
			ExpiresAt: expires}
		require.NoError(f.t, f.s.Moderation.PutBan(f.ctx, b))
		return b
	}
	bans := func(f stFixture, convID string, limit int) []core.Ban {
		f.t.Helper()
		out := []core.Ban{}
		for _, b := range stWalk(f.t, limit, func(p core.PageRequest) (core.Page[core.Ban], error) {
			return f.s.Moderation.Bans(f.ctx, convID, p)
		}) {
			out = append(out, stNormBan(b))
		}
		return out
	}
	report := func(f stFixture, id, messageID, reporter string, i int) core.Report {
		f.t.Helper()
		r := core.Report{ID: id, ConversationID: "c1", MessageID: messageID, ReporterID: reporter, Reason: "report " + id,
			CreatedAt: stAt(i), Status: core.ReportOpen}
		require.NoError(f.t, f.s.Moderation.CreateReport(f.ctx, r))
		return r
	}
	reportIDs := func(f stFixture, status core.ReportStatus, limit int) []string {
		f.t.Helper()
		ids := []string{}
		for _, r := range stWalk(f.t, limit, func(p core.PageRequest) (core.Page[core.Report], error) {
			return f.s.Moderation.Reports(f.ctx, status, p)
		}) {
			ids = append(ids, r.ID)
		}
		return ids
	}
	audit := func(f stFixture, q core.AuditQuery, limit int) []core.AuditEntry {
		f.t.Helper()
		out := []core.AuditEntry{}
		for _, e := range stWalk(f.t, limit, func(p core.PageRequest) (core.Page[core.AuditEntry], error) {
			return f.s.Moderation.AuditLog(f.ctx, q, p)
		}) {
			out = append(out, stNormAudit(e))
		}
		return out
	}

	t.Run("a ban reads back exactly, and a second one replaces it", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindChannel, "One", stAt(0), "mod", "u2")
		f.conv("c2", core.KindChannel, "Two", stAt(0), "mod", "u2")
		_, err := f.s.Moderation.Ban(f.ctx, "c1", "u2")
		assert.ErrorIs(t, err, core.ErrNotFound)
		first := ban(f, "c1", "u2", 1, nil)
		got, err := f.s.Moderation.Ban(f.ctx, "c1", "u2")
		require.NoError(t, err)
		assert.Equal(t, stNormBan(first), stNormBan(got))

		second := core.Ban{ConversationID: "c1", UserID: "u2", BannedBy: adminKey, Reason: "again", CreatedAt: stAt(5),
			ExpiresAt: stPtr(stAt(500))}
		require.NoError(t, f.s.Moderation.PutBan(f.ctx, second))
		got, err = f.s.Moderation.Ban(f.ctx, "c1", "u2")
		require.NoError(t, err)
		assert.Equal(t, stNormBan(second), stNormBan(got), "every field of the second ban")
		assert.Equal(t, []core.Ban{stNormBan(second)}, bans(f, "c1", 10), "one ban per user and conversation")

		third := second
		third.ExpiresAt, third.Reason = nil, ""
		require.NoError(t, f.s.Moderation.PutBan(f.ctx, third))
		got, err = f.s.Moderation.Ban(f.ctx, "c1", "u2")
		require.NoError(t, err)
		assert.Nil(t, got.ExpiresAt, "a renewal without an end clears the old one")
		assert.Empty(t, got.Reason)

		_, err = f.s.Moderation.Ban(f.ctx, "c2", "u2")
		assert.ErrorIs(t, err, core.ErrNotFound, "a ban holds in its conversation only")
		_, err = f.s.Moderation.Ban(f.ctx, "c1", "mod")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})

	t.Run("lifting a ban says whether there was one", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindChannel, "One", stAt(0), "mod")
		f.conv("c2", core.KindChannel, "Two", stAt(0), "mod")
		ban(f, "c1", "u2", 1, nil)
		kept := ban(f, "c2", "u2", 2, nil)
		ban(f, "c1", "u3", 3, stPtr(stAt(4)))
		lifted, err := f.s.Moderation.DeleteBan(f.ctx, "c1", "u2")
		require.NoError(t, err)
		assert.True(t, lifted)
		_, err = f.s.Moderation.Ban(f.ctx, "c1", "u2")
		assert.ErrorIs(t, err, core.ErrNotFound)
		lifted, err = f.s.Moderation.DeleteBan(f.ctx, "c1", "u2")
		require.NoError(t, err)
		assert.False(t, lifted, "lifting twice")
		lifted, err = f.s.Moderation.DeleteBan(f.ctx, "nope", "u2")
		require.NoError(t, err)
		assert.False(t, lifted, "a conversation without bans")
		assert.Equal(t, []core.Ban{stNormBan(kept)}, bans(f, "c2", 10), "the same user's ban elsewhere stays")

		lifted, err = f.s.Moderation.DeleteBan(f.ctx, "c1", "u3")
		require.NoError(t, err)
		assert.True(t, lifted, "an expired ban is still there to lift")
		assert.Empty(t, bans(f, "c1", 10))
	})

	t.Run("bans are listed by user id, expired or not, page by page", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindChannel, "One", stAt(0), "mod")
		f.conv("c2", core.KindChannel, "Two", stAt(0), "mod")
		byUser := map[string]core.Ban{}
		for i, u := range []string{"u4", "u1", "u5", "u3", "u2"} { // inserted out of order
			var expires *time.Time
			if i%2 == 0 {
				expires = stPtr(stAt(2)) // expired long ago
			}
			byUser[u] = ban(f, "c1", u, i+1, expires)
		}
		ban(f, "c2", "u0", 1, nil)
		want := []core.Ban{}
		for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
			want = append(want, stNormBan(byUser[u]))
		}
		for _, limit := range []int{1, 2, 3, 100} {
			assert.Equal(t, want, bans(f, "c1", limit), "limit %d", limit)
		}
		assert.Empty(t, bans(f, "nope", 10))
		_, err := f.s.Moderation.Bans(f.ctx, "c1", core.PageRequest{Cursor: "!!not a cursor!!", Limit: 10})
		assert.ErrorIs(t, err, core.ErrInvalidArgument)
	})

	t.Run("BannedAmong returns the bans that hold at now", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindChannel, "One", stAt(0), "mod")
		f.conv("c2", core.KindChannel, "Two", stAt(0), "mod")
		now := stAt(50)
		ban(f, "c1", "u5", 1, nil)                         // until lifted
		ban(f, "c1", "u2", 2, stPtr(now.Add(time.Second))) // ends after now
		ban(f, "c1", "u3", 3, stPtr(stAt(10)))             // ended before now
		ban(f, "c1", "u4", 4, stPtr(now))                  // ends exactly at now: no longer holds
		ban(f, "c2", "u1", 5, nil)                         // another conversation
		got, err := f.s.Moderation.BannedAmong(f.ctx, "c1", []string{"u9", "u5", "u4", "u3", "u2", "u1"}, now)
		require.NoError(t, err)
		assert.Equal(t, []string{"u2", "u5"}, got)
		got, err = f.s.Moderation.BannedAmong(f.ctx, "c1", []string{"u5", "u2"}, stAt(100))
		require.NoError(t, err)
		assert.Equal(t, []string{"u5"}, got, "later, u2's ban is over")
		got, err = f.s.Moderation.BannedAmong(f.ctx, "c1", []string{"u1", "u9"}, now)
		require.NoError(t, err)
		assert.Empty(t, got)
		got, err = f.s.Moderation.BannedAmong(f.ctx, "c1", nil, now)
		require.NoError(t, err)
		assert.Empty(t, got)

		for _, u := range []string{"u3", "u4"} {
			_, err := f.s.Moderation.Ban(f.ctx, "c1", u)
			assert.NoError(t, err, "Ban returns the expired ban of %s", u)
		}
		assert.Len(t, bans(f, "c1", 10), 4, "Bans lists expired ones too")
	})

	t.Run("a report reads back exactly, and one per message and reporter", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1", "u2", "u3")
		m1, m2 := f.send("c1", "u1", "one"), f.send("c1", "u1", "two")
		_, err := f.s.Moderation.Report(f.ctx, "r01")
		assert.ErrorIs(t, err, core.ErrNotFound)
		r := report(f, "r01", m1.ID, "u2", 1)
		got, err := f.s.Moderation.Report(f.ctx, "r01")
		require.NoError(t, err)
		assert.Equal(t, stNormReport(r), stNormReport(got))
		assert.Nil(t, got.ResolvedBy)
		assert.Nil(t, got.ResolvedAt)

		dup := core.Report{ID: "r02", ConversationID: "c1", MessageID: m1.ID, ReporterID: "u2", Reason: "again",
			CreatedAt: stAt(2), Status: core.ReportOpen}
		assert.ErrorIs(t, f.s.Moderation.CreateReport(f.ctx, dup), core.ErrAlreadyExists)
		_, err = f.s.Moderation.Report(f.ctx, "r02")
		assert.ErrorIs(t, err, core.ErrNotFound, "the refused report is not stored")
		got, err = f.s.Moderation.Report(f.ctx, "r01")
		require.NoError(t, err)
		assert.Equal(t, stNormReport(r), stNormReport(got), "the first report is unchanged")

		report(f, "r03", m1.ID, "u3", 3) // another reporter of the same message
		report(f, "r04", m2.ID, "u2", 4) // the same reporter, another message
		assert.Equal(t, []string{"r01", "r03", "r04"}, reportIDs(f, "", 10))
	})

	t.Run("reports are listed oldest first, by status, page by page", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1", "u2")
		for i, id := range []string{"r04", "r01", "r06", "r03", "r02", "r05"} { // created out of order
			m := f.send("c1", "u1", id)
			report(f, id, m.ID, "u2", i+1)
		}
		_, err := f.s.Moderation.CloseReport(f.ctx, "r02", core.ReportResolved, moderator, "removed", stAt(20))
		require.NoError(t, err)
		_, err = f.s.Moderation.CloseReport(f.ctx, "r05", core.ReportDismissed, adminKey, "", stAt(21))
		require.NoError(t, err)
		for _, limit := range []int{1, 2, 4, 100} {
			assert.Equal(t, []string{"r01", "r02", "r03", "r04", "r05", "r06"}, reportIDs(f, "", limit), "all, limit %d", limit)
			assert.Equal(t, []string{"r01", "r03", "r04", "r06"}, reportIDs(f, core.ReportOpen, limit), "open, limit %d", limit)
			assert.Equal(t, []string{"r02"}, reportIDs(f, core.ReportResolved, limit), "resolved, limit %d", limit)
			assert.Equal(t, []string{"r05"}, reportIDs(f, core.ReportDismissed, limit), "dismissed, limit %d", limit)
		}
		all := stWalk(t, 100, func(p core.PageRequest) (core.Page[core.Report], error) {
			return f.s.Moderation.Reports(f.ctx, "", p)
		})
		for _, r := range all {
			got, err := f.s.Moderation.Report(f.ctx, r.ID)
			require.NoError(t, err)
			assert.Equal(t, stNormReport(got), stNormReport(r), "the listed report %s is the stored one", r.ID)
		}
		_, err = f.s.Moderation.Reports(f.ctx, core.ReportOpen, core.PageRequest{Cursor: "!!not a cursor!!", Limit: 10})
		assert.ErrorIs(t, err, core.ErrInvalidArgument)
	})

	t.Run("closing a report", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1", "u2")
		m1, m2 := f.send("c1", "u1", "one"), f.send("c1", "u1", "two")
		r1, r2 := report(f, "r01", m1.ID, "u2", 1), report(f, "r02", m2.ID, "u2", 2)
		_, err := f.s.Moderation.CloseReport(f.ctx, "nope", core.ReportResolved, moderator, "x", stAt(9))
		assert.ErrorIs(t, err, core.ErrNotFound)

		got, err := f.s.Moderation.CloseReport(f.ctx, "r01", core.ReportResolved, moderator, "message removed", stAt(9))
		require.NoError(t, err)
		want := r1
		want.Status, want.ResolvedBy, want.ResolvedAt, want.Resolution = core.ReportResolved, &moderator, stPtr(stAt(9)),
			"message removed"
		assert.Equal(t, stNormReport(want), stNormReport(got), "the closed report is returned")
		got, err = f.s.Moderation.Report(f.ctx, "r01")
		require.NoError(t, err)
		assert.Equal(t, stNormReport(want), stNormReport(got), "and stored")

		for _, status := range []core.ReportStatus{core.ReportDismissed, core.ReportResolved} {
			_, err = f.s.Moderation.CloseReport(f.ctx, "r01", status, adminKey, "other", stAt(10))
			assert.ErrorIs(t, err, core.ErrConflict, "closing again (%s)", status)
		}
		got, err = f.s.Moderation.Report(f.ctx, "r01")
		require.NoError(t, err)
		assert.Equal(t, stNormReport(want), stNormReport(got), "a refused close changes nothing")

		got, err = f.s.Moderation.CloseReport(f.ctx, "r02", core.ReportDismissed, adminKey, "", stAt(11))
		require.NoError(t, err)
		want = r2
		want.Status, want.ResolvedBy, want.ResolvedAt = core.ReportDismissed, &adminKey, stPtr(stAt(11))
		assert.Equal(t, stNormReport(want), stNormReport(got), "dismissed by an API key, without a note")
		got, err = f.s.Moderation.Report(f.ctx, "r02")
		require.NoError(t, err)
		assert.Equal(t, stNormReport(want), stNormReport(got))
	})

	t.Run("the audit log, newest first, filtered and paged", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		entry := func(i int, actor core.Actor, action, targetType, targetID, convID string, details map[string]string) core.AuditEntry {
			return core.AuditEntry{ID: fmt.Sprintf("a%02d", i), At: stAt(i), Actor: actor, Action: action,
				TargetType: targetType, TargetID: targetID, ConversationID: convID, Details: details}
		}
		entries := []core.AuditEntry{ // in id order
			entry(1, adminKey, "user.deactivate", "user", "u1", "", nil),
			entry(2, moderator, "conversation.ban", "user", "u2", "c1", map[string]string{"reason": "spam", "duration": "1h"}),
			entry(3, moderator, "member.mute", "member", "u2", "c1", map[string]string{"until": "2024-05-01T13:00:00Z"}),
			entry(4, adminKey, "conversation.ban", "user", "u3", "c2", map[string]string{}),
			entry(5, moderator, "conversation.slow_mode", "conversation", "c1", "c1", map[string]string{"seconds": "30"}),
			entry(6, adminKey, "user.deactivate", "user", "u2", "", map[string]string{"note": `quotes " and \ and ünïcödé`}),
			entry(7, core.Actor{Type: core.ActorUser, ID: "boss"}, "report.resolve", "report", "r1", "c1", nil),
		}
		for _, i := range []int{3, 0, 6, 1, 5, 2, 4} { // appended out of order
			require.NoError(t, f.s.Moderation.AppendAudit(f.ctx, entries[i]))
		}
		pick := func(is ...int) []core.AuditEntry {
			out := []core.AuditEntry{}
			for _, i := range is {
				out = append(out, stNormAudit(entries[i-1]))
			}
			return out
		}
		for name, tc := range map[string]struct {
			q    core.AuditQuery
			want []core.AuditEntry
		}{
			"everything":                   {core.AuditQuery{}, pick(7, 6, 5, 4, 3, 2, 1)},
			"by action":                    {core.AuditQuery{Action: "conversation.ban"}, pick(4, 2)},
			"by actor":                     {core.AuditQuery{ActorID: "mod"}, pick(5, 3, 2)},
			"by target":                    {core.AuditQuery{TargetID: "u2"}, pick(6, 3, 2)},
			"by conversation":              {core.AuditQuery{ConversationID: "c1"}, pick(7, 5, 3, 2)},
			"by action and conversation":   {core.AuditQuery{Action: "conversation.ban", ConversationID: "c1"}, pick(2)},
			"by actor and target":          {core.AuditQuery{ActorID: "key-1", TargetID: "u2"}, pick(6)},
			"every filter":                 {core.AuditQuery{Action: "member.mute", ActorID: "mod", TargetID: "u2", ConversationID: "c1"}, pick(3)},
			"no match":                     {core.AuditQuery{Action: "user.deactivate", ConversationID: "c1"}, pick()},
			"an action prefix is no match": {core.AuditQuery{Action: "user"}, pick()},
		} {
			for _, limit := range []int{1, 2, 3, 100} {
				assert.Equal(t, tc.want, audit(f, tc.q, limit), "%s, limit %d", name, limit)
			}
		}
		_, err := f.s.Moderation.AuditLog(f.ctx, core.AuditQuery{}, core.PageRequest{Cursor: "!!not a cursor!!", Limit: 10})
		assert.ErrorIs(t, err, core.ErrInvalidArgument)
	})

	t.Run("an empty audit log", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		assert.Empty(t, audit(f, core.AuditQuery{}, 10))
		assert.Empty(t, audit(f, core.AuditQuery{Action: "user.deactivate"}, 10))
	})
}
