package porttest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

const (
	fanWait  = 10 * time.Second       // bound on waiting for an expected delivery
	fanQuiet = 300 * time.Millisecond // how long to watch for a delivery that must not happen
)

// TestFanout runs the ports.Fanout and ports.Subscription contracts against the fan-out newFanout returns.
// Topics are unique per run, so instances may share a server.
func TestFanout(t *testing.T, newFanout func(t *testing.T) ports.Fanout) {
	t.Run("PublishWithoutSubscribersSucceeds", func(t *testing.T) {
		t.Parallel()
		f := newFanout(t)
		require.NoError(t, f.Publish(t.Context(), fanTopic("nobody"), fanMark(1)))
	})

	t.Run("DeliversOnlyJoinedTopics", func(t *testing.T) {
		t.Parallel()
		f := newFanout(t)
		joined, other := fanTopic("joined"), fanTopic("other")
		c, _ := fanSubscribe(t, f, joined)
		require.NoError(t, f.Publish(t.Context(), other, fanMark(1)))
		require.NoError(t, f.Publish(t.Context(), joined, fanMark(2)))
		c.waitCount(t, joined, 1)
		c.never(t, other)
		assert.Equal(t, []int64{2}, c.marks(joined))
	})

	t.Run("JoinTwiceDeliversOnce", func(t *testing.T) {
		t.Parallel()
		f := newFanout(t)
		topic := fanTopic("twice")
		c, sub := fanSubscribe(t, f, topic)
		require.NoError(t, sub.Join(t.Context(), topic))
		require.NoError(t, f.Publish(t.Context(), topic, fanMark(1)))
		c.waitCount(t, topic, 1)
		time.Sleep(fanQuiet)
		assert.Equal(t, []int64{1}, c.marks(topic))
	})

	t.Run("LeaveStopsDelivery", func(t *testing.T) {
		t.Parallel()
		f := newFanout(t)
		left, kept := fanTopic("left"), fanTopic("kept")
		c, sub := fanSubscribe(t, f, left, kept)
		require.NoError(t, f.Publish(t.Context(), left, fanMark(1)))
		c.waitCount(t, left, 1)
		require.NoError(t, sub.Leave(t.Context(), left))
		require.NoError(t, sub.Leave(t.Context(), fanTopic("never-joined")), "leaving a topic not joined is harmless")
		require.NoError(t, f.Publish(t.Context(), left, fanMark(2)))
		require.NoError(t, f.Publish(t.Context(), kept, fanMark(3)))
		c.waitCount(t, kept, 1)
		time.Sleep(fanQuiet)
		assert.Equal(t, []int64{1}, c.marks(left), "nothing published after Leave is delivered")
	})

	t.Run("KeepsPublishOrderPerTopic", func(t *testing.T) {
		t.Parallel()
		f := newFanout(t)
		const topics, perTopic = 4, 150
		names := make([]string, topics)
		for i := range names {
			names[i] = fanTopic(fmt.Sprintf("order%d", i))
		}
		c, _ := fanSubscribe(t, f, names...)
		var wg sync.WaitGroup
		for _, topic := range names {
			wg.Go(func() { // one publisher per topic, all at once; some calls carry several envelopes
				for i := 0; i < perTopic; {
					n := min(perTopic-i, 1+i%4)
					envs := make([]core.Envelope, n)
					for j := range envs {
						envs[j] = fanMark(int64(i + j))
					}
					assert.NoError(t, f.Publish(t.Context(), topic, envs...))
					i += n
				}
			})
		}
		wg.Wait()
		want := make([]int64, perTopic)
		for i := range want {
			want[i] = int64(i)
		}
		for _, topic := range names {
			c.waitCount(t, topic, perTopic)
			assert.Equal(t, want, c.marks(topic), "topic %s", topic)
		}
		assert.False(t, c.overlapped.Load(), "the handler must be called from one goroutine at a time")
	})

	t.Run("PublishManyReachesEachTopicInOrder", func(t *testing.T) {
		t.Parallel()
		f := newFanout(t)
		names := fanTopics("many", 700) // more than one pipelined batch
		c, _ := fanSubscribe(t, f, names[0], names[350], names[699])
		other := fanTopic("not-named")
		c2, _ := fanSubscribe(t, f, other)
		require.NoError(t, f.PublishMany(t.Context(), nil, fanMark(9)), "no topics is not an error")
		require.NoError(t, f.Publish(t.Context(), names[350], fanMark(1)))
		require.NoError(t, f.PublishMany(t.Context(), names, fanMark(2), fanMark(3)))
		require.NoError(t, f.Publish(t.Context(), names[350], fanMark(4)))
		c.waitCount(t, names[0], 2)
		c.waitCount(t, names[699], 2)
		c.waitCount(t, names[350], 4)
		assert.Equal(t, []int64{2, 3}, c.marks(names[0]))
		assert.Equal(t, []int64{2, 3}, c.marks(names[699]))
		assert.Equal(t, []int64{1, 2, 3, 4}, c.marks(names[350]), "in order with the publisher's other publishes")
		c2.never(t, other)
	})

	t.Run("PublishAllKeepsOrderPerTopic", func(t *testing.T) {
		t.Parallel()
		f := newFanout(t)
		names := fanTopics("all", 600) // more than one pipelined batch
		c, _ := fanSubscribe(t, f, names[0], names[599])
		other := fanTopic("not-published")
		c2, _ := fanSubscribe(t, f, other)
		require.NoError(t, f.PublishAll(t.Context()), "nothing to publish is not an error")
		var pubs []ports.Publication
		for i, name := range names {
			pubs = append(pubs, ports.Publication{Topic: name, Envs: []core.Envelope{fanMark(int64(i))}})
		}
		// A topic twice in one call (a batch's events, then a result on the same node topic), and an empty
		// publication, which sends nothing.
		pubs = append(pubs, ports.Publication{Topic: names[0], Envs: []core.Envelope{fanMark(1000), fanMark(1001)}},
			ports.Publication{Topic: names[599]})
		require.NoError(t, f.Publish(t.Context(), names[0], fanMark(-1)))
		require.NoError(t, f.PublishAll(t.Context(), pubs...))
		require.NoError(t, f.Publish(t.Context(), names[599], fanMark(2000)))
		c.waitCount(t, names[0], 4)
		c.waitCount(t, names[599], 2)
		assert.Equal(t, []int64{-1, 0, 1000, 1001}, c.marks(names[0]), "in order, within and across calls")
		assert.Equal(t, []int64{599, 2000}, c.marks(names[599]))
		c2.never(t, other)
	})

	t.Run("EverySubscriptionGetsACopy", func(t *testing.T) {
		t.Parallel()
		f := newFanout(t)
		topic := fanTopic("shared")
		c1, _ := fanSubscribe(t, f, topic)
		c2, _ := fanSubscribe(t, f, topic)
		c3, _ := fanSubscribe(t, f, fanTopic("elsewhere"))
		require.NoError(t, f.Publish(t.Context(), topic, fanMark(1), fanMark(2)))
		for _, c := range []*fanCollector{c1, c2} {
			c.waitCount(t, topic, 2)
			assert.Equal(t, []int64{1, 2}, c.marks(topic))
		}
		time.Sleep(fanQuiet)
		assert.Zero(t, c3.total(), "a subscription that did not join the topic gets nothing")
	})

	t.Run("CloseStopsHandlerCalls", func(t *testing.T) {
		t.Parallel()
		f := newFanout(t)
		topic := fanTopic("closing")
		var closed, late atomic.Bool
		var calls atomic.Int64
		sub, err := f.Subscribe(t.Context(), func(string, core.Envelope) {
			if closed.Load() {
				late.Store(true)
			}
			calls.Add(1)
			time.Sleep(time.Millisecond) // keep deliveries in flight while Close runs
			if closed.Load() {
				late.Store(true) // this call outlived Close
			}
		})
		require.NoError(t, err)
		require.NoError(t, sub.Join(t.Context(), topic))
		for i := range 50 {
			require.NoError(t, f.Publish(t.Context(), topic, fanMark(int64(i))))
		}
		require.Eventually(t, func() bool { return calls.Load() > 0 }, fanWait, 5*time.Millisecond)
		require.NoError(t, sub.Close())
		closed.Store(true)
		for i := range 10 {
			require.NoError(t, f.Publish(t.Context(), topic, fanMark(int64(100+i))))
		}
		time.Sleep(fanQuiet)
		assert.False(t, late.Load(), "the handler ran after Close returned")
	})

	t.Run("EnvelopesRoundTrip", func(t *testing.T) {
		t.Parallel()
		f := newFanout(t)
		topic := fanTopic("kinds")
		c, _ := fanSubscribe(t, f, topic)
		envs := fanAllKinds()
		require.NoError(t, f.Publish(t.Context(), topic, envs...))
		c.waitCount(t, topic, len(envs))
		got := c.envelopes(topic)
		require.Len(t, got, len(envs))
		for i := range envs {
			assert.Equal(t, fanNorm(envs[i]), fanNorm(got[i]), "envelope %d", i)
		}
	})
}

