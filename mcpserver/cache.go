package mcpserver

import (
	"context"
	"sync"
	"time"

	"github.com/errata-tool/errata/classify/redact"
	"github.com/errata-tool/errata/reports/pages"
	"github.com/errata-tool/errata/store"
)

// The brief cache: what match_error says about a cluster besides the
// match itself (counts, top repositories, first and last seen, mined
// fixes and causes) costs a pass over the cluster's members, tens of
// milliseconds for a cluster of ten thousand reports. Those facts change
// only when classify changes the clusters, so they are kept per cluster.
//
// Invalidation rule: the whole cache is dropped when
// store.ClusterDataVersion changes (classify created, grew, shrank,
// merged or dissolved a cluster: every such write sets
// clusters.updated_at), which is checked at every match_error call, and
// at the latest BriefCacheTTL after it was started, so that nothing is
// shown older than that. After a drop, and when the server starts, a
// background warm-up computes the trend states and fills it for every
// active cluster, largest first; a cluster asked for before its turn is
// loaded on demand.

// BriefCacheTTL bounds the age of a cached brief.
const BriefCacheTTL = 10 * time.Minute

type briefCache struct {
	mu      sync.Mutex
	ver     string
	started time.Time
	m       map[int64]*pages.Guide
	warming bool
}

// version reads the clusters' data version.
func (s *Server) version(ctx context.Context) (string, error) {
	return s.opts.Store.ClusterDataVersion(ctx)
}

// reset drops the cache when ver differs or it is too old; it reports
// whether it did (and the caller may start a warm-up).
func (c *briefCache) reset(ver string, now time.Time) bool {
	if c.m != nil && c.ver == ver && now.Sub(c.started) < BriefCacheTTL {
		return false
	}
	c.ver, c.started, c.m = ver, now, map[int64]*pages.Guide{}
	return true
}

// briefs returns the briefs of ids under data version ver, from the cache
// or loaded (and then cached).
func (s *Server) briefs(ctx context.Context, ver string, ids []int64) (map[int64]*pages.Guide, error) {
	c := &s.cache
	c.mu.Lock()
	if c.reset(ver, s.opts.Now()) && s.opts.Warm {
		s.startWarm(ver)
	}
	out := make(map[int64]*pages.Guide, len(ids))
	var missing []int64
	for _, id := range ids {
		if g, ok := c.m[id]; ok {
			out[id] = g
		} else {
			missing = append(missing, id)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	got, err := pages.Briefs(ctx, s.opts.Store, missing, briefSources)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	for id, g := range got {
		out[id] = g
		if c.ver == ver {
			c.m[id] = g
		}
	}
	c.mu.Unlock()
	return out, nil
}

// briefSources is how many of a cluster's most discussed reports are
// mined for fixes in a match answer.
const briefSources = 10

// startWarm fills the cache for version ver in the background (one
// warm-up at a time; called with c.mu held).
func (s *Server) startWarm(ver string) {
	c := &s.cache
	if c.warming {
		return
	}
	c.warming = true
	go func() {
		defer func() {
			c.mu.Lock()
			c.warming = false
			c.mu.Unlock()
		}()
		if err := s.warm(s.baseCtx, ver); err != nil && s.baseCtx.Err() == nil {
			s.log.Warn("mcp: cache warm-up stopped", "err", redact.String(err.Error()))
		}
	}()
}

// Warm fills the brief cache for every active cluster, largest first, in
// batches, and returns when done (or when the data version moved on). A
// server started with Options.Warm does this by itself in the background.
func (s *Server) Warm(ctx context.Context) error {
	ver, err := s.version(ctx)
	if err != nil {
		return err
	}
	s.cache.mu.Lock()
	s.cache.reset(ver, s.opts.Now())
	s.cache.mu.Unlock()
	return s.warm(ctx, ver)
}

func (s *Server) warm(ctx context.Context, ver string) error {
	t0 := time.Now()
	s.trendRows(ctx, ver) // the trend states too (errors are logged)
	list, err := s.opts.Store.ClusterList(ctx, store.ClusterListParams{})
	if err != nil {
		return err
	}
	const batch = 50
	n := 0
	for start := 0; start < len(list); start += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := &s.cache
		c.mu.Lock()
		stale := c.ver != ver
		var ids []int64
		for _, ci := range list[start:min(start+batch, len(list))] {
			if _, ok := c.m[ci.ID]; !ok {
				ids = append(ids, ci.ID)
			}
		}
		c.mu.Unlock()
		if stale {
			return nil // a newer warm-up takes over
		}
		if len(ids) == 0 {
			continue
		}
		got, err := pages.Briefs(ctx, s.opts.Store, ids, briefSources)
		if err != nil {
			return err
		}
		c.mu.Lock()
		if c.ver == ver {
			for id, g := range got {
				if _, ok := c.m[id]; !ok {
					c.m[id] = g
					n++
				}
			}
		}
		c.mu.Unlock()
	}
	s.log.Info("mcp: cluster cache warm", "clusters", n, "duration", time.Since(t0).Round(time.Millisecond))
	return nil
}
