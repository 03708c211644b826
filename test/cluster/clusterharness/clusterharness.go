// Package clusterharness starts a scalechat cluster for tests: the dev Kafka-protocol broker
// (test/kafkabroker), PostgreSQL (a fresh database on the shared server, or a private server), Redis (the shared
// server under a random key prefix, or a private server), and N gateways and M workers, every one a separate
// process of the real binary (see test/harness). Fault tests kill, stop and restart any of them.
//
// Everything a cluster creates is its own: database, Redis prefix, Kafka topic and consumer group carry the
// cluster's random id, so clusters of parallel tests do not meet. Everything is stopped and removed when the
// test that started the cluster ends; if it failed, every process's log is printed.
package clusterharness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/scalechat/scalechat/test/harness"
)

// Shared services of the machine. Tests of other packages use them at the same time: never restart them.
const (
	SharedPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	SharedRedisURL    = "redis://127.0.0.1:6379/0"
	pgBin             = "/usr/lib/postgresql/15/bin"
)

// Bounds of the harness's own waits.
const (
	readyTimeout = 60 * time.Second // one process until ready (race-built binaries on a busy machine are slow)
	groupTimeout = 60 * time.Second // the workers' consumer group until stable
)

// Options configure a cluster. The zero value is one gateway and one worker on the shared services.
type Options struct {
	Gateways int // gateway processes (default 1)
	Workers  int // worker processes (default 1)

	// PrivateRedis runs a redis-server of the cluster's own (no persistence), which RestartRedis restarts.
	PrivateRedis bool
	// PrivatePostgres runs a PostgreSQL server of the cluster's own, which RestartPostgres restarts.
	PrivatePostgres bool
	// BrokerDataDir keeps the broker's topics, records and committed offsets in a directory, so that they
	// survive Broker().Restart() (also after Broker().Kill()); without it a restarted broker starts empty.
	BrokerDataDir bool

	// Partitions of the command topic (default 6).
	Partitions int
	// SessionTimeout is the workers' --kafka-session-timeout: how soon a killed worker's partitions move
	// (default 2s; the broker accepts down to 1s).
	SessionTimeout time.Duration
	// Consumers is each worker's --sequencer-consumers: its members in the consumer group (default 2, so that
	// every test also runs workers of several members without the rebalances of the production default).
	Consumers int
	// LogLevel of the scalechat processes (default "info").
	LogLevel string
	// Args are extra flags for every gateway and worker (they win over the harness's).
	Args []string
	// Binary is another build of scalechat to run (default: harness.Binary, the race build of the module).
	Binary string
	// Env are extra environment variables for every gateway and worker. The harness sets
	// SCALECHAT_PASSWORD_MEMORY_KIB=1024, SCALECHAT_SEND_RATE_LIMIT=1000000, SCALECHAT_RATE_LIMITS=*=off and
	// SCALECHAT_PRESENCE_GRACE=300ms.
	Env []string
}

// Cluster is a running cluster. Its exported fields describe it; do not change them.
type Cluster struct {
	ID          string // random, lowercase hex; part of every name below
	PostgresURL string // the cluster's database
	RedisURL    string
	RedisPrefix string // prefix of every Redis key and channel of the cluster
	BrokerAddr  string // host:port of the Kafka-protocol broker
	Topic       string // command topic
	Group       string // the workers' consumer group
	Partitions  int    // of Topic

	opts     Options
	broker   *harness.Process
	redis    *harness.Process // nil on the shared Redis
	postgres *harness.Process // nil on the shared PostgreSQL

	mu       sync.Mutex
	gateways []*harness.Process
	workers  []*harness.Process
}

