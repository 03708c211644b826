// Package porttest holds the contract suites every adapter of a port must pass. Each suite is a plain
// function taking *testing.T and a factory, so an adapter's own _test.go runs it against fresh instances.
package porttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// Stores bundles the store ports of one backend, all views of the same data.
type Stores struct {
	Users         ports.UserStore
	Sessions      ports.SessionStore
	Conversations ports.ConversationStore
	Members       ports.MemberStore
	Summaries     ports.SummaryStore
	History       ports.HistoryStore
	Ledger        ports.Ledger
	Contacts      ports.ContactStore
	Blocks        ports.BlockStore
	Threads       ports.ThreadStore
	Attachments   ports.AttachmentStore
	Search        ports.SearchStore
	APIKeys       ports.APIKeyStore
	Moderation    ports.ModerationStore
	Feed          ports.ChangeFeed
	Webhooks      ports.WebhookStore
}

// TestStores runs every store contract suite. newStore must return empty stores, fresh for each call.
func TestStores(t *testing.T, newStore func(t *testing.T) Stores) {
	t.Run("UserStore", func(t *testing.T) {
		TestUserStore(t, func(t *testing.T) ports.UserStore { return newStore(t).Users })
	})
	t.Run("APIKeyStore", func(t *testing.T) {
		TestAPIKeyStore(t, func(t *testing.T) (ports.APIKeyStore, ports.UserStore) {
			s := newStore(t)
			return s.APIKeys, s.Users
		})
	})
	t.Run("SessionStore", func(t *testing.T) {
		TestSessionStore(t, func(t *testing.T) ports.SessionStore { return newStore(t).Sessions })
		t.Run("SessionUser", func(t *testing.T) { TestSessionUser(t, newStore) })
	})
	t.Run("ConversationStore", func(t *testing.T) { TestConversationStore(t, newStore) })
	t.Run("MemberStore", func(t *testing.T) { TestMemberStore(t, newStore) })
	t.Run("ContactStore", func(t *testing.T) { TestContactStore(t, newStore) })
	t.Run("BlockStore", func(t *testing.T) { TestBlockStore(t, newStore) })
	t.Run("AttachmentStore", func(t *testing.T) { TestAttachmentStore(t, newStore) })
	t.Run("HistoryStore", func(t *testing.T) { TestHistoryStore(t, newStore) })
	t.Run("Ledger", func(t *testing.T) { TestLedger(t, newStore) })
	t.Run("Reactions", func(t *testing.T) { TestReactions(t, newStore) })
	t.Run("Pins", func(t *testing.T) { TestPins(t, newStore) })
	t.Run("Mentions", func(t *testing.T) { TestMentions(t, newStore) })
	t.Run("Threads", func(t *testing.T) { TestThreads(t, newStore) })
	t.Run("SearchStore", func(t *testing.T) { TestSearchStore(t, newStore) })
	t.Run("ModerationStore", func(t *testing.T) { TestModerationStore(t, newStore) })
	t.Run("ChangeFeed", func(t *testing.T) { TestChangeFeed(t, newStore) })
	t.Run("WebhookStore", func(t *testing.T) { TestWebhookStore(t, newStore) })
}

// stEpoch has sub-millisecond digits and a non-UTC zone on purpose: stores keep at least milliseconds and may
// return any zone, so comparisons go through the stNorm* helpers below.
var stEpoch = time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.FixedZone("CEST", 2*60*60))

// stAt returns stEpoch plus i seconds.
func stAt(i int) time.Time { return stEpoch.Add(time.Duration(i) * time.Second) }

func stMS(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func stMSPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := stMS(*t)
	return &v
}

func stNormUser(u core.User) core.User {
	u.CreatedAt, u.DeactivatedAt = stMS(u.CreatedAt), stMSPtr(u.DeactivatedAt)
	return u
}

func stNormSession(s core.Session) core.Session {
	s.CreatedAt, s.ExpiresAt = stMS(s.CreatedAt), stMS(s.ExpiresAt)
	return s
}

func stNormBlock(b core.Block) core.Block {
	b.CreatedAt = stMS(b.CreatedAt)
	return b
}

func stNormConv(c core.Conversation) core.Conversation {
	c.CreatedAt, c.LastActivityAt = stMS(c.CreatedAt), stMS(c.LastActivityAt)
	return c
}

func stNormMember(m core.Member) core.Member {
	m.JoinedAt, m.MutedUntil = stMS(m.JoinedAt), stMSPtr(m.MutedUntil)
	if m.Notify == "" { // memberships start at NotifyAll; event payloads do not carry the setting
		m.Notify = core.NotifyAll
	}
	return m
}

func stNormMessage(m core.Message) core.Message {
	m.CreatedAt, m.EditedAt, m.DeletedAt = stMS(m.CreatedAt), stMSPtr(m.EditedAt), stMSPtr(m.DeletedAt)
	m.PinnedAt = stMSPtr(m.PinnedAt)
	return m
}

func stNormMessages(ms []core.Message) []core.Message {
	out := make([]core.Message, len(ms))
	for i, m := range ms {
		out[i] = stNormMessage(m)
	}
	return out
}

func stNormEvent(e core.Event) core.Event {
	e.At = stMS(e.At)
	if e.Message != nil {
		m := stNormMessage(*e.Message)
		e.Message = &m
	}
	if e.Member != nil {
		m := stNormMember(*e.Member)
		e.Member = &m
	}
	if e.Conversation != nil {
		c := stNormConv(*e.Conversation)
		e.Conversation = &c
	}
	return e
}

func stNormEvents(es []core.Event) []core.Event {
	out := make([]core.Event, len(es))
	for i, e := range es {
		out[i] = stNormEvent(e)
	}
	return out
}

