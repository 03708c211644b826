package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// dbProbe reads the connection counts of the local Redis and PostgreSQL servers the cluster uses (the same
// REDIS_URL and PG_ADMIN_URL as test/cluster/run.sh, with its defaults). It holds one connection to each for
// the whole soak, so that its own share is constant (and left out of the PostgreSQL count).
type dbProbe struct {
	rdb       *redis.Client
	pgCfg     *pgx.ConnConfig
	pg        *pgx.Conn
	redisPort int // the servers' connections to these ports are counted from /proc
	pgPort    int
	setupErrs []string
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func openDBProbe() *dbProbe {
	d := &dbProbe{redisPort: 6379, pgPort: 5432}
	if opts, err := redis.ParseURL(envOr("REDIS_URL", "redis://127.0.0.1:6379/0")); err != nil {
		d.setupErrs = append(d.setupErrs, "REDIS_URL: "+err.Error())
	} else {
		opts.PoolSize, opts.MinIdleConns, opts.DisableIdentity = 1, 0, true
		if _, port, err := net.SplitHostPort(opts.Addr); err == nil {
			d.redisPort, _ = strconv.Atoi(port)
		}
		d.rdb = redis.NewClient(opts)
	}
	if cfg, err := pgx.ParseConfig(envOr("PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")); err != nil {
		d.setupErrs = append(d.setupErrs, "PG_ADMIN_URL: "+err.Error())
	} else {
		d.pgCfg, d.pgPort = cfg, int(cfg.Port)
	}
	return d
}

func (d *dbProbe) close() {
	if d.rdb != nil {
		_ = d.rdb.Close()
	}
	if d.pg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = d.pg.Close(ctx)
	}
}

// sample fills s's database figures (-1 when unknown) and returns what failed.
func (d *dbProbe) sample(ctx context.Context, s *SoakSample) []string {
	s.RedisClients, s.PGConnections, s.PGAll = -1, -1, -1
	errs := d.setupErrs
	d.setupErrs = nil
	if d.rdb != nil {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		info, err := d.rdb.Info(cctx, "clients").Result()
		cancel()
		n, ok := infoField(info, "connected_clients")
		switch {
		case err != nil:
			errs = append(errs, "redis INFO clients: "+err.Error())
		case !ok:
			errs = append(errs, "redis INFO clients: no connected_clients")
		default:
			s.RedisClients = n
		}
	}
	if d.pgCfg != nil {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if d.pg == nil {
			c, err := pgx.ConnectConfig(cctx, d.pgCfg)
			if err != nil {
				return append(errs, "postgres: "+err.Error())
			}
			d.pg = c
		}
		var db, all int64
		err := d.pg.QueryRow(cctx, `SELECT count(*) FILTER (WHERE datname = $1), count(*) FROM pg_stat_activity
			WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`, clusterDB).Scan(&db, &all)
		if err != nil {
			errs = append(errs, "postgres pg_stat_activity: "+err.Error())
			_ = d.pg.Close(cctx)
			d.pg = nil // reconnect at the next sample
		} else {
			s.PGConnections, s.PGAll = int(db), int(all)
		}
	}
	return errs
}

// infoField reads an integer field of a Redis INFO reply.
func infoField(info, name string) (int, bool) {
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), name+":"); ok {
			n, err := strconv.Atoi(v)
			return n, err == nil
		}
	}
	return 0, false
}