// fanCollector is a handler recording deliveries per topic and whether calls ever overlapped.
type fanCollector struct {
	mu         sync.Mutex
	got        map[string][]core.Envelope
	active     atomic.Int32
	overlapped atomic.Bool
}

func (c *fanCollector) handle(topic string, env core.Envelope) {
	if c.active.Add(1) > 1 {
		c.overlapped.Store(true)
	}
	defer c.active.Add(-1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got[topic] = append(c.got[topic], env)
}

func (c *fanCollector) envelopes(topic string) []core.Envelope {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]core.Envelope(nil), c.got[topic]...)
}

func (c *fanCollector) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, envs := range c.got {
		n += len(envs)
	}
	return n
}

// marks returns the Seq of every fanMark envelope received on topic, in arrival order.
func (c *fanCollector) marks(topic string) []int64 {
	var out []int64
	for _, e := range c.envelopes(topic) {
		if e.Read != nil {
			out = append(out, e.Read.Seq)
		}
	}
	return out
}

func (c *fanCollector) waitCount(t *testing.T, topic string, n int) {
	t.Helper()
	if !assert.Eventually(t, func() bool { return len(c.envelopes(topic)) >= n }, fanWait, 5*time.Millisecond) {
		require.FailNow(t, "envelopes not delivered", "topic %s: got %d of %d", topic, len(c.envelopes(topic)), n)
	}
}

