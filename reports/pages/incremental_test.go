package pages

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/errata-tool/errata/store/storetest"
)

// TestIncrementalMatchesFull changes the store in each way that can change
// a page, renders the same directory incrementally after each change and
// compares it with a full render of the same store into a fresh
// directory: the bytes must be the same, and a change that touches one
// cluster must not render every page.
func TestIncrementalMatchesFull(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{Hugo, Plain} {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := storetest.New(t)
			ids := loadFixture(t, s)
			pool := storetest.Pool(s)
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := pool.Exec(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			issue := func(repo string, number int) int64 {
				t.Helper()
				var id int64
				if err := pool.QueryRow(ctx, `SELECT i.id FROM issues i JOIN repositories r ON r.id = i.repository_id
					WHERE r.full_name = $1 AND i.number = $2`, repo, number).Scan(&id); err != nil {
					t.Fatal(err)
				}
				return id
			}
			// A new issue, member of cluster key c, created at the newest
			// evidence plus offset.
			newMember := func(number int, c int, offset string) {
				t.Helper()
				exec(`WITH asof AS (SELECT greatest((SELECT max(created_at) FROM issues), (SELECT max(created_at) FROM comments)) AS t),
					i AS (INSERT INTO issues (repository_id, number, state, title, body, html_url, created_at, updated_at, raw)
						SELECT r.id, $1::int, 'open', 'connect ECONNREFUSED again', 'It fails with connect ECONNREFUSED 127.0.0.1:8787 today.',
							'https://github.com/acme/fastcli/issues/' || $1::int, asof.t + $3::interval, asof.t + $3::interval, '{}'
						FROM repositories r, asof WHERE r.full_name = 'acme/fastcli' RETURNING id),
					m AS (INSERT INTO cluster_members (issue_id, cluster_id, score, reason) SELECT id, $2, 1, 'exact fingerprint' FROM i)
					INSERT INTO issue_signatures (issue_id, rank, raw, normalized, fingerprint, source, score)
					SELECT id, 0, 'connect ECONNREFUSED 127.0.0.1:8787', 'connect ECONNREFUSED <ip>:<port>', 'v1:x', 'body', 1 FROM i`,
					number, ids[c], offset)
			}
			// Six more pages of cluster 1's topic, two reports each, so the
			// topic's related lists are full.
			for k := 11; k <= 16; k++ {
				var id int64
				if err := pool.QueryRow(ctx, `INSERT INTO clusters (slug, title, description, signature, fingerprint, topic, category, tools)
					VALUES ('extra-' || $1::int, 'connect ECONNREFUSED on port ' || $1::int, '', 'connect ECONNREFUSED <ip>:<port>',
						'v1:extra' || $1::int, 'network', 'connection', '{}') RETURNING id`, k).Scan(&id); err != nil {
					t.Fatal(err)
				}
				ids[k] = id
				newMember(800+2*k, k, "-5 days")
				newMember(801+2*k, k, "-5 days")
			}
			inc := t.TempDir()
			first, err := Generate(ctx, s, Options{Out: inc, Format: f})
			if err != nil {
				t.Fatal(err)
			}
			if !first.Full || first.Rendered != first.Pages {
				t.Fatalf("first render: full %v, rendered %d of %d; want everything", first.Full, first.Rendered, first.Pages)
			}
			steps := []struct {
				name     string
				change   func()
				full     bool // the change needs a full render
				rendered int  // pages rendered, -1: any
			}{
				{"nothing", func() {}, false, 0},
				{"new comment", func() {
					exec(`INSERT INTO comments (issue_id, source_key, author, author_association, body, html_url, created_at, updated_at, raw)
						VALUES ($1, 'pos:9', 'someone', 'NONE', 'Same here: restarting the daemon fixed it for me.', 'https://github.com/zed/authkit/issues/7#c9',
						timestamptz '2026-03-12 09:00Z', timestamptz '2026-03-12 09:00Z', '{}')`, issue("zed/authkit", 7))
				}, false, 1},
				{"state change", func() {
					exec(`UPDATE issues SET state = 'closed', state_reason = 'completed', closed_at = timestamptz '2026-04-20 09:00Z' WHERE id = $1`, issue("acme/fastcli", 44))
				}, false, 1},
				// Its cluster's page only: the related lists of the other
				// pages of its topic show its size band (3 and 4 are both
				// "2+"), not its count.
				{"new member later the same day", func() { newMember(900, 1, "1 minute") }, false, 1},
				// New reports in six of the nine pages, none crossing a
				// band: those six render, not the three pages that list
				// them as related (cluster 1, extra-15, extra-16).
				{"new reports in many clusters", func() {
					for n, c := range []int{2, 3, 11, 12, 13, 14} {
						newMember(910+n, c, "2 minutes")
					}
				}, false, 6},
				// Cluster 2 grows from 3 to 5 reports, into the "5+" band:
				// its page and every page of its topic that lists it.
				{"related page crosses a size band", func() {
					newMember(920, 2, "3 minutes")
					newMember(921, 2, "3 minutes")
				}, false, 8},
				{"new member on a new day", func() { newMember(901, 1, "2 days") }, true, -1},
				{"cluster relabelled", func() {
					exec(`UPDATE clusters SET title = 'Refresh token expired (invalid_grant)' WHERE id = $1`, ids[3])
				}, false, 1},
				{"merge and redirect", func() {
					exec(`UPDATE cluster_members SET cluster_id = $2 WHERE cluster_id = $1`, ids[3], ids[1])
					exec(`UPDATE clusters SET status = 'merged', merged_into = $2 WHERE id = $1`, ids[3], ids[1])
					exec(`INSERT INTO cluster_redirects (old_id, new_id, kind) VALUES ($1, $2, 'merge')`, ids[3], ids[1])
				}, false, -1},
				{"removal", func() { exec(`DELETE FROM issues WHERE id = $1`, issue("acme/fastcli", 40)) }, false, -1},
				{"repository renamed", func() {
					exec(`UPDATE repositories SET full_name = 'acme/fastcli-next' WHERE full_name = 'acme/fastcli'`)
				}, true, -1},
			}
			for _, st := range steps {
				st.change()
				res, err := Generate(ctx, s, Options{Out: inc, Format: f})
				if err != nil {
					t.Fatalf("%s: incremental: %v", st.name, err)
				}
				full := t.TempDir()
				fres, err := Generate(ctx, s, Options{Out: full, Format: f, Full: true})
				if err != nil {
					t.Fatalf("%s: full: %v", st.name, err)
				}
				if res.Full != st.full {
					t.Errorf("%s: full render %v (%s), want %v", st.name, res.Full, res.FullReason, st.full)
				}
				if st.rendered >= 0 && res.Rendered != st.rendered {
					t.Errorf("%s: rendered %d pages, want %d", st.name, res.Rendered, st.rendered)
				}
				if res.Pages != fres.Pages {
					t.Errorf("%s: %d pages incrementally, %d in full", st.name, res.Pages, fres.Pages)
				}
				compareWithFull(ctx, t, pool, st.name, inc, full)
			}
		})
	}
}

