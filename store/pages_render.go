package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store/internal/dbsqlc"
)

// Incremental pages (migration 0015): triggers record in page_dirty, with
// the writing transaction's id, the clusters whose page evidence may have
// changed; page_renders keeps, per output directory, what its last render
// was made from. A render first takes a snapshot (PageSnapshot); the next
// render of the same directory renders the clusters marked by a
// transaction that snapshot did not see, so a change committed while a
// render ran is never lost.

// PageRender is what the last render of one output directory was made
// from. Pages is the renderer's own record of its pages (opaque here).
type PageRender struct {
	Settings string    // fingerprint of the render settings
	AsOf     time.Time // PageAsOf at the render
	Snapshot string    // PageSnapshot taken before the render read anything
	Pages    []byte
}

// PageSnapshot returns the current snapshot (pg_current_snapshot): every
// change it sees is visible to the queries that follow.
func (s *Store) PageSnapshot(ctx context.Context) (string, error) {
	x, err := s.q.PageSnapshot(ctx, s.pool)
	if err != nil {
		return "", fmt.Errorf("page snapshot: %w", err)
	}
	return x, nil
}

// PageDirtySince returns the clusters whose page evidence was changed by a
// transaction the snapshot did not see, ascending; 0 among them means
// every page.
func (s *Store) PageDirtySince(ctx context.Context, snapshot string) ([]int64, error) {
	ids, err := s.q.PageDirtySince(ctx, s.pool, snapshot)
	if err != nil {
		return nil, fmt.Errorf("read changed clusters: %w", err)
	}
	return ids, nil
}

// PageWindowClusters returns the clusters with a member created in
// (from1, to1] or (from2, to2]: those whose trend counts move when the
// as-of time of the pages moves.
func (s *Store) PageWindowClusters(ctx context.Context, from1, to1, from2, to2 time.Time) ([]int64, error) {
	ids, err := s.q.PageWindowClusters(ctx, s.pool, dbsqlc.PageWindowClustersParams{From1: from1, To1: to1, From2: from2, To2: to2})
	if err != nil {
		return nil, fmt.Errorf("read clusters in the trend windows: %w", err)
	}
	return ids, nil
}

// PageRenderGet returns the last render of outDir; false when there was
// none.
func (s *Store) PageRenderGet(ctx context.Context, outDir string) (PageRender, bool, error) {
	row, err := s.q.PageRenderGet(ctx, s.pool, outDir)
	if errors.Is(err, pgx.ErrNoRows) {
		return PageRender{}, false, nil
	}
	if err != nil {
		return PageRender{}, false, fmt.Errorf("read last page render: %w", err)
	}
	r := PageRender{Settings: row.Settings, Snapshot: row.SeenSnapshot, Pages: row.Pages}
	if row.AsOf != nil {
		r.AsOf = row.AsOf.UTC()
	}
	return r, true, nil
}

// PageRenderSave records the render of outDir.
func (s *Store) PageRenderSave(ctx context.Context, outDir string, r PageRender) error {
	var asOf *time.Time
	if !r.AsOf.IsZero() {
		asOf = &r.AsOf
	}
	if err := s.q.PageRenderSave(ctx, s.pool, dbsqlc.PageRenderSaveParams{OutDir: outDir, Settings: r.Settings, AsOf: asOf, SeenSnapshot: r.Snapshot, Pages: r.Pages}); err != nil {
		return fmt.Errorf("save page render: %w", err)
	}
	return nil
}
