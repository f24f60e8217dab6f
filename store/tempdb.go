package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TempDatabaseParams says where TempDatabase creates a database.
type TempDatabaseParams struct {
	// ServerURL is a connection URL (or key=value DSN) of any database on
	// the server; the new database is created next to it.
	ServerURL string
	// Prefix starts the new database's name; a random suffix follows, so
	// concurrent callers never collide. Callers use distinct prefixes
	// (errata_eval_, errata_t_, ...) so a leftover says who left it.
	Prefix string
	// Template, if set, is a database to clone (CREATE DATABASE ...
	// TEMPLATE). Its migrations come with it; without a template the
	// database is empty and store.Open migrates it.
	Template string
}

// TempDatabase creates a new database for a short-lived job (the eval
// commands, tests) and returns its URL and a func that drops it. The drop
// func connects anew (the job may have outlived the caller's connection),
// forces other sessions off (WITH (FORCE)) and can be called more than
// once. A CREATE that fails because the template is briefly in use by
// another session (cloning needs it to have none) is retried until ctx
// ends.
func TempDatabase(ctx context.Context, p TempDatabaseParams) (dbURL string, drop func(context.Context) error, err error) {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	name := p.Prefix + hex.EncodeToString(rnd[:])
	admin, err := pgx.Connect(ctx, p.ServerURL)
	if err != nil {
		return "", nil, fmt.Errorf("temporary database: connect to %s: %w", RedactURL(p.ServerURL), err)
	}
	defer admin.Close(context.Background())
	create := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if p.Template != "" {
		create += " TEMPLATE " + pgx.Identifier{p.Template}.Sanitize()
	}
	for {
		_, err = admin.Exec(ctx, create)
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" { // object_in_use
			break
		}
		select {
		case <-ctx.Done():
			return "", nil, fmt.Errorf("temporary database: create %s from template %s: %w (%w)", name, p.Template, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err != nil {
		if p.Template != "" {
			return "", nil, fmt.Errorf("temporary database: create %s from template %s: %w", name, p.Template, err)
		}
		return "", nil, fmt.Errorf("temporary database: create %s: %w", name, err)
	}
	drop = func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, p.ServerURL)
		if err != nil {
			return fmt.Errorf("temporary database: drop %s: connect to %s: %w", name, RedactURL(p.ServerURL), err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("temporary database: drop %s: %w", name, err)
		}
		return nil
	}
	return WithDatabase(p.ServerURL, name), drop, nil
}

// WithDatabase points a connection URL (or key=value DSN) at database db,
// keeping host, user and options.
func WithDatabase(base, db string) string {
	if u, err := url.Parse(base); err == nil && u.Scheme != "" {
		u.Path = "/" + db
		q := u.Query()
		if q.Has("dbname") {
			q.Set("dbname", db)
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return base + " dbname=" + db
}
