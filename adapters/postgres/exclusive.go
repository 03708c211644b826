package postgres

import (
	"context"
	"errors"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var _ ports.Exclusive = (*Store)(nil)

// How RunExclusive waits and watches: a process without the lock tries it again every exclusiveRetry, and the
// holder checks its connection every exclusivePing. Variables so that tests can shorten them.
var (
	exclusiveRetry = 2 * time.Second
	exclusivePing  = 2 * time.Second
)

// RunExclusive runs fn while this process holds a session advisory lock of name (and of the schema, so that
// stores in separate schemas of one database do not exclude each other), on a connection set apart from the
// pool's others for as long as fn runs. Sessions end with their connection, and their locks with them: if
// the connection fails — found by a ping every exclusivePing — fn's context is cancelled, since another
// process may take the lock. The two can overlap by up to a ping's interval and timeout, until this one
// notices: work run this way must tolerate that (webhook deliveries are at least once anyway). Session locks
// need a session: a pooler in transaction mode between the store and the server breaks them.
func (s *Store) RunExclusive(ctx context.Context, name string, fn func(ctx context.Context) error) (err error) {
	key := exclusiveLockKey(s.cfg.Schema, name)
	conn, err := s.lockExclusive(ctx, key)
	if err != nil {
		return err
	}
	fctx, cancel := context.WithCancelCause(ctx)
	var lost error
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		if lost = watchExclusive(fctx, conn); lost != nil {
			cancel(lost)
		}
	}()
	defer func() { // also on panic, so that the lock never outlives fn
		cancel(nil)
		<-watched
		unlockExclusive(ctx, conn, key, lost == nil)
		if lost != nil && (err == nil || errors.Is(err, context.Canceled)) {
			err = lost // fn ended because of it: say why
		}
	}()
	return fn(fctx)
}

// exclusiveLockKey is the advisory lock of name in schema, the same in every process.
func exclusiveLockKey(schema, name string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("scalechat.exclusive:" + schema + ":" + name)) // schema is an identifier: no ':'
	return int64(h.Sum64())
}

// lockExclusive tries the lock every exclusiveRetry until it gets it or ctx ends, and returns the connection
// whose session holds it. Between tries the connection goes back to the pool, so a process waiting to take
// over keeps none: a try that failed holds nothing, and one cancelled mid-way closed its connection, which
// drops whatever it took.
func (s *Store) lockExclusive(ctx context.Context, key int64) (*pgxpool.Conn, error) {
	for {
		conn, err := s.pool.Acquire(ctx)
		if err != nil {
			return nil, translate(err, "")
		}
		var locked bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&locked); err != nil {
			conn.Release()
			return nil, translate(err, "")
		}
		if locked {
			return conn, nil
		}
		conn.Release()
		t := time.NewTimer(exclusiveRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, translate(ctx.Err(), "")
		case <-t.C:
		}
	}
}

// watchExclusive pings the lock's connection every exclusivePing until ctx ends, and returns why the
// connection failed if it does. A ping is not cancelled with ctx: pgx closes a connection whose query is
// cancelled, which would drop the lock before fn has returned.
func watchExclusive(ctx context.Context, conn *pgxpool.Conn) error {
	t := time.NewTicker(exclusivePing)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), exclusivePing)
		err := conn.Ping(pctx)
		cancel()
		if err != nil {
			return core.Wrap(core.CodeUnavailable, err, "postgres: lost the connection holding the exclusive lock")
		}
	}
}

// unlockExclusive releases the lock and returns the connection to the pool; when the connection failed, or
// the unlock does, it closes the connection instead, whose session's end releases the lock if the server
// still had it.
func unlockExclusive(ctx context.Context, conn *pgxpool.Conn, key int64, healthy bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), exclusivePing)
	defer cancel()
	if healthy {
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key); err == nil {
			conn.Release()
			return
		}
	}
	_ = conn.Hijack().Close(ctx)
}