// Start starts a cluster and waits until every process answers /readyz with 200 and the workers' consumer
// group is stable with every worker in it and every partition assigned. It fails t if anything does not start.
// Everything is stopped (scalechat processes in parallel, gateways first) and removed when t ends.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if opts.Gateways <= 0 {
		opts.Gateways = 1
	}
	if opts.Workers <= 0 {
		opts.Workers = 1
	}
	if opts.Partitions <= 0 {
		opts.Partitions = 6
	}
	if opts.SessionTimeout <= 0 {
		opts.SessionTimeout = 2 * time.Second
	}
	if opts.Consumers <= 0 {
		opts.Consumers = 2
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "info"
	}
	id := randomID()
	c := &Cluster{ID: id, opts: opts, Topic: "sc-" + id + ".commands", Group: "sc-" + id + "-workers",
		Partitions: opts.Partitions}

	// Build both programs before anything runs in a goroutine (a failed build fails t).
	if opts.Binary == "" {
		harness.Binary(t)
	}
	brokerBin := harness.KafkaBroker(t)

	c.startPostgres(t)
	c.startRedis(t)
	c.startBroker(t, brokerBin)

	// Workers and gateways start at once: the first applies the schema under PostgreSQL's advisory lock, the
	// others wait for it; creating the topic concurrently is harmless.
	type started struct {
		p   *harness.Process
		err error
	}
	results := make([]started, opts.Workers+opts.Gateways)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			if i < opts.Workers {
				results[i].p, results[i].err = c.tryStart(t, harness.Options{}, "worker", i+1)
			} else {
				results[i].p, results[i].err = c.tryStart(t, harness.Options{}, "gateway", i-opts.Workers+1)
			}
		})
	}
	wg.Wait()
	var errs []error
	for i, r := range results {
		errs = append(errs, r.err)
		if i < opts.Workers {
			c.workers = append(c.workers, r.p)
		} else {
			c.gateways = append(c.gateways, r.p)
		}
	}
	// Registered after every process, so it runs before their own cleanups: stop them in parallel,
	// gateways (and their clients) first, then workers, so that the processes' cleanups find them stopped.
	t.Cleanup(func() {
		c.mu.Lock()
		gws, wks := slices.Clone(c.gateways), slices.Clone(c.workers)
		c.mu.Unlock()
		stopAll(gws)
		stopAll(wks)
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("cluster %s: %v", id, err)
	}
	c.WaitWorkers(t, opts.Workers)
	return c
}

// Gateway returns the i-th gateway (from 0, in start order, including those added with AddGateway).
func (c *Cluster) Gateway(i int) *harness.Process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gateways[i]
}

// Worker returns the i-th worker (from 0, in start order, including those added with AddWorker).
func (c *Cluster) Worker(i int) *harness.Process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.workers[i]
}

// Gateways returns every gateway, running or not.
func (c *Cluster) Gateways() []*harness.Process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.gateways)
}

// Workers returns every worker, running or not.
func (c *Cluster) Workers() []*harness.Process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.workers)
}

// Broker is the Kafka-protocol broker process. Kill, Stop and Restart keep its address (and, with
// Options.BrokerDataDir, its data).
func (c *Cluster) Broker() *harness.Process { return c.broker }

// Redis is the private redis-server process, nil on the shared Redis.
func (c *Cluster) Redis() *harness.Process { return c.redis }

// Postgres is the private PostgreSQL server process, nil on the shared server. Its Stop is a fast shutdown
// (SIGINT: open sessions are ended); Kill is a crash of the whole server.
func (c *Cluster) Postgres() *harness.Process { return c.postgres }

