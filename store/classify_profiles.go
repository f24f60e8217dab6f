package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ClusterProfile is what the clusterer compares a cluster by: its deciding
// code, weak codes and profile (distinct member templates).
type ClusterProfile struct {
	ID        int64
	Concept   string
	WeakCodes []string
	Profile   []string
}

// ClusterProfileSetMany stores the profiles of the given clusters.
func (s *Store) ClusterProfileSetMany(ctx context.Context, tx pgx.Tx, ps []ClusterProfile) error {
	const chunk = 2000
	for start := 0; start < len(ps); start += chunk {
		part := ps[start:min(start+chunk, len(ps))]
		b := &pgx.Batch{}
		for _, p := range part {
			prof := make([]string, len(p.Profile))
			for i, t := range p.Profile {
				prof[i] = CleanText(t)
			}
			b.Queue(`UPDATE clusters SET concept = $2, weak_codes = $3, profile = $4 WHERE id = $1`,
				p.ID, p.Concept, nonNil(p.WeakCodes), prof)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("store cluster profiles: %w", err)
		}
	}
	return nil
}

// ClusterMembersMove moves every member and recorded fingerprint of
// cluster from to cluster into (a merge of two stored clusters).
func (s *Store) ClusterMembersMove(ctx context.Context, tx pgx.Tx, from, into int64) error {
	if _, err := tx.Exec(ctx, `UPDATE cluster_members SET cluster_id = $2 WHERE cluster_id = $1`, from, into); err != nil {
		return fmt.Errorf("move members of cluster %d to %d: %w", from, into, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE cluster_fingerprints SET cluster_id = $2 WHERE cluster_id = $1`, from, into); err != nil {
		return fmt.Errorf("move fingerprints of cluster %d to %d: %w", from, into, err)
	}
	return nil
}

// TokenDFList returns the document frequency of every template word and
// the number of issues counted (stored under the empty token).
func (s *Store) TokenDFList(ctx context.Context, tx pgx.Tx) (map[string]int, int, error) {
	rows, err := tx.Query(ctx, `SELECT token, df FROM classify_token_df`)
	if err != nil {
		return nil, 0, fmt.Errorf("read word frequencies: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	n := 0
	for rows.Next() {
		var t string
		var df int64
		if err := rows.Scan(&t, &df); err != nil {
			return nil, 0, fmt.Errorf("read word frequencies: %w", err)
		}
		if t == "" {
			n = int(df)
			continue
		}
		out[t] = int(df)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("read word frequencies: %w", err)
	}
	return out, n, nil
}

// TokenDFAdd adds counts to the stored document frequencies, and n to the
// number of issues counted.
func (s *Store) TokenDFAdd(ctx context.Context, tx pgx.Tx, add map[string]int, n int) error {
	toks := make([]string, 0, len(add)+1)
	dfs := make([]int64, 0, len(add)+1)
	for t, d := range add {
		if t == "" || d == 0 {
			continue
		}
		toks = append(toks, CleanText(t))
		dfs = append(dfs, int64(d))
	}
	toks = append(toks, "")
	dfs = append(dfs, int64(n))
	if _, err := tx.Exec(ctx, `INSERT INTO classify_token_df (token, df)
		SELECT t, sum(d) FROM unnest($1::text[], $2::bigint[]) AS x(t, d) GROUP BY t
		ON CONFLICT (token) DO UPDATE SET df = classify_token_df.df + EXCLUDED.df`, toks, dfs); err != nil {
		return fmt.Errorf("store word frequencies: %w", err)
	}
	return nil
}

// TokenDFClear forgets the word frequencies (a rebuild counts again).
func (s *Store) TokenDFClear(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `DELETE FROM classify_token_df`); err != nil {
		return fmt.Errorf("clear word frequencies: %w", err)
	}
	return nil
}

// ClassifiedUnder reports whether any issue is classified under the given
// rules version. When none is, the run about to start classifies every
// issue again, so the word frequencies counted under the old version must
// be counted again from zero rather than added to.
func (s *Store) ClassifiedUnder(ctx context.Context, tx pgx.Tx, version string) (bool, error) {
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM issue_classification WHERE rules_version = $1)`, version).Scan(&ok); err != nil {
		return false, fmt.Errorf("look for issues classified under %s: %w", version, err)
	}
	return ok, nil
}
