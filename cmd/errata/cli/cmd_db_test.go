package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/errata-tool/errata/cmd/errata/cli"
	"github.com/errata-tool/errata/store/pgembed"
)

// TestEmbeddedDatabaseLifecycle follows the embedded database of a new data
// dir through the commands a user runs: the first command that needs it
// says once that it started the server, db stop says what it stopped, and
// db destroy removes the cluster wherever it lives (under
// /var/lib/errata when the tests run as root).
func TestEmbeddedDatabaseLifecycle(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "data")
	cl, err := pgembed.New(dataDir, os.Getenv)
	if err != nil {
		t.Fatalf("no embedded database here: %v", err)
	}
	t.Cleanup(func() { _, _ = cl.Destroy(context.Background()) })
	errata := func(args ...string) (int, string, string) {
		t.Helper()
		return run(t, map[string]string{"PATH": os.Getenv("PATH")}, "", append([]string{"--data-dir", dataDir}, args...)...)
	}
	const started = "started the embedded database server"

	code, _, stderr := errata("migrate")
	if code != 0 || strings.Count(stderr, started) != 1 || !strings.Contains(stderr, cl.Root) {
		t.Fatalf("first command: exit %d, want one %q naming %s in stderr:\n%s", code, started, cl.Root, stderr)
	}
	code, _, stderr = errata("migrate")
	if code != 0 || strings.Contains(stderr, started) {
		t.Fatalf("second command: exit %d, the server was already running:\n%s", code, stderr)
	}

	code, out, _ := errata("db", "stop")
	if code != 0 || !strings.Contains(out, "stopped the embedded PostgreSQL server of data dir "+cl.DataDir+" (cluster in "+cl.Root+")") {
		t.Fatalf("db stop: exit %d: %s", code, out)
	}
	code, out, _ = errata("db", "stop")
	if code != 0 || !strings.Contains(out, "was not running") {
		t.Fatalf("second db stop: exit %d: %s", code, out)
	}

	code, _, stderr = errata("db", "destroy")
	if code != cli.ExitUsage || !strings.Contains(stderr, "--yes") || !strings.Contains(stderr, cl.Root) {
		t.Fatalf("db destroy without --yes: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(cl.Root, "data", "PG_VERSION")); err != nil {
		t.Fatalf("db destroy without --yes touched the cluster: %v", err)
	}
	code, out, stderr = errata("db", "destroy", "--yes")
	if code != 0 || !strings.Contains(out, "removed the embedded database in "+cl.Root) {
		t.Fatalf("db destroy --yes: exit %d: %s %s", code, out, stderr)
	}
	if _, err := os.Stat(cl.Root); !os.IsNotExist(err) {
		t.Fatalf("%s still there after destroy: %v", cl.Root, err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postgres.location")); !os.IsNotExist(err) {
		t.Fatalf("location note still there after destroy: %v", err)
	}
	code, out, _ = errata("db", "destroy", "--yes")
	if code != 0 || !strings.Contains(out, "no embedded database") {
		t.Fatalf("db destroy with nothing to destroy: exit %d: %s", code, out)
	}
}
