//go:build !windows

package pgembed_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/errata-tool/errata/store/pgembed"
)

// TestDestroyFollowsTheNote checks that Destroy also removes a cluster the
// data dir's location note points to (as when root's cluster lives under
// /var/lib/errata), and that it refuses to delete a directory holding
// anything a cluster does not.
func TestDestroyFollowsTheNote(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	fakeRoot := func(name string, extra ...string) string {
		root := filepath.Join(base, name)
		for _, d := range []string{"data", "run"} {
			if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range append([]string{"postgres.log"}, extra...) {
			if err := os.WriteFile(filepath.Join(root, f), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return root
	}
	note := func(dataDir, root string) {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dataDir, "postgres.location"), []byte("errata's embedded PostgreSQL cluster for this data dir lives in "+root+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	dataDir := filepath.Join(base, "data1")
	elsewhere := fakeRoot("elsewhere")
	note(dataDir, elsewhere)
	c, err := pgembed.New(dataDir, os.Getenv)
	if err != nil {
		t.Fatalf("no embedded postgres here: %v", err)
	}
	if roots := c.Roots(); len(roots) != 2 || roots[1] != elsewhere {
		t.Fatalf("roots %v, want %s among them", roots, elsewhere)
	}
	removed, err := c.Destroy(context.Background())
	if err != nil || len(removed) != 1 || removed[0] != elsewhere {
		t.Fatalf("destroy: removed %v, %v; want %s", removed, err, elsewhere)
	}
	if _, err := os.Stat(elsewhere); !os.IsNotExist(err) {
		t.Fatalf("%s not removed: %v", elsewhere, err)
	}

	dataDir = filepath.Join(base, "data2")
	precious := fakeRoot("precious", "notes.txt")
	note(dataDir, precious)
	c, err = pgembed.New(dataDir, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Destroy(context.Background()); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Fatalf("destroy of a directory with other files: %v, want a refusal naming notes.txt", err)
	}
	if _, err := os.Stat(filepath.Join(precious, "notes.txt")); err != nil {
		t.Fatalf("destroy removed what it refused to: %v", err)
	}
}
