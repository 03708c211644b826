package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
	"github.com/scalechat/scalechat/ports/porttest"
)

func openTest(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Config{Path: path})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStoreContract(t *testing.T) {
	porttest.TestStores(t, func(t *testing.T) porttest.Stores {
		s := openTest(t, filepath.Join(t.TempDir(), "scalechat.db"))
		return porttest.Stores{Users: s, Sessions: s, Conversations: s, Members: s, Summaries: s, History: s, Ledger: s, Contacts: s,
			Blocks: s, Attachments: s, Threads: s, Search: s, APIKeys: s, Moderation: s,
			Feed: s, Webhooks: s}
	})
}

// TestSearchNewestFirstPlan runs the search contract with every search on the plan of common words (reading
// the viewer's messages newest first), in batches of 3 so that pages span batches.
func TestSearchNewestFirstPlan(t *testing.T) {
	porttest.TestSearchStore(t, func(t *testing.T) porttest.Stores {
		s := openTest(t, filepath.Join(t.TempDir(), "scalechat.db"))
		s.searchFew, s.searchBatch = -1, 3
		return porttest.Stores{Users: s, Sessions: s, Conversations: s, Members: s, Summaries: s, History: s, Ledger: s, Contacts: s,
			Blocks: s, Search: s}
	})
}

func TestDataSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "dir", "scalechat.db")
	s, err := Open(ctx, Config{Path: path})
	require.NoError(t, err)
	created := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	u := core.User{ID: "u1", Username: "alice", DisplayName: "Alice", PasswordHash: "h", CreatedAt: created}
	require.NoError(t, s.CreateUser(ctx, u))
	c := core.Conversation{ID: "c1", Kind: core.KindGroup, Title: "Team", CreatedBy: "u1", CreatedAt: created, LastActivityAt: created}
	_, _, err = s.CreateConversation(ctx, c, []core.Member{{ConversationID: "c1", UserID: "u1", Role: core.RoleOwner, JoinedAt: created}})
	require.NoError(t, err)
	msg := core.Message{ID: "m1", ConversationID: "c1", Seq: 1, SenderID: "u1", ClientMsgID: "k1", Body: "hi", CreatedAt: created}
	ev := core.Event{ConversationID: "c1", Seq: 1, Type: core.EventMessageCreated, At: created, ActorID: "u1", Message: &msg}
	require.NoError(t, s.Update(ctx, func(ctx context.Context, tx ports.LedgerTx) error { return tx.Append(ctx, ev) }))
	require.NoError(t, s.Close())

	s = openTest(t, path) // migrations run again and must be a no-op
	got, err := s.UserByUsername(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, u, got)
	conv, err := s.Conversation(ctx, "c1")
	require.NoError(t, err)
	assert.Equal(t, int64(1), conv.LastSeq)
	gotMsg, err := s.Message(ctx, "c1", "m1")
	require.NoError(t, err)
	assert.Equal(t, msg, gotMsg)
	evs, _, err := s.Events(ctx, "c1", 0, 10)
	require.NoError(t, err)
	assert.Equal(t, []core.Event{ev}, evs)
	var versions int
	require.NoError(t, s.r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&versions))
	names, err := migrationFiles.ReadDir("migrations")
	require.NoError(t, err)
	assert.Equal(t, len(names), versions)
}

func TestOpenSetsPragmas(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "db"))
	var mode string
	var fk int
	require.NoError(t, s.r.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
	require.NoError(t, s.w.QueryRow(`PRAGMA foreign_keys`).Scan(&fk))
	assert.Equal(t, "wal", mode)
	assert.Equal(t, 1, fk)
	assert.NoError(t, s.Ping(context.Background()))
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]Config{
		"empty path":       {},
		"memory":           {Path: ":memory:"},
		"uri":              {Path: "file:x.db?mode=memory"},
		"negative timeout": {Path: "x.db", BusyTimeout: -time.Second},
		"negative conns":   {Path: "x.db", MaxReadConns: -1},
	} {
		_, err := Open(context.Background(), cfg)
		assert.ErrorIs(t, err, core.ErrInvalidArgument, name)
	}
	cfg, err := Config{Path: "x.db"}.Validate()
	require.NoError(t, err)
	assert.Equal(t, DefaultBusyTimeout, cfg.BusyTimeout)
	assert.Positive(t, cfg.MaxReadConns)
}

// TestUpdateRetriesWhenAnotherProcessWrites opens the file twice, as two processes would: the second
// store's Update meets SQLITE_BUSY while the first holds the write lock, and must retry until it succeeds.
func TestUpdateRetriesWhenAnotherProcessWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	a := openTest(t, path)
	b, err := Open(ctx, Config{Path: path, BusyTimeout: 20 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	created := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	_, _, err = a.CreateConversation(ctx, core.Conversation{ID: "c1", Kind: core.KindGroup, Title: "T",
		CreatedAt: created, LastActivityAt: created}, nil)
	require.NoError(t, err)
	appendNext := func(s *Store, id string, hold time.Duration) error {
		return s.Update(ctx, func(ctx context.Context, tx ports.LedgerTx) error {
			c, err := tx.Conversation(ctx, "c1")
			if err != nil {
				return err
			}
			time.Sleep(hold)
			m := core.Message{ID: id, ConversationID: "c1", Seq: c.LastSeq + 1, SenderID: "u1", ClientMsgID: id,
				Body: id, CreatedAt: created}
			return tx.Append(ctx, core.Event{ConversationID: "c1", Seq: m.Seq, Type: core.EventMessageCreated,
				At: created, ActorID: "u1", Message: &m})
		})
	}
	holding := make(chan error)
	go func() { holding <- appendNext(a, "from-a", 200*time.Millisecond) }()
	time.Sleep(30 * time.Millisecond) // let a take the write lock first
	require.NoError(t, appendNext(b, "from-b", 0))
	require.NoError(t, <-holding)
	evs, _, err := b.Events(ctx, "c1", 0, 10)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	assert.Equal(t, "from-a", evs[0].Message.ID, "b waited for a")
	assert.Equal(t, "from-b", evs[1].Message.ID)
}

// The database and its WAL and shared-memory files are the owner's alone, new or opened again after someone
// made them readable to all.
func TestDataFilesAreOwnerOnly(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "scalechat.db")
	s, err := Open(ctx, Config{Path: path})
	require.NoError(t, err)
	require.NoError(t, s.CreateUser(ctx, core.User{ID: "u1", Username: "alice", DisplayName: "Alice",
		PasswordHash: "h", CreatedAt: time.Now()}))
	perms := func() map[string]os.FileMode {
		out := map[string]os.FileMode{}
		for _, p := range []string{path, path + "-wal", path + "-shm", dir} {
			if fi, err := os.Stat(p); err == nil {
				out[filepath.Base(p)] = fi.Mode().Perm()
			}
		}
		return out
	}
	got := perms()
	assert.Equal(t, os.FileMode(0o700), got["data"])
	for _, f := range []string{"scalechat.db", "scalechat.db-wal", "scalechat.db-shm"} {
		assert.Equal(t, os.FileMode(0o600), got[f], "%s: %v", f, got)
	}
	require.NoError(t, s.Close())

	require.NoError(t, os.Chmod(path, 0o644))
	s = openTest(t, path)
	_, err = s.UserByUsername(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), perms()["scalechat.db"])
}
