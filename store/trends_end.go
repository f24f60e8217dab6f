package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TrendDataEnd returns the latest day with a count in
// cluster_daily_counts, or ErrNotFound when there is none. errata trends
// uses it to point at --as-of when the window holds nothing.
func (s *Store) TrendDataEnd(ctx context.Context) (time.Time, error) {
	d, err := s.q.TrendDataEnd(ctx, s.pool)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, ErrNotFound
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read trend data end: %w", err)
	}
	return d.UTC(), nil
}