func (c *fanCollector) never(t *testing.T, topic string) {
	t.Helper()
	assert.Never(t, func() bool { return len(c.envelopes(topic)) > 0 }, fanQuiet, 10*time.Millisecond,
		"topic %s was not joined", topic)
}

// fanSubscribe opens a subscription joined to topics, closed at cleanup.
func fanSubscribe(t *testing.T, f ports.Fanout, topics ...string) (*fanCollector, ports.Subscription) {
	t.Helper()
	c := &fanCollector{got: map[string][]core.Envelope{}}
	sub, err := f.Subscribe(t.Context(), c.handle)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, sub.Close()) })
	require.NoError(t, sub.Join(t.Context(), topics...))
	return c, sub
}

// fanMark is a small envelope identified by n.
func fanMark(n int64) core.Envelope {
	return core.Envelope{Read: &core.ReadReceipt{ConversationID: "c", UserID: "u", Seq: n}}
}

// fanTopics is n distinct topics of this run.
func fanTopics(prefix string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fanTopic(fmt.Sprintf("%s%d", prefix, i))
	}
	return names
}

func fanTopic(name string) string { return "porttest:" + uniqueName(name) }

// fanAllKinds returns one envelope of every kind with every field set (and some pointers left nil).
func fanAllKinds() []core.Envelope {
	zone := time.FixedZone("X", -5*60*60)
	at := time.Date(2024, 5, 1, 12, 0, 0, 123456789, zone)
	edited, deleted := at.Add(time.Minute), at.Add(2*time.Minute)
	full := core.Message{ID: "m1", ConversationID: "c1", Seq: 7, SenderID: "u1", ClientMsgID: "k1",
		Body: "héllo\nworld ✓", ReplyTo: "m0", CreatedAt: at, EditedAt: &edited, DeletedAt: &deleted}
	plain := core.Message{ID: "m2", ConversationID: "c1", Seq: 8, SenderID: "u2", ClientMsgID: "k2",
		Body: "plain", CreatedAt: at}
	member := core.Member{ConversationID: "c1", UserID: "u3", Role: core.RoleAdmin, ReadSeq: 5, JoinedAt: at}
	conv := core.Conversation{ID: "c1", Kind: core.KindGroup, Title: "Title", Topic: "Topic", DirectKey: "",
		CreatedBy: "u1", LastSeq: 9, CreatedAt: at, LastActivityAt: edited}
	return []core.Envelope{
		{Event: &core.Event{ConversationID: "c1", Seq: 7, Type: core.EventMessageDeleted, At: deleted, ActorID: "u1", Message: &full}},
		{Event: &core.Event{ConversationID: "c1", Seq: 8, Type: core.EventMessageCreated, At: at, ActorID: "u2", Message: &plain}},
		{Event: &core.Event{ConversationID: "c1", Seq: 9, Type: core.EventMemberJoined, At: at, ActorID: "u1", Member: &member}},
		{Event: &core.Event{ConversationID: "c1", Seq: 10, Type: core.EventConversationUpdated, At: at, ActorID: "u1", Conversation: &conv}},
		{Result: &core.SendResult{CommandID: "cmd1", Message: full, Duplicate: true}},
		{Result: &core.SendResult{CommandID: "cmd2", Err: &core.Error{Code: core.CodeRateLimited, Message: "slow down",
			Field: "body", RetryAfter: 1500 * time.Millisecond}}},
		{Typing: &core.Typing{ConversationID: "c1", UserID: "u1", Typing: true}},
		{Typing: &core.Typing{ConversationID: "c1", UserID: "u1", Typing: false}},
		{Read: &core.ReadReceipt{ConversationID: "c1", UserID: "u2", Seq: 42}},
		{Presence: &core.Presence{UserID: "u1", Online: true, LastSeenAt: at}},
		{Presence: &core.Presence{UserID: "u4", Online: false}},
		{Membership: &core.MembershipChange{UserID: "u1", ConversationID: "c1", Joined: true}},
		{Membership: &core.MembershipChange{UserID: "u1", ConversationID: "c2", Joined: false}},
		{Session: &core.SessionEnded{UserID: "u1", TokenHash: "5f2b8c0d"}},
		{Session: &core.SessionEnded{UserID: "u1", All: true, Except: "5f2b8c0d"}},
	}
}