// compareWithFull checks, after step, that live slugs keep their members
// and that the incremental tree inc equals the full render full.
func compareWithFull(ctx context.Context, t *testing.T, pool *pgxpool.Pool, step, inc, full string) {
	t.Helper()
	// Live slugs keep their members (tombstones are planned from
	// them), though a run reads them only for gone clusters.
	var stale []string
	rows, err := pool.Query(ctx, `SELECT p.slug FROM page_slugs p WHERE p.state = 'live' AND p.members IS DISTINCT FROM
		coalesce((SELECT array_agg(m.issue_id ORDER BY m.issue_id) FROM cluster_members m WHERE m.cluster_id = p.cluster_id), '{}')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var slug string
		if err := rows.Scan(&slug); err != nil {
			t.Fatal(err)
		}
		stale = append(stale, slug)
	}
	if rows.Close(); rows.Err() != nil || len(stale) > 0 {
		t.Errorf("%s: live slugs with stale members: %v (%v)", step, stale, rows.Err())
	}
	got, want := readTree(t, inc), readTree(t, full)
	for name, body := range want {
		if got[name] != body {
			t.Errorf("%s: %s differs from a full render:\n--- incremental\n%s\n--- full\n%s", step, name, got[name], body)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: %s is not in a full render", step, name)
		}
	}
}

// TestSettingsFingerprintSeesTheExecutable: a development build (a test
// binary is one) adds its executable's hash to the settings fingerprint,
// so a rebuild from edited sources renders every page again.
func TestSettingsFingerprintSeesTheExecutable(t *testing.T) {
	t.Parallel()
	h := executableHash()
	if len(h) != 24 {
		t.Fatalf("executableHash() = %q, want 24 hex digits", h)
	}
	a, b := settingsFingerprint(Options{Format: "hugo"}), settingsFingerprint(Options{Format: "hugo"})
	if a != b {
		t.Fatalf("settingsFingerprint differs between two calls: %s, %s", a, b)
	}
	if a == settingsFingerprint(Options{Format: "plain"}) {
		t.Fatal("settingsFingerprint ignores the format")
	}
}
