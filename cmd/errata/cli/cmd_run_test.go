package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/runner"
	"github.com/errata-tool/errata/store/storetest"
)

// runReport runs `errata run --json` and decodes the report.
func runReport(t *testing.T, vars map[string]string, args ...string) (int, runner.Report, string) {
	t.Helper()
	code, out, errOut := run(t, vars, "", append(args, "--json")...)
	var rep runner.Report
	if out != "" {
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("run --json output: %v\n%s\n%s", err, out, errOut)
		}
	}
	return code, rep, errOut
}

func stageStatus(rep runner.Report, stage string) string {
	var st []string
	for _, s := range rep.Stages {
		if s.Stage == stage {
			st = append(st, string(s.Status))
		}
	}
	return strings.Join(st, ",")
}

// sampleIssues is a GitHub REST issue list written for this test.
func sampleIssues(n int) string {
	var items []string
	for i := 1; i <= n; i++ {
		msg := "Error: connect ECONNREFUSED 127.0.0.1:5432 while starting the server"
		if i%2 == 0 {
			msg = "panic: runtime error: invalid memory address or nil pointer dereference"
		}
		items = append(items, fmt.Sprintf(`{"number": %d, "title": "startup fails (%d)", "body": "Steps: run it.\n\n%s\n", "state": "open",
			"html_url": "https://github.com/acme/widget/issues/%d", "user": {"login": "dev%d"},
			"created_at": "2026-10-%02dT10:00:00Z", "updated_at": "2026-10-%02dT12:00:00Z", "comments": 0}`, i, i, msg, i, i, i%27+1, i%27+1))
	}
	return "[" + strings.Join(items, ",\n") + "]"
}

// TestRunWithoutSources is `errata run` after `errata import`: sync is
// skipped with a note, classify and pages run; a second run finds nothing
// new and skips them; a missing output dir brings pages back.
func TestRunWithoutSources(t *testing.T) {
	t.Parallel()
	db := storetest.URL(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "issues.json")
	if err := os.WriteFile(file, []byte(sampleIssues(8)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, nil, "", "--database-url", db, "import", file); code != 0 {
		t.Fatalf("import: exit %d: %s %s", code, out, errOut)
	}
	site := filepath.Join(dir, "site")
	code, rep, errOut := runReport(t, nil, "--database-url", db, "run", "--out", site)
	if code != runner.ExitOK {
		t.Fatalf("first run: exit %d: %+v\n%s", code, rep, errOut)
	}
	if got := stageStatus(rep, "sync"); got != "skipped" {
		t.Errorf("sync %q, want skipped", got)
	}
	if !strings.Contains(rep.Stages[0].Detail, "no sources configured") {
		t.Errorf("sync note %q does not say why", rep.Stages[0].Detail)
	}
	for _, st := range []string{"classify", "pages", "trends"} {
		if got := stageStatus(rep, st); got != "ok" {
			t.Errorf("first run: %s %q, want ok", st, got)
		}
	}
	if _, err := os.Stat(filepath.Join(site, runner.TrendsFile)); err != nil {
		t.Errorf("no trends report: %v", err)
	}
	entries, _ := os.ReadDir(site)
	if len(entries) < 2 {
		t.Errorf("pages dir holds %d entries", len(entries))
	}

	// Nothing new: classify and pages are skipped.
	code, rep, errOut = runReport(t, nil, "--database-url", db, "run", "--out", site)
	if code != runner.ExitOK {
		t.Fatalf("second run: exit %d: %s", code, errOut)
	}
	for _, st := range []string{"classify", "pages", "trends"} {
		if got := stageStatus(rep, st); got != "skipped" {
			t.Errorf("second run: %s %q, want skipped", st, got)
		}
	}

	// An upgraded errata (or edited rules) classifies again although no
	// issue changed: the last classify is recorded under another version.
	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	var recorded string
	if err := conn.QueryRow(context.Background(), `SELECT detail->>'rules' FROM pipeline_state WHERE stage = 'classify'`).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if want := classify.DefaultRules().Version(); recorded != want || !strings.Contains(recorded, classify.AlgorithmVersion) {
		t.Errorf("the last classify is recorded under %q, want %q (errata's algorithm and rules)", recorded, want)
	}
	_, err = conn.Exec(context.Background(), `UPDATE pipeline_state SET detail = jsonb_set(detail, '{rules}', '"v0-older"') WHERE stage = 'classify'`)
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	code, rep, errOut = runReport(t, nil, "--database-url", db, "run", "--out", site)
	if code != runner.ExitOK || stageStatus(rep, "classify") != "ok" {
		t.Errorf("after an upgrade: exit %d, classify %q; want 0, ok\n%s", code, stageStatus(rep, "classify"), errOut)
	}
	code, rep, _ = runReport(t, nil, "--database-url", db, "run", "--out", site)
	if code != runner.ExitOK || stageStatus(rep, "classify") != "skipped" {
		t.Errorf("the run after the upgrade's: exit %d, classify %q; want 0, skipped", code, stageStatus(rep, "classify"))
	}

	// New data: classify and pages run again.
	more := strings.Replace(sampleIssues(9), `"updated_at": "2026-10-10T12:00:00Z"`, `"updated_at": "2026-11-01T12:00:00Z"`, 1)
	if err := os.WriteFile(file, []byte(more), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, nil, "", "--database-url", db, "import", file); code != 0 {
		t.Fatalf("import: exit %d: %s %s", code, out, errOut)
	}
	code, rep, _ = runReport(t, nil, "--database-url", db, "run", "--out", site)
	if code != runner.ExitOK || stageStatus(rep, "classify") != "ok" || stageStatus(rep, "pages") != "ok" {
		t.Errorf("after an import: exit %d, classify %q, pages %q; want 0, ok, ok", code, stageStatus(rep, "classify"), stageStatus(rep, "pages"))
	}

	// The pages dir is gone: pages are written again, classify is not.
	if err := os.RemoveAll(site); err != nil {
		t.Fatal(err)
	}
	code, rep, _ = runReport(t, nil, "--database-url", db, "run", "--out", site)
	if code != runner.ExitOK || stageStatus(rep, "classify") != "skipped" || stageStatus(rep, "pages") != "ok" {
		t.Errorf("after removing the site: exit %d, classify %q, pages %q; want 0, skipped, ok", code, stageStatus(rep, "classify"), stageStatus(rep, "pages"))
	}
}

// TestRunLocked: a second run while one holds the lock exits 75 at once.
func TestRunLocked(t *testing.T) {
	t.Parallel()
	db := storetest.URL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, runner.RunLockKey); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, out, errOut := run(t, nil, "", "--database-url", db, "run", "--out", t.TempDir())
	if code != runner.ExitLocked {
		t.Fatalf("exit %d, want %d: %s %s", code, runner.ExitLocked, out, errOut)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the locked run took %s to give up", d)
	}
	if !strings.Contains(errOut, "another errata run is in progress") || !strings.Contains(errOut, "held by") {
		t.Errorf("message does not say what holds the lock: %s", errOut)
	}
	if out != "" {
		t.Errorf("a locked run printed a report: %s", out)
	}
	// Released: the next run goes ahead.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, runner.RunLockKey); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, nil, "", "--database-url", db, "run", "--out", t.TempDir()); code != runner.ExitOK {
		t.Errorf("after unlock: exit %d: %s", code, errOut)
	}
}

