package memory

import (
	"context"
	"sync"
	"time"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var _ ports.Presence = (*Presence)(nil)

// presenceSweepEvery is how often Touch sweeps expired connections of every user, so that connections that
// are never touched, dropped or asked about again do not pile up.
const presenceSweepEvery = time.Minute

// Presence is an in-process ports.Presence for a single node. Expiry is evaluated lazily against the clock,
// so no goroutine is needed. It remembers the last-seen time of every user who was ever online, a few
// dozen bytes per user.
type Presence struct {
	clock ports.Clock

	mu        sync.Mutex
	users     map[string]*presenceUser
	lastSweep time.Time
}

type presenceUser struct {
	conns    map[string]presenceConn
	lastSeen time.Time // when the user was last known online, once offline
	reported bool      // reported online (Touch said online) and not since reported offline (Drop or Expire)
}

type presenceConn struct {
	touched time.Time
	expires time.Time
}

// NewPresence returns a tracker that knows no users, telling time by clock.
func NewPresence(clock ports.Clock) *Presence {
	return &Presence{clock: clock, users: map[string]*presenceUser{}, lastSweep: clock.Now()}
}

// Touch records or refreshes a connection, live until now+ttl; online reports a transition from offline.
func (p *Presence) Touch(ctx context.Context, userID, connID string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, core.Invalid("ttl", "ttl must be positive")
	}
	now := p.clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.lastSweep) >= presenceSweepEvery {
		for _, u := range p.users {
			u.prune(now)
		}
		p.lastSweep = now
	}
	u := p.users[userID]
	if u == nil {
		u = &presenceUser{conns: map[string]presenceConn{}}
		p.users[userID] = u
	}
	u.prune(now)
	wasOnline := len(u.conns) > 0
	u.conns[connID] = presenceConn{touched: now, expires: now.Add(ttl)}
	if !wasOnline {
		u.reported = true
	}
	return !wasOnline, nil
}

// Drop removes a connection; offline reports that it was the user's last live one.
func (p *Presence) Drop(ctx context.Context, userID, connID string) (bool, error) {
	now := p.clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	u := p.users[userID]
	if u == nil {
		return false, nil
	}
	u.prune(now)
	if _, live := u.conns[connID]; !live {
		return false, nil
	}
	delete(u.conns, connID)
	if len(u.conns) > 0 {
		return false, nil
	}
	u.lastSeen, u.reported = now, false
	return true, nil
}

// Status returns each user's presence; an online user's LastSeenAt is now.
func (p *Presence) Status(ctx context.Context, userIDs []string) (map[string]core.Presence, error) {
	now := p.clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]core.Presence, len(userIDs))
	for _, id := range userIDs {
		st := core.Presence{UserID: id}
		if u := p.users[id]; u != nil {
			u.prune(now)
			st.Online = len(u.conns) > 0
			st.LastSeenAt = u.lastSeen
			if st.Online {
				st.LastSeenAt = now
			}
		}
		out[id] = st
	}
	return out, nil
}

// Expire returns users reported online whose every connection expired, and reports them offline.
func (p *Presence) Expire(ctx context.Context, limit int) ([]core.Presence, error) {
	now := p.clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []core.Presence
	for id, u := range p.users {
		if len(out) >= limit {
			break
		}
		if !u.reported {
			continue
		}
		u.prune(now)
		if len(u.conns) == 0 {
			u.reported = false
			out = append(out, core.Presence{UserID: id, LastSeenAt: u.lastSeen})
		}
	}
	return out, nil
}

// prune forgets expired connections; the user was last seen at the latest touch among them.
func (u *presenceUser) prune(now time.Time) {
	for id, c := range u.conns {
		if !now.Before(c.expires) {
			delete(u.conns, id)
			if c.touched.After(u.lastSeen) {
				u.lastSeen = c.touched
			}
		}
	}
}
