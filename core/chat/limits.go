package chat

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scalechat/scalechat/core"
)

// Limit names one rate limit. Each is kept per user or per client address (Limits documents which), across
// every node of a cluster when the limiter is shared (Redis).
type Limit string

// The rate limits. Every write a client can make is behind one of them, and so is search, the costliest read.
const (
	LimitSend         Limit = "send"           // messages sent, per user
	LimitEdit         Limit = "edit"           // message edits and deletes, per user
	LimitConversation Limit = "conversation"   // conversations created or updated (title, topic), per user
	LimitMembers      Limit = "members"        // joins, leaves, member adds, removals and role changes, per user
	LimitRead         Limit = "read"           // read marks, per user
	LimitTyping       Limit = "typing"         // typing notices (started and stopped), per user
	LimitBlock        Limit = "block"          // blocks and unblocks, per user
	LimitReaction     Limit = "reaction"       // reactions added and removed, per user
	LimitPin          Limit = "pin"            // pins and unpins, per user
	LimitMentionAll   Limit = "mention-all"    // messages and edits that mention @channel or @here, per user
	LimitUpload       Limit = "upload"         // attachments uploaded, per user
	LimitSearch       Limit = "search"         // message searches, per user
	LimitReport       Limit = "report"         // messages reported to the admins, per user
	LimitLoginUser    Limit = "login-user"     // log-in attempts and password changes, per username
	LimitLoginUserDay Limit = "login-user-day" // the same over a day: with login-user, a back-off in two steps
	LimitLoginIP      Limit = "login-ip"       // log-in attempts, per client address
	LimitRegisterIP   Limit = "register-ip"    // accounts registered, per client address
	LimitHandshakeIP  Limit = "handshake-ip"   // new real-time (Engine.IO) sessions, per client address
)

// Limits maps each limit to its rate; a limit that is absent is off. DefaultLimits are the defaults.
type Limits map[Limit]core.Rate

// limitDocs says what each limit counts, in the order the README's table lists them.
var limitDocs = []struct {
	name Limit
	def  core.Rate
	doc  string
}{
	{LimitSend, core.Rate{Limit: 50, Per: 10 * time.Second}, "messages sent, per user"},
	{LimitEdit, core.Rate{Limit: 20, Per: 10 * time.Second}, "message edits and deletes, per user"},
	{LimitConversation, core.Rate{Limit: 20, Per: time.Minute}, "conversations created or renamed, per user"},
	{LimitMembers, core.Rate{Limit: 60, Per: time.Minute}, "joins, leaves, member adds/removals/role changes, per user"},
	{LimitRead, core.Rate{Limit: 60, Per: 10 * time.Second}, "read marks, per user"},
	{LimitTyping, core.Rate{Limit: 30, Per: 10 * time.Second}, "typing notices (started and stopped), per user"},
	{LimitBlock, core.Rate{Limit: 30, Per: time.Minute}, "blocks and unblocks, per user"},
	{LimitReaction, core.Rate{Limit: 30, Per: 10 * time.Second}, "reactions added and removed, per user"},
	{LimitPin, core.Rate{Limit: 20, Per: time.Minute}, "pins and unpins, per user"},
	{LimitMentionAll, core.Rate{Limit: 5, Per: 10 * time.Minute}, "messages and edits that mention @channel or @here, per user"},
	{LimitUpload, core.Rate{Limit: 20, Per: time.Minute}, "attachments uploaded, per user"},
	{LimitSearch, core.Rate{Limit: 30, Per: time.Minute}, "message searches, per user"},
	{LimitReport, core.Rate{Limit: 20, Per: time.Hour}, "messages reported to the admins, per user"},
	{LimitLoginUser, core.Rate{Limit: 10, Per: 15 * time.Minute}, "log-in attempts and password changes, per username"},
	{LimitLoginUserDay, core.Rate{Limit: 50, Per: 24 * time.Hour}, "the same, over a day (a second, slower step of back-off)"},
	{LimitLoginIP, core.Rate{Limit: 30, Per: time.Minute}, "log-in attempts, per client address"},
	{LimitRegisterIP, core.Rate{Limit: 20, Per: time.Hour}, "accounts registered, per client address"},
	{LimitHandshakeIP, core.Rate{Limit: 100, Per: 10 * time.Second}, "new real-time sessions, per client address"},
}

