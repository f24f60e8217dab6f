package reliability_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/errata-tool/errata/store/storetest"
)

// TestClassifyAndPagesOverBadInput imports every bad-input record (twice
// over, in two repositories, so that they cluster), then runs classify,
// clusters, match, trends and pages for each output format over them:
// nothing may panic, every command must succeed, and every page must be
// valid UTF-8, hold front matter that parses as YAML, and carry no raw
// HTML or invisible direction overrides taken from the input.
func TestClassifyAndPagesOverBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.URL(t)
	dir := t.TempDir()
	file, _, _ := buildBadFile(badCases())
	second := strings.ReplaceAll(file, badRepo, "rel/bad-input-2")
	p := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(p, []byte(file+second), 0o600); err != nil {
		t.Fatal(err)
	}
	// Import exits 1 (bad records skipped); the rest is stored.
	if res := runApp(t, ctx, nil, "", "--database-url", url, "import", p); res.code != 1 {
		t.Fatalf("import: exit %d: %s", res.code, truncate(res.all(), 500))
	}
	steps := [][]string{
		{"classify"},
		{"classify", "--rebuild"},
		{"clusters"},
		{"clusters", "--json"},
		{"match", "<script>alert(1)</script>\u202e\u200b" + deepQuote[:2000]},
		{"match", "--json", fiveMB[:100000]},
		{"trends"},
		{"pages", "--out", filepath.Join(dir, "hugo"), "--min-size", "1", "--format", "hugo"},
		{"pages", "--out", filepath.Join(dir, "mkdocs"), "--min-size", "1", "--format", "mkdocs"},
		{"pages", "--out", filepath.Join(dir, "plain"), "--min-size", "1", "--format", "plain"},
	}
	// Text no terminal can pass as an argument is refused as a usage error.
	for _, arg := range []string{"a\x00b", "a\xffb"} {
		if res := runApp(t, ctx, nil, "", "--database-url", url, "match", arg); res.code != 2 || !strings.Contains(res.stderr, "NUL character or invalid UTF-8") {
			t.Errorf("match %q: exit %d, want a usage error: %q", arg, res.code, res.stderr)
		}
	}
	for _, args := range steps {
		res := runApp(t, ctx, nil, "", append([]string{"--database-url", url}, args...)...)
		noMatch := args[0] == "match" && res.code == 1 // like grep: nothing matched
		if (res.code != 0 && !noMatch) || strings.Contains(res.stderr, "internal error") || strings.Contains(res.stderr, "goroutine ") {
			t.Errorf("errata %s: exit %d: %s", args[0], res.code, truncate(res.all(), 800))
		}
		if args[0] == "clusters" && len(args) > 1 && !json.Valid([]byte(res.stdout)) {
			t.Errorf("clusters --json is not valid JSON")
		}
	}
	pages := 0
	for _, format := range []string{"hugo", "mkdocs", "plain"} {
		for rel, c := range readTree(t, filepath.Join(dir, format)) {
			if !strings.HasSuffix(rel, ".md") {
				continue
			}
			pages++
			if !utf8.ValidString(c) || strings.ContainsRune(c, 0) {
				t.Errorf("%s/%s: invalid UTF-8 or NUL", format, rel)
			}
			if strings.HasPrefix(c, "---\n") {
				end := strings.Index(c[4:], "\n---\n")
				if end < 0 {
					t.Errorf("%s/%s: front matter never closed", format, rel)
				} else {
					var fm map[string]any
					if err := yaml.Unmarshal([]byte(c[4:4+end]), &fm); err != nil {
						t.Errorf("%s/%s: front matter does not parse: %v", format, rel, err)
					}
				}
			}
			body := stripCode(c)
			for _, bad := range []string{"<script", "<iframe", "<img", "onerror=", "javascript:", "<details", "<!--", "<div"} {
				if strings.Contains(strings.ToLower(body), bad) {
					i := strings.Index(strings.ToLower(body), bad)
					t.Errorf("%s/%s: raw %q from the input outside code: …%s…", format, rel, bad, body[max(0, i-60):min(len(body), i+60)])
				}
			}
			for _, r := range []rune{'\u202e', '\u202d', '\u2066', '\u2067', '\u2068'} {
				if strings.ContainsRune(c, r) {
					t.Errorf("%s/%s: holds the invisible direction control %U from the input", format, rel, r)
				}
			}
		}
	}
	if pages == 0 {
		t.Fatal("no pages written over the bad input")
	}
	recordFigure("pipeline.bad_input_pages_checked", pages)
}

// stripCode removes fenced code blocks and inline code spans: text there
// is shown literally by every Markdown renderer.
func stripCode(s string) string {
	var b strings.Builder
	in := false
	fence := ""
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimLeft(line, " ")
		if !in && (strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~")) {
			in, fence = true, t[:3]
			n := 3
			for n < len(t) && t[n] == fence[0] {
				n++
			}
			fence = t[:n]
			continue
		}
		if in {
			if strings.HasPrefix(t, fence) && strings.Trim(t, string(fence[0])+" ") == "" {
				in = false
			}
			continue
		}
		// Inline code spans.
		for {
			i := strings.Index(line, "`")
			if i < 0 {
				break
			}
			n := 1
			for i+n < len(line) && line[i+n] == '`' {
				n++
			}
			j := strings.Index(line[i+n:], strings.Repeat("`", n))
			if j < 0 {
				break
			}
			line = line[:i] + line[i+n+j+n:]
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
