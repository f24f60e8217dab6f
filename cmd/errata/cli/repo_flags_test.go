package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/cmd/errata/cli"
	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/store/storetest"
)

// TestRepoNamesStayInside: `sync --repo`, `run --repo` and the config
// reject names that would leave the API's /repos/ path, with exit 2 and
// no request sent, and never save them as sources.
func TestRepoNamesStayInside(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	db := storetest.URL(t)
	vars := map[string]string{"GITHUB_TOKEN": "x", "GITHUB_API_URL": fake.APIURL()}
	out := filepath.Join(t.TempDir(), "site")
	for _, name := range []string{"../user", "../etc", "own er/name", "owner/name?x=1", "owner/..", "owner/name/extra"} {
		for _, args := range [][]string{
			{"--database-url", db, "sync", "--repo", name},
			{"--database-url", db, "run", "--repo", name, "--out", out},
		} {
			code, _, errOut := run(t, vars, "", args...)
			if code != cli.ExitUsage || !strings.Contains(errOut, "want owner/name") {
				t.Errorf("%v: exit %d, stderr %q; want 2 naming the expected shape", args[2:], code, errOut)
			}
		}
		cfg := filepath.Join(t.TempDir(), "errata.yaml")
		if err := os.WriteFile(cfg, []byte("sources:\n  repositories:\n    - repo: \""+name+"\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := run(t, vars, "", "--database-url", db, "--config", cfg, "sync")
		if code != cli.ExitUsage || !strings.Contains(errOut, "sources.repositories.repo") {
			t.Errorf("config with repo %q: exit %d, stderr %q; want 2 naming the key", name, code, errOut)
		}
	}
	if n := fake.Stats().Requests; n != 0 {
		t.Errorf("%d requests sent for bad repository names", n)
	}
	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM sync_sources`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d bad repository names saved as sources", n)
	}
}
