package pages

import (
	"bytes"
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// readTree returns every file under dir by slash path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func generate(t *testing.T, s *store.Store, f Format, out string) Result {
	t.Helper()
	res, err := Generate(context.Background(), s, Options{Out: out, Format: f, MinSize: 2})
	if err != nil {
		t.Fatalf("Generate(%s): %v", f, err)
	}
	return res
}

func TestGenerateGolden(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{Hugo, MkDocs, Plain} {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			s := storetest.New(t)
			loadFixture(t, s)
			out := t.TempDir()
			res := generate(t, s, f, out)
			if res.Pages != 3 {
				t.Errorf("pages = %d, want 3 (the size-1 cluster has no page)", res.Pages)
			}
			got := readTree(t, out)
			golden := filepath.Join("testdata", "golden", string(f))
			if *update {
				os.RemoveAll(golden)
				for name, body := range got {
					p := filepath.Join(golden, filepath.FromSlash(name))
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			want := readTree(t, golden)
			for name, body := range want {
				if got[name] != body {
					t.Errorf("%s differs from golden file (run go test ./reports/pages -update and review the diff)", name)
				}
			}
			for name := range got {
				if _, ok := want[name]; !ok {
					t.Errorf("unexpected file %s", name)
				}
			}
		})
	}
}

func TestRerunIsByteIdentical(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	loadFixture(t, s)
	out := t.TempDir()
	first := generate(t, s, Hugo, out)
	before := readTree(t, out)
	second := generate(t, s, Hugo, out)
	if second.Written != 0 || second.Removed != 0 {
		t.Errorf("rerun wrote %d and removed %d files, want 0 and 0", second.Written, second.Removed)
	}
	if second.Unchanged != first.Written {
		t.Errorf("rerun found %d unchanged files, want %d", second.Unchanged, first.Written)
	}
	// A fresh directory gets the same bytes.
	out2 := t.TempDir()
	generate(t, s, Hugo, out2)
	after := readTree(t, out2)
	if len(after) != len(before) {
		t.Fatalf("fresh run wrote %d files, first run %d", len(after), len(before))
	}
	for name, b := range before {
		if after[name] != b {
			t.Errorf("%s differs between runs", name)
		}
	}
}

func TestNoSecretsOrRawHTMLInPages(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	loadFixture(t, s)
	for _, f := range []Format{Hugo, MkDocs, Plain} {
		out := t.TempDir()
		generate(t, s, f, out)
		tree := readTree(t, out)
		page := tree["connection/econnrefused-local-server.md"]
		if page == "" {
			t.Fatalf("%s: no page for the cluster with the planted secrets", f)
		}
		if !strings.Contains(page, "REDACTED") {
			t.Errorf("%s: page shows no redaction mask; the secrets test checks nothing", f)
		}
		for name, body := range tree {
			for _, secret := range plantedSecrets {
				if strings.Contains(body, secret) {
					t.Errorf("%s: %s contains planted secret %q", f, name, secret)
				}
			}
			// Raw HTML and script links would need an unescaped "<" or a
			// link destination; shortcodes need "{{<" or "{{%".
			if m := reRawHTML.FindString(body); m != "" {
				t.Errorf("%s: %s contains raw HTML %q", f, name, m)
			}
			for _, bad := range []string{"](javascript:", "{{<", "{{%"} {
				if strings.Contains(body, bad) {
					t.Errorf("%s: %s contains %q", f, name, bad)
				}
			}
		}
	}
}

var (
	reRawHTML   = regexp.MustCompile(`(?:^|[^\\])<(?:script|img)`)
	reFenceLine = regexp.MustCompile("^(`{3,})")
	reSplit     = regexp.MustCompile(`[.!?:](?:\s+|$)`)
)

// proseSentences returns the sentences of a page's prose: paragraphs and
// list items, without front matter, headings, code blocks and tables, with
// source references cut off.
func proseSentences(page string) []string {
	var out []string
	lines := strings.Split(page, "\n")
	inFence := ""
	inFront := false
	for i, l := range lines {
		if i == 0 && l == "---" {
			inFront = true
			continue
		}
		if inFront {
			if l == "---" {
				inFront = false
			}
			continue
		}
		if m := reFenceLine.FindStringSubmatch(l); m != nil {
			if inFence == "" {
				inFence = m[1]
			} else if strings.TrimSpace(l) == inFence {
				inFence = ""
			}
			continue
		}
		if inFence != "" || l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "|") || strings.HasPrefix(l, "![") {
			continue
		}
		l = strings.TrimPrefix(strings.TrimPrefix(l, "- "), "1. ")
		for _, s := range reSplit.Split(l, -1) {
			if k := sentenceKey(s); len(k) > 12 {
				out = append(out, k)
			}
		}
	}
	return out
}

