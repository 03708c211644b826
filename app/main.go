// Package app is the composition root: configuration, Wire provider sets, one injector per role and the
// process lifecycle. Nothing outside app reads flags or the environment.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/scalechat/scalechat/adapters/postgres"
	"github.com/scalechat/scalechat/adapters/rest"
)

// Version is set at build time with -ldflags.
var Version = "dev"

const usage = `scalechat — a scalable chat server

usage:
  scalechat serve   [flags]   run a role: standalone (default), gateway, worker or all; see --help
  scalechat migrate [flags]   apply the storage schema (PostgreSQL with --postgres-url, else SQLite) and exit
  scalechat apikey  ...       create, list and revoke server API keys (scalechat apikey for its usage)
  scalechat openapi           print the OpenAPI document (YAML) without starting anything
  scalechat version           print the version
`

// Main runs a subcommand and returns the process exit code.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	sub, rest := args[0], args[1:]
	var err error
	switch sub {
	case "serve":
		err = serve(ctx, rest, getenv, stderr)
	case "migrate":
		err = migrate(ctx, rest, getenv, stderr)
	case "apikey":
		err = apikey(ctx, rest, getenv, stdout, stderr)
	case "openapi":
		err = printSpec(stdout)
	case "version":
		fmt.Fprintln(stdout, "scalechat", Version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", sub, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "scalechat:", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := Parse(args, getenv)
	if err != nil {
		return err
	}
	log := NewLogger(cfg, stderr)
	init := map[string]func(context.Context, Config, *slog.Logger) (*Server, func(), error){
		RoleStandalone: InitStandalone, RoleGateway: InitGateway, RoleWorker: InitWorker, RoleAll: InitAll,
	}[cfg.Role]
	srv, cleanup, err := init(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer cleanup()
	return srv.Run(ctx)
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := Parse(args, getenv)
	if err != nil {
		return err
	}
	if cfg.PostgresURL != "" {
		return postgres.Migrate(ctx, postgres.Config{URL: cfg.PostgresURL})
	}
	store, cleanup, err := ProvideSQLite(ctx, cfg, NewLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer cleanup()
	return store.Ping(ctx)
}

func printSpec(w io.Writer) error {
	spec, err := rest.Spec()
	if err != nil {
		return err
	}
	_, err = w.Write(spec)
	return err
}