// fanNorm returns a deep copy of e with every time in UTC, so envelopes compare equal after serialisation.
// A SendResult error's cause (Err.Err) is internal and need not survive the trip.
func fanNorm(e core.Envelope) core.Envelope {
	tp := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		v := p.UTC()
		return &v
	}
	msg := func(m core.Message) core.Message {
		m.CreatedAt, m.EditedAt, m.DeletedAt = m.CreatedAt.UTC(), tp(m.EditedAt), tp(m.DeletedAt)
		return m
	}
	if e.Event != nil {
		ev := *e.Event
		ev.At = ev.At.UTC()
		if ev.Message != nil {
			m := msg(*ev.Message)
			ev.Message = &m
		}
		if ev.Member != nil {
			m := *ev.Member
			m.JoinedAt = m.JoinedAt.UTC()
			ev.Member = &m
		}
		if ev.Conversation != nil {
			c := *ev.Conversation
			c.CreatedAt, c.LastActivityAt = c.CreatedAt.UTC(), c.LastActivityAt.UTC()
			ev.Conversation = &c
		}
		e.Event = &ev
	}
	if e.Result != nil {
		r := *e.Result
		r.Message = msg(r.Message)
		if r.Err != nil {
			ce := *r.Err
			ce.Err = nil
			r.Err = &ce
		}
		e.Result = &r
	}
	if e.Presence != nil {
		p := *e.Presence
		p.LastSeenAt = p.LastSeenAt.UTC()
		e.Presence = &p
	}
	return e
}