// AddGateway starts one more gateway; it is stopped when t ends (t may be a subtest).
func (c *Cluster) AddGateway(t testing.TB) *harness.Process {
	t.Helper()
	c.mu.Lock()
	n := len(c.gateways) + 1
	c.mu.Unlock()
	p, err := c.tryStart(t, harness.Options{}, "gateway", n)
	c.mu.Lock()
	c.gateways = append(c.gateways, p)
	c.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// AddWorker starts one more worker and waits until the consumer group has rebalanced over every running
// worker; it is stopped when t ends (t may be a subtest).
func (c *Cluster) AddWorker(t testing.TB) *harness.Process {
	t.Helper()
	c.mu.Lock()
	n := len(c.workers) + 1
	c.mu.Unlock()
	p, err := c.tryStart(t, harness.Options{}, "worker", n)
	c.mu.Lock()
	c.workers = append(c.workers, p)
	c.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	c.WaitWorkers(t, c.running(c.Workers()))
	return p
}

// RestartRedis stops the private Redis (SIGTERM; it keeps no data: every key, presence included, is gone)
// and starts it again on the same port. Fails t on the shared Redis.
func (c *Cluster) RestartRedis(t testing.TB) {
	t.Helper()
	if c.redis == nil {
		t.Fatal("clusterharness: RestartRedis needs Options.PrivateRedis")
	}
	if err := c.redis.TryRestart(); err != nil {
		t.Fatal(err)
	}
}

// RestartPostgres stops the private PostgreSQL server (fast shutdown) and starts it again on the same port and
// data. Fails t on the shared server.
func (c *Cluster) RestartPostgres(t testing.TB) {
	t.Helper()
	if c.postgres == nil {
		t.Fatal("clusterharness: RestartPostgres needs Options.PrivatePostgres")
	}
	if err := c.postgres.TryRestart(); err != nil {
		t.Fatal(err)
	}
}

// RestartBroker restarts the broker (SIGTERM, then start on the same address and data directory).
func (c *Cluster) RestartBroker(t testing.TB) {
	t.Helper()
	if err := c.broker.TryRestart(); err != nil {
		t.Fatal(err)
	}
}

// WaitReady waits (bounded) until every running gateway and worker answers /readyz with 200, for instance
// after a dependency came back.
func (c *Cluster) WaitReady(t testing.TB) {
	t.Helper()
	var errs []error
	for _, p := range append(c.Gateways(), c.Workers()...) {
		if p != nil && p.Running() {
			if err := p.WaitReady(readyTimeout); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", p.Name, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// WaitWorkers waits (bounded) until the workers' consumer group is stable with exactly the members of n
// workers (Options.Consumers each) and every partition of the topic assigned to one of them. After a worker is killed, that takes the session timeout
// plus a rebalance; after one stops gracefully, a rebalance.
func (c *Cluster) WaitWorkers(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(groupTimeout)
	var last string
	for {
		state, err := c.GroupState()
		if err == nil {
			last = state.String()
			if state.Stable(c.GroupMembers(n), c.Partitions) {
				return
			}
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("clusterharness: consumer group %s not stable with %d worker(s) within %s; last: %s",
				c.Group, n, groupTimeout, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// GroupMembers is how many consumer-group members n running workers make.
func (c *Cluster) GroupMembers(workers int) int { return workers * c.opts.Consumers }

// SessionTimeout is the workers' --kafka-session-timeout.
func (c *Cluster) SessionTimeout() time.Duration { return c.opts.SessionTimeout }

// GroupState describes the workers' consumer group as the broker sees it.
type GroupState struct {
	State   string  // Kafka's group state: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead
	Members [][]int // per member, the partitions of the topic assigned to it
}

// Stable reports whether the group is stable with n members and every partition of partitions assigned
// exactly once (n == 0: the group has no member).
func (g GroupState) Stable(n, partitions int) bool {
	if n == 0 {
		return len(g.Members) == 0
	}
	if g.State != "Stable" || len(g.Members) != n {
		return false
	}
	seen := map[int]bool{}
	for _, m := range g.Members {
		for _, p := range m {
			if seen[p] {
				return false
			}
			seen[p] = true
		}
	}
	return len(seen) == partitions
}

func (g GroupState) String() string { return fmt.Sprintf("%s %v", g.State, g.Members) }

// GroupState asks the broker for the consumer group's state.
func (c *Cluster) GroupState() (GroupState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	client := &kafkago.Client{Addr: kafkago.TCP(c.BrokerAddr), Timeout: 3 * time.Second}
	resp, err := client.DescribeGroups(ctx, &kafkago.DescribeGroupsRequest{GroupIDs: []string{c.Group}})
	if err != nil {
		return GroupState{}, err
	}
	if len(resp.Groups) != 1 {
		return GroupState{}, fmt.Errorf("describe groups: %d groups", len(resp.Groups))
	}
	g := resp.Groups[0]
	if g.Error != nil {
		return GroupState{}, g.Error
	}
	out := GroupState{State: g.GroupState}
	for _, m := range g.Members {
		var parts []int
		for _, tp := range m.MemberAssignments.Topics {
			if tp.Topic == c.Topic {
				parts = append(parts, tp.Partitions...)
			}
		}
		slices.Sort(parts)
		out.Members = append(out.Members, parts)
	}
	return out, nil
}

// Logs returns the logs of every process of the cluster, each under a header.
func (c *Cluster) Logs() string {
	var b strings.Builder
	all := append(c.Gateways(), c.Workers()...)
	all = append(all, c.broker, c.redis, c.postgres)
	for _, p := range all {
		if p != nil {
			fmt.Fprintf(&b, "===== %s (%s) =====\n%s\n", p.Name, p.Addr, p.Logs())
		}
	}
	return b.String()
}

// Args returns the flags a process of role ("gateway" or "worker") named node gets (after `serve --addr`).
func (c *Cluster) Args(role, node string) []string {
	args := []string{"--role", role, "--node", node, "--log-level", c.opts.LogLevel,
		"--postgres-url", c.PostgresURL, "--redis-url", c.RedisURL, "--redis-prefix", c.RedisPrefix,
		"--kafka-brokers", c.BrokerAddr, "--kafka-topic", c.Topic, "--kafka-group", c.Group,
		"--kafka-partitions", strconv.Itoa(c.Partitions), "--kafka-session-timeout", c.opts.SessionTimeout.String(),
		"--sequencer-consumers", strconv.Itoa(c.opts.Consumers)}
	return append(args, c.opts.Args...)
}

// tryStart starts a gateway or worker numbered n.
func (c *Cluster) tryStart(t testing.TB, o harness.Options, role string, n int) (*harness.Process, error) {
	node := fmt.Sprintf("%s-%d", role, n)
	o.Name = node
	if o.Path == "" {
		o.Path = c.opts.Binary
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = readyTimeout
	}
	o.Args = append(c.Args(role, node), o.Args...)
	o.Env = append([]string{"SCALECHAT_SEND_RATE_LIMIT=1000000", "SCALECHAT_PRESENCE_GRACE=300ms",
		"SCALECHAT_RATE_LIMITS=*=off"}, // load far above a person's, from one address; tests of limits set their own
		append(slices.Clone(c.opts.Env), o.Env...)...)
	p, err := harness.TryStart(t, o)
	if err != nil {
		err = fmt.Errorf("%s: %w", node, err)
	}
	return p, err // p is stopped when t ends even if it did not become ready
}

func (c *Cluster) running(ps []*harness.Process) int {
	n := 0
	for _, p := range ps {
		if p != nil && p.Running() {
			n++
		}
	}
	return n
}

func stopAll(ps []*harness.Process) {
	var wg sync.WaitGroup
	for _, p := range ps {
		if p != nil {
			wg.Go(p.Stop)
		}
	}
	wg.Wait()
}

// startBroker runs the dev broker with a short minimum session timeout, so that workers may use a short one.
func (c *Cluster) startBroker(t testing.TB, bin string) {
	t.Helper()
	c.BrokerAddr = harness.FreeAddr(t)
	minSession := min(time.Second, c.opts.SessionTimeout)
	args := []string{"--addr", c.BrokerAddr, "--partitions", strconv.Itoa(c.Partitions),
		"--min-session-timeout", minSession.String()}
	if c.opts.BrokerDataDir {
		args = append(args, "--data-dir", t.TempDir())
	}
	c.broker = harness.Exec(t, harness.Command{Name: "kafkabroker", Path: bin, Args: args, Addr: c.BrokerAddr,
		ReadyTimeout: readyTimeout, Ready: func(ctx context.Context) error {
			conn, err := kafkago.DialContext(ctx, "tcp", c.BrokerAddr)
			if err != nil {
				return err
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
			_, err = conn.Brokers()
			return err
		}})
}

// startRedis uses the shared Redis under a fresh prefix (its keys are deleted at the end), or runs a private one.
func (c *Cluster) startRedis(t testing.TB) {
	t.Helper()
	c.RedisPrefix = "sc-" + c.ID + ":"
	if !c.opts.PrivateRedis {
		c.RedisURL = SharedRedisURL
		t.Cleanup(func() { deleteKeys(c.RedisURL, c.RedisPrefix) })
		return
	}
	addr := harness.FreeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	c.RedisURL = "redis://" + addr + "/0"
	c.redis = harness.Exec(t, harness.Command{Name: "redis-server", Path: "redis-server", Addr: addr, Dir: t.TempDir(),
		Args: []string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"},
		Ready: func(ctx context.Context) error {
			rc := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
			defer rc.Close()
			return rc.Ping(ctx).Err()
		}})
}

// deleteKeys removes the keys of a cluster from the shared Redis.
func deleteKeys(redisURL, prefix string) {
	opt, err := goredis.ParseURL(redisURL)
	if err != nil {
		return
	}
	rc := goredis.NewClient(opt)
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := rc.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 500 {
			rc.Unlink(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		rc.Unlink(ctx, keys...)
	}
}

// startPostgres creates a fresh database on the shared server (dropped at the end) or runs a private server.
func (c *Cluster) startPostgres(t testing.TB) {
	t.Helper()
	if !c.opts.PrivatePostgres {
		db := "sc_" + c.ID
		exec := func(sql string) error {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			conn, err := pgx.Connect(ctx, SharedPostgresURL)
			if err != nil {
				return err
			}
			defer conn.Close(ctx)
			_, err = conn.Exec(ctx, sql)
			return err
		}
		if err := exec("CREATE DATABASE " + db); err != nil {
			t.Fatalf("clusterharness: creating database %s: %v", db, err)
		}
		t.Cleanup(func() {
			if err := exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"); err != nil {
				t.Logf("clusterharness: dropping database %s: %v", db, err)
			}
		})
		u, _ := url.Parse(SharedPostgresURL)
		u.Path = "/" + db
		c.PostgresURL = u.String()
		return
	}

	// PostgreSQL refuses to run as root: the data directory belongs to the postgres user, and its parent
	// directories must be reachable by it (t.TempDir's are not), hence a directory of its own under $TMPDIR.
	dir, err := os.MkdirTemp("", "sc-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	pgUser, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("clusterharness: a private PostgreSQL needs the postgres system user: %v", err)
	}
	uid, _ := strconv.Atoi(pgUser.Uid)
	gid, _ := strconv.Atoi(pgUser.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(pgBin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--no-sync", "--no-instructions")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("clusterharness: initdb: %v\n%s", err, out)
	}
	addr := harness.FreeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	c.PostgresURL = fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", addr)
	c.postgres = harness.Exec(t, harness.Command{Name: "postgres", Path: filepath.Join(pgBin, "postgres"),
		Args: []string{"-D", data, "-p", port, "-k", dir, "-c", "listen_addresses=127.0.0.1",
			"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200"},
		Addr: addr, User: "postgres", Dir: dir, StopSignal: syscall.SIGINT, ReadyTimeout: readyTimeout,
		Ready: func(ctx context.Context) error {
			conn, err := pgx.Connect(ctx, c.PostgresURL)
			if err != nil {
				return err
			}
			defer conn.Close(ctx)
			return conn.Ping(ctx)
		}})
}

func randomID() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
