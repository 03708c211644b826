package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
	"github.com/scalechat/scalechat/ports/porttest"
)

// The tests need a running PostgreSQL server; they fail (never skip) when it is unreachable.
const (
	testURLEnv     = "SCALECHAT_TEST_POSTGRES_URL"
	defaultTestURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	startHint      = "start the local server with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start " +
		"(or point " + testURLEnv + " at another server)"
)

var server struct {
	once sync.Once
	url  string
	err  error
}

// testURL returns the URL of the test server, failing t with instructions when it cannot be reached.
func testURL(t testing.TB) string {
	t.Helper()
	server.once.Do(func() { server.url, server.err = findServer() })
	if server.err != nil {
		t.Fatalf("PostgreSQL test server unreachable: %v\n%s", server.err, startHint)
	}
	return server.url
}

// findServer tries $SCALECHAT_TEST_POSTGRES_URL, else the default URL, else (when the role postgres does not
// exist) the same server as the current OS user.
func findServer() (string, error) {
	if u := os.Getenv(testURLEnv); u != "" {
		return u, pingURL(u)
	}
	err := pingURL(defaultTestURL)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "28000" { // invalid_authorization_specification: no such role
		if me, uerr := user.Current(); uerr == nil {
			alt := fmt.Sprintf("postgres://%s@127.0.0.1:5432/test?sslmode=disable", me.Username)
			if pingURL(alt) == nil {
				return alt, nil
			}
		}
	}
	return defaultTestURL, err
}

func pingURL(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx) }()
	return conn.Ping(ctx)
}

// testConfig returns a Config for a fresh schema, dropped when t ends.
func testConfig(t testing.TB) Config {
	t.Helper()
	url := testURL(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "sc_test_" + hex.EncodeToString(b)
	t.Cleanup(func() { // registered first, so it runs after the stores' Close
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer func() { _ = conn.Close(ctx) }()
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return Config{URL: url, Schema: schema, MaxConns: 10}
}

// openTest opens a store on cfg, closed when t ends.
func openTest(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// newTestStore returns a migrated store on a fresh schema.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	s := openTest(t, testConfig(t))
	require.NoError(t, s.Migrate(context.Background()))
	return s
}

func TestStoreContract(t *testing.T) {
	testURL(t)
	porttest.TestStores(t, func(t *testing.T) porttest.Stores {
		s := newTestStore(t)
		return porttest.Stores{Users: s, Sessions: s, Conversations: s, Members: s, Summaries: s, History: s, Ledger: s, Contacts: s,
			Blocks: s, Attachments: s, Threads: s, Search: s, APIKeys: s, Moderation: s,
			Feed: s, Webhooks: s}
	})
}

func TestMigrateIsIdempotentAndSafeConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testConfig(t)
	for round := range 2 { // the first round creates the schema, the second finds it done
		const n = 4
		errs := make(chan error, n)
		for range n {
			go func() { errs <- Migrate(ctx, cfg) }()
		}
		for range n {
			require.NoError(t, <-errs, "round %d", round)
		}
	}
	s := openTest(t, cfg)
	require.NoError(t, s.Migrate(ctx))
	require.NoError(t, s.Ping(ctx))
	var versions int
	require.NoError(t, s.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&versions))
	names, err := migrationFiles.ReadDir("migrations")
	require.NoError(t, err)
	assert.Equal(t, len(names), versions)
	var tables []string
	rows, err := s.pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1
		ORDER BY table_name`, cfg.Schema)
	require.NoError(t, err)
	tables, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	assert.Equal(t, []string{"api_keys", "attachments", "audit_log", "bans", "blocks", "change_feed", "conversations", "events",
		"external_identities", "members", "messages", "reactions", "reports", "schema_migrations", "sessions", "thread_follows",
		"users", "webhook_deliveries", "webhook_state", "webhooks"}, tables)
}

func TestDataSurvivesReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testConfig(t)
	require.NoError(t, Migrate(ctx, cfg))
	s, err := Open(ctx, cfg)
	require.NoError(t, err)
	created := time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)
	u := core.User{ID: "u1", Username: "alice", DisplayName: "Alice", PasswordHash: "h", CreatedAt: created}
	require.NoError(t, s.CreateUser(ctx, u))
	c := core.Conversation{ID: "c1", Kind: core.KindGroup, Title: "Team", CreatedBy: "u1", CreatedAt: created, LastActivityAt: created}
	_, _, err = s.CreateConversation(ctx, c, []core.Member{{ConversationID: "c1", UserID: "u1", Role: core.RoleOwner, JoinedAt: created}})
	require.NoError(t, err)
	msg := core.Message{ID: "m1", ConversationID: "c1", Seq: 1, SenderID: "u1", ClientMsgID: "k1", Body: "hi", CreatedAt: created}
	ev := core.Event{ConversationID: "c1", Seq: 1, Type: core.EventMessageCreated, At: created, ActorID: "u1", Message: &msg}
	require.NoError(t, s.Update(ctx, func(ctx context.Context, tx ports.LedgerTx) error { return tx.Append(ctx, ev) }))
	s.Close()

	s = openTest(t, cfg)
	require.NoError(t, s.Migrate(ctx), "migrating again is a no-op")
	got, err := s.UserByUsername(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, u, got)
	conv, err := s.Conversation(ctx, "c1")
	require.NoError(t, err)
	assert.Equal(t, int64(1), conv.LastSeq)
	gotMsg, err := s.Message(ctx, "c1", "m1")
	require.NoError(t, err)
	assert.Equal(t, msg, gotMsg, "microsecond times come back exactly, in UTC")
	evs, _, err := s.Events(ctx, "c1", 0, 10)
	require.NoError(t, err)
	assert.Equal(t, []core.Event{ev}, evs)
}

func TestUnreachableDatabaseIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: "postgres://postgres@127.0.0.1:1/test?sslmode=disable", ConnectTimeout: 2 * time.Second})
	require.NoError(t, err, "Open connects lazily")
	defer s.Close()
	assert.ErrorIs(t, s.Ping(ctx), core.ErrUnavailable)
	_, err = s.UserByID(ctx, "u1")
	assert.ErrorIs(t, err, core.ErrUnavailable)
	err = s.Update(ctx, func(context.Context, ports.LedgerTx) error { return nil })
	assert.ErrorIs(t, err, core.ErrUnavailable)
	assert.ErrorIs(t, s.Migrate(ctx), core.ErrUnavailable)
	assert.NotContains(t, core.AsError(err).Message, "127.0.0.1", "driver text stays in the cause")
}

func TestPingNeedsMigratedSchema(t *testing.T) {
	t.Parallel()
	s := openTest(t, testConfig(t))
	assert.ErrorIs(t, s.Ping(context.Background()), core.ErrUnavailable)
	require.NoError(t, s.Migrate(context.Background()))
	assert.NoError(t, s.Ping(context.Background()))
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	s.Close()
	_, err := s.UserByID(context.Background(), "u1")
	assert.ErrorIs(t, err, core.ErrUnavailable)
}