func TestNoSentenceRepeatedOnAPage(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	loadFixture(t, s)
	out := t.TempDir()
	generate(t, s, Plain, out)
	checked := 0
	for name, body := range readTree(t, out) {
		if !strings.HasSuffix(name, ".md") {
			continue
		}
		seen := map[string]bool{}
		for _, k := range proseSentences(body) {
			if seen[k] {
				t.Errorf("%s repeats the sentence %q", name, k)
			}
			seen[k] = true
			checked++
		}
	}
	if checked < 50 {
		t.Fatalf("only %d sentences checked; the test reads too little", checked)
	}
}

func TestDocDropsRepeatedSentences(t *testing.T) {
	t.Parallel()
	d := newDoc()
	d.h2("One")
	d.para("Check the proxy settings.", "Restart the server.")
	d.h2("Two")
	d.item("-", "Check the proxy settings.", "Check the proxy settings.")
	d.item("-", "Use a new token.", "Use a new token.")
	d.h2("Three")
	d.para("Restart the server.")
	got := d.String()
	want := "## One\n\nCheck the proxy settings. Restart the server.\n\n## Two\n\n- Use a new token.\n"
	if got != want {
		t.Errorf("doc =\n%s\nwant\n%s", got, want)
	}
}

func sectionTitles(page string) []string {
	var out []string
	for _, l := range strings.Split(page, "\n") {
		if strings.HasPrefix(l, "## ") {
			out = append(out, strings.TrimPrefix(l, "## "))
		}
	}
	return out
}

func TestSectionsFilledFromEvidence(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	loadFixture(t, s)
	out := t.TempDir()
	generate(t, s, Hugo, out)
	tree := readTree(t, out)
	page := tree["connection/econnrefused-local-server.md"]
	for _, want := range []string{
		"## Error signature", "## What this error means", "## Why it happens", "## Common causes",
		"## Quick fixes and workarounds", "## Platform and tool-specific checks", "## Step-by-step troubleshooting",
		"## How to prevent it", "## Sources checked", "## Evidence note", "## Related errors", "## FAQ",
		// the maintainer's fix, with its version and source
		"**Fix, fixed in `v1.4.2`:**", "[acme/fastcli\\#12](https://github.com/acme/fastcli/issues/12#issuecomment-1121), maintainer",
		// a configuration workaround from the reporter, who says it worked,
		// with its setting as code
		"**Workaround, confirmed by the reporter:** \"Workaround: set `HOST=127.0.0.1` in the .env file",
		// a cause from a contributor
		"Node 17 and later resolve localhost to ::1 first",
		// ECONNREFUSED explained
		"ECONNREFUSED means nothing accepted the TCP connection",
		// a platform check points to what the threads say about it,
		// without quoting a cause shown above again
		"**a corporate proxy or VPN:** see the cause above from [other/devserver\\#3]",
		// counts
		"3 reports", "1 open and 2 closed",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("ECONNREFUSED page lacks %q", want)
		}
	}
	// No failed attempt, me-too or housekeeping is shown as advice.
	for _, bad := range []string{"Same here on Windows", "the port is free"} {
		if strings.Contains(page, bad) {
			t.Errorf("ECONNREFUSED page quotes chatter %q", bad)
		}
	}
	// The authentication cluster has no comments: the sections it has no
	// evidence for are left out, and the fixes section says plainly that
	// there is no fix yet and what to collect.
	auth := tree["authentication/oauth-invalid-grant-refresh.md"]
	got := strings.Join(sectionTitles(auth), "|")
	for _, absent := range []string{"Common causes", "How to prevent it", "Platform and tool-specific checks"} {
		if strings.Contains(got, absent) {
			t.Errorf("auth page has an empty %q section: %s", absent, got)
		}
	}
	if !strings.Contains(auth, "No fix has been found in these threads yet. When you report it, include the sign-in method") {
		t.Errorf("auth page does not say plainly that there is no fix yet:\n%s", auth)
	}
	if !strings.Contains(auth, "invalid_grant means") {
		t.Errorf("auth page does not explain invalid_grant")
	}
}

