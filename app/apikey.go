package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scalechat/scalechat/adapters/memory"
	"github.com/scalechat/scalechat/adapters/postgres"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
	"github.com/scalechat/scalechat/ports"
)

const apikeyUsage = `usage:
  scalechat apikey create admin <name> [flags]                            print a new admin key
  scalechat apikey create bot <name> <bot-username> [<display name>] [flags]  print a new bot key (and create its bot user)
  scalechat apikey list [flags]                                           list keys (never the keys themselves)
  scalechat apikey revoke <key-id> [flags]                                revoke a key

flags: the storage flags of serve: --postgres-url (PostgreSQL), else --data-dir (standalone SQLite).
Creating and revoking are recorded in the audit log, by the operating-system user ($USER) who ran them.
A bot key revoked here is refused from then on; its open sockets end when they reconnect (revoke through the
admin API, DELETE /v1/admin/api-keys/{keyId}, to end them at once).
`

// apikey runs `scalechat apikey`: server API keys managed on the storage directly, so that the first admin key
// exists before any admin API call can be made.
func apikey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var pos []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = append(pos, args[0]), args[1:]
	}
	if len(pos) == 0 {
		return errors.New("apikey: a subcommand is required\n" + apikeyUsage)
	}
	want := map[string][2]int{"create": {3, 5}, "list": {1, 1}, "revoke": {2, 2}}[pos[0]]
	if want == [2]int{} || len(pos) < want[0] || len(pos) > want[1] {
		return fmt.Errorf("apikey: unexpected arguments %q\n%s", pos, apikeyUsage)
	}
	cfg, err := Parse(args, getenv)
	if err != nil {
		return err
	}
	store, done, err := openKeyStore(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer done()
	switch pos[0] {
	case "create":
		in := chat.NewAPIKeyInput{Scope: core.APIKeyScope(pos[1]), Name: pos[2]}
		if in.Scope == core.ScopeBot {
			if len(pos) < 4 {
				return errors.New("apikey: a bot key needs the bot's username\n" + apikeyUsage)
			}
			in.BotUsername = pos[3]
			if len(pos) == 5 {
				in.BotDisplayName = pos[4]
			}
		} else if len(pos) > 3 {
			return errors.New("apikey: only a bot key takes a username\n" + apikeyUsage)
		}
		k, err := chat.CreateAPIKeyIn(ctx, store, memory.UUIDv7{}, memory.SystemClock{}, in)
		if err != nil {
			return err
		}
		if err := chat.AuditOperator(ctx, store, memory.UUIDv7{}, memory.SystemClock{}, operator(getenv),
			chat.AuditAPIKeyCreate, chat.AuditTargetAPIKey, k.Key.ID, k.AuditDetails()); err != nil {
			return err
		}
		if k.Bot != nil {
			fmt.Fprintf(stderr, "created %s key %s (%s) for bot user %s (%s)\n", k.Key.Scope, k.Key.ID, k.Key.Name, k.Bot.Username, k.Bot.ID)
		} else {
			fmt.Fprintf(stderr, "created %s key %s (%s)\n", k.Key.Scope, k.Key.ID, k.Key.Name)
		}
		_, err = fmt.Fprintln(stdout, k.Secret)
		return err
	case "list":
		w := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tSCOPE\tNAME\tBOT USER\tCREATED\tREVOKED")
		page := core.PageRequest{Limit: 200}
		for {
			p, err := store.APIKeys(ctx, page)
			if err != nil {
				return err
			}
			for _, k := range p.Items {
				revoked := "-"
				if k.RevokedAt != nil {
					revoked = k.RevokedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Scope, k.Name, orDash(k.BotUserID),
					k.CreatedAt.Format(time.RFC3339), revoked)
			}
			if p.Next == "" {
				return w.Flush()
			}
			page.Cursor = p.Next
		}
	default: // revoke
		k, err := store.RevokeAPIKey(ctx, pos[1], time.Now().UTC().Truncate(time.Millisecond))
		if err != nil {
			return err
		}
		if err := chat.AuditOperator(ctx, store, memory.UUIDv7{}, memory.SystemClock{}, operator(getenv),
			chat.AuditAPIKeyRevoke, chat.AuditTargetAPIKey, k.ID, nil); err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "revoked %s key %s (%s) at %s\n", k.Scope, k.ID, k.Name, k.RevokedAt.Format(time.RFC3339))
		return err
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// operator names who runs a command, for the audit log: the operating-system user ($USER, else "unknown").
func operator(getenv func(string) string) string {
	if u := getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

// keyStore is what the key commands work on: the keys, and the audit log they are recorded in.
type keyStore interface {
	ports.APIKeyStore
	ports.ModerationStore
}

// openKeyStore opens (and migrates) the storage of cfg: PostgreSQL with --postgres-url, else the standalone
// SQLite file.
func openKeyStore(ctx context.Context, cfg Config, stderr io.Writer) (keyStore, func(), error) {
	if cfg.PostgresURL != "" {
		pcfg := postgres.Config{URL: cfg.PostgresURL, SearchLanguage: cfg.SearchLanguage, MaxConns: 2}
		if err := postgres.Migrate(ctx, pcfg); err != nil {
			return nil, nil, err
		}
		store, err := postgres.Open(ctx, pcfg)
		if err != nil {
			return nil, nil, err
		}
		return store, store.Close, nil
	}
	store, cleanup, err := ProvideSQLite(ctx, cfg, NewLogger(cfg, stderr))
	if err != nil {
		return nil, nil, err
	}
	return store, cleanup, nil
}
