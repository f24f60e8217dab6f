package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store/internal/dbsqlc"
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
// Hand-written: one pgx batch of updates (sqlc methods cannot join a batch).
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
	if err := s.q.ClusterMembersMove(ctx, tx, dbsqlc.ClusterMembersMoveParams{FromID: from, ToID: into}); err != nil {
		return fmt.Errorf("move members of cluster %d to %d: %w", from, into, err)
	}
	if err := s.q.ClusterFingerprintsMove(ctx, tx, dbsqlc.ClusterFingerprintsMoveParams{FromID: from, ToID: into}); err != nil {
		return fmt.Errorf("move fingerprints of cluster %d to %d: %w", from, into, err)
	}
	return nil
}

// TokenDFList returns the document frequency of every template word and
// the number of issues counted (stored under the empty token).
func (s *Store) TokenDFList(ctx context.Context, tx pgx.Tx) (map[string]int, int, error) {
	rows, err := s.q.TokenDFList(ctx, tx)
	if err != nil {
		return nil, 0, fmt.Errorf("read word frequencies: %w", err)
	}
	out := make(map[string]int, len(rows))
	n := 0
	for _, r := range rows {
		if r.Token == "" {
			n = int(r.Df)
			continue
		}
		out[r.Token] = int(r.Df)
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
	if err := s.q.TokenDFAdd(ctx, tx, dbsqlc.TokenDFAddParams{Tokens: toks, Dfs: dfs}); err != nil {
		return fmt.Errorf("store word frequencies: %w", err)
	}
	return nil
}

// TokenDFClear forgets the word frequencies (a rebuild counts again).
func (s *Store) TokenDFClear(ctx context.Context, tx pgx.Tx) error {
	if err := s.q.TokenDFClear(ctx, tx); err != nil {
		return fmt.Errorf("clear word frequencies: %w", err)
	}
	return nil
}

// ClassifiedUnder reports whether any issue is classified under the given
// rules version. When none is, the run about to start classifies every
// issue again, so the word frequencies counted under the old version must
// be counted again from zero rather than added to.
func (s *Store) ClassifiedUnder(ctx context.Context, tx pgx.Tx, version string) (bool, error) {
	ok, err := s.q.ClassifiedUnder(ctx, tx, version)
	if err != nil {
		return false, fmt.Errorf("look for issues classified under %s: %w", version, err)
	}
	return ok, nil
}
