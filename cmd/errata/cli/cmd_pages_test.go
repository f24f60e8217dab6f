package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/errata-tool/errata/cmd/errata/cli"
	"github.com/errata-tool/errata/store/storetest"
)

func TestPagesCommand(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": storetest.URL(t)}
	corpus := writeCorpus(t)
	if code, _, stderr := run(t, vars, "", "import", filepath.Join(corpus, "issues.jsonl")); code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, vars, "", "classify"); code != 0 {
		t.Fatalf("classify: exit %d: %s", code, stderr)
	}
	out := filepath.Join(t.TempDir(), "site")
	code, stdout, stderr := run(t, vars, "", "pages", "--out", out, "--format", "mkdocs")
	if code != 0 {
		t.Fatalf("pages: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "index pages") || strings.Contains(stdout, " 0 files written") {
		t.Fatalf("summary: %s", stdout)
	}
	if _, err := os.Stat(filepath.Join(out, "index.md")); err != nil {
		t.Fatalf("no top-level index: %v", err)
	}
	pages, _ := filepath.Glob(filepath.Join(out, "*", "*.md"))
	var clusterPages int
	for _, p := range pages {
		if filepath.Base(p) != "index.md" && !strings.Contains(p, string(filepath.Separator)+"topics"+string(filepath.Separator)) {
			clusterPages++
		}
	}
	if clusterPages == 0 {
		t.Fatalf("no cluster pages among %v", pages)
	}
	if !strings.Contains(stdout, "all rendered: no earlier render of this directory") {
		t.Errorf("first run: %s, want every page rendered", stdout)
	}
	// Rerun: nothing to render, nothing to write.
	code, stdout, stderr = run(t, vars, "", "pages", "--out", out, "--format", "mkdocs")
	if code != 0 || !strings.Contains(stdout, " 0 files written") || !strings.Contains(stdout, "(0 rendered,") {
		t.Fatalf("rerun: exit %d, %s %s", code, stdout, stderr)
	}
	// --full renders every page again, to the same bytes.
	code, stdout, stderr = run(t, vars, "", "pages", "--out", out, "--format", "mkdocs", "--full")
	if code != 0 || !strings.Contains(stdout, " 0 files written") || !strings.Contains(stdout, "all rendered: --full") {
		t.Fatalf("--full: exit %d, %s %s", code, stdout, stderr)
	}
}

func TestPagesCommandConfigAndUsage(t *testing.T) {
	t.Parallel()
	url := storetest.URL(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "from-config")
	cfg := filepath.Join(dir, "errata.yaml")
	if err := os.WriteFile(cfg, []byte("output:\n  dir: "+out+"\n  format: plain\n  min_size: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"DATABASE_URL": url}
	code, stdout, stderr := run(t, vars, "", "--config", cfg, "pages")
	if code != 0 || !strings.Contains(stdout, "(plain)") || !strings.Contains(stdout, out) {
		t.Fatalf("pages from config: exit %d, %s %s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "index.md")); err != nil {
		t.Fatalf("config output dir not used: %v", err)
	}
	for _, args := range [][]string{
		{"pages", "--out", out, "--format", "html"},
		{"pages", "--out", out, "--min-size", "0"},
		{"pages", "extra"},
	} {
		if code, _, stderr := run(t, vars, "", args...); code != cli.ExitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, cli.ExitUsage, stderr)
		}
	}
}

// The demo issues (testdata/demo) plant fake secrets in one report: the
// whole pipeline must keep every one of them out of every page.
func TestPagesDemoKeepsSecretsOut(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": storetest.URL(t)}
	demo := filepath.Join("..", "..", "..", "testdata", "demo", "issues.jsonl")
	raw, err := os.ReadFile(demo)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"Pr0d-Passw0rd-9921", "ghp_Demo7Fake1Token2For3Errata4Pages5x", "sk-proj-DemoFakeKey0123456789abcdefABCDEF", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYDEMOFAKEKEY"}
	for _, s := range secrets {
		if !strings.Contains(string(raw), s) {
			t.Fatalf("demo data no longer holds %q; update the test", s)
		}
	}
	if code, _, stderr := run(t, vars, "", "import", demo); code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, vars, "", "classify"); code != 0 {
		t.Fatalf("classify: exit %d: %s", code, stderr)
	}
	for _, format := range []string{"hugo", "mkdocs", "plain"} {
		out := t.TempDir()
		if code, _, stderr := run(t, vars, "", "pages", "--out", out, "--format", format); code != 0 {
			t.Fatalf("pages: exit %d: %s", code, stderr)
		}
		files, cited := 0, 0
		err := filepath.Walk(out, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files++
			if strings.Contains(string(b), `northwind/gitsync\#15`) {
				cited++
			}
			for _, s := range secrets {
				if strings.Contains(string(b), s) {
					t.Errorf("%s: %s holds the planted secret %q", format, p, s)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if files < 5 || cited == 0 {
			t.Fatalf("%s: %d files written, %d cite the report with the secrets; the test checks nothing", format, files, cited)
		}
	}
}
