package reliability_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/errata-tool/errata/store/storetest"
)

// evilNames are slugs, categories and topics a hostile or buggy
// classifier (or language model) could produce.
var evilNames = []string{
	"../../escaped-slug",
	"/etc/errata-escaped",
	"..",
	"a/../../../escaped-b",
	`..\..\escaped-win`,
	"%2e%2e%2fescaped-pct",
	".hidden-escaped",
	"./../escaped-dot",
	"~/escaped-home",
	strings.Repeat("long-", 2000),
	"CON",
	"slug with spaces & <script>alert(1)</script>",
	"ü/../../escaped-unicode",
	"\u202e../escaped-rtl",
}

// TestPagesPathsContained tampers with every name that becomes part of a
// page path (cluster slug, category, topic, the remembered page paths),
// plants a symbolic link leading out of the output directory, and checks
// that errata pages writes nothing outside the output directory, does not
// follow the link, and writes files that are not group/world-writable or
// executable.
func TestPagesPathsContained(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.URL(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "a", "b")
	out := filepath.Join(root, "site")
	outside := filepath.Join(dir, "outside")
	for _, d := range []string{out, outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	in := filepath.Join(dir, "in.jsonl")
	familyIssues(t, in, 3, 5, "paths")
	for _, args := range [][]string{{"import", in}, {"classify"}, {"pages", "--out", out, "--min-size", "1"}} {
		if res := runApp(t, ctx, nil, "", append([]string{"--database-url", url}, args...)...); res.code != 0 {
			t.Fatalf("errata %s: %s", args[0], res.all())
		}
	}
	db := connect(t, url)
	rows, err := db.Query(ctx, `SELECT id FROM clusters ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ids) == 0 {
		t.Fatal("classify made no clusters")
	}
	// Each cluster gets evil names; the remembered paths too.
	for i, id := range ids {
		name := evilNames[i%len(evilNames)]
		if _, err := db.Exec(ctx, `UPDATE clusters SET slug = $1 || $2, category = $3, topic = $4, title = $5 WHERE id = $6`,
			name, strings.Repeat("x", i/len(evilNames)), evilNames[(i+3)%len(evilNames)], evilNames[(i+5)%len(evilNames)], name, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(ctx, `UPDATE page_slugs SET path = '../../../escaped-path/' || slug`); err != nil {
		t.Logf("tamper page_slugs: %v", err)
	}
	beforeDir := listAll(t, dir, out)
	runPages := func(what string) {
		for pass := 0; pass < 3; pass++ {
			res := runApp(t, ctx, nil, "", "--database-url", url, "pages", "--out", out, "--min-size", "1")
			t.Logf("pages over %s (pass %d): exit %d: %s", what, pass, res.code, truncate(res.all(), 800))
			if strings.Contains(res.all(), "panic") || strings.Contains(res.all(), "internal error") {
				t.Fatalf("panic: %s", res.all())
			}
			if what == "tampered names" && res.code != 0 {
				t.Errorf("errata pages gave up on hostile names instead of making them safe: %s", truncate(res.all(), 400))
			}
		}
	}
	runPages("tampered names")
	files := readTree(t, out)
	for p := range files {
		if strings.Contains(p, "..") || strings.HasPrefix(filepath.Base(p), ".") && !strings.HasPrefix(filepath.Base(p), ".errata-pages") {
			t.Errorf("suspicious file name written: %q", p)
		}
	}
	// A symbolic link inside the output directory pointing outside it, in
	// place of every directory errata writes.
	_ = filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != out {
			_ = os.RemoveAll(p)
			_ = os.Symlink(outside, p)
			return filepath.SkipDir
		}
		return nil
	})
	runPages("symbolic links")
	if got := listAll(t, dir, out); got != beforeDir {
		t.Errorf("BUG: errata pages wrote outside its output directory:\nbefore:\n%s\nafter:\n%s", beforeDir, got)
	}
	if entries, _ := os.ReadDir(outside); len(entries) > 0 {
		t.Errorf("BUG: errata pages wrote through a symbolic link into %s: %v", outside, entries)
	}
	// Permissions of what it wrote.
	n := 0
	_ = filepath.Walk(out, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.Mode()&os.ModeSymlink != 0 {
			return nil
		}
		n++
		m := fi.Mode().Perm()
		if m&0o022 != 0 {
			t.Errorf("%s is writable by others: %04o", p, m)
		}
		if !fi.IsDir() && m&0o111 != 0 {
			t.Errorf("%s is executable: %04o", p, m)
		}
		return nil
	})
	recordFigure("security.evil_path_names", len(evilNames))
	recordFigure("security.written_paths_checked", n)
}

// listAll lists every path under dir except those under skip (the output
// directory), to detect writes that escaped it.
func listAll(t *testing.T, dir, skip string) string {
	t.Helper()
	var b strings.Builder
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		if p == skip {
			return filepath.SkipDir
		}
		b.WriteString(p + "\n")
		return nil
	})
	return b.String()
}
