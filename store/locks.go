package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Lock is a held session-level advisory lock, on a connection of its own
// so that it lives exactly as long as that session (and dies with the
// process).
type Lock struct {
	conn *pgxpool.Conn
	key  int64
	s    *Store
}

// LockTry takes the advisory lock key without waiting. When another
// session holds it, LockTry returns a nil Lock and a description of the
// holder ("database session pid 42 (errata, local) connected since ..."),
// or "" when the holder cannot be read.
func (s *Store) LockTry(ctx context.Context, key int64) (*Lock, string, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("take lock: %w", err)
	}
	got, err := s.q.AdvisoryLockTry(ctx, conn, key)
	if err != nil {
		conn.Release()
		return nil, "", fmt.Errorf("take lock: %w", err)
	}
	if !got {
		holder := s.lockHolder(ctx, conn, key)
		conn.Release()
		return nil, holder, nil
	}
	return &Lock{conn: conn, key: key, s: s}, "", nil
}

// LockWait takes the advisory lock key, waiting for it until ctx ends.
func (s *Store) LockWait(ctx context.Context, key int64) (*Lock, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("take lock: %w", err)
	}
	if err := s.q.AdvisoryLockWait(ctx, conn, key); err != nil {
		conn.Release()
		return nil, fmt.Errorf("take lock: %w", err)
	}
	return &Lock{conn: conn, key: key, s: s}, nil
}

// Release drops the lock and returns its connection. When the unlock
// fails the connection is closed instead, so that the lock dies with the
// session rather than going back to the pool still held. It is safe to
// call twice.
func (l *Lock) Release() {
	if l == nil || l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.s.q.AdvisoryUnlock(ctx, l.conn, l.key); err != nil {
		_ = l.conn.Conn().Close(ctx)
	}
	l.conn.Release()
	l.conn = nil
}

// lockHolder describes the session holding advisory lock key, or "".
// Hand-written: sqlc's catalog has no pg_locks or pg_stat_activity.
func (s *Store) lockHolder(ctx context.Context, conn *pgxpool.Conn, key int64) string {
	var pid int32
	var app, client string
	var since *time.Time
	err := conn.QueryRow(ctx, `
		SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local'), a.backend_start
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted
		  AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid AND l.objsubid = 1
		LIMIT 1`, key).Scan(&pid, &app, &client, &since)
	if err != nil {
		return ""
	}
	h := fmt.Sprintf("database session pid %d (%s, %s)", pid, app, client)
	if since != nil {
		h += " connected since " + since.UTC().Format(time.RFC3339)
	}
	return h
}
