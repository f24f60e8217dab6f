package pages

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/errata-tool/errata/store"
)

var reFenceOpen = regexp.MustCompile("^(`{3,})")

// checkPage checks what no input may break: the front matter parses back
// as YAML with the expected title, every "<" outside code blocks is
// escaped, no Hugo shortcode opens, and every code fence closes.
func checkPage(t *testing.T, f Format, page, wantTitle string) {
	t.Helper()
	body := page
	if f != Plain {
		if !strings.HasPrefix(page, "---\n") {
			t.Fatalf("%s: no front matter:\n%s", f, page)
		}
		end := strings.Index(page[4:], "\n---\n")
		if end < 0 {
			t.Fatalf("%s: front matter does not end:\n%s", f, page)
		}
		var fm map[string]any
		if err := yaml.Unmarshal([]byte(page[4:4+end]), &fm); err != nil {
			t.Fatalf("%s: front matter does not parse: %v\n%s", f, err, page[:4+end])
		}
		if fm["title"] != wantTitle {
			t.Fatalf("%s: title %q, want %q", f, fm["title"], wantTitle)
		}
		body = page[4+end+5:]
	} else if !strings.HasPrefix(page, "# ") {
		t.Fatalf("plain page does not start with its title:\n%s", page)
	}
	if strings.Contains(body, "{{<") || strings.Contains(body, "{{%") {
		t.Fatalf("%s: Hugo shortcode in page:\n%s", f, body)
	}
	fence := ""
	for _, l := range strings.Split(body, "\n") {
		if fence != "" {
			if strings.TrimRight(l, " ") == fence {
				fence = ""
			}
			continue
		}
		if m := reFenceOpen.FindStringSubmatch(l); m != nil {
			fence = m[1]
			continue
		}
		for i := 0; i < len(l); i++ {
			if l[i] == '<' && (i == 0 || l[i-1] != '\\') {
				t.Fatalf("%s: unescaped < outside code: %q", f, l)
			}
		}
	}
	if fence != "" {
		t.Fatalf("%s: a code fence never closes", f)
	}
}

// FuzzRenderCluster renders a page from arbitrary issue text in every
// format.
func FuzzRenderCluster(f *testing.F) {
	f.Add("connect ECONNREFUSED 127.0.0.1:8787", "Error: `x` <b>bold</b>\n```\ntrace\n```", "This is fixed in v1.2.3, please upgrade.", "connect ECONNREFUSED <ip>:<port>")
	f.Add("\"quoted\" title: with --- and\nnewline", "---\ntitle: evil\n---\n{{< shortcode >}}", "As a workaround set `A=b` in .env because it helps.", "````` ``` ~~~")
	f.Add("<script>alert(1)</script>", "[x](javascript:alert(1)) ![i](x) <img src=x>", "token ghp_Zx81kQm2Vb7Ty4Lp0Wn3Rs6Hd9Jf5Ca1Ge8U", "\x00\u202e|table|")
	f.Fuzz(func(t *testing.T, title, body, comment, sig string) {
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		c := &store.PageCluster{ID: 7, Slug: title, Title: title, Description: comment, Signature: sig, Fingerprint: sig,
			Topic: title, Category: body, Tools: []string{title, sig}, Status: "active", Size: 2}
		closed := at.Add(48 * time.Hour)
		ev := &store.PageEvidence{ClusterID: 7, Reports: 2, Open: 1, Closed: 1, Completed: 1, Comments: 1,
			FirstSeen: at, LastEvidence: closed, Recent: 1,
			Repos:    []store.PageCount{{Name: title, Count: 2}},
			Variants: []store.PageCount{{Name: sig, Count: 1}, {Name: body, Count: 1}},
			Members:  []int64{1, 2},
			Sources: []store.PageIssue{
				{ID: 1, Repository: "a/b", Number: 1, Title: title, Body: body, State: "closed", StateReason: "completed", HTMLURL: "https://github.com/a/b/issues/1", CreatedAt: at, ClosedAt: &closed, CommentCount: 1},
				{ID: 2, Repository: title, Number: 2, Title: comment, Body: comment, State: "open", HTMLURL: body, CreatedAt: at},
			},
			Thread: []store.PageComment{{IssueID: 1, Author: "m", AuthorAssociation: "OWNER", Body: comment, HTMLURL: sig, CreatedAt: at.Add(time.Hour)}},
			Weekly: []store.PageCount{{Name: "2025-12-29", Count: 2}},
		}
		for _, fm := range []Format{Hugo, MkDocs, Plain} {
			pd := &pageData{c: c, ev: ev, slug: "s", path: "cat/s", aliases: []string{"old/" + slugify(title, 20)}, asOf: closed,
				related: []relatedPage{{title: body, path: "cat/other", reports: 3}}}
			page := renderCluster(fm, pd)
			checkPage(t, fm, page, pageTitle(c))
		}
	})
}
