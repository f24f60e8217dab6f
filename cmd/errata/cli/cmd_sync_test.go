package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/errata-tool/errata/cmd/errata/cli"
	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/runner"
	"github.com/errata-tool/errata/store/storetest"
)

func seedFake(fake *githubfake.Server, repo string, n int) {
	for i := 0; i < n; i++ {
		is := fake.AddIssue(repo, githubfake.NewIssue{Title: fmt.Sprintf("timeout talking to the registry %d", i), IsPR: i%4 == 3})
		for j := 0; j < i%3; j++ {
			fake.Advance(time.Second)
			fake.AddComment(repo, is.Number, "", "seen it too", time.Time{})
		}
		fake.Advance(time.Minute)
	}
}

// withPassword puts a password into a database URL (the test server
// trusts local connections, so it is not checked) to prove it is hidden.
func withPassword(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "hunter2")
	return u.String()
}

func TestSyncCommand(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{Prefix: "/api/v3"})
	defer fake.Close()
	seedFake(fake, "acme/tool", 150)
	db := withPassword(t, storetest.URL(t))
	vars := map[string]string{"GITHUB_TOKEN": "ghp_secret_value_123"}
	args := []string{"--database-url", db, "sync", "--github-api-url", fake.URL + "/api/v3", "--repo", "acme/tool", "--progress", "log"}

	code, out, errOut := run(t, vars, "", args...)
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	// 150 items, every fourth a pull request: 113 issues (numbers 1..150
	// without 4, 8, ...), comments only on kept issues.
	if !strings.Contains(out, "acme/tool: ok:") || !strings.Contains(out, "issues 113 new") || !strings.Contains(out, "37 pull requests skipped") {
		t.Errorf("summary: %s", out)
	}
	if strings.Contains(errOut, "unauthenticated") {
		t.Errorf("warned about missing token although GITHUB_TOKEN is set: %s", errOut)
	}

	// Again: nothing changed, two 304s (with a progress bar this time).
	args[len(args)-1] = "bar"
	code, out, errOut = run(t, vars, "", args...)
	if code != cli.ExitOK || !strings.Contains(out, "2 requests (2 not modified)") {
		t.Fatalf("second run: exit %d: %s %s", code, out, errOut)
	}

	// A search query is kept whole, commas included.
	code, out, errOut = run(t, vars, "", "--database-url", db, "sync", "--github-api-url", fake.URL+"/api/v3",
		"--search", "timeout, registry repo:acme/tool", "--progress", "log")
	if code != cli.ExitOK || !strings.Contains(out, `search "timeout, registry repo:acme/tool": ok`) || strings.Count(out, "\n") != 1 {
		t.Fatalf("search run: exit %d: %s %s", code, out, errOut)
	}

	// status: sources, cursors, last run, counts; password and token hidden.
	code, out, errOut = run(t, vars, "", "--database-url", db, "status")
	if code != cli.ExitOK {
		t.Fatalf("status: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"acme/tool", "ok ", "2 (2 304)", "113", "xxxxx", "set (from GITHUB_TOKEN)", "113 issues"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"hunter2", "ghp_secret_value_123"} {
		if strings.Contains(out+errOut, secret) {
			t.Errorf("status leaks %q", secret)
		}
	}
	code, out, _ = run(t, vars, "", "--database-url", db, "status", "--json")
	var rep struct {
		Sources []struct {
			Key   string `json:"key"`
			State struct {
				IssuesCursor       time.Time `json:"issues_cursor"`
				IssuesBackfillDone bool      `json:"issues_backfill_done"`
			} `json:"state"`
			Counts struct{ Issues, Comments int64 } `json:"counts"`
		} `json:"sources"`
	}
	if code != cli.ExitOK || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Sources) != 2 {
		t.Fatalf("status --json: exit %d: %s", code, out)
	}
	s := rep.Sources[0]
	if s.Key != "acme/tool" || !s.State.IssuesBackfillDone || s.State.IssuesCursor.IsZero() || s.Counts.Issues != 113 {
		t.Errorf("status --json source %+v", s)
	}
}

func TestSyncCommandUnauthenticatedAndConfig(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{Prefix: "/gh"})
	defer fake.Close()
	seedFake(fake, "o/one", 20)
	seedFake(fake, "o/two", 10)
	fake.SetRepoStatus("o/gone", 404)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "errata.yaml")
	cfg := `sources:
  repositories:
    - repo: o/one
      include_pull_requests: true
    - repo: o/gone
  searches:
    - query: registry, repo:o/two
`
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	db := storetest.URL(t)
	vars := map[string]string{"GITHUB_API_URL": fake.URL + "/gh/"}
	code, out, errOut := run(t, vars, "", "--database-url", db, "--config", cfgPath, "sync", "--json", "--progress", "log")
	if code != cli.ExitFailure {
		t.Fatalf("exit %d, want 1 for the gone repository: %s %s", code, out, errOut)
	}
	if n := strings.Count(errOut, "unauthenticated"); n != 1 {
		t.Errorf("unauthenticated warning printed %d times: %s", n, errOut)
	}
	var sums []struct {
		Source       string `json:"source"`
		Status       string `json:"status"`
		IssuesNew    int    `json:"issues_new"`
		PullRequests int    `json:"pull_requests_stored"`
		Message      string `json:"message"`
	}
	if err := json.Unmarshal([]byte(out), &sums); err != nil || len(sums) != 3 {
		t.Fatalf("summary %s: %v", out, err)
	}
	if sums[0].Status != "ok" || sums[0].IssuesNew != 20 || sums[0].PullRequests != 5 {
		t.Errorf("o/one: %+v", sums[0])
	}
	if sums[1].Status != "failed" || !strings.Contains(sums[1].Message, "not found") {
		t.Errorf("o/gone: %+v", sums[1])
	}
	if sums[2].Status != "ok" || sums[2].IssuesNew != 8 {
		t.Errorf("search: %+v", sums[2])
	}
	if !strings.Contains(errOut, "o/gone") {
		t.Errorf("gone repository not reported: %s", errOut)
	}
}

