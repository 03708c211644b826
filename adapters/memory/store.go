package memory

import (
	"context"
	"slices"
	"sync"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var (
	_ ports.UserStore         = (*Store)(nil)
	_ ports.SessionStore      = (*Store)(nil)
	_ ports.BlockStore        = (*Store)(nil)
	_ ports.ConversationStore = (*Store)(nil)
	_ ports.MemberStore       = (*Store)(nil)
	_ ports.SummaryStore      = (*Store)(nil)
	_ ports.HistoryStore      = (*Store)(nil)
	_ ports.Ledger            = (*Store)(nil)
	_ ports.AttachmentStore   = (*Store)(nil)
	_ ports.ModerationStore   = (*Store)(nil)
	_ ports.ChangeFeed        = (*Store)(nil)
	_ ports.WebhookStore      = (*Store)(nil)
	_ ports.Exclusive         = (*Store)(nil)
)

// MaxEventsLimit caps one Events page.
const MaxEventsLimit = 1000

// Store is an in-memory implementation of every store port. Its zero value is not usable; call NewStore.
//
// Writers that touch conversations (Ledger.Update, CreateConversation, MarkRead) are serialised by writeMu;
// readers take mu only briefly, so reads — including non-transactional reads made from inside an Update —
// never wait for a transaction. A function passed to Update must not call those three write methods.
type Store struct {
	writeMu sync.Mutex
	mu      sync.RWMutex
	d       storeData
}

// storeData is the committed state, guarded by Store.mu.
type storeData struct {
	users      map[string]core.User
	userByName map[string]string     // username -> id
	external   map[externalID]string // external identity -> user id
	apiKeys    map[string]core.APIKey
	sessions   map[string]core.Session
	blocks     map[string]map[string]core.Block // user -> blocked user -> block
	blockers   map[string]map[string]struct{}   // blocked user -> users who block them
	convs      map[string]core.Conversation
	directKeys map[string]string                 // DirectKey -> conversation id
	members    map[string]map[string]core.Member // conversation -> user -> member
	userConvs  map[string]map[string]struct{}    // user -> conversations
	messages   map[string]core.Message           // id -> message
	convMsgs   map[string][]string               // conversation -> message ids in seq order
	clientKeys map[clientKey]string              // idempotency key -> message id
	events     map[string][]core.Event           // conversation -> events; index seq-1
	reactions  map[string][]reactionRow          // message id -> reactions, in the order added
	follows    map[threadKey]threadRow           // thread follows and read positions
	attachs    map[string]core.Attachment        // id -> attachment
	bans       map[memberKey]core.Ban            // conversation, user -> ban
	reports    map[string]core.Report            // id -> report
	audit      []core.AuditEntry                 // in the order appended
	feed       []feedRow                         // the change feed, by id
	feedID     int64                             // the id of the last feed row recorded
	webhooks   map[string]core.Webhook           // id -> webhook
	deliveries map[string]core.WebhookDelivery   // id -> webhook delivery
	feedCursor string                            // the change-feed cursor the dispatcher has consumed up to
}

// clientKey is a message's idempotency key.
type clientKey struct{ conv, sender, clientMsgID string }

// memberKey names one membership.
type memberKey struct{ conv, user string }

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{d: storeData{
		users:      map[string]core.User{},
		userByName: map[string]string{},
		external:   map[externalID]string{},
		apiKeys:    map[string]core.APIKey{},
		sessions:   map[string]core.Session{},
		blocks:     map[string]map[string]core.Block{},
		blockers:   map[string]map[string]struct{}{},
		convs:      map[string]core.Conversation{},
		directKeys: map[string]string{},
		members:    map[string]map[string]core.Member{},
		userConvs:  map[string]map[string]struct{}{},
		messages:   map[string]core.Message{},
		convMsgs:   map[string][]string{},
		clientKeys: map[clientKey]string{},
		events:     map[string][]core.Event{},
		reactions:  map[string][]reactionRow{},
		follows:    map[threadKey]threadRow{},
		attachs:    map[string]core.Attachment{},
		bans:       map[memberKey]core.Ban{},
		reports:    map[string]core.Report{},
		webhooks:   map[string]core.Webhook{},
		deliveries: map[string]core.WebhookDelivery{},
	}}
}

// checkCtx turns a finished context into a categorised error.
func checkCtx(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return core.Wrap(core.CodeUnavailable, err, "request cancelled")
	}
	return nil
}

// cloneMessage copies m so that callers never share its time pointers with the store.
func cloneMessage(m core.Message) core.Message {
	if m.EditedAt != nil {
		t := *m.EditedAt
		m.EditedAt = &t
	}
	if m.DeletedAt != nil {
		t := *m.DeletedAt
		m.DeletedAt = &t
	}
	if m.PinnedAt != nil {
		t := *m.PinnedAt
		m.PinnedAt = &t
	}
	m.Reactions = slices.Clone(m.Reactions)
	m.Mentions = slices.Clone(m.Mentions)
	m.Attachments = slices.Clone(m.Attachments)
	return m
}

// cloneEvent deep-copies e's payload.
func cloneEvent(e core.Event) core.Event {
	if e.Message != nil {
		m := cloneMessage(*e.Message)
		e.Message = &m
	}
	if e.Member != nil {
		m := *e.Member
		e.Member = &m
	}
	if e.Conversation != nil {
		c := *e.Conversation
		e.Conversation = &c
	}
	if e.Reaction != nil {
		r := *e.Reaction
		e.Reaction = &r
	}
	return e
}

// externalID is an external identity: the issuer of its tokens and its subject.
type externalID struct{ issuer, subject string }
