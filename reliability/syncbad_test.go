package reliability_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/errata-tool/errata/store/storetest"
)

// rawGitHub is a GitHub that serves issue lists as the exact bytes given
// (go-github's encoder could not produce lone surrogates or invalid UTF-8)
// for one repository, with no comments.
func rawGitHub(t *testing.T, repo string, issues []string, comments ...string) *httptest.Server {
	t.Helper()
	list := "[" + strings.Join(issues, ",") + "]"
	clist := "[" + strings.Join(comments, ",") + "]"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", "4999")
		w.Header().Set("X-RateLimit-Reset", fmt.Sprint(time.Now().Add(time.Hour).Unix()))
		switch {
		case r.URL.Path == "/repos/"+repo+"/issues":
			fmt.Fprint(w, list)
		case r.URL.Path == "/repos/"+repo+"/issues/comments":
			fmt.Fprint(w, clist)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func rawIssue(repo string, n int, fields []string) string {
	base := []string{
		fmt.Sprintf(`"id":%d`, 500000+n), fmt.Sprintf(`"number":%d`, n), `"state":"open"`, `"user":{"login":"u"}`,
		fmt.Sprintf(`"html_url":"https://github.com/%s/issues/%d"`, repo, n),
		fmt.Sprintf(`"url":"https://api.github.com/repos/%s/issues/%d"`, repo, n),
		fmt.Sprintf(`"repository_url":"https://api.github.com/repos/%s"`, repo),
		`"created_at":"2024-01-01T00:00:00Z"`, fmt.Sprintf(`"updated_at":"2024-01-01T00:%02d:%02dZ"`, n/60%60, n%60), `"comments":0`,
	}
	return "{" + strings.Join(append(base, fields...), ",") + "}"
}

// TestSyncBadInput serves the bad-input records (every kind that import
// stores) through a GitHub API and checks that errata sync stores each
// byte for byte after the documented replacement.
func TestSyncBadInput(t *testing.T) {
	t.Parallel()
	const repo = "rel/raw"
	type exp struct {
		n           int
		c           badCase
		title, body string
	}
	var recs []string
	var want []exp
	n := 0
	for _, c := range badCases() {
		if c.raw != "" || c.rejectField != "" || c.rejectLine || c.wantComments != nil {
			continue
		}
		ok := true
		var fields []string
		hasTitle := false
		for _, f := range c.fields {
			switch {
			case strings.HasPrefix(f, `"title"`):
				hasTitle = true
				fields = append(fields, f)
			case strings.HasPrefix(f, `"body"`), strings.HasPrefix(f, `"labels"`):
				if f == `"labels":null` {
					continue
				}
				if strings.HasPrefix(f, `"labels"`) {
					// GitHub sends label objects.
					var objs []string
					for _, l := range c.wantLabels {
						objs = append(objs, `{"name":`+jsonStr(l)+`}`)
					}
					f = `"labels":[` + strings.Join(objs, ",") + `]`
				}
				fields = append(fields, f)
			case strings.HasPrefix(f, `"extra"`):
				fields = append(fields, f)
			default:
				if !strings.HasSuffix(f, ":null") {
					ok = false
				}
			}
		}
		if !ok {
			continue
		}
		if !hasTitle {
			fields = append(fields, `"title":"untitled"`)
		}
		n++
		recs = append(recs, rawIssue(repo, n, fields))
		want = append(want, exp{n, c, c.wantTitle, c.wantBody})
	}
	// Good neighbours.
	for i := 0; i < 20; i++ {
		n++
		recs = append(recs, rawIssue(repo, n, []string{fmt.Sprintf(`"title":"good %d"`, n), `"body":"error: fine"`}))
	}
	// Comments on issue 1 with the same kinds of text, as raw JSON.
	commentBodies := []struct{ raw, want string }{
		{`"a\u0000b"`, "a\uFFFDb"},
		{`"lone \ud800 and \udfff"`, "lone \uFFFD and \uFFFD"},
		{"\"bytes \xff\xfe\xc0\xaf\"", "bytes \uFFFD\uFFFD\uFFFD\uFFFD"},
		{jsonStr(fiveMB), fiveMB},
		{jsonStr(deepHTML), deepHTML},
		{`"\u202eRTL \u200b ZW 👩‍💻 <script>alert(1)</script> ---"`, "\u202eRTL \u200b ZW 👩‍💻 <script>alert(1)</script> ---"},
	}
	var comments []string
	for i, c := range commentBodies {
		comments = append(comments, fmt.Sprintf(`{"id":%d,"user":{"login":"u"},"body":%s,"html_url":"https://github.com/%s/issues/1#issuecomment-%d","issue_url":"https://api.github.com/repos/%s/issues/1","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T01:00:%02dZ"}`,
			800000+i, c.raw, repo, 800000+i, repo, i))
	}
	srv := rawGitHub(t, repo, recs, comments...)
	url := storetest.URL(t)
	ctx := context.Background()
	res := runApp(t, ctx, map[string]string{"GITHUB_API_URL": srv.URL + "/"}, "", "--database-url", url, "sync", "--repo", repo)
	if res.code != 0 || strings.Contains(res.all(), "panic") {
		t.Fatalf("sync of the bad-input records: exit %d: %s", res.code, truncate(res.all(), 2000))
	}
	db := connect(t, url)
	for _, w := range want {
		var title, body string
		var labels []string
		err := db.QueryRow(ctx, `SELECT i.title, i.body, i.labels FROM issues i JOIN repositories r ON r.id = i.repository_id
			WHERE r.full_name = $1 AND i.number = $2`, repo, w.n).Scan(&title, &body, &labels)
		if err != nil {
			t.Errorf("%s: not stored: %v", w.c.name, err)
			continue
		}
		if title != w.title {
			t.Errorf("%s: title = %s, want %s", w.c.name, short(title), short(w.title))
		}
		if body != w.body {
			t.Errorf("%s: body = %s, want %s", w.c.name, short(body), short(w.body))
		}
		if wl := w.c.wantLabels; wl != nil && !slices.Equal(labels, wl) {
			t.Errorf("%s: %d labels, want %d", w.c.name, len(labels), len(wl))
		}
	}
	var good int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM issues WHERE title LIKE 'good %'`).Scan(&good); err != nil {
		t.Fatal(err)
	}
	if good != 20 {
		t.Errorf("%d of 20 good issues stored", good)
	}
	for i, c := range commentBodies {
		var body string
		if err := db.QueryRow(ctx, `SELECT body FROM comments WHERE github_id = $1`, 800000+i).Scan(&body); err != nil {
			t.Errorf("comment %d not stored: %v", i, err)
			continue
		}
		if body != c.want {
			t.Errorf("comment %d: body = %s, want %s", i, short(body), short(c.want))
		}
	}
	recordFigure("sync.bad_input_cases", len(want)+len(commentBodies))
}

// TestSyncOneMalformedIssue: one issue of a page has a field of the wrong
// type (as a buggy proxy or a future API change could send). The other
// issues of the page must still be stored, and the message must name the
// issue and the field, so that the source is not stuck on that page
// forever.
func TestSyncOneMalformedIssue(t *testing.T) {
	t.Parallel()
	const repo = "rel/malformed"
	var recs []string
	for i := 1; i <= 10; i++ {
		recs = append(recs, rawIssue(repo, i, []string{fmt.Sprintf(`"title":"good %d"`, i)}))
	}
	recs = append(recs, rawIssue(repo, 11, []string{`"title":12345`}))
	srv := rawGitHub(t, repo, recs)
	url := storetest.URL(t)
	ctx := context.Background()
	res := runApp(t, ctx, map[string]string{"GITHUB_API_URL": srv.URL + "/"}, "", "--database-url", url, "sync", "--repo", repo)
	if strings.Contains(res.all(), "panic") {
		t.Fatalf("panic: %s", res.all())
	}
	db := connect(t, url)
	var good int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM issues WHERE title LIKE 'good %'`).Scan(&good); err != nil {
		t.Fatal(err)
	}
	if good != 10 {
		t.Errorf("BUG: %d of the 10 good issues on the page were stored; one malformed issue loses its whole page (and every later run stops there): exit %d: %s",
			good, res.code, truncate(res.stderr, 500))
	}
	if !strings.Contains(res.all(), "#11") && !strings.Contains(res.all(), "issue 11") {
		t.Errorf("BUG: the message does not name the malformed issue (#11): %s", truncate(res.all(), 500))
	}
	if !strings.Contains(res.all(), "title") {
		t.Errorf("the message does not name the field: %s", truncate(res.all(), 500))
	}
}
