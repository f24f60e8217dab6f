package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/errata-tool/errata/cmd/errata/cli"
	"github.com/errata-tool/errata/store/storetest"
)

// TestBadConfigExitsTwoWithEveryProblem: a bad config is a usage error
// (exit 2) that lists every problem with its line and key, and a missing
// --config file is reported by every command, clusters, trends and match
// included.
func TestBadConfigExitsTwoWithEveryProblem(t *testing.T) {
	t.Parallel()
	db := storetest.URL(t)
	bad := filepath.Join(t.TempDir(), "errata.yaml")
	if err := os.WriteFile(bad, []byte("output:\n  min_size: many\nschedule:\n  interval: often\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	for _, args := range [][]string{
		{"--config", bad, "status"},
		{"--config", bad, "clusters"},
		{"--config", missing, "clusters"},
		{"--config", missing, "trends"},
		{"--config", missing, "match", "some error text"},
	} {
		code, _, errOut := run(t, nil, "", append([]string{"--database-url", db}, args...)...)
		if code != cli.ExitUsage {
			t.Errorf("%v: exit %d, want 2; stderr %q", args, code, errOut)
		}
		if args[1] == bad {
			for _, want := range []string{":2: output.min_size: want a whole number, got a string", ":4: schedule.interval: want a positive duration"} {
				if !strings.Contains(errOut, want) {
					t.Errorf("%v: stderr %q does not contain %q", args, errOut, want)
				}
			}
		} else if !strings.Contains(errOut, "nope.yaml") {
			t.Errorf("%v: stderr %q does not name the missing file", args, errOut)
		}
	}
}
