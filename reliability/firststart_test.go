package reliability_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/errata-tool/errata/store/pgembed"
)

// TestFirstCommandInterruptedRecovers: the very first errata command on a
// new data dir (here `errata status`, which starts the embedded database)
// is killed or interrupted while the cluster is being made; the next
// command must work without help (issue 19: it used to brick the data
// dir). The moments are events on disk, not delays.
func TestFirstCommandInterruptedRecovers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		sig     syscall.Signal
		pattern string // relative to the cluster root
	}{
		{"SIGKILL during initdb", syscall.SIGKILL, "data*/global"},
		{"SIGKILL as the server starts", syscall.SIGKILL, "data/postmaster.pid"},
		{"SIGINT during initdb", syscall.SIGINT, "data*/base"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "data")
			c, err := pgembed.New(dir, os.Getenv)
			if err != nil {
				t.Fatalf("no embedded postgres here: %v", err)
			}
			t.Cleanup(func() {
				if _, err := c.Stop(context.Background()); err != nil {
					t.Logf("stop: %v", err)
				}
				if c.Root != filepath.Join(dir, "postgres") {
					os.RemoveAll(c.Root)
				}
			})
			cmd := childCommand(t, nil, "--data-dir", dir, "status")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			deadline := time.Now().Add(2 * time.Minute)
			for {
				if m, _ := filepath.Glob(filepath.Join(c.Root, tc.pattern)); len(m) > 0 {
					break
				}
				select {
				case err := <-done:
					t.Fatalf("the first command ended (%v) before %s appeared", err, tc.pattern)
				case <-time.After(2 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s never appeared", tc.pattern)
				}
			}
			_ = cmd.Process.Signal(tc.sig)
			if err := <-done; err != nil { // the exit status after a signal is not the point: the next start is
				t.Logf("after %s: %v", tc.sig, err)
			}

			res := runApp(t, context.Background(), nil, "", "--data-dir", dir, "status")
			if res.code != 0 {
				t.Fatalf("next command: exit %d: %s", res.code, res.all())
			}
			res = runApp(t, context.Background(), nil, "", "--data-dir", dir, "db", "status")
			if res.code != 0 || !strings.Contains(res.stdout, "running") {
				t.Fatalf("db status after recovery: exit %d: %s", res.code, res.all())
			}
			recordFigure("faults.first_start_interrupted_recovered", 1)
		})
	}
}
