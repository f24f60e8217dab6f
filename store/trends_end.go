package store

import (
	"context"
	"fmt"
	"time"
)

// TrendDataEnd returns the latest day with a count in
// cluster_daily_counts, or ErrNotFound when there is none. errata trends
// uses it to point at --as-of when the window holds nothing.
func (s *Store) TrendDataEnd(ctx context.Context) (time.Time, error) {
	var d *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT max(day) FROM cluster_daily_counts`).Scan(&d); err != nil {
		return time.Time{}, fmt.Errorf("read trend data end: %w", err)
	}
	if d == nil {
		return time.Time{}, ErrNotFound
	}
	return d.UTC(), nil
}
