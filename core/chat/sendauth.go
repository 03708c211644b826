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
// those committed elsewhere. Only positive answers are kept.
type sendAuth struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[sendAuthKey]time.Time // → when the entry stops counting
}

type sendAuthKey struct{ conversationID, userID string }

// newSendAuth returns a cache of at most max entries; a ttl of 0 turns it off.
func newSendAuth(ttl time.Duration, max int) *sendAuth {
	return &sendAuth{ttl: ttl, max: max, entries: map[sendAuthKey]time.Time{}}
}

// member reports whether userID was found a member of conversationID less than the TTL before now.
func (c *sendAuth) member(conversationID, userID string, now time.Time) bool {
	if c.ttl <= 0 {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	until, ok := c.entries[sendAuthKey{conversationID, userID}]
	return ok && now.Before(until)
}

// remember records that userID is a member of conversationID as of now.
func (c *sendAuth) remember(conversationID, userID string, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, until := range c.entries {
			if !now.Before(until) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max { // all live: start over rather than grow
			clear(c.entries)
		}
	}
	c.entries[sendAuthKey{conversationID, userID}] = now.Add(c.ttl)
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
