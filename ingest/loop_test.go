package ingest

import "context"

// runAll syncs srcs one after the other on s, as package runner's loop
// does with a single token: each source is synced or reports why not.
func (s *Syncer) runAll(ctx context.Context, srcs []Source) []Summary {
	out := make([]Summary, 0, len(srcs))
	for _, src := range srcs {
		out = append(out, s.Sync(ctx, src))
	}
	return out
}