func TestLayoutAndFrontMatter(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	loadFixture(t, s)
	for _, tc := range []struct {
		f     Format
		files []string
		front []string
	}{
		{Hugo, []string{"_index.md", "connection/_index.md", "rate-limits/_index.md", "topics/_index.md", "topics/network.md", "topics/auth.md",
			"connection/econnrefused-local-server.md", "rate-limits/http-429-too-many-requests.md", "authentication/oauth-invalid-grant-refresh.md"},
			[]string{"title: \"Connect ECONNREFUSED when the local server is not running\"", "slug: \"econnrefused-local-server\"",
				"date: 2026-03-01T09:00:00Z", "lastmod: 2026-04-01T09:00:00Z", "categories:\n  - \"connection\"", "params:\n  tools:\n    - \"fastcli\""}},
		{MkDocs, []string{"index.md", "connection/index.md", "topics/index.md", "topics/network.md", "connection/econnrefused-local-server.md"},
			[]string{"title: ", "description: ", "date: 2026-03-01T09:00:00Z", "tools:\n  - \"fastcli\""}},
		{Plain, []string{"index.md", "connection/index.md", "connection/econnrefused-local-server.md"},
			[]string{"# Connect ECONNREFUSED when the local server is not running\n"}},
	} {
		out := t.TempDir()
		generate(t, s, tc.f, out)
		tree := readTree(t, out)
		for _, f := range tc.files {
			if _, ok := tree[f]; !ok {
				t.Errorf("%s: no %s", tc.f, f)
			}
		}
		page := tree["connection/econnrefused-local-server.md"]
		for _, w := range tc.front {
			if !strings.Contains(page, w) {
				t.Errorf("%s: page lacks %q", tc.f, w)
			}
		}
	}
}

func TestMergeKeepsURLs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, f := range []Format{Hugo, MkDocs, Plain} {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			s := storetest.New(t)
			ids := loadFixture(t, s)
			out := t.TempDir()
			generate(t, s, f, out)
			old := "rate-limits/http-429-too-many-requests"
			if _, err := os.Stat(filepath.Join(out, old+".md")); err != nil {
				t.Fatalf("first run: %v", err)
			}
			// Re-clustering merges the rate limit cluster into the connection one.
			mustExec(t, s, `UPDATE cluster_members SET cluster_id = $1 WHERE cluster_id = $2`, ids[1], ids[2])
			mustExec(t, s, `UPDATE clusters SET status = 'merged', merged_into = $1, size = 0 WHERE id = $2`, ids[1], ids[2])
			mustExec(t, s, `INSERT INTO cluster_redirects (old_id, new_id, kind) VALUES ($1, $2, 'merge')`, ids[2], ids[1])
			res := generate(t, s, f, out)
			if res.Redirects != 1 {
				t.Errorf("redirects = %d, want 1", res.Redirects)
			}
			tree := readTree(t, out)
			page := tree["connection/econnrefused-local-server.md"]
			switch f {
			case Hugo:
				if !strings.Contains(page, "aliases:\n  - \"/rate-limits/http-429-too-many-requests/\"") {
					t.Errorf("survivor page lacks the alias:\n%s", page[:400])
				}
				if _, ok := tree[old+".md"]; ok {
					t.Errorf("the merged page is still written; Hugo's alias would clash with it")
				}
			case MkDocs:
				if !strings.Contains(tree["redirects.yml"], `"rate-limits/http-429-too-many-requests.md": "connection/econnrefused-local-server.md"`) {
					t.Errorf("redirects.yml lacks the merged page:\n%s", tree["redirects.yml"])
				}
			case Plain:
				if !strings.Contains(tree[old+".md"], "(../connection/econnrefused-local-server.md)") {
					t.Errorf("old path does not forward:\n%s", tree[old+".md"])
				}
			}
			// And the merged cluster's slug is never reused.
			slugs, err := s.PageSlugList(ctx)
			if err != nil {
				t.Fatal(err)
			}
			states := map[string]string{}
			for _, p := range slugs {
				states[p.Slug] = p.State + ">" + p.TargetSlug
			}
			if states["http-429-too-many-requests"] != "redirect>econnrefused-local-server" {
				t.Errorf("slug states = %v", states)
			}
			// A second run after the merge changes nothing.
			if again := generate(t, s, f, out); again.Written != 0 || again.Removed != 0 {
				t.Errorf("rerun after merge wrote %d, removed %d", again.Written, again.Removed)
			}
		})
	}
}

