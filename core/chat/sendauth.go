package chat

import (
	"sync"
	"time"
)

// sendAuth remembers, for a short while, that a user was found a member of a conversation, so that a stream of
// sends from one member costs the store one membership read per TTL instead of two reads per message. It only
// ever skips a check the sequencer makes again inside its transaction (every message is sequenced only if its
// sender is a member then): a stale entry can delay a removed member's refusal from the gateway to the
// sequencer, never let a message in. Changes this node commits drop their entries at once; the TTL bounds
// those committed elsewhere. Only positive answers are kept, each with the slow mode that applied to the member
// (so a slow-mode change made elsewhere also takes up to the TTL to reach this node's gateway).
type sendAuth struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[sendAuthKey]sendAuthEntry
}

type sendAuthEntry struct {
	until time.Time     // when the entry stops counting
	slow  time.Duration // the slow mode the member is held to (0: none)
}

type sendAuthKey struct{ conversationID, userID string }

// newSendAuth returns a cache of at most max entries; a ttl of 0 turns it off.
func newSendAuth(ttl time.Duration, max int) *sendAuth {
	return &sendAuth{ttl: ttl, max: max, entries: map[sendAuthKey]sendAuthEntry{}}
}

// member reports whether userID was found a member of conversationID less than the TTL before now, and the
// slow mode they were held to then.
func (c *sendAuth) member(conversationID, userID string, now time.Time) (time.Duration, bool) {
	if c.ttl <= 0 {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[sendAuthKey{conversationID, userID}]
	return e.slow, ok && now.Before(e.until)
}

// remember records that userID is a member of conversationID as of now, held to slow mode slow.
func (c *sendAuth) remember(conversationID, userID string, slow time.Duration, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.until) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max { // all live: start over rather than grow
			clear(c.entries)
		}
	}
	c.entries[sendAuthKey{conversationID, userID}] = sendAuthEntry{until: now.Add(c.ttl), slow: slow}
}

// forget drops what is known of userID in conversationID.
func (c *sendAuth) forget(conversationID, userID string) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, sendAuthKey{conversationID, userID})
}

// forgetConversation drops what is known of every member of conversationID (its slow mode changed).
func (c *sendAuth) forgetConversation(conversationID string) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if k.conversationID == conversationID {
			delete(c.entries, k)
		}
	}
}
