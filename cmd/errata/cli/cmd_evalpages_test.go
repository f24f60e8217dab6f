package cli_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/errata-tool/errata/cmd/errata/cli"
	"github.com/errata-tool/errata/store/storetest"
)

// TestEvalPagesCommand runs errata eval --pages on a made-up corpus of
// three reports of one error, one thread holding a fix its reporter
// confirms, with a label file for it.
func TestEvalPagesCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fix := "Set `WIDGET_PORT=7777` in your `.env` file before starting the widget server."
	var jl strings.Builder
	for i := 1; i <= 3; i++ {
		var comments []map[string]any
		if i == 1 {
			comments = []map[string]any{
				{"user": map[string]string{"login": "helper"}, "created_at": "2025-05-02T00:00:00Z", "body": fix},
				{"user": map[string]string{"login": "reporter1"}, "created_at": "2025-05-03T00:00:00Z", "body": "Thanks, that worked for me!"},
			}
		}
		rec := map[string]any{
			"repository": "acme/widget", "number": i, "html_url": fmt.Sprintf("https://github.com/acme/widget/issues/%d", i),
			"title": "widget cannot reach its server", "state": "open", "labels": []string{},
			"body":       fmt.Sprintf("Starting the widget prints:\n\n```\nError: connect ECONNREFUSED 127.0.0.1:%d\n```\n", 7000+i),
			"user":       map[string]string{"login": fmt.Sprintf("reporter%d", i)},
			"created_at": fmt.Sprintf("2025-05-0%dT00:00:00Z", i), "updated_at": "2025-05-04T00:00:00Z", "comments": comments,
		}
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		jl.Write(b)
		jl.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, "issues.jsonl"), []byte(jl.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(strings.ToLower(strings.Join(strings.Fields(fix), " "))))
	labels := filepath.Join(dir, "labels.tsv")
	if err := os.WriteFile(labels, []byte("# html_url\tpart\thash\tlabel\tconfirmation\nhttps://github.com/acme/widget/issues/1\tc1\t"+hex.EncodeToString(sum[:])[:16]+"\tfix\treporter\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := storetest.URL(t)
	code, out, errb := run(t, nil, "", "--database-url", url, "eval", "--pages", "--corpus", dir, "--labels", labels, "--json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var ms []struct {
		Pages        int     `json:"pages"`
		FixBullets   int     `json:"fix_bullets"`
		FixPrecision float64 `json:"fix_precision"`
		FixRecall    float64 `json:"fix_recall"`
		Missing      int     `json:"pages_missing_every_confirmed_fix"`
	}
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(ms) != 1 || ms[0].Pages != 1 || ms[0].FixBullets != 1 || ms[0].FixPrecision != 1 || ms[0].FixRecall != 1 || ms[0].Missing != 0 {
		t.Fatalf("metrics %+v", ms)
	}
	// A bad label file is a usage error naming the file and line.
	bad := filepath.Join(dir, "bad.tsv")
	if err := os.WriteFile(bad, []byte("https://x\tbody\tabc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errb = run(t, nil, "", "--database-url", url, "eval", "--pages", "--corpus", dir, "--labels", bad)
	if code != cli.ExitUsage || !strings.Contains(errb, "bad.tsv:1") {
		t.Fatalf("bad labels: exit %d: %s", code, errb)
	}
}
