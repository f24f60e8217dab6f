package ingest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// Records written for these tests (not taken from any real issue).
const (
	issueA = `{"id": 1001, "node_id": "I_a", "number": 7, "title": "sync fails with ECONNRESET", "body": "stack:\n` + "```" + `\nError: read ECONNRESET\n` + "```" + `", "state": "open", "user": {"login": "ana"}, "labels": [{"name": "bug"}], "reactions": {"total_count": 3}, "comments": 1, "html_url": "https://github.com/acme/tool/issues/7", "repository_url": "https://api.github.com/repos/acme/tool", "created_at": "2026-01-02T03:04:05Z", "updated_at": "2026-01-03T00:00:00Z", "closed_at": null}`
	prB    = `{"id": 1002, "number": 8, "title": "fix retry", "state": "closed", "html_url": "https://github.com/acme/tool/pull/8", "repository_url": "https://api.github.com/repos/acme/tool", "pull_request": {"url": "x"}, "created_at": "2026-01-04T00:00:00Z", "updated_at": "2026-01-05T00:00:00Z", "closed_at": "2026-01-05T00:00:00Z"}`
	corpus = `{"repository": "Acme/Other", "number": 3, "html_url": "https://github.com/Acme/Other/issues/3", "title": "login: invalid_grant", "body": "nul here:\u0000 end", "state": "closed", "user": {"login": "bo"}, "labels": ["auth"], "created_at": "2026-02-01T00:00:00Z", "updated_at": "2026-02-03T00:00:00Z", "closed_at": "2026-02-03T00:00:00Z", "comments": [{"user": {"login": "cy"}, "created_at": "2026-02-02T00:00:00Z", "body": "same here"}, {"user": {"login": "bo"}, "created_at": "2026-02-03T00:00:00Z", "body": "fixed by re-login"}]}`
)

func TestImportFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                  string
		input                 string
		issues, prs, comments int
		bad                   int
		badSubstr             string
	}{
		{name: "one object per line", input: issueA + "\n" + prB + "\n" + corpus + "\n", issues: 2, prs: 1, comments: 2},
		{name: "one array", input: "[" + issueA + ",\n" + prB + "]", issues: 1, prs: 1},
		{name: "paginated arrays", input: "[" + issueA + "]\n[" + corpus + "]\n", issues: 2, comments: 2},
		{name: "pretty printed array", input: "[\n  " + strings.ReplaceAll(issueA, ", ", ",\n    ") + "\n]\n", issues: 1},
		{name: "bad field type", input: issueA + "\n" + `{"number": 9, "title": 5, "repository": "a/b", "created_at": "2026-01-01T00:00:00Z"}` + "\n", issues: 1, bad: 1, badSubstr: "x.json:2: a/b#9: field title"},
		{name: "missing field", input: `{"number": 9, "repository": "a/b", "title": "t"}` + "\n" + corpus + "\n", issues: 1, comments: 2, bad: 1, badSubstr: "x.json:1: a/b#9: field created_at: missing"},
		{name: "bad comment", input: `{"number": 9, "repository": "a/b", "title": "t", "created_at": "2026-01-01T00:00:00Z", "comments": [{"body": "x"}]}` + "\n", bad: 1, badSubstr: "field comments[0].created_at: missing"},
		{name: "not json", input: "hello\n" + issueA + "\n", issues: 1, bad: 1, badSubstr: "x.json:1: not a JSON object"},
		{name: "bad time", input: `{"number": 9, "repository": "a/b", "title": "t", "created_at": "yesterday"}` + "\n", bad: 1, badSubstr: "RFC 3339"},
		{name: "bad repository", input: `{"number": 9, "repository": "not a repo", "title": "t", "created_at": "2026-01-01T00:00:00Z"}` + "\n", bad: 1, badSubstr: "field repository: want owner/name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := storetest.New(t)
			sum, err := ingest.Import(context.Background(), s, strings.NewReader(tc.input), "x.json")
			if err != nil {
				t.Fatal(err)
			}
			if sum.Issues.Inserted != tc.issues || sum.PullRequests.Inserted != tc.prs || sum.Comments.Inserted != tc.comments {
				t.Errorf("inserted issues=%d prs=%d comments=%d, want %d %d %d", sum.Issues.Inserted, sum.PullRequests.Inserted, sum.Comments.Inserted, tc.issues, tc.prs, tc.comments)
			}
			if len(sum.Bad) != tc.bad {
				t.Fatalf("bad records = %v, want %d", sum.Bad, tc.bad)
			}
			if tc.bad > 0 && !strings.Contains(sum.Bad[0].Error(), tc.badSubstr) {
				t.Errorf("bad record error %q does not contain %q", sum.Bad[0].Error(), tc.badSubstr)
			}
			c, err := s.CountsGet(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if int(c.Issues) != tc.issues || int(c.PullRequests) != tc.prs || int(c.Comments) != tc.comments {
				t.Errorf("stored %+v, want issues=%d prs=%d comments=%d", c, tc.issues, tc.prs, tc.comments)
			}
		})
	}
}

