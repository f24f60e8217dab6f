package reliability_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/store/storetest"
)

// signalLogs are what `errata sync` logs on taking its first and second
// SIGINT or SIGTERM.
var signalLogs = []string{"stopping after the current page", "aborting now"}

// TestSyncCommandSignals runs `errata sync` as a process (the app wired as
// cmd/errata's main wires it) and sends it SIGINT once (stop after the
// current page), SIGINT twice (abort), SIGTERM, and SIGKILL mid-sync; each
// time the next `errata sync` must resume and end with exactly the data of
// an uninterrupted sync.
func TestSyncCommandSignals(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedFake(fake, 250)
	want := cleanDump(t, fake)

	for _, tc := range []struct {
		name    string
		signals []syscall.Signal
	}{
		{"SIGINT", []syscall.Signal{syscall.SIGINT}},
		{"SIGINT twice", []syscall.Signal{syscall.SIGINT, syscall.SIGINT}},
		{"SIGTERM", []syscall.Signal{syscall.SIGTERM}},
		{"SIGKILL", []syscall.Signal{syscall.SIGKILL}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := storetest.URL(t)
			vars := map[string]string{"GITHUB_API_URL": fake.APIURL(), "GITHUB_TOKEN": plantGitHubToken}
			args := []string{"--database-url", url, "sync", "--repo", syncRepo, "--include-pull-requests", "--progress", "log"}
			cmd := childCommand(t, vars, args...)
			var out syncBuffer
			cmd.Stdout, cmd.Stderr = &out, &out
			var n atomic.Int64
			var once sync.Once
			var inflight atomic.Bool
			started := make(chan struct{}) // orders cmd.Start before cmd.Process is read
			exited := make(chan struct{})  // closed when cmd.Wait returns
			// The signal arrives while the second request is in flight; its
			// answer is held back until the process has taken each signal
			// (it logs so) or died of it, so that a graceful stop has a page
			// to finish and two signals are never merged into one.
			var paths []string
			var pmu sync.Mutex
			fake.OnRequest(func(r *http.Request) {
				pmu.Lock()
				paths = append(paths, r.URL.RequestURI())
				pmu.Unlock()
				if n.Add(1) != 2 {
					return
				}
				once.Do(func() {
					inflight.Store(true)
					<-started
					for i, s := range tc.signals {
						_ = cmd.Process.Signal(s)
						if s != syscall.SIGKILL {
							out.waitFor(signalLogs[i], exited)
						}
					}
				})
			})
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			close(started)
			err := cmd.Wait()
			close(exited)
			fake.OnRequest(nil)
			if !inflight.Load() {
				t.Fatalf("the sync ended before the signal: %v: %s", err, out.String())
			}
			t.Logf("%s: %v; output: %s", tc.name, err, truncate(redactForLog(out.String()), 1500))
			if strings.Contains(out.String(), plantGitHubToken) {
				t.Errorf("the token appears in the output")
			}
			if err == nil {
				t.Errorf("exit 0 after %s; want 1 (interrupted)", tc.name)
			}
			st := storetest.Open(t, url)
			is, _ := countRows(t, st)
			t.Logf("%d issues stored when stopped; requests: %v", is, paths)
			if tc.name == "SIGINT" || tc.name == "SIGTERM" {
				// A graceful stop finishes the page in hand: the first page
				// (100 issues), fetched before the signal, is committed.
				if is < 100 {
					t.Errorf("BUG: after one %s the page in flight was not committed (%d issues stored): cmd/errata/main.go's signal.NotifyContext cancels the context on the first signal, so errata sync aborts instead of stopping after the current page", tc.name, is)
				}
			}
			// Resume, with the in-process app.
			var res result
			whileSkipped(t, func() bool {
				res = runApp(t, context.Background(), vars, "", args...)
				return strings.Contains(res.all(), "skipped")
			})
			if res.code != 0 {
				t.Fatalf("resumed sync: exit %d: %s", res.code, truncate(redactForLog(res.all()), 1000))
			}
			if got := dumpData(t, st); got != want {
				t.Fatalf("resumed sync differs from an uninterrupted one: %s", diffDumps(want, got))
			}
			recordFigure("faults.cli_signals", 1)
		})
	}
}
