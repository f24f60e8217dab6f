package cli

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"syscall"

	"github.com/jackc/pgx/v5/pgxpool"
	urfavecli "github.com/urfave/cli/v2"

	"github.com/errata-tool/errata/mcpserver"
	"github.com/errata-tool/errata/store"
)

// envNameRe is what --token-env accepts: an environment variable's name,
// so that a token pasted there by mistake is refused, not used or echoed.
var envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

func mcpCommand(env *Env) *urfavecli.Command {
	return &urfavecli.Command{
		Name:  "mcp",
		Usage: "serve errata's error guide to AI coding tools over the Model Context Protocol",
		Description: `Serves the tools match_error, get_error_guide, trending_errors and
search_errors, and each cluster's guide as the resource errata://clusters/{slug},
read-only, from errata's database (the embedded default or --database-url).

Over standard input and output by default (for an MCP client that starts
"errata mcp" itself), or over streamable HTTP with --http ADDR. Binding HTTP
to an address other than loopback requires a bearer token, read from the
environment variable named by --token-env (never given on the command line);
requests without it get 401. Logs go to standard error.`,
		Flags: []urfavecli.Flag{
			&urfavecli.StringFlag{Name: "http", Usage: "serve streamable HTTP on this address (host:port, e.g. 127.0.0.1:8765) instead of stdio"},
			&urfavecli.StringFlag{Name: "token-env", Usage: "name of the environment variable holding the bearer token HTTP clients must send (required for a non-loopback --http address)"},
			&urfavecli.StringFlag{Name: "site-url", Usage: "base URL where the pages of errata pages are served, to add page URLs to answers (env: ERRATA_SITE_URL)"},
		},
		Action: func(c *urfavecli.Context) error {
			if c.NArg() > 0 {
				return usageError("mcp: unexpected argument %q", c.Args().First())
			}
			addr := c.String("http")
			token := ""
			if name := c.String("token-env"); name != "" {
				if !envNameRe.MatchString(name) {
					return usageError("mcp: --token-env wants the name of an environment variable (letters, digits, _), not the token itself")
				}
				token = env.Getenv(name)
				if token == "" {
					// The name is not echoed: it might be a token given by mistake.
					return usageError("mcp: --token-env: the environment variable it names is empty or unset")
				}
				if addr == "" {
					return usageError("mcp: --token-env applies to --http only")
				}
			}
			if addr != "" {
				loop, err := mcpserver.IsLoopback(addr)
				if err != nil {
					return usageError("mcp: --http: %v", err)
				}
				if !loop && token == "" {
					return usageError("mcp: --http %s is not a loopback address: give --token-env NAME with a bearer token in $NAME", addr)
				}
			}
			site := c.String("site-url")
			if site == "" {
				site = env.Getenv("ERRATA_SITE_URL")
			}
			if site != "" {
				u, err := url.Parse(site)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return usageError("mcp: --site-url %q: want an http or https URL", site)
				}
			}
			ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
			defer stop()
			// The schema is brought up to date as for every command; the
			// server then reads through a pool whose transactions are read
			// only. Trend rollups are derived data that trends refreshes
			// through the ordinary handle.
			rw, err := env.Store(c)
			if err != nil {
				return err
			}
			u, err := env.DatabaseURL(c)
			if err != nil {
				return err
			}
			ro, err := openReadOnly(ctx, u)
			if err != nil {
				return err
			}
			defer ro.Close()
			// Background work (the cache warm-up) ends before the pools
			// close: deferred calls run last-in first-out.
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			srv := mcpserver.New(mcpserver.Options{Store: ro, TrendStore: rw, SiteURL: site, Logger: env.logger(),
				Version: c.App.Version, Warm: true, Context: ctx})
			if addr == "" {
				env.logger().Info("errata mcp: serving on standard input and output")
				return srv.RunStdio(ctx, env.Stdin, env.Stdout)
			}
			return srv.ServeHTTP(ctx, addr, token, func(a net.Addr) {
				env.logger().Info("errata mcp: serving streamable HTTP", "url", fmt.Sprintf("http://%s/", a), "token", token != "")
			})
		},
	}
}

// openReadOnly opens a pool on the database whose transactions are read
// only (default_transaction_read_only), so PostgreSQL refuses any write.
func openReadOnly(ctx context.Context, u string) (*store.Store, error) {
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		return nil, fmt.Errorf("parse database url %s: invalid connection string", store.RedactURL(u))
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	cfg.ConnConfig.RuntimeParams["application_name"] = "errata-mcp"
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", store.RedactURL(u), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s: %w", store.RedactURL(u), err)
	}
	return store.New(pool), nil
}
