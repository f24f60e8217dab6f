package reliability_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/errata-tool/errata/store/storetest"
)

// TestNoTerminalEscapesFromInput: issue text can hold terminal control
// sequences (ESC [ ... colours, ESC ] 0 ; ... BEL which retitles the
// window, OSC 8 links, C1 CSI). errata prints titles and error texts from
// issues; they must not reach the terminal (or a page) as control
// characters.
func TestNoTerminalEscapesFromInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.URL(t)
	dir := t.TempDir()
	seqs := []string{"\x1b[2J\x1b[H", "\x1b]0;pwned\a", "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "\u009b31m", "\r\x1b[K"}
	var b strings.Builder
	for i := 0; i < 12; i++ {
		s := seqs[i%len(seqs)]
		rec := map[string]any{"repository": "rel/term", "number": i + 1,
			"title":      "Error: EACCES: permission denied, open '/etc/" + s + "x'",
			"body":       "```\nError: EACCES: permission denied, open '/etc/" + s + "x'\n    at Object.openSync (node:fs:601:3)\n```\n" + s,
			"created_at": "2024-05-01T00:00:00Z"}
		line, _ := json.Marshal(rec)
		b.Write(line)
		b.WriteByte('\n')
	}
	p := filepath.Join(dir, "term.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "site")
	var outputs []string
	for _, args := range [][]string{{"import", p}, {"classify"}, {"clusters"}, {"clusters", "--json"}, {"match", "Error: EACCES: permission denied, open '/etc/\x1b]0;pwned\ax'"},
		{"trends"}, {"status"}, {"pages", "--out", out, "--min-size", "1"}} {
		res := runApp(t, ctx, nil, "", append([]string{"--database-url", url}, args...)...)
		if res.code != 0 {
			t.Errorf("errata %s: exit %d: %q", args[0], res.code, truncate(res.all(), 300))
		}
		if len(args) > 1 && args[1] == "--json" {
			continue // JSON escapes control characters; that is safe
		}
		outputs = append(outputs, fmt.Sprintf("errata %s", args[0])+"\x00"+res.all())
	}
	for rel, c := range readTree(t, out) {
		outputs = append(outputs, "page "+rel+"\x00"+c)
	}
	bad := 0
	for _, o := range outputs {
		name, text, _ := strings.Cut(o, "\x00")
		for _, c := range []string{"\x1b", "\a", "\u009b", "\r"} {
			if i := strings.Index(text, c); i >= 0 {
				bad++
				t.Errorf("%s prints the control character %q from an issue: %q", name, c, text[max(0, i-40):min(len(text), i+30)])
				break
			}
		}
	}
	recordFigure("security.terminal_outputs_checked", len(outputs))
}
