package pages

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// The fixture: a few clusters written for these tests, inserted with the
// store's upserts (issues, comments) and plain SQL (classification), the
// way classify leaves them.

// Planted secrets: none of them may appear in any page.
var plantedSecrets = []string{
	"ghp_Zx81kQm2Vb7Ty4Lp0Wn3Rs6Hd9Jf5Ca1Ge8U",
	"sk-ant-api03-QwErTyUiOp1234567890AbCdEfGh",
	"AKIAQX7TESTKEY4PAGES",
	"hunter2-correct-horse",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwYWdlcyJ9.c2lnbmF0dXJlLXBhZ2Vz",
}

func day0(d int) time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, d) }

type fxIssue struct {
	repo     string
	number   int
	title    string
	body     string
	state    string
	reason   string
	created  int
	closed   int
	comments []fxComment
	sig      string // raw primary signature
	norm     string
	cluster  int // fixture cluster key
}

type fxComment struct {
	author, assoc, body string
	at                  int
}

type fxCluster struct {
	key                    int
	slug, title, sig, desc string
	topic, category        string
	tools                  []string
}

var fxClusters = []fxCluster{
	{1, "econnrefused-local-server", "connect ECONNREFUSED when the local server is not running", "connect ECONNREFUSED <ip>:<port>", "",
		"network", "connection", []string{"fastcli", "devserver"}},
	{2, "http-429-too-many-requests", "429 Too Many Requests from the completion API", "HTTP 429 Too Many Requests: rate limit reached for <model>", "The completion API refused the call because the account's request rate limit was reached.",
		"network", "rate limits", []string{"fastcli"}},
	{3, "oauth-invalid-grant-refresh", "OAuth invalid_grant when refreshing the session", "invalid_grant: refresh token expired", "",
		"auth", "authentication", nil},
	{4, "lonely-error", "An error seen once", "something odd happened <n>", "", "misc", "misc", nil},
}

var fxIssues = []fxIssue{
	{repo: "acme/fastcli", number: 12, title: "connect ECONNREFUSED 127.0.0.1:8787 on start",
		body:  "Running `fastcli serve` on macOS 14 with fastcli version 1.4.0 fails:\n\n```\nError: connect ECONNREFUSED 127.0.0.1:8787\n    at TCPConnectWrap.afterConnect\n```\n\nI think it is because the dev server was not started yet.",
		state: "closed", reason: "completed", created: 0, closed: 9, sig: "Error: connect ECONNREFUSED 127.0.0.1:8787", norm: "connect ECONNREFUSED <ip>:<port>", cluster: 1,
		comments: []fxComment{
			{"pat", "", "Same here on Windows 11 with Node 20.11, the port is free.", 1},
			{"maint", "OWNER", "The client starts before the dev server is listening, so the first connection is refused. This is fixed in v1.4.2, please upgrade.", 9},
		}},
	{repo: "acme/fastcli", number: 19, title: "ECONNREFUSED ::1:8787 after upgrading Node",
		body:  "After moving to Node 20 the CLI fails with `connect ECONNREFUSED ::1:8787`. Version: 1.4.1\n\nThe server binds 127.0.0.1 only. Workaround: set `HOST=127.0.0.1` in the .env file and it works for me.",
		state: "open", created: 20, sig: "connect ECONNREFUSED ::1:8787", norm: "connect ECONNREFUSED <ip>:<port>", cluster: 1,
		comments: []fxComment{
			{"kim", "CONTRIBUTOR", "Node 17 and later resolve localhost to ::1 first, which is why the IPv4-only server refuses it.", 21},
			{"lee", "NONE", "To avoid this, make sure the server listens on both 127.0.0.1 and ::1.", 22},
		}},
	{repo: "other/devserver", number: 3, title: "<script>alert(1)</script> | [click](javascript:alert(1)) `ECONNREFUSED`",
		body:  "Pasting my config (sorry):\n\nGITHUB_TOKEN=ghp_Zx81kQm2Vb7Ty4Lp0Wn3Rs6Hd9Jf5Ca1Ge8U\nANTHROPIC_API_KEY=sk-ant-api03-QwErTyUiOp1234567890AbCdEfGh\naws_access_key_id = AKIAQX7TESTKEY4PAGES\nDATABASE_URL=postgres://app:hunter2-correct-horse@db.internal:5432/app\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwYWdlcyJ9.c2lnbmF0dXJlLXBhZ2Vz\n\n<img src=x onerror=alert(1)> then connect ECONNREFUSED 10.0.0.5:3000 from https://api.devserver.test:3000/v1 {{< shortcode >}}",
		state: "closed", reason: "not_planned", created: 30, closed: 31, sig: "connect ECONNREFUSED 10.0.0.5:3000 ``` {{< x >}} token=ghp_Zx81kQm2Vb7Ty4Lp0Wn3Rs6Hd9Jf5Ca1Ge8U", norm: "connect ECONNREFUSED <ip>:<port>", cluster: 1,
		comments: []fxComment{
			{"maint2", "MEMBER", "Rotate the database password you pasted above. The refusal comes from the firewall on 10.0.0.5, which drops connections from outside the office network.", 31},
		}},
	{repo: "acme/fastcli", number: 40, title: "HTTP 429 Too Many Requests while running 8 agents",
		body:  "With 8 parallel agents fastcli stops with `HTTP 429 Too Many Requests: rate limit reached for big-model`. Linux, fastcli 1.5.0.",
		state: "closed", reason: "completed", created: 35, closed: 40, sig: "HTTP 429 Too Many Requests: rate limit reached for big-model", norm: "HTTP 429 Too Many Requests: rate limit reached for <model>", cluster: 2,
		comments: []fxComment{
			{"maint", "OWNER", "You can set `max_parallel: 2` in fastcli.yaml to stay under the limit.", 36},
			{"ana", "NONE", "Lowering the concurrency setting to 2 in the config fixed it for me, thanks.", 38},
		}},
	{repo: "acme/fastcli", number: 44, title: "rate limit reached (429) in CI",
		body:  "Our CI hits HTTP 429 Too Many Requests: rate limit reached for small-model on every run.",
		state: "open", created: 50, sig: "HTTP 429 Too Many Requests: rate limit reached for small-model", norm: "HTTP 429 Too Many Requests: rate limit reached for <model>", cluster: 2},
	{repo: "zed/authkit", number: 7, title: "invalid_grant: refresh token expired after a week",
		body:  "Sessions die after 7 days with `invalid_grant: refresh token expired`.",
		state: "open", created: 10, sig: "invalid_grant: refresh token expired", norm: "invalid_grant: refresh token expired", cluster: 3},
	{repo: "zed/authkit", number: 9, title: "Refresh fails with invalid_grant",
		body:  "Refreshing fails with invalid_grant: refresh token expired when the laptop clock is off.",
		state: "open", created: 12, sig: "invalid_grant: refresh token expired", norm: "invalid_grant: refresh token expired", cluster: 3},
	{repo: "zed/authkit", number: 11, title: "odd thing",
		body: "something odd happened 42", state: "open", created: 14, sig: "something odd happened 42", norm: "something odd happened <n>", cluster: 4},
}

