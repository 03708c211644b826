// Package chat holds scalechat's use cases: accounts, conversations, membership, messages and the sequencer.
// It depends only on core and ports; every role runs the same code with different adapters.
package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// Config tunes the use cases. Zero values take the defaults of DefaultConfig.
type Config struct {
	Node            string        // this process's id; send results are routed back to it
	SessionTTL      time.Duration // how long a login lasts
	AckTimeout      time.Duration // how long a send waits for its sequenced result
	AcceptOnTimeout bool          // the log is durable: a send not sequenced in time is acknowledged as accepted
	SendRate        core.Rate     // per-user message rate; when set, it overrides Limits[LimitSend]
	Limits          Limits        // rate limits; nil takes DefaultLimits, an absent limit is off
	// PresenceToEveryone lets any user see any user's presence; by default only people who share a direct
	// or group conversation with a user (and are not blocked by them) see it.
	PresenceToEveryone bool
	// SendAuthTTL is how long a sender found a member may send to the conversation without the gateway reading
	// the membership again (the sequencer always checks it); 0 reads it on every send.
	SendAuthTTL time.Duration
	// Uploads limits attachments: largest size and accepted (sniffed) content types. Zero fields take the
	// core.UploadPolicy defaults.
	Uploads core.UploadPolicy
	// NoPasswordAccounts switches password accounts off: registering, logging in with a password and changing
	// one are refused (permission_denied); users sign in with the tokens of Deps.Identity only.
	NoPasswordAccounts bool
	// OrphanUploadTTL is how long an upload may stay unattached to a message before SweepOrphans removes it
	// (0: DefaultOrphanUploadTTL); the sweep is run by the caller, with now minus this as its cut-off.
	OrphanUploadTTL time.Duration
}

// MaxSendAuthEntries bounds the send-authorization cache of one process.
const MaxSendAuthEntries = 100_000

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Node:       "node",
		SessionTTL: 30 * 24 * time.Hour,
		AckTimeout: 5 * time.Second,
		Limits:     DefaultLimits(),
	}
}

func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.Node == "" {
		c.Node = d.Node
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = d.SessionTTL
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = d.AckTimeout
	}
	limits := d.Limits
	if c.Limits != nil {
		limits = make(Limits, len(c.Limits)+1)
		for k, v := range c.Limits {
			limits[k] = v
		}
	}
	if c.SendRate != (core.Rate{}) {
		limits[LimitSend] = c.SendRate
	}
	c.Limits = limits
	c.Uploads = c.Uploads.WithDefaults()
	if c.OrphanUploadTTL == 0 {
		c.OrphanUploadTTL = DefaultOrphanUploadTTL
	}
	if c.Uploads.MaxBytes < 1 || c.OrphanUploadTTL < 0 || len(c.Uploads.Types) == 0 {
		return c, errors.New("chat: Uploads.MaxBytes, Uploads.Types and OrphanUploadTTL must be positive")
	}
	for name, r := range c.Limits {
		if r.Limit < 1 || r.Per <= 0 {
			return c, fmt.Errorf("chat: rate limit %s must be positive", name)
		}
	}
	if c.SessionTTL < 0 || c.AckTimeout < 0 || c.SendAuthTTL < 0 {
		return c, errors.New("chat: SessionTTL and AckTimeout must be positive, SendAuthTTL not negative")
	}
	return c, nil
}

// Deps are the ports the use cases need.
type Deps struct {
	Users         ports.UserStore
	Sessions      ports.SessionStore
	Conversations ports.ConversationStore
	Members       ports.MemberStore
	Contacts      ports.ContactStore
	Blocks        ports.BlockStore
	Attachments   ports.AttachmentStore
	Threads       ports.ThreadStore
	Blobs         ports.BlobStore
	Summaries     ports.SummaryStore
	History       ports.HistoryStore
	Search        ports.SearchStore
	Ledger        ports.Ledger
	Log           ports.CommandLog
	Fanout        ports.Fanout
	Limiter       ports.RateLimiter
	Presence      ports.Presence
	Hasher        ports.PasswordHasher
	Identity      ports.IdentityVerifier // tokens of the host application; nil: none are accepted
	APIKeys       ports.APIKeyStore
	Moderation    ports.ModerationStore
	Webhooks      ports.WebhookStore
	Clock         ports.Clock
	IDs           ports.IDGenerator
	Logger        *slog.Logger
}

func (d Deps) validate() error {
	if d.Users == nil || d.Sessions == nil || d.Conversations == nil || d.Members == nil || d.Contacts == nil ||
		d.Blocks == nil || d.Attachments == nil || d.Blobs == nil || d.Threads == nil || d.Summaries == nil || d.Search == nil ||
		d.History == nil || d.Ledger == nil || d.Log == nil || d.Fanout == nil || d.Limiter == nil || d.Presence == nil ||
		d.Hasher == nil || d.Clock == nil || d.IDs == nil || d.APIKeys == nil || d.Moderation == nil || d.Webhooks == nil {
		return errors.New("chat: every dependency is required")
	}
	return nil
}

// Service implements the use cases. It is safe for concurrent use.
type Service struct {
	cfg     Config
	d       Deps
	log     *slog.Logger
	waiters *waiters
	auth    *sendAuth
	sub     ports.Subscription
	dummy   string // a password hash verified when a login names an unknown user, so timing reveals nothing
}

