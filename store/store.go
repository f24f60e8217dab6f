// Package store is errata's PostgreSQL data layer: a small API over a pgx
// connection pool with noun-then-verb methods (IssueUpsertMany, ClusterList),
// parameter structs, and driver errors translated once (no rows becomes
// ErrNotFound). All times going in and out are UTC.
package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/errata-tool/errata/store/internal/dbsqlc"
)

// ErrNotFound is returned when a lookup matches no row.
var ErrNotFound = errors.New("not found")

// Store is errata's handle on its database.
type Store struct {
	pool *pgxpool.Pool
	q    *dbsqlc.Queries
}

// Open connects to the database at url and applies pending migrations.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx errors can quote the URL, password included: never pass them on.
		return nil, fmt.Errorf("parse database url %s: invalid connection string", RedactURL(url))
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "errata"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", RedactURL(url), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s: %w", RedactURL(url), err)
	}
	if err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return New(pool), nil
}

// New wraps an existing pool; the caller has migrated the database.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool, q: dbsqlc.New()} }

// Ping checks that the database answers, for health checks.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// QueueDriver is River's driver on the store's pool: the worker's job
// queue lives in the same database and runs River's own (generated,
// parameterized) SQL. It is the one way to the pool from outside the
// package; everything else goes through the store's methods.
func (s *Store) QueueDriver() riverdriver.Driver[pgx.Tx] { return riverpgxv5.New(s.pool) }

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// translate maps driver errors to the package's errors, once, here.
func translate(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// RedactURL returns a database URL (or key=value DSN) with any password
// replaced by "xxxxx", fit for logs and messages. It works on text, not on
// a parsed URL, so that URLs too broken to parse are hidden as well.
func RedactURL(raw string) string {
	s := urlPassword.ReplaceAllString(raw, "${1}xxxxx@")
	s = queryPassword.ReplaceAllString(s, "${1}xxxxx")
	return dsnPassword.ReplaceAllString(s, "${1}xxxxx")
}

var (
	// scheme://user:password@ — the password runs to the last '@' before
	// the host, since an unescaped '@' may appear in it.
	urlPassword = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://[^:/?#@\s]*:)[^\s]*@`)
	// ?password=... or &password=...
	queryPassword = regexp.MustCompile(`(?i)([?&]password=)[^&#\s]*`)
	// key=value DSNs: password = 'quoted value' or password=value.
	dsnPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'|[^\s'&]+)`)
)