// DefaultLimits returns every limit at its default rate.
func DefaultLimits() Limits {
	l := make(Limits, len(limitDocs))
	for _, d := range limitDocs {
		l[d.name] = d.def
	}
	return l
}

// LimitNames lists the limits in documentation order.
func LimitNames() []Limit {
	out := make([]Limit, len(limitDocs))
	for i, d := range limitDocs {
		out[i] = d.name
	}
	return out
}

// LimitDoc says what a limit counts.
func LimitDoc(name Limit) string {
	for _, d := range limitDocs {
		if d.name == name {
			return d.doc
		}
	}
	return ""
}

// ParseLimits applies overrides to base: a comma-separated list of name=N/duration (e.g. "edit=10/1m"),
// name=off, or *=off (every limit off, for load tests behind a shared address). Later items win.
func ParseLimits(base Limits, spec string) (Limits, error) {
	out := make(Limits, len(base))
	for k, v := range base {
		out[k] = v
	}
	known := LimitNames()
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, val, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("rate limit %q: want name=N/duration or name=off", item)
		}
		if name == "*" {
			if val != "off" {
				return nil, fmt.Errorf("rate limit %q: only *=off is allowed", item)
			}
			clear(out)
			continue
		}
		if !slices.Contains(known, Limit(name)) {
			return nil, fmt.Errorf("rate limit %q: unknown limit (known: %s)", name, joinLimits(known))
		}
		if val == "off" {
			delete(out, Limit(name))
			continue
		}
		n, per, ok := strings.Cut(val, "/")
		limit, err := strconv.Atoi(n)
		if !ok || err != nil || limit < 1 {
			return nil, fmt.Errorf("rate limit %q: want a positive count, e.g. %s=10/1m", item, name)
		}
		d, err := time.ParseDuration(per)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("rate limit %q: want a positive duration, e.g. %s=10/1m", item, name)
		}
		out[Limit(name)] = core.Rate{Limit: limit, Per: d}
	}
	return out, nil
}

func joinLimits(ls []Limit) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = string(l)
	}
	return strings.Join(s, ", ")
}

// allow takes one action of limit for key (a user id, username or address). An exhausted allowance is a
// rate_limited error saying when to retry; a limit that is off always allows, and so does a call of the admin API
// (asAdmin).
func (s *Service) allow(ctx context.Context, limit Limit, key, what string) error {
	rate, ok := s.cfg.Limits[limit]
	if !ok || byAdmin(ctx) {
		return nil
	}
	ok, retry, err := s.d.Limiter.Allow(ctx, string(limit)+":"+key, rate)
	if err != nil {
		return err
	}
	if !ok {
		return &core.Error{Code: core.CodeRateLimited, Message: "too many " + what + "; slow down", RetryAfter: retry}
	}
	return nil
}

type clientKey struct{}

// WithClient returns ctx carrying the address of the client making the request (an IP address, as the
// adapter that accepted the connection sees it); the per-address limits key on it.
func WithClient(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientKey{}, addr)
}

// ClientOf returns the client address of ctx, or "" (then no per-address limit applies: the caller is not a
// network client).
func ClientOf(ctx context.Context) string {
	a, _ := ctx.Value(clientKey{}).(string)
	return a
}

// allowClient is allow keyed by the client address of ctx; calls without one are not limited.
func (s *Service) allowClient(ctx context.Context, limit Limit, what string) error {
	addr := ClientOf(ctx)
	if addr == "" {
		return nil
	}
	return s.allow(ctx, limit, addr, what)
}

// AdmitConnection takes one real-time session of the client address of ctx from the handshake allowance.
func (s *Service) AdmitConnection(ctx context.Context) error {
	return s.allowClient(ctx, LimitHandshakeIP, "new connections from this address")
}
