package pages

import (
	"context"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// A large cluster's newest comment is looked for among the recent
// comments first, a small one's among all its members' comments: both
// ways must give the same evidence, with the daily counts that point at
// the recent comments and without them.
func TestEvidenceBigMatchesSmall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t)
	ids := loadFixture(t, s)
	var all []int64
	for _, id := range ids {
		all = append(all, id)
	}
	asOf, err := s.PageAsOf(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, refreshed := range []bool{false, true} {
		if refreshed {
			err := pgx.BeginFunc(ctx, storetest.Pool(s), func(tx pgx.Tx) error { return s.ClusterRefresh(ctx, tx, all) })
			if err != nil {
				t.Fatal(err)
			}
		}
		get := func(big, maxSources int) map[int64]*store.PageEvidence {
			t.Helper()
			evs, err := s.PageEvidenceGet(ctx, store.PageEvidenceParams{ClusterIDs: all, AsOf: asOf, MaxSources: maxSources,
				MaxVariants: maxVariants, MaxComments: evidenceComments, BodyBytes: evidenceBodyBytes, BigCluster: big})
			if err != nil {
				t.Fatal(err)
			}
			return evs
		}
		for _, maxSources := range []int{1, 2, 25} {
			small, big := get(1<<30, maxSources), get(1, maxSources)
			if len(small) != len(ids) {
				t.Fatalf("evidence of %d clusters, want %d", len(small), len(ids))
			}
			for id, e := range small {
				if !reflect.DeepEqual(e, big[id]) {
					t.Errorf("refreshed %v, %d sources, cluster %d:\nsmall %+v\nlarge %+v", refreshed, maxSources, id, e, big[id])
				}
			}
		}
	}
}
