package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// classifiedRows counts the rows of classify's own tables per issue id.
func classifiedRows(t *testing.T, st *store.Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tbl := range []string{"issue_signatures", "issue_classification", "cluster_members"} {
		var n int
		if err := storetest.Pool(st).QueryRow(context.Background(), `SELECT count(*) FROM `+tbl).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tbl] = n
	}
	return out
}

// classifyFixture records signatures, classifications and memberships for
// every issue of the cluster fixture.
func classifyFixture(t *testing.T) (*store.Store, []int64) {
	t.Helper()
	ctx := context.Background()
	st, issues, clusters := clusterFixture(t)
	err := st.InTx(ctx, func(tx pgx.Tx) error {
		var marks []store.ClassificationRow
		var sigs []store.SignatureRow
		var members []store.MemberRow
		for i, id := range issues {
			marks = append(marks, store.ClassificationRow{IssueID: id, ContentHash: "h", RulesVersion: "r"})
			sigs = append(sigs, store.SignatureRow{IssueID: id, Rank: 0, Raw: "boom", Normalized: "boom", Fingerprint: "v1:a", Source: "body", Score: 1},
				store.SignatureRow{IssueID: id, Rank: 1, Raw: "bang", Normalized: "bang", Fingerprint: "v1:b", Source: "body", Score: 0.5})
			members = append(members, store.MemberRow{IssueID: id, ClusterID: clusters[i%2], Score: 1, Reason: "test"})
		}
		if err := st.SignatureReplaceMany(ctx, tx, marks, sigs, time.Now().UTC()); err != nil {
			return err
		}
		return st.MemberSetMany(ctx, tx, members, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, issues
}

// Migration 0016 dropped the issue foreign keys of classify's tables; the
// rows of a deleted or truncated issue still go with it.
func TestClassifiedRowsFollowTheirIssue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		sql  string
		want map[string]int
	}{
		{"delete two issues", `DELETE FROM issues WHERE number IN (1, 2)`,
			map[string]int{"issue_signatures": 8, "issue_classification": 4, "cluster_members": 4}},
		{"delete every issue", `DELETE FROM issues`,
			map[string]int{"issue_signatures": 0, "issue_classification": 0, "cluster_members": 0}},
		{"truncate issues", `TRUNCATE issues CASCADE`,
			map[string]int{"issue_signatures": 0, "issue_classification": 0, "cluster_members": 0}},
		{"delete nothing", `DELETE FROM issues WHERE number > 100`,
			map[string]int{"issue_signatures": 12, "issue_classification": 6, "cluster_members": 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, _ := classifyFixture(t)
			if got := classifiedRows(t, st); !reflect.DeepEqual(got, map[string]int{"issue_signatures": 12, "issue_classification": 6, "cluster_members": 6}) {
				t.Fatalf("before: %v", got)
			}
			if _, err := storetest.Pool(st).Exec(ctx, tc.sql); err != nil {
				t.Fatal(err)
			}
			if got := classifiedRows(t, st); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("after %s: %v, want %v", tc.sql, got, tc.want)
			}
			// no row of another issue was taken along
			var orphans int
			if err := storetest.Pool(st).QueryRow(ctx, `SELECT
				(SELECT count(*) FROM issue_signatures s WHERE NOT EXISTS (SELECT 1 FROM issues i WHERE i.id = s.issue_id)) +
				(SELECT count(*) FROM issue_classification c WHERE NOT EXISTS (SELECT 1 FROM issues i WHERE i.id = c.issue_id)) +
				(SELECT count(*) FROM cluster_members m WHERE NOT EXISTS (SELECT 1 FROM issues i WHERE i.id = m.issue_id))`).Scan(&orphans); err != nil {
				t.Fatal(err)
			}
			if orphans != 0 {
				t.Errorf("%d rows left without their issue", orphans)
			}
		})
	}
}

// A first classify (nothing classified) lists the same issues, in the same
// order, as a rebuild; once issues are classified, only the changed ones.
func TestClassifyPendingFirstRunIsAll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, issues, _ := clusterFixture(t)
	pending := func(all bool) []int64 {
		var ids []int64
		err := st.InTx(ctx, func(tx pgx.Tx) error {
			var err error
			ids, err = st.ClassifyPendingIDs(ctx, tx, store.ClassifyPendingParams{RulesVersion: "r", All: all})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	first, all := pending(false), pending(true)
	if len(first) != len(issues) || !reflect.DeepEqual(first, all) {
		t.Fatalf("first run lists %v, a rebuild %v", first, all)
	}
	err := st.InTx(ctx, func(tx pgx.Tx) error {
		var marks []store.ClassificationRow
		for _, id := range issues[:4] {
			marks = append(marks, store.ClassificationRow{IssueID: id, ContentHash: "h", RulesVersion: "r"})
		}
		return st.SignatureReplaceMany(ctx, tx, marks, nil, time.Now().UTC())
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := pending(false); !reflect.DeepEqual(got, issues[4:]) {
		t.Errorf("after classifying 4 issues: pending %v, want %v", got, issues[4:])
	}
}