// TestRunSyncExitCodes syncs two repositories from a fake GitHub, one of
// them gone: the run exits 3 (sync) but classify and pages still run on
// what was synced. A rerun of the good one costs only 304s and skips the
// later stages.
func TestRunSyncExitCodes(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	for i := 0; i < 6; i++ {
		fake.AddIssue("acme/good", githubfake.NewIssue{Title: "install fails: EACCES permission denied, mkdir '/usr/lib/node_modules'",
			Body: "npm ERR! code EACCES\nnpm ERR! syscall mkdir"})
		fake.Advance(time.Minute)
	}
	fake.SetRepoStatus("acme/gone", http.StatusNotFound)
	db := storetest.URL(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "errata.yaml")
	write := func(repos ...string) {
		y := "sources:\n  repositories:\n"
		for _, r := range repos {
			y += "    - repo: " + r + "\n"
		}
		y += "github:\n  api_url: " + fake.APIURL() + "\noutput:\n  dir: " + filepath.Join(dir, "site") + "\n"
		if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("acme/good", "acme/gone")
	vars := map[string]string{"GITHUB_TOKEN": "ghp_test_token_value"}
	prom := filepath.Join(dir, "errata.prom")
	code, rep, errOut := runReport(t, vars, "--database-url", db, "--config", cfg, "run", "--metrics-textfile", prom)
	if b, err := os.ReadFile(prom); err != nil {
		t.Errorf("no metrics textfile: %v", err)
	} else {
		for _, want := range []string{`errata_runs_total{exit_code="3"} 1`, `errata_syncs_total{result="failed",source="repo acme/gone"} 1`,
			`errata_issues_synced_total{kind="new",source="repo acme/good"} 6`, `errata_job_failures_total{job="sync"} 1`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("metrics textfile lacks %s", want)
			}
		}
	}
	if code != runner.ExitSync {
		t.Fatalf("exit %d, want %d (sync): %+v\n%s", code, runner.ExitSync, rep, errOut)
	}
	if got := stageStatus(rep, "sync"); got != "ok,failed" {
		t.Errorf("sync stages %q, want ok,failed", got)
	}
	if stageStatus(rep, "classify") != "ok" || stageStatus(rep, "pages") != "ok" {
		t.Errorf("classify %q, pages %q after a failed source; want ok, ok", stageStatus(rep, "classify"), stageStatus(rep, "pages"))
	}
	if !strings.Contains(errOut, "acme/gone") || strings.Contains(errOut+fmt.Sprint(rep), "ghp_test_token_value") {
		t.Errorf("stderr does not name the failed source, or shows the token: %s", errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "site", runner.TrendsFile)); err != nil {
		t.Errorf("output.dir of the config not used: %v", err)
	}

	write("acme/good")
	fake.ResetStats()
	code, rep, errOut = runReport(t, vars, "--database-url", db, "--config", cfg, "run")
	if code != runner.ExitOK {
		t.Fatalf("rerun: exit %d: %s", code, errOut)
	}
	st := fake.Stats()
	if st.Requests == 0 || st.NotModified != st.Requests {
		t.Errorf("rerun: %d requests, %d not modified; want all 304", st.Requests, st.NotModified)
	}
	if stageStatus(rep, "classify") != "skipped" || stageStatus(rep, "pages") != "skipped" {
		t.Errorf("rerun with nothing new: classify %q, pages %q; want skipped", stageStatus(rep, "classify"), stageStatus(rep, "pages"))
	}
}