// loadFixture inserts the fixture and returns the store cluster id of each
// fixture cluster key.
func loadFixture(t testing.TB, s *store.Store) map[int]int64 {
	t.Helper()
	ctx := context.Background()
	var issues []store.Issue
	var comments []store.Comment
	for _, fi := range fxIssues {
		is := store.Issue{Repository: fi.repo, Number: fi.number, Title: fi.title, Body: fi.body, State: fi.state,
			StateReason: fi.reason, Author: "reporter" + fmt.Sprint(fi.number), AuthorAssociation: "NONE",
			HTMLURL: fmt.Sprintf("https://github.com/%s/issues/%d", fi.repo, fi.number), CreatedAt: day0(fi.created),
			UpdatedAt: day0(fi.created + 1), CommentCount: len(fi.comments), Raw: json.RawMessage(`{}`)}
		if fi.state == "closed" {
			c := day0(fi.closed)
			is.ClosedAt = &c
			is.UpdatedAt = c
		}
		issues = append(issues, is)
		for i, c := range fi.comments {
			comments = append(comments, store.Comment{Repository: fi.repo, IssueNumber: fi.number, SourceKey: fmt.Sprintf("pos:%d", i),
				Author: c.author, AuthorAssociation: c.assoc, Body: c.body,
				HTMLURL:   fmt.Sprintf("https://github.com/%s/issues/%d#issuecomment-%d", fi.repo, fi.number, 1000+fi.number*10+i),
				CreatedAt: day0(c.at), UpdatedAt: day0(c.at), Raw: json.RawMessage(`{}`)})
		}
	}
	if _, err := s.IssueUpsertMany(ctx, nil, issues); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommentUpsertMany(ctx, nil, comments); err != nil {
		t.Fatal(err)
	}
	ids := map[int]int64{}
	for _, c := range fxClusters {
		var id int64
		err := storetest.Pool(s).QueryRow(ctx, `INSERT INTO clusters (slug, title, description, signature, fingerprint, topic, category, tools)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			c.slug, c.title, c.desc, c.sig, "v1:fx"+fmt.Sprint(c.key), c.topic, c.category, append([]string{}, c.tools...)).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		ids[c.key] = id
	}
	for _, fi := range fxIssues {
		_, err := storetest.Pool(s).Exec(ctx, `WITH i AS (SELECT i.id FROM issues i JOIN repositories r ON r.id = i.repository_id
				WHERE r.full_name = $1 AND i.number = $2)
			INSERT INTO cluster_members (issue_id, cluster_id, score, reason) SELECT id, $3, 1, 'exact fingerprint' FROM i;`,
			fi.repo, fi.number, ids[fi.cluster])
		if err != nil {
			t.Fatal(err)
		}
		_, err = storetest.Pool(s).Exec(ctx, `INSERT INTO issue_signatures (issue_id, rank, raw, normalized, fingerprint, source, score)
			SELECT i.id, 0, $3, $4, 'v1:x', 'body', 1 FROM issues i JOIN repositories r ON r.id = i.repository_id
			WHERE r.full_name = $1 AND i.number = $2`, fi.repo, fi.number, fi.sig, fi.norm)
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := storetest.Pool(s).Exec(ctx, `UPDATE clusters c SET size = (SELECT count(*) FROM cluster_members m WHERE m.cluster_id = c.id)`); err != nil {
		t.Fatal(err)
	}
	return ids
}
