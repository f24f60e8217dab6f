package classify

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store"
)

// MatchText analyzes a pasted error text and returns the clusters it best
// belongs to (at most limit, best first), compared exactly as classify
// compares an issue with the store's clusters. It is the one entry point
// for `errata match` and the MCP server's match_error, so both find the
// same clusters for the same text. The analysis is returned too, for
// callers that show the text's signature and code.
func MatchText(ctx context.Context, st *store.Store, text string, limit int) (Analysis, []Assignment, error) {
	a := AnalyzeText(text)
	var res []Assignment
	err := st.InTx(ctx, func(tx pgx.Tx) error {
		m, err := LoadMatcher(ctx, st, tx, &a)
		if err != nil {
			return err
		}
		res = m.Match(&a, max(limit, 1))
		return nil
	})
	return a, res, err
}
