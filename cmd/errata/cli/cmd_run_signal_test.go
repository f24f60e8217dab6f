package cli_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/runner"
	"github.com/errata-tool/errata/store/storetest"
)

// TestRunCommandSignals sends the process SIGTERM once, then twice, while
// `errata run` syncs: once, the run stops after the page in hand, skips
// the later stages, says "stopped" and exits ExitStopped; twice, it aborts
// and says so with ExitAborted, not as a failed stage. A last run picks up
// and exits 0. Not parallel: the signal goes to the whole test process.
func TestRunCommandSignals(t *testing.T) {
	// A signal landing after the command returned must not end the test
	// binary: keep SIGTERM caught for the whole test.
	absorb := make(chan os.Signal, 4)
	signal.Notify(absorb, syscall.SIGTERM)
	defer signal.Stop(absorb)
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedFake(fake, "o/big", 600)
	db := storetest.URL(t)
	vars := map[string]string{"GITHUB_TOKEN": "x", "GITHUB_API_URL": fake.APIURL()}
	args := []string{"--database-url", db, "run", "--repo", "o/big", "--out", filepath.Join(t.TempDir(), "site")}
	// What the command logs on taking its first and second signal.
	landed := []string{"stopping after the work in hand", "aborting now"}
	for _, tc := range []struct {
		signals   int
		code      int
		status    string
		saysInLog string
	}{
		{1, runner.ExitStopped, "stopped", "stopping after the work in hand"},
		{2, runner.ExitAborted, "aborted", "aborting now"},
	} {
		// The signals arrive while the sync's first request (its probe,
		// which it waits for) is held back, so the run is still in the
		// sync when each one lands. Each is sent once the command has
		// logged taking the one before, so two are never merged into one.
		var n atomic.Int64
		var errb lockedBuffer
		fake.OnRequest(func(*http.Request) {
			if n.Add(1) == 1 {
				for i := 0; i < tc.signals; i++ {
					_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
					errb.waitFor(landed[i], 30*time.Second)
				}
			}
		})
		code, out := runLogged(vars, &errb, append(args, "--json")...)
		errOut := errb.String()
		fake.OnRequest(nil)
		var rep runner.Report
		if out != "" {
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("run --json output: %v\n%s\n%s", err, out, errOut)
			}
		}
		if code != tc.code || stageStatus(rep, "sync") != tc.status || !strings.Contains(errOut, tc.saysInLog) {
			t.Fatalf("%d signal(s): exit %d, sync %q; want %d and %q\nstderr: %s", tc.signals, code, stageStatus(rep, "sync"), tc.code, tc.status, errOut)
		}
		for _, st := range []string{"classify", "pages", "trends"} {
			if got := stageStatus(rep, st); got != "skipped" {
				t.Errorf("%d signal(s): %s %q, want skipped", tc.signals, st, got)
			}
		}
		if strings.Contains(errOut, "failed") {
			t.Errorf("%d signal(s): reported as a failure: %s", tc.signals, errOut)
		}
	}
	code, rep, errOut := runReport(t, vars, args...)
	if code != runner.ExitOK || stageStatus(rep, "pages") != "ok" {
		t.Fatalf("next run: exit %d, stages %+v: %s", code, rep.Stages, errOut)
	}
}