func stNormSummary(s core.Summary) core.Summary {
	s.Conversation = stNormConv(s.Conversation)
	if s.Member != nil {
		m := stNormMember(*s.Member)
		s.Member = &m
	}
	if s.LastMessage != nil {
		m := stNormMessage(*s.LastMessage)
		s.LastMessage = &m
	}
	return s
}

// stWalk reads every page of a cursor-paged list and checks the paging rules: pages hold at most limit items,
// a page followed by another is full, and the walk ends.
func stWalk[T any](t *testing.T, limit int, list func(core.PageRequest) (core.Page[T], error)) []T {
	t.Helper()
	var all []T
	cursor := ""
	for i := 0; ; i++ {
		require.Less(t, i, 10000, "paging does not end")
		p, err := list(core.PageRequest{Cursor: cursor, Limit: limit})
		require.NoError(t, err)
		require.LessOrEqual(t, len(p.Items), limit, "page larger than limit")
		all = append(all, p.Items...)
		if p.Next == "" {
			return all
		}
		require.Len(t, p.Items, limit, "a page followed by another must be full")
		require.NotEqual(t, cursor, p.Next, "cursor did not advance")
		cursor = p.Next
	}
}

// stFixture builds data through the ports themselves, failing the test on any error.
type stFixture struct {
	t   *testing.T
	ctx context.Context
	s   Stores
}

func newStFixture(t *testing.T, newStore func(t *testing.T) Stores) stFixture {
	return stFixture{t: t, ctx: context.Background(), s: newStore(t)}
}

// conv creates a conversation created by the first member (owner), the others plain members.
func (f stFixture) conv(id string, kind core.Kind, title string, created time.Time, members ...string) core.Conversation {
	f.t.Helper()
	c := core.Conversation{ID: id, Kind: kind, Title: title, CreatedAt: created, LastActivityAt: created}
	if len(members) > 0 {
		c.CreatedBy = members[0]
	}
	if kind == core.KindDirect {
		require.Len(f.t, members, 2)
		c.DirectKey = core.DirectKey(members[0], members[1])
	}
	ms := make([]core.Member, len(members))
	for i, u := range members {
		ms[i] = core.Member{ConversationID: id, UserID: u, Role: core.RoleMember, JoinedAt: created}
		if i == 0 {
			ms[i].Role = core.RoleOwner
		}
	}
	got, created2, err := f.s.Conversations.CreateConversation(f.ctx, c, ms)
	require.NoError(f.t, err)
	require.True(f.t, created2)
	return got
}

// next appends one event at the conversation's next seq (read inside the transaction) and returns it.
// build receives the seq so the payload can carry it.
func (f stFixture) next(convID string, build func(seq int64) core.Event) core.Event {
	f.t.Helper()
	var ev core.Event
	err := f.s.Ledger.Update(f.ctx, func(ctx context.Context, tx ports.LedgerTx) error {
		c, err := tx.Conversation(ctx, convID)
		if err != nil {
			return err
		}
		ev = build(c.LastSeq + 1)
		return tx.Append(ctx, ev)
	})
	require.NoError(f.t, err)
	return ev
}

// send appends a message.created event; the message id is derived from the conversation and seq.
func (f stFixture) send(convID, sender, body string) core.Message {
	f.t.Helper()
	ev := f.next(convID, func(seq int64) core.Event {
		return stCreated(stMessage(convID, fmt.Sprintf("%s-m%03d", convID, seq), sender, body, seq))
	})
	return *ev.Message
}

// join appends a member.joined event for user and returns it.
func (f stFixture) join(convID, user string) core.Event {
	f.t.Helper()
	return f.next(convID, func(seq int64) core.Event {
		return stMemberEvent(core.EventMemberJoined, convID, seq, user,
			core.Member{ConversationID: convID, UserID: user, Role: core.RoleMember, JoinedAt: stAt(int(seq))})
	})
}

// stMessage builds a message at seq whose clientMsgId is "c-"+id.
func stMessage(convID, id, sender, body string, seq int64) core.Message {
	return core.Message{ID: id, ConversationID: convID, Seq: seq, SenderID: sender, ClientMsgID: "c-" + id,
		Body: body, CreatedAt: stAt(int(seq))}
}

func stCreated(m core.Message) core.Event {
	return core.Event{ConversationID: m.ConversationID, Seq: m.Seq, Type: core.EventMessageCreated,
		At: m.CreatedAt, ActorID: m.SenderID, Message: &m}
}

func stMsgEvent(typ core.EventType, seq int64, actor string, m core.Message) core.Event {
	return core.Event{ConversationID: m.ConversationID, Seq: seq, Type: typ, At: stAt(int(seq)), ActorID: actor, Message: &m}
}

func stMemberEvent(typ core.EventType, convID string, seq int64, actor string, m core.Member) core.Event {
	return core.Event{ConversationID: convID, Seq: seq, Type: typ, At: stAt(int(seq)), ActorID: actor, Member: &m}
}

func stConvEvent(seq int64, actor string, c core.Conversation) core.Event {
	return core.Event{ConversationID: c.ID, Seq: seq, Type: core.EventConversationUpdated, At: stAt(int(seq)),
		ActorID: actor, Conversation: &c}
}

// update runs fn in one ledger transaction.
func (f stFixture) update(fn func(ctx context.Context, tx ports.LedgerTx) error) error {
	return f.s.Ledger.Update(f.ctx, fn)
}

// appendEvents appends events in one transaction and returns Update's error.
func (f stFixture) appendEvents(events ...core.Event) error {
	return f.update(func(ctx context.Context, tx ports.LedgerTx) error { return tx.Append(ctx, events...) })
}