func TestReclusteringInheritsSlug(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ids := loadFixture(t, s)
	out := t.TempDir()
	generate(t, s, Hugo, out)
	// A full re-clustering: the auth cluster is dissolved and a new cluster
	// with another slug and id takes its reports.
	var newID int64
	if err := storetest.Pool(s).QueryRow(context.Background(), `INSERT INTO clusters (slug, title, signature, fingerprint, topic, category)
		VALUES ('refresh-token-expired', 'Refresh token expired', 'invalid_grant: refresh token expired', 'v2:x', 'auth', 'authentication') RETURNING id`).Scan(&newID); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, `UPDATE cluster_members SET cluster_id = $1 WHERE cluster_id = $2`, newID, ids[3])
	mustExec(t, s, `UPDATE clusters SET status = 'dissolved', size = 0 WHERE id = $1`, ids[3])
	generate(t, s, Hugo, out)
	tree := readTree(t, out)
	page, ok := tree["authentication/oauth-invalid-grant-refresh.md"]
	if !ok {
		t.Fatalf("the old URL is gone; files: %v", keys(tree))
	}
	if !strings.Contains(page, "title: \"OAuth login fails: refresh token expired\"") {
		t.Errorf("old URL does not show the new cluster:\n%s", page[:300])
	}
	if _, ok := tree["authentication/refresh-token-expired.md"]; ok {
		t.Errorf("the new cluster got a second page")
	}
}

func TestDissolvedClusterLeavesShortPage(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ids := loadFixture(t, s)
	out := t.TempDir()
	generate(t, s, Plain, out)
	// The rate limit reports are split: one goes to the connection cluster,
	// the other to the lone cluster; neither has a majority.
	mustExec(t, s, `UPDATE cluster_members SET cluster_id = $1 WHERE issue_id = (SELECT min(issue_id) FROM cluster_members WHERE cluster_id = $2)`, ids[1], ids[2])
	mustExec(t, s, `UPDATE cluster_members SET cluster_id = $1 WHERE cluster_id = $2`, ids[4], ids[2])
	mustExec(t, s, `UPDATE clusters SET status = 'dissolved' WHERE id = $1`, ids[2])
	res := generate(t, s, Plain, out)
	if res.Tombstones != 1 {
		t.Errorf("tombstones = %d, want 1", res.Tombstones)
	}
	tree := readTree(t, out)
	stone := tree["rate-limits/http-429-too-many-requests.md"]
	if !strings.Contains(stone, "(../connection/econnrefused-local-server.md) (1 report from here)") ||
		!strings.Contains(stone, "(../misc/lonely-error.md) (1 report from here)") {
		t.Errorf("short page does not point to where the reports went:\n%s", stone)
	}
	// The lone cluster now has two reports and a page of its own.
	if _, ok := tree["misc/lonely-error.md"]; !ok {
		t.Errorf("no page for the cluster that grew to two reports")
	}
}

func TestCategoryChangeKeepsOldPath(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ids := loadFixture(t, s)
	out := t.TempDir()
	generate(t, s, Hugo, out)
	mustExec(t, s, `UPDATE clusters SET category = 'Networking' WHERE id = $1`, ids[1])
	generate(t, s, Hugo, out)
	tree := readTree(t, out)
	page := tree["networking/econnrefused-local-server.md"]
	if !strings.Contains(page, "aliases:\n  - \"/connection/econnrefused-local-server/\"") {
		t.Errorf("moved page lacks its old path as an alias:\n%s", page[:400])
	}
	if _, ok := tree["connection/econnrefused-local-server.md"]; ok {
		t.Errorf("old file left behind")
	}
}

func TestUnknownFilesAreKept(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	loadFixture(t, s)
	out := t.TempDir()
	mine := filepath.Join(out, "about.md")
	if err := os.WriteFile(mine, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	generate(t, s, Hugo, out)
	generate(t, s, Hugo, out)
	if b, err := os.ReadFile(mine); err != nil || !bytes.Equal(b, []byte("mine\n")) {
		t.Errorf("a file errata did not write was touched: %v %q", err, b)
	}
}

func mustExec(t *testing.T, s *store.Store, sql string, args ...any) {
	t.Helper()
	if _, err := storetest.Pool(s).Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