// TestRunStageFailureExitCodes: a stage that fails sets its exit code.
func TestRunStageFailureExitCodes(t *testing.T) {
	t.Parallel()
	t.Run("Pages", func(t *testing.T) {
		t.Parallel()
		db := storetest.URL(t)
		dir := t.TempDir()
		file := filepath.Join(dir, "issues.json")
		if err := os.WriteFile(file, []byte(sampleIssues(4)), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, errOut := run(t, nil, "", "--database-url", db, "import", file); code != 0 {
			t.Fatal(errOut)
		}
		// The output "directory" is a file.
		code, rep, _ := runReport(t, nil, "--database-url", db, "run", "--out", file)
		if code != runner.ExitPages || stageStatus(rep, "classify") != "ok" || stageStatus(rep, "pages") != "failed" {
			t.Errorf("exit %d, classify %q, pages %q; want %d, ok, failed", code, stageStatus(rep, "classify"), stageStatus(rep, "pages"), runner.ExitPages)
		}
	})
	t.Run("Classify", func(t *testing.T) {
		t.Parallel()
		db := storetest.URL(t)
		dir := t.TempDir()
		file := filepath.Join(dir, "issues.json")
		if err := os.WriteFile(file, []byte(sampleIssues(4)), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, errOut := run(t, nil, "", "--database-url", db, "import", file); code != 0 {
			t.Fatal(errOut)
		}
		// A broken schema makes classify fail.
		conn, err := pgx.Connect(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		_, err = conn.Exec(context.Background(), `ALTER TABLE issue_signatures RENAME TO issue_signatures_gone`)
		conn.Close(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		code, rep, _ := runReport(t, nil, "--database-url", db, "run", "--out", filepath.Join(dir, "site"))
		if code != runner.ExitClassify || stageStatus(rep, "classify") != "failed" || stageStatus(rep, "pages") != "skipped" {
			t.Errorf("exit %d, classify %q, pages %q; want %d, failed, skipped", code, stageStatus(rep, "classify"), stageStatus(rep, "pages"), runner.ExitClassify)
		}
	})
}

// TestRunRepoFlag: `errata run --repo owner/name` runs the whole job with no
// config file, the README's first command; GITHUB_API_URL is honoured.
func TestRunRepoFlag(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	for i := 0; i < 3; i++ {
		fake.AddIssue("acme/cli", githubfake.NewIssue{Title: "login fails: invalid_grant", Body: "error: invalid_grant (token expired)"})
		fake.Advance(time.Minute)
	}
	db := storetest.URL(t)
	out := filepath.Join(t.TempDir(), "site")
	// The API URL comes from the environment, read through Env.Getenv.
	vars := map[string]string{"GITHUB_API_URL": fake.APIURL()}
	code, rep, errOut := runReport(t, vars, "--database-url", db, "run", "--repo", "acme/cli", "--out", out)
	if code != runner.ExitOK {
		t.Fatalf("exit %d: %+v\n%s", code, rep, errOut)
	}
	if stageStatus(rep, "sync") != "ok" || stageStatus(rep, "pages") != "ok" {
		t.Fatalf("stages: %+v", rep)
	}
	if _, err := os.Stat(filepath.Join(out, "_index.md")); err != nil {
		t.Fatalf("no pages written: %v", err)
	}
	if code, _, errOut := runReport(t, vars, "--database-url", db, "run", "--repo", "not-a-repo"); code != runner.ExitUsage {
		t.Fatalf("bad --repo: exit %d, want 2: %s", code, errOut)
	}
}