func TestSyncCommandUsage(t *testing.T) {
	t.Parallel()
	db := "postgres://x@127.0.0.1:1/x"
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"sync"}, "no sources"},
		{[]string{"sync", "--repo", "just-a-name"}, "owner/name"},
		{[]string{"sync", "--repo", "o/r", "--since", "last tuesday"}, "--since"},
		{[]string{"sync", "--repo", "o/r", "--github-api-url", "ftp://x"}, "--github-api-url"},
		{[]string{"sync", "--repo", "o/r", "--progress", "fancy"}, "--progress"},
	}
	for _, tc := range cases {
		code, _, errOut := run(t, map[string]string{"HOME": t.TempDir()}, "", append([]string{"--database-url", db}, tc.args...)...)
		if code != cli.ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// runLogged is run with stderr in errb, which a test can watch while the
// command runs (errb.waitFor) to act on what it logs.
func runLogged(vars map[string]string, errb *lockedBuffer, args ...string) (int, string) {
	var out lockedBuffer
	env := &cli.Env{
		Stdout: &out, Stderr: errb, Stdin: strings.NewReader(""),
		Getenv: func(k string) string { return vars[k] },
	}
	code := cli.Run(context.Background(), env, append([]string{"errata"}, args...))
	return code, out.String()
}

// TestSyncCommandSIGINT sends the process a SIGINT while a sync runs: the
// command stops after the current page, says so, exits 1 with progress
// saved, and the next run completes the data. Not parallel: the signal goes
// to the whole test process, and parallel tests only start after the
// sequential ones.
func TestSyncCommandSIGINT(t *testing.T) {
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedFake(fake, "o/big", 600)
	var n atomic.Int64
	var errb lockedBuffer
	fake.OnRequest(func(*http.Request) {
		if n.Add(1) == 2 {
			_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
			// Hold the page until the command has taken the signal (it
			// says so), so the stop comes while this page is in hand.
			errb.waitFor("stopping after the current page", 30*time.Second)
		}
	})
	db := storetest.URL(t)
	vars := map[string]string{"GITHUB_TOKEN": "x"}
	args := []string{"--database-url", db, "sync", "--github-api-url", fake.URL, "--repo", "o/big", "--progress", "log"}
	code, out := runLogged(vars, &errb, args...)
	errOut := errb.String()
	if code != runner.ExitStopped || !strings.Contains(out, "o/big: interrupted") || !strings.Contains(errOut, "stopping after the current page") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	fake.OnRequest(nil)
	code, out, errOut = run(t, vars, "", args...)
	if code != cli.ExitOK {
		t.Fatalf("rerun: exit %d: %s %s", code, out, errOut)
	}
	code, out, _ = run(t, vars, "", "--database-url", db, "status", "--json")
	var rep struct {
		Totals struct{ Issues, Comments int64 } `json:"totals"`
	}
	if code != cli.ExitOK || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("status: %d %s", code, out)
	}
	issues, _, comments := fake.Counts("o/big")
	// Comments of pull requests are not stored (every fourth item is one).
	wantComments := 0
	for _, c := range fake.Comments("o/big") {
		if c.Issue%4 != 0 {
			wantComments++
		}
	}
	if rep.Totals.Issues != int64(issues) || rep.Totals.Comments != int64(wantComments) || comments == 0 {
		t.Errorf("after rerun: %d issues %d comments; want %d and %d", rep.Totals.Issues, rep.Totals.Comments, issues, wantComments)
	}
}

// TestSyncWaitsLoggedRounded: a wait is logged as a rounded duration
// ("wait=7ms"), not as a float of seconds with binary noise.
func TestSyncWaitsLoggedRounded(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedFake(fake, "o/w", 5)
	fake.Inject(githubfake.Fault{Status: 403, Secondary: true, Count: 1})
	db := storetest.URL(t)
	code, _, errOut := run(t, map[string]string{"GITHUB_TOKEN": "x"}, "", "--database-url", db, "sync", "--github-api-url", fake.URL,
		"--repo", "o/w", "--progress", "log", "--secondary-backoff", "7ms")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !regexp.MustCompile(`msg=waiting .*wait=\d+ms `).MatchString(errOut) || strings.Contains(errOut, "seconds=") {
		t.Errorf("wait not logged as a rounded duration:\n%s", errOut)
	}
}
