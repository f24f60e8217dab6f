package trends_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// fixture builds clusters and issues with SQL in a fresh test database and
// lets classify's store code (ClusterRefresh) compute cluster_daily_counts
// from the members, as a classify run would.
type fixture struct {
	t        *testing.T
	ctx      context.Context
	s        *store.Store
	repos    map[string]int64
	clusters []int64
	number   int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return &fixture{t: t, ctx: context.Background(), s: storetest.New(t), repos: map[string]int64{}}
}

func (f *fixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := storetest.Pool(f.s).Exec(f.ctx, sql, args...); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

func (f *fixture) repo(name string) int64 {
	f.t.Helper()
	if id, ok := f.repos[name]; ok {
		return id
	}
	var id int64
	if err := storetest.Pool(f.s).QueryRow(f.ctx, `INSERT INTO repositories (full_name) VALUES ($1) RETURNING id`, name).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	f.repos[name] = id
	return id
}

// cluster adds an active cluster.
func (f *fixture) cluster(slug, topic, category string, tools ...string) int64 {
	f.t.Helper()
	if tools == nil {
		tools = []string{}
	}
	var id int64
	err := storetest.Pool(f.s).QueryRow(f.ctx, `INSERT INTO clusters (slug, title, signature, fingerprint, topic, category, tools)
		VALUES ($1, $2, $3, $4, NULLIF($5, ''), NULLIF($6, ''), $7) RETURNING id`,
		slug, "Title of "+slug, "sig "+slug, "v1:"+slug, topic, category, tools).Scan(&id)
	if err != nil {
		f.t.Fatal(err)
	}
	f.clusters = append(f.clusters, id)
	return id
}

type issueOpt func(*issueRow)

type issueRow struct {
	repo        string
	closedAt    *time.Time
	stateReason *string
	comments    []time.Time
	reactions   int
}

func inRepo(r string) issueOpt { return func(i *issueRow) { i.repo = r } }

func closed(at, reason string) issueOpt {
	return func(i *issueRow) {
		t := ts(at)
		i.closedAt = &t
		if reason != "" {
			i.stateReason = &reason
		}
	}
}

func withComments(at ...string) issueOpt {
	return func(i *issueRow) {
		for _, a := range at {
			i.comments = append(i.comments, ts(a))
		}
	}
}

func withReactions(n int) issueOpt { return func(i *issueRow) { i.reactions = n } }

// ts parses RFC 3339, or a day (taken as noon UTC).
func ts(s string) time.Time {
	if len(s) == 10 {
		s += "T12:00:00Z"
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// issue adds an issue created at created (RFC 3339 or a day) as a member
// of cluster.
func (f *fixture) issue(cluster int64, created string, opts ...issueOpt) int64 {
	f.t.Helper()
	row := issueRow{repo: "acme/app"}
	for _, o := range opts {
		o(&row)
	}
	f.number++
	state := "open"
	if row.closedAt != nil {
		state = "closed"
	}
	c := ts(created)
	var id int64
	err := storetest.Pool(f.s).QueryRow(f.ctx, `INSERT INTO issues (repository_id, number, state, state_reason, title, html_url,
		created_at, updated_at, closed_at, raw, reactions_total)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, '{}', $9) RETURNING id`,
		f.repo(row.repo), f.number, state, row.stateReason, fmt.Sprintf("issue %d", f.number),
		fmt.Sprintf("https://github.com/%s/issues/%d", row.repo, f.number), c, row.closedAt, row.reactions).Scan(&id)
	if err != nil {
		f.t.Fatal(err)
	}
	for i, at := range row.comments {
		f.exec(`INSERT INTO comments (issue_id, source_key, created_at, updated_at, raw) VALUES ($1, $2, $3, $3, '{}')`, id, fmt.Sprintf("pos:%d", i), at)
	}
	f.exec(`INSERT INTO cluster_members (issue_id, cluster_id, score, reason) VALUES ($1, $2, 1, 'test')`, id, cluster)
	return id
}

// refresh recomputes the daily counts of every cluster, as classify does.
func (f *fixture) refresh() {
	f.t.Helper()
	err := pgx.BeginFunc(f.ctx, storetest.Pool(f.s), func(tx pgx.Tx) error {
		return f.s.ClusterRefresh(f.ctx, tx, f.clusters)
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// merge records that old merged into into, the way classify does.
func (f *fixture) merge(old, into int64, moveMembers bool) {
	f.t.Helper()
	err := pgx.BeginFunc(f.ctx, storetest.Pool(f.s), func(tx pgx.Tx) error {
		if moveMembers {
			if _, err := tx.Exec(f.ctx, `UPDATE cluster_members SET cluster_id = $2 WHERE cluster_id = $1`, old, into); err != nil {
				return err
			}
		}
		if err := f.s.ClusterRedirectAddMany(f.ctx, tx, []store.ClusterRedirect{{OldID: old, NewID: into, Kind: "merge"}}); err != nil {
			return err
		}
		return f.s.ClusterRefresh(f.ctx, tx, []int64{old, into})
	})
	if err != nil {
		f.t.Fatal(err)
	}
}
