package store

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store/internal/dbsqlc"
)

// PageVariantRefresh brings page_variant_counts (migration 0017), the
// reports of each raw primary signature per cluster, up to date in
// proportion to the change: the primary signatures of new members are
// added, and the clusters marked by the triggers (a member removed or
// moved, a member's primary signature written or changed; all of them
// after migrating or truncating) are recounted. Like TrendRefresh it reads
// one snapshot, taken after its lock. PageEvidenceGet reads the counts of
// the clusters not waiting for a recount, and counts the others from
// their members, so a refresh that has not run makes pages slower, never
// different.
func (s *Store) PageVariantRefresh(ctx context.Context) error {
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		if err := s.q.PageVariantLock(ctx, tx); err != nil {
			return fmt.Errorf("lock variant counts: %w", err)
		}
		ch, err := s.q.PageVariantTakeChanges(ctx, tx)
		if err != nil {
			return fmt.Errorf("read variant changes: %w", err)
		}
		if slices.Contains(ch.Dirty, 0) {
			if err := s.q.PageVariantClearAll(ctx, tx); err != nil {
				return fmt.Errorf("clear variant counts: %w", err)
			}
			if err := s.q.PageVariantCountAll(ctx, tx); err != nil {
				return fmt.Errorf("count variants: %w", err)
			}
			return nil
		}
		if len(ch.Dirty) > 0 {
			if err := s.q.PageVariantClear(ctx, tx, ch.Dirty); err != nil {
				return fmt.Errorf("clear variant counts: %w", err)
			}
			if err := s.q.PageVariantCount(ctx, tx, ch.Dirty); err != nil {
				return fmt.Errorf("count variants: %w", err)
			}
		}
		if len(ch.Members) > 0 {
			if err := s.q.PageVariantAdd(ctx, tx, dbsqlc.PageVariantAddParams{IssueIds: ch.Members, Dirty: ch.Dirty}); err != nil {
				return fmt.Errorf("add variants: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("refresh variant counts: %w", err)
	}
	return nil
}

// pageVariants returns the most frequent raw signatures of each cluster,
// at most max (0: all): from page_variant_counts, and for the clusters
// waiting for a recount from their members.
func (s *Store) pageVariants(ctx context.Context, ids []int64, max int) (map[int64][]PageCount, error) {
	limit := max
	if limit <= 0 {
		limit = math.MaxInt32
	}
	top, err := s.q.PageVariantTop(ctx, s.pool, dbsqlc.PageVariantTopParams{ClusterIds: ids, MaxVariants: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("load cluster signatures: %w", err)
	}
	out := map[int64][]PageCount{}
	var stale []int64
	for _, r := range top {
		switch {
		case r.Stale:
			stale = append(stale, r.ClusterID)
		case r.Reports > 0:
			out[r.ClusterID] = append(out[r.ClusterID], PageCount{Name: r.Raw, Count: int(r.Reports)})
		}
	}
	if len(stale) > 0 {
		rows, err := s.q.PageVariantCounts(ctx, s.pool, stale)
		if err != nil {
			return nil, fmt.Errorf("load cluster signatures: %w", err)
		}
		for _, r := range rows {
			out[r.ClusterID] = append(out[r.ClusterID], PageCount{Name: r.Raw, Count: int(r.N)})
		}
	}
	for id, vs := range out {
		sortCounts(vs)
		if max > 0 && len(vs) > max {
			out[id] = vs[:max]
		}
	}
	return out, nil
}
