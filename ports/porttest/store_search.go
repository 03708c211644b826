package porttest

import (
	"fmt"
	"regexp"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
)

// TestSearchStore checks the ports.SearchStore contract. newStore must return empty stores. The texts stay
// within what every backend tokenizes alike (ASCII words split by spaces and plain punctuation), and the
// PostgreSQL store runs it with its default language, "simple" (no stemming, no stop words).
func TestSearchStore(t *testing.T, newStore func(t *testing.T) Stores) {
	// search returns every hit of q (all pages of 100), failing the test on an error.
	search := func(f stFixture, q core.SearchQuery) []core.SearchHit {
		f.t.Helper()
		return stWalk(f.t, 100, func(p core.PageRequest) (core.Page[core.SearchHit], error) {
			q.Cursor, q.Limit = p.Cursor, p.Limit
			return f.s.Search.Search(f.ctx, q)
		})
	}
	// ids returns the ids of the messages user finds with text.
	ids := func(f stFixture, user, text string) []string {
		f.t.Helper()
		out := []string{}
		for _, h := range search(f, core.SearchQuery{UserID: user, Text: text}) {
			out = append(out, h.Message.ID)
		}
		return out
	}
	idsOf := func(ms ...core.Message) []string {
		out := []string{}
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}

	t.Run("words match whole, case-insensitively, all of them", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "A", stAt(0), "u1", "u2")
		m1 := f.send("c1", "u1", "The quick brown fox jumps")
		m2 := f.send("c1", "u2", "A lazy dog sleeps")
		m3 := f.send("c1", "u1", "quick thinking saves the day")
		m4 := f.send("c1", "u2", "Foxes are quick.")
		m5 := f.send("c1", "u1", "QUICK fox!")
		assert.Equal(t, idsOf(m5, m4, m3, m1), ids(f, "u1", "quick"), "newest first")
		assert.Equal(t, idsOf(m5, m1), ids(f, "u2", "Fox"), "no stemming: foxes is another word")
		assert.Equal(t, idsOf(m5, m1), ids(f, "u1", "fox quick"), "every word must occur, in any order")
		assert.Equal(t, idsOf(m5, m1), ids(f, "u1", "  fox, QUICK! "), "punctuation separates words")
		assert.Equal(t, idsOf(m2), ids(f, "u1", "sleeps"))
		assert.Empty(t, ids(f, "u1", "qui"), "no prefix matching")
		assert.Empty(t, ids(f, "u1", "quick cat"))
		assert.Empty(t, ids(f, "u1", "nothing"))

		hits := search(f, core.SearchQuery{UserID: "u1", Text: "fox"})
		require.Len(t, hits, 2)
		assert.Equal(t, stNormMessage(m5), stNormMessage(hits[0].Message), "the whole message")
		assert.Equal(t, stNormMessage(m1), stNormMessage(hits[1].Message))
	})

	t.Run("quoted phrases", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "A", stAt(0), "u1")
		m1 := f.send("c1", "u1", "the quick brown fox")
		m2 := f.send("c1", "u1", "brown and quick")
		m3 := f.send("c1", "u1", "Quick, brown: a fox")
		assert.Equal(t, idsOf(m3, m1), ids(f, "u1", `"quick brown"`), "punctuation between the words of a phrase is no gap")
		assert.Equal(t, idsOf(m2), ids(f, "u1", `"and quick"`))
		assert.Empty(t, ids(f, "u1", `"brown quick"`), "order matters")
		assert.Equal(t, idsOf(m3, m2, m1), ids(f, "u1", `brown quick`), "unquoted, it does not")
		assert.Equal(t, idsOf(m1), ids(f, "u1", `"quick brown" "brown fox"`))
		assert.Empty(t, ids(f, "u1", `"quick fox"`), "not adjacent")
	})

	t.Run("a phrase of three words or more is the words in a row, not their pairs", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "A", stAt(0), "u1")
		m1 := f.send("c1", "u1", "red fish, blue fish, red fish blue")
		m2 := f.send("c1", "u1", "one fish two fish red fish blue fish")
		m3 := f.send("c1", "u1", "fish fish fish")
		assert.Empty(t, ids(f, "u1", `"red blue fish"`), "no pair of it is in any message")
		assert.Equal(t, idsOf(m2, m1), ids(f, "u1", `"red fish blue"`))
		assert.Empty(t, ids(f, "u1", `"fish red fish red"`), "every pair is in m1, the four words are not")
		assert.Equal(t, idsOf(m2), ids(f, "u1", `"fish red fish blue fish"`))
		assert.Equal(t, idsOf(m3), ids(f, "u1", `"fish fish fish"`), "a repeated word")
		assert.Empty(t, ids(f, "u1", `"fish fish fish fish"`))
		assert.Equal(t, idsOf(m2, m1), ids(f, "u1", `"blue fish" "red fish"`), "two phrases")
		assert.Empty(t, ids(f, "u1", `"blue fish" "two red"`))
	})

	t.Run("filters by conversation, sender and time", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "A", stAt(0), "u1", "u2")
		f.conv("c2", core.KindGroup, "B", stAt(0), "u1", "u3")
		f.conv("c3", core.KindGroup, "C", stAt(0), "u2", "u3")
		var readable []core.Message // what u1 may find
		for i := range 12 {
			conv := []string{"c1", "c2", "c3"}[i%3]
			sender := map[string][]string{"c1": {"u1", "u2"}, "c2": {"u1", "u3"}, "c3": {"u2", "u3"}}[conv][i%2]
			body := fmt.Sprintf("report number %d", i)
			if i%4 == 3 {
				body = fmt.Sprintf("unrelated %d", i)
			}
			m := f.send(conv, sender, body)
			if conv != "c3" {
				readable = append(readable, m)
			}
		}
		// reference semantics: u1's messages holding "report", newest first, narrowed by keep
		expect := func(keep func(core.Message) bool) []string {
			var ms []core.Message
			for _, m := range readable {
				if _, ok := core.MatchSearch(m.Body, core.SearchTerms{{"report"}}); ok && keep(m) {
					ms = append(ms, m)
				}
			}
			sort.Slice(ms, func(i, j int) bool {
				a, b := stMS(ms[i].CreatedAt), stMS(ms[j].CreatedAt)
				return a.After(b) || a.Equal(b) && ms[i].ID > ms[j].ID
			})
			return idsOf(ms...)
		}
		got := func(q core.SearchQuery) []string {
			q.UserID, q.Text = "u1", "report"
			return idsOf(func() []core.Message {
				var ms []core.Message
				for _, h := range search(f, q) {
					ms = append(ms, h.Message)
				}
				return ms
			}()...)
		}
		all := expect(func(core.Message) bool { return true })
		require.Len(t, all, 6)
		assert.Equal(t, all, got(core.SearchQuery{}), "equal creation times are ordered by id, descending")
		assert.Equal(t, expect(func(m core.Message) bool { return m.ConversationID == "c2" }),
			got(core.SearchQuery{ConversationID: "c2"}))
		assert.Empty(t, got(core.SearchQuery{ConversationID: "c3"}), "a conversation of others")
		assert.Empty(t, got(core.SearchQuery{ConversationID: "nope"}))
		assert.Equal(t, expect(func(m core.Message) bool { return m.SenderID == "u3" }),
			got(core.SearchQuery{SenderID: "u3"}))
		assert.Equal(t, expect(func(m core.Message) bool { return m.SenderID == "u1" && m.ConversationID == "c1" }),
			got(core.SearchQuery{SenderID: "u1", ConversationID: "c1"}))
		assert.Empty(t, got(core.SearchQuery{SenderID: "u1", ConversationID: "c3"}))
		after, before := readable[2].CreatedAt, readable[6].CreatedAt
		assert.Equal(t, expect(func(m core.Message) bool { return !stMS(m.CreatedAt).Before(stMS(after)) }),
			got(core.SearchQuery{After: after}), "after is inclusive")
		assert.Equal(t, expect(func(m core.Message) bool { return stMS(m.CreatedAt).Before(stMS(before)) }),
			got(core.SearchQuery{Before: before}), "before is exclusive")
		assert.Equal(t, expect(func(m core.Message) bool {
			return !stMS(m.CreatedAt).Before(stMS(after)) && stMS(m.CreatedAt).Before(stMS(before))
		}), got(core.SearchQuery{After: after, Before: before}))
		assert.NotEmpty(t, got(core.SearchQuery{After: after, Before: before}))
		assert.Empty(t, got(core.SearchQuery{After: stAt(1000)}))
	})

	t.Run("members only, now", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "A", stAt(0), "u1", "u2")
		f.conv("c2", core.KindGroup, "B", stAt(0), "u3")
		f.conv("ch", core.KindChannel, "Open", stAt(0), "u3")
		m1 := f.send("c1", "u1", "secret plans")
		m2 := f.send("c2", "u3", "secret recipe")
		m3 := f.send("ch", "u3", "secret handshake")
		assert.Equal(t, idsOf(m1), ids(f, "u1", "secret"))
		assert.Equal(t, idsOf(m1), ids(f, "u2", "secret"))
		assert.Equal(t, idsOf(m3, m2), ids(f, "u3", "secret"))
		assert.Empty(t, ids(f, "u4", "secret"), "a user in no conversation")
		assert.Empty(t, ids(f, "u1", "recipe"), "not a member")
		assert.Empty(t, ids(f, "u1", "handshake"), "a public channel is searched by its members only")

		left := f.next("c1", func(seq int64) core.Event {
			return stMemberEvent(core.EventMemberLeft, "c1", seq, "u1",
				core.Member{ConversationID: "c1", UserID: "u2", Role: core.RoleMember, JoinedAt: stAt(0)})
		})
		require.Equal(t, core.EventMemberLeft, left.Type)
		assert.Empty(t, ids(f, "u2", "secret"), "removed: finds nothing there any more, old messages included")
		assert.Empty(t, search(f, core.SearchQuery{UserID: "u2", Text: "secret", ConversationID: "c1"}))
		assert.Equal(t, idsOf(m1), ids(f, "u1", "secret"), "the others still do")
		f.send("c1", "u1", "more secret plans")
		assert.Empty(t, ids(f, "u2", "secret"))

		f.join("c1", "u2")
		assert.Len(t, ids(f, "u2", "secret"), 2, "back in: the whole history again")
		f.join("ch", "u1")
		assert.Contains(t, ids(f, "u1", "secret"), m3.ID, "joined the channel")
	})

	t.Run("deleted and edited messages", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "A", stAt(0), "u1", "u2")
		orig := f.send("c1", "u1", "alpha bravo")
		gone := f.send("c1", "u2", "alpha echo")
		kept := f.send("c1", "u2", "alpha kilo")
		edited := orig
		edited.Body, edited.EditedAt = "charlie delta", stPtr(stAt(10))
		f.next("c1", func(seq int64) core.Event { return stMsgEvent(core.EventMessageEdited, seq, "u1", edited) })
		tomb := gone
		tomb.Body, tomb.DeletedAt = "", stPtr(stAt(11))
		f.next("c1", func(seq int64) core.Event { return stMsgEvent(core.EventMessageDeleted, seq, "u2", tomb) })

		assert.Equal(t, idsOf(kept), ids(f, "u1", "alpha"), "neither the old text of an edit nor a tombstone")
		assert.Empty(t, ids(f, "u1", "bravo"))
		assert.Empty(t, ids(f, "u1", "echo"))
		assert.Empty(t, ids(f, "u1", `"alpha bravo"`), "nor the old phrase of an edit")
		assert.Empty(t, ids(f, "u1", `"alpha echo"`), "nor a deleted message's phrase")
		assert.Equal(t, idsOf(orig), ids(f, "u1", `"charlie delta"`), "the new phrase")
		hits := search(f, core.SearchQuery{UserID: "u2", Text: "delta"})
		require.Len(t, hits, 1)
		assert.Equal(t, stNormMessage(edited), stNormMessage(hits[0].Message), "found by the new text, as it is now")

		again := edited
		again.Body, again.EditedAt = "bravo again", stPtr(stAt(12))
		f.next("c1", func(seq int64) core.Event { return stMsgEvent(core.EventMessageEdited, seq, "u1", again) })
		assert.Empty(t, ids(f, "u1", "delta"))
		assert.Empty(t, ids(f, "u1", `"charlie delta"`))
		assert.Equal(t, idsOf(orig), ids(f, "u1", "bravo"))
		assert.Equal(t, idsOf(orig), ids(f, "u1", `"bravo again"`))
		del := again
		del.Body, del.DeletedAt = "", stPtr(stAt(13))
		f.next("c1", func(seq int64) core.Event { return stMsgEvent(core.EventMessageDeleted, seq, "u1", del) })
		assert.Empty(t, ids(f, "u1", "bravo"), "deleted after an edit")
	})

	t.Run("paging by cursor has no gaps and no duplicates", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "A", stAt(0), "u1")
		f.conv("c2", core.KindGroup, "B", stAt(0), "u1")
		var want []core.Message
		for i := range 15 {
			// c1 and c2 get the same seqs, so pairs of messages share a creation time: id breaks the tie
			want = append(want, f.send("c1", "u1", fmt.Sprintf("page item %d", i)),
				f.send("c2", "u1", fmt.Sprintf("item of page %d", i)))
			f.send("c1", "u1", "filler")
		}
		sort.Slice(want, func(i, j int) bool {
			a, b := stMS(want[i].CreatedAt), stMS(want[j].CreatedAt)
			return a.After(b) || a.Equal(b) && want[i].ID > want[j].ID
		})
		for _, limit := range []int{1, 4, 7, 30, 100} {
			hits := stWalk(t, limit, func(p core.PageRequest) (core.Page[core.SearchHit], error) {
				return f.s.Search.Search(f.ctx, core.SearchQuery{UserID: "u1", Text: "page item", Cursor: p.Cursor, Limit: p.Limit})
			})
			got := make([]core.Message, len(hits))
			for i, h := range hits {
				got[i] = h.Message
			}
			assert.Equal(t, stNormMessages(want), stNormMessages(got), "limit %d", limit)
		}
		// a message sent between two pages is newer than the cursor: the walk goes on where it was
		p1, err := f.s.Search.Search(f.ctx, core.SearchQuery{UserID: "u1", Text: "page", Limit: 10})
		require.NoError(t, err)
		f.send("c2", "u1", "late page")
		p2, err := f.s.Search.Search(f.ctx, core.SearchQuery{UserID: "u1", Text: "page", Limit: 100, Cursor: p1.Next})
		require.NoError(t, err)
		assert.Equal(t, idsOf(want[10:]...), idsOf(hitMessages(p2.Items)...))
		assert.Empty(t, p2.Next)
	})

	t.Run("limit defaults to 20 and is clamped to 100", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "A", stAt(0), "u1")
		require.NoError(t, f.appendEvents(func() []core.Event {
			var evs []core.Event
			for seq := int64(1); seq <= 105; seq++ {
				evs = append(evs, stCreated(stMessage("c1", fmt.Sprintf("c1-m%03d", seq), "u1", fmt.Sprintf("bulk %d", seq), seq)))
			}
			return evs
		}()...))
		for limit, want := range map[int]int{0: core.DefaultSearchLimit, 1000: core.MaxSearchLimit, 7: 7} {
			p, err := f.s.Search.Search(f.ctx, core.SearchQuery{UserID: "u1", Text: "bulk", Limit: limit})
			require.NoError(t, err)
			assert.Len(t, p.Items, want, "limit %d", limit)
			assert.NotEmpty(t, p.Next)
			assert.Equal(t, "c1-m105", p.Items[0].Message.ID)
		}
		p, err := f.s.Search.Search(f.ctx, core.SearchQuery{UserID: "u1", Text: "bulk 3"})
		require.NoError(t, err)
		assert.Equal(t, []string{"c1-m003"}, idsOf(hitMessages(p.Items)...), "digits are words")
		assert.Empty(t, p.Next)
	})

	t.Run("highlight marks the matched words", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "A", stAt(0), "u1")
		m1 := f.send("c1", "u1", "Quick, quick! The fox, the quickest.")
		m2 := f.send("c1", "u1", "say quick brown now")
		hl := func(text string, m core.Message) string {
			t.Helper()
			hits := search(f, core.SearchQuery{UserID: "u1", Text: text})
			for _, h := range hits {
				if h.Message.ID == m.ID {
					assert.Equal(t, m.Body, stUnmark(h.Highlight), "the highlight is the whole body")
					return stJoinMarks(h.Highlight)
				}
			}
			t.Fatalf("%q does not find %s", text, m.ID)
			return ""
		}
		const s, e = core.HighlightStart, core.HighlightEnd
		assert.Equal(t, s+"Quick"+e+", "+s+"quick"+e+"! The "+s+"fox"+e+", the quickest.", hl("quick fox", m1))
		assert.Equal(t, "say "+s+"quick brown"+e+" now", hl(`"quick brown"`, m2))
		assert.Equal(t, "say quick "+s+"brown"+e+" now", hl("brown", m2))
	})

	t.Run("malformed queries", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "A", stAt(0), "u1")
		f.send("c1", "u1", "hello")
		for name, q := range map[string]core.SearchQuery{
			"empty text":       {UserID: "u1", Text: ""},
			"punctuation only": {UserID: "u1", Text: `"" - !`},
			"invalid UTF-8":    {UserID: "u1", Text: "hel\xfflo"},
			"too long":         {UserID: "u1", Text: fmt.Sprintf("%0201d", 1)},
			"bad cursor":       {UserID: "u1", Text: "hello", Cursor: "%%%"},
			"foreign cursor":   {UserID: "u1", Text: "hello", Cursor: core.EncodeCursor("x")},
			"negative limit":   {UserID: "u1", Text: "hello", Limit: -1},
		} {
			_, err := f.s.Search.Search(f.ctx, q)
			assert.ErrorIs(t, err, core.ErrInvalidArgument, name)
		}
		p, err := f.s.Search.Search(f.ctx, core.SearchQuery{UserID: "u1", Text: `OR "AND" NOT -hello*`})
		require.NoError(t, err, "operators of the backends' own syntaxes are plain words")
		assert.Empty(t, p.Items)
	})
}

func hitMessages(hits []core.SearchHit) []core.Message {
	out := make([]core.Message, len(hits))
	for i, h := range hits {
		out[i] = h.Message
	}
	return out
}

// stUnmark removes the highlight markers.
func stUnmark(s string) string { return stMarks.ReplaceAllString(s, "") }

var (
	stMarks    = regexp.MustCompile("[" + core.HighlightStart + core.HighlightEnd + "]")
	stGapMarks = regexp.MustCompile(core.HighlightEnd + `(\s+)` + core.HighlightStart)
)

// stJoinMarks merges marked words separated by white space only into one mark: stores may mark a phrase's
// words together or one by one.
func stJoinMarks(s string) string { return stGapMarks.ReplaceAllString(s, "$1") }
