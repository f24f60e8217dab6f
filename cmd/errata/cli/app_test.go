package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/errata-tool/errata/cmd/errata/cli"
	"github.com/errata-tool/errata/store/storetest"
)

// run runs the errata app in-process with an environment holding only
// vars, and returns the exit code, stdout and stderr.
func run(t *testing.T, vars map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cli.Env{
		Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(stdin),
		Getenv: func(k string) string { return vars[k] },
	}
	code := cli.Run(context.Background(), env, append([]string{"errata"}, args...))
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"help", []string{"--help"}, cli.ExitOK, ""},
		{"unknown flag", []string{"--bogus"}, cli.ExitUsage, "bogus"},
		{"unknown command", []string{"frobnicate"}, cli.ExitUsage, `unknown command "frobnicate"`},
		{"bad log format", []string{"--log-format", "xml", "db", "url"}, cli.ExitUsage, "--log-format"},
		{"import without files", []string{"--database-url", "postgres://x@127.0.0.1:1/x", "import"}, cli.ExitUsage, "name one or more files"},
		{"unreachable database", []string{"--database-url", "postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=2", "migrate"}, cli.ExitFailure, "u:xxxxx@"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := run(t, nil, "", tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.err) {
				t.Fatalf("stderr %q does not contain %q", stderr, tc.err)
			}
			if strings.Contains(stderr, "hunter2") {
				t.Fatalf("password leaked: %s", stderr)
			}
		})
	}
}

func TestDBURLHidesPassword(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, map[string]string{"DATABASE_URL": "postgres://me:s3cret@db.example:5432/errata"}, "", "db", "url")
	if code != 0 || strings.TrimSpace(out) != "postgres://me:xxxxx@db.example:5432/errata" {
		t.Fatalf("exit %d, out %q", code, out)
	}
}

func TestImportCommand(t *testing.T) {
	t.Parallel()
	url := storetest.URL(t)
	dir := t.TempDir()
	good := `{"number": 1, "repository": "acme/tool", "title": "panic: nil map", "created_at": "2026-03-01T00:00:00Z", "comments": [{"created_at": "2026-03-02T00:00:00Z", "body": "same"}]}` + "\n"
	bad := `{"number": "two", "repository": "acme/tool", "title": "x", "created_at": "2026-03-01T00:00:00Z"}` + "\n"
	file := filepath.Join(dir, "issues.jsonl")
	if err := os.WriteFile(file, []byte(good+bad), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"DATABASE_URL": url}

	code, out, stderr := run(t, vars, "", "import", file)
	if code != cli.ExitFailure {
		t.Fatalf("exit %d with a bad record, want 1; stderr %s", code, stderr)
	}
	if !strings.Contains(out, "issues 1 new") || !strings.Contains(out, "comments 1 new") || !strings.Contains(out, "1 bad records skipped") {
		t.Fatalf("summary: %s", out)
	}
	if !strings.Contains(stderr, "issues.jsonl:2: field number") {
		t.Fatalf("bad record not named by file, line and field: %s", stderr)
	}

	code, out, stderr = run(t, vars, good, "import", "-")
	if code != 0 || !strings.Contains(out, "issues 0 new, 0 updated, 1 unchanged") {
		t.Fatalf("reimport from stdin: exit %d out %s err %s", code, out, stderr)
	}
}

func TestMigrateCommand(t *testing.T) {
	t.Parallel()
	code, out, stderr := run(t, map[string]string{"DATABASE_URL": storetest.URL(t)}, "", "migrate")
	if code != 0 || !strings.Contains(out, "database at schema version") {
		t.Fatalf("exit %d out %q err %q", code, out, stderr)
	}
}