func TestImportIsIdempotentAndKeepsNewest(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	in := issueA + "\n" + corpus + "\n"
	if _, err := ingest.Import(ctx, s, strings.NewReader(in), "a"); err != nil {
		t.Fatal(err)
	}
	sum, err := ingest.Import(ctx, s, strings.NewReader(in), "a")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Issues != (store.UpsertResult{Unchanged: 2}) || sum.Comments != (store.UpsertResult{Unchanged: 2}) {
		t.Fatalf("second import: issues %+v comments %+v, want all unchanged", sum.Issues, sum.Comments)
	}

	// A newer copy replaces the stored one; an older copy afterwards does not.
	newer := strings.Replace(strings.Replace(issueA, `"2026-01-03T00:00:00Z"`, `"2026-01-10T00:00:00Z"`, 1), "ECONNRESET", "ETIMEDOUT", 1)
	sum, err = ingest.Import(ctx, s, strings.NewReader(newer), "b")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Issues.Updated != 1 {
		t.Fatalf("newer copy: %+v, want 1 updated", sum.Issues)
	}
	sum, err = ingest.Import(ctx, s, strings.NewReader(issueA), "c")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Issues.Unchanged != 1 {
		t.Fatalf("older copy: %+v, want 1 unchanged", sum.Issues)
	}
	is, err := s.IssueGet(ctx, "acme/TOOL", 7)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(is.Title, "ETIMEDOUT") || !is.UpdatedAt.Equal(mustTime(t, "2026-01-10T00:00:00Z")) {
		t.Fatalf("stored issue %q updated %v; the older copy overwrote the newer", is.Title, is.UpdatedAt)
	}
	if is.ReactionsTotal != 3 || is.Author != "ana" || len(is.Labels) != 1 || is.Labels[0] != "bug" {
		t.Fatalf("fields not kept: %+v", is)
	}
}

func TestImportKeepsRecordsWithNUL(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	in := corpus + "\n" + `{"number": 4, "repository": "a/b", "title": "t\u0000x", "body": "bad utf8 ` + "\xff\xfe" + ` and lone \ud800 surrogate", "created_at": "2026-01-01T00:00:00Z"}` + "\n"
	sum, err := ingest.Import(ctx, s, strings.NewReader(in), "nul.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Bad) != 0 || sum.Issues.Inserted != 2 {
		t.Fatalf("summary %+v, want both records imported", sum)
	}
	is, err := s.IssueGet(ctx, "Acme/Other", 3)
	if err != nil {
		t.Fatal(err)
	}
	if is.Body != "nul here:\uFFFD end" {
		t.Fatalf("body %q: NUL not replaced", is.Body)
	}
	is, err = s.IssueGet(ctx, "a/b", 4)
	if err != nil {
		t.Fatal(err)
	}
	if is.Title != "t\uFFFDx" || !strings.Contains(is.Body, "\uFFFD") {
		t.Fatalf("issue %q / %q not sanitized", is.Title, is.Body)
	}
}

func TestImportNotFound(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	if _, err := s.IssueGet(context.Background(), "no/such", 1); err == nil || !strings.Contains(err.Error(), store.ErrNotFound.Error()) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}