// New validates cfg and deps and subscribes to this node's results topic. Close releases the subscription.
func New(ctx context.Context, cfg Config, d Deps) (*Service, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := d.validate(); err != nil {
		return nil, err
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	s := &Service{cfg: cfg, d: d, log: d.Logger, waiters: newWaiters(),
		auth: newSendAuth(cfg.SendAuthTTL, MaxSendAuthEntries)}
	if s.dummy, err = d.Hasher.Hash(ctx, "not a real password, only for timing"); err != nil {
		return nil, err
	}
	s.sub, err = d.Fanout.Subscribe(ctx, func(_ string, env core.Envelope) {
		if env.Result != nil {
			s.waiters.deliver(*env.Result)
		}
	})
	if err != nil {
		return nil, err
	}
	if err := s.sub.Join(ctx, core.NodeTopic(cfg.Node)); err != nil {
		_ = s.sub.Close()
		return nil, err
	}
	return s, nil
}

// Close stops receiving send results.
func (s *Service) Close() error { return s.sub.Close() }

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// publish sends envelopes to a topic. Fan-out is best effort: a failure is logged, never returned, because the
// change it announces is already durable and clients heal gaps with sync.
func (s *Service) publish(ctx context.Context, topic string, envs ...core.Envelope) {
	if len(envs) == 0 {
		return
	}
	if err := s.d.Fanout.Publish(ctx, topic, envs...); err != nil {
		s.log.WarnContext(ctx, "fan-out publish failed", "topic", topic, "err", err)
	}
}

// publishEvents announces committed events to their conversations and membership changes to the users concerned.
func (s *Service) publishEvents(ctx context.Context, events []core.Event) {
	for _, e := range events {
		switch {
		case (e.Type == core.EventMemberLeft || e.Type == core.EventMemberUpdated) && e.Member != nil:
			s.auth.forget(e.ConversationID, e.Member.UserID)
		case e.Type == core.EventConversationUpdated:
			s.auth.forgetConversation(e.ConversationID)
		}
	}
	publishEvents(ctx, s.d.Fanout, s.log, events)
}

func publishEvents(ctx context.Context, f ports.Fanout, log *slog.Logger, events []core.Event) {
	if err := f.PublishAll(ctx, eventPublications(events)...); err != nil {
		log.WarnContext(ctx, "fan-out publish failed", "events", len(events), "err", err)
	}
}

// eventPublications are what announces committed events: each conversation's events, in order, on its topic,
// then each membership change on its user's topic.
func eventPublications(events []core.Event) []ports.Publication {
	var byConv publications
	for i := range events {
		byConv.add(core.ConversationTopic(events[i].ConversationID), core.Envelope{Event: &events[i]})
	}
	pubs := byConv.pubs
	for _, e := range events {
		if e.Member == nil || (e.Type != core.EventMemberJoined && e.Type != core.EventMemberLeft) {
			continue
		}
		mc := core.MembershipChange{UserID: e.Member.UserID, ConversationID: e.ConversationID, Joined: e.Type == core.EventMemberJoined}
		pubs = append(pubs, ports.Publication{Topic: core.UserTopic(mc.UserID), Envs: []core.Envelope{{Membership: &mc}}})
	}
	return pubs
}

// publications gathers envelopes by topic: one publication per topic, topics in the order first seen,
// envelopes in the order added.
type publications struct {
	pubs []ports.Publication
	at   map[string]int // topic -> index in pubs
}

func (p *publications) add(topic string, env core.Envelope) {
	k, ok := p.at[topic]
	if !ok {
		if p.at == nil {
			p.at = map[string]int{}
		}
		k = len(p.pubs)
		p.at[topic] = k
		p.pubs = append(p.pubs, ports.Publication{Topic: topic})
	}
	p.pubs[k].Envs = append(p.pubs[k].Envs, env)
}

// membership returns the conversation and the actor's membership. Non-members of private conversations are told
// it does not exist (existence is not revealed); non-members of a channel are told to join first.
func (s *Service) membership(ctx context.Context, actor, conversationID string) (core.Conversation, core.Member, error) {
	conv, err := s.d.Conversations.Conversation(ctx, conversationID)
	if err != nil {
		return conv, core.Member{}, notFoundAs(err, "conversation not found")
	}
	m, err := s.d.Members.Member(ctx, conversationID, actor)
	if errors.Is(err, core.ErrNotFound) {
		if conv.Kind == core.KindChannel {
			return conv, m, core.Errorf(core.CodePermissionDenied, "join the channel first")
		}
		return conv, m, core.Errorf(core.CodeNotFound, "conversation not found")
	}
	return conv, m, err
}

// trustedMember checks that actor is a member of the conversation, trusting what this node learnt within
// SendAuthTTL (forgotten at once when this node hears the member leave or change): the check of sends and
// typing notices, where the sequencer (for sends) stays the authority. It returns the slow mode the member is
// held to (0 for owners and admins, and when the conversation has none). A member a moderator muted is refused
// here when the store is read; the sequencer refuses them in any case.
func (s *Service) trustedMember(ctx context.Context, actor, conversationID string) (time.Duration, error) {
	now := s.d.Clock.Now()
	if slow, ok := s.auth.member(conversationID, actor, now); ok {
		return slow, nil
	}
	conv, m, err := s.membership(ctx, actor, conversationID)
	if err != nil {
		return 0, err
	}
	if m.MutedAt(now) {
		return 0, mutedError(*m.MutedUntil)
	}
	var slow time.Duration
	if !m.CanModerate(conv) {
		slow = conv.SlowMode
	}
	s.auth.remember(conversationID, actor, slow, now)
	return slow, nil
}

// notFoundAs replaces a not-found error's message with a client-facing one; other errors pass through.
func notFoundAs(err error, msg string) error {
	if errors.Is(err, core.ErrNotFound) {
		return core.Errorf(core.CodeNotFound, "%s", msg)
	}
	return err
}
