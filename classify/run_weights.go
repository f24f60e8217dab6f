package classify

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store"
)

// loadWeights sets w to the stored word frequencies a run adds to, or
// clears them when the run counts every issue again: a rebuild, or the
// first run under a new rules or algorithm version (no issue is classified
// under it yet, so every classified issue is pending and will be counted;
// adding to the old counts would count each issue twice). Because the
// check is on the issues' own versions, a run stopped and resumed part way
// keeps what its first part counted.
func loadWeights(ctx context.Context, st *store.Store, tx pgx.Tx, w *Weights, version string, rebuild bool) error {
	if !rebuild {
		seen, err := st.ClassifiedUnder(ctx, tx, version)
		if err != nil {
			return err
		}
		if seen {
			df, n, err := st.TokenDFList(ctx, tx)
			if err != nil {
				return err
			}
			w.DF, w.N = df, n
			return nil
		}
	}
	// Cleared: the run counts every issue from zero.
	w.DF, w.N = map[string]int{}, 0
	return st.TokenDFClear(ctx, tx)
}
