package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/errata-tool/errata/cmd/errata/cli"
	"github.com/errata-tool/errata/store/storetest"
)

// writeCorpus writes a small labelled corpus of hand-written issues in the
// corpus format (issues.jsonl + truth.tsv) and returns its directory.
func writeCorpus(t *testing.T) string {
	t.Helper()
	type row struct{ fam, repo, title, body, comment string }
	rows := []row{
		{"grant", "acme/cli", "Refresh fails with invalid_grant", "The token endpoint answers `invalid_grant` every morning.", "same here"},
		{"grant", "beta/app", "Logged out daily", "```\n{\"error\":\"invalid_grant\",\"error_description\":\"Refresh token expired\"}\n```", ""},
		{"grant", "gamma/desk", "OAuth invalid grant after password reset", "Error: invalid grant", ""},
		{"port", "acme/cli", "Error: listen EADDRINUSE: address already in use :::8080", "Second instance fails.", ""},
		{"port", "delta/srv", "Dev server will not start", "```\nError: listen EADDRINUSE: address already in use 127.0.0.1:3000\n```", "+1 on 3001 too"},
		{"quota", "eps/bot", "You exceeded your current quota", "openai.RateLimitError: You exceeded your current quota, please check your plan and billing details.", ""},
		{"quota", "zeta/ui", "Quota error from provider", "```\n{\"error\": {\"code\": \"insufficient_quota\"}}\n```", ""},
		{"noise-a", "acme/cli", "Feature: a --quiet flag", "Please add a flag to silence progress output.", ""},
		{"noise-b", "beta/app", "Question about plugins", "Is a plugin API planned?", ""},
	}
	dir := t.TempDir()
	var jl, tsv strings.Builder
	for i, r := range rows {
		url := fmt.Sprintf("https://github.com/%s/issues/%d", r.repo, i+1)
		var comments []map[string]any
		if r.comment != "" {
			comments = append(comments, map[string]any{"user": map[string]string{"login": "someone"}, "created_at": fmt.Sprintf("2025-04-%02dT00:00:00Z", i+2), "body": r.comment})
		}
		rec := map[string]any{
			"repository": r.repo, "number": i + 1, "html_url": url, "title": r.title, "body": r.body, "state": "open",
			"user": map[string]string{"login": "reporter"}, "labels": []string{},
			"created_at": fmt.Sprintf("2025-04-%02dT00:00:00Z", i+1), "updated_at": fmt.Sprintf("2025-04-%02dT00:00:00Z", i+1),
			"comments": comments,
		}
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		jl.Write(b)
		jl.WriteByte('\n')
		fmt.Fprintf(&tsv, "%s\t%s\n", url, r.fam)
	}
	if err := os.WriteFile(filepath.Join(dir, "issues.jsonl"), []byte(jl.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "truth.tsv"), []byte(tsv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestEvalCommand(t *testing.T) {
	t.Parallel()
	dir := writeCorpus(t)
	url := storetest.URL(t)
	code, out, errb := run(t, nil, "", "--database-url", url, "eval", "--corpus", dir, "--json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var m struct {
		Items           int     `json:"items"`
		BCubedPrecision float64 `json:"bcubed_precision"`
		BCubedRecall    float64 `json:"bcubed_recall"`
		BCubedF1        float64 `json:"bcubed_f1"`
		PairF1          float64 `json:"pairwise_f1"`
		Unclustered     int     `json:"unclustered"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if m.Items != 9 || m.BCubedPrecision != 1 || m.BCubedRecall != 1 || m.PairF1 != 1 || m.Unclustered != 2 {
		t.Fatalf("metrics %+v", m)
	}
	// text report
	code, out, errb = run(t, nil, "", "--database-url", url, "eval", "--corpus", dir)
	if code != cli.ExitOK || !strings.Contains(out, "B-cubed  precision 1.000  recall 1.000  F1 1.000") {
		t.Fatalf("exit %d: %s %s", code, out, errb)
	}
	// several corpora: each, then combined
	code, out, errb = run(t, nil, "", "--database-url", url, "eval", "--corpus", dir, "--corpus", dir)
	if code != cli.ExitOK || strings.Count(out, "== corpus "+dir) != 2 || !strings.Contains(out, "== combined") ||
		!strings.Contains(out, "missed reports 0 of ") {
		t.Fatalf("exit %d: %s %s", code, out, errb)
	}
	// a missing corpus is a usage error
	code, _, errb = run(t, nil, "", "--database-url", url, "eval", "--corpus", filepath.Join(dir, "nope"))
	if code != cli.ExitUsage || !strings.Contains(errb, "issues.jsonl") {
		t.Fatalf("exit %d: %s", code, errb)
	}
}

func TestClassifyClustersMatch(t *testing.T) {
	t.Parallel()
	dir := writeCorpus(t)
	url := storetest.URL(t)
	if code, _, errb := run(t, nil, "", "--database-url", url, "import", filepath.Join(dir, "issues.jsonl")); code != cli.ExitOK {
		t.Fatalf("import: %s", errb)
	}
	code, out, errb := run(t, nil, "", "--database-url", url, "classify")
	if code != cli.ExitOK || !strings.Contains(out, "classified 9 issues") || !strings.Contains(out, "3 new clusters") {
		t.Fatalf("classify exit %d: %s %s", code, out, errb)
	}
	code, out, _ = run(t, nil, "", "--database-url", url, "classify")
	if code != cli.ExitOK || !strings.Contains(out, "classified 0 issues") {
		t.Fatalf("second classify: %s", out)
	}
	code, out, errb = run(t, nil, "", "--database-url", url, "clusters", "--json")
	if code != cli.ExitOK {
		t.Fatalf("clusters: %s", errb)
	}
	var cs []struct {
		ID           int64    `json:"id"`
		Slug         string   `json:"slug"`
		Title        string   `json:"title"`
		Topic        string   `json:"topic"`
		TopicReason  string   `json:"topic_reason"`
		Category     string   `json:"category"`
		Signature    string   `json:"signature"`
		Examples     []string `json:"examples"`
		Members      []string `json:"members"`
		Repositories []string `json:"repositories"`
		FirstSeen    string   `json:"first_seen"`
		LastSeen     string   `json:"last_seen"`
	}
	if err := json.Unmarshal([]byte(out), &cs); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(cs) != 3 {
		t.Fatalf("want 3 clusters, got %d: %s", len(cs), out)
	}
	top := cs[0]
	if len(top.Members) != 3 || len(top.Repositories) != 3 || top.Topic != "auth" || top.TopicReason == "" ||
		top.FirstSeen != "2025-04-01T00:00:00Z" || top.LastSeen != "2025-04-03T00:00:00Z" || len(top.Examples) == 0 || top.Slug == "" {
		t.Fatalf("largest cluster: %+v", top)
	}
	for _, c := range cs {
		for _, m := range c.Members {
			if strings.Contains(m, "/issues/8") || strings.Contains(m, "/issues/9") {
				t.Errorf("report without error clustered: %s", m)
			}
		}
	}
	// filters
	code, out, _ = run(t, nil, "", "--database-url", url, "clusters", "--json", "--topic", "rate-limits")
	if code != cli.ExitOK || strings.Count(out, `"slug"`) != 1 || !strings.Contains(out, "insufficient_quota") {
		t.Fatalf("topic filter: %s", out)
	}
	code, out, _ = run(t, nil, "", "--database-url", url, "clusters", "--json", "--min-size", "3")
	if code != cli.ExitOK || strings.Count(out, `"slug"`) != 1 {
		t.Fatalf("min-size filter: %s", out)
	}
	code, out, _ = run(t, nil, "", "--database-url", url, "clusters")
	if code != cli.ExitOK || !strings.Contains(out, "SLUG") || !strings.Contains(out, top.Slug) {
		t.Fatalf("table: %s", out)
	}
	// Text output names topics as rules.yaml does; JSON keeps the ids.
	if !strings.Contains(out, "Rate limits and quota") || strings.Contains(out, " rate-limits ") {
		t.Errorf("table shows topic ids, not names: %s", out)
	}
	// match from an argument and from stdin
	code, out, errb = run(t, nil, "", "--database-url", url, "match", "Error: listen EADDRINUSE: address already in use :::9999")
	if code != cli.ExitOK || !strings.Contains(out, "why: code errno:EADDRINUSE") {
		t.Fatalf("match: %d %s %s", code, out, errb)
	}
	code, out, _ = run(t, nil, "POST /token 400 {\"error\":\"invalid_grant\"}\n", "--database-url", url, "match", "--json", "-")
	var ms []struct {
		Score  float64 `json:"score"`
		ID     int64   `json:"id"`
		Reason string  `json:"reason"`
	}
	if err := json.Unmarshal([]byte(out), &ms); err != nil || code != cli.ExitOK {
		t.Fatalf("match json %d: %v %s", code, err, out)
	}
	if len(ms) == 0 || ms[0].ID != top.ID || ms[0].Score != 1 {
		t.Fatalf("match stdin: %+v want cluster %d", ms, top.ID)
	}
	code, out, _ = run(t, nil, "", "--database-url", url, "match", "the weather is nice today")
	if code != 1 || !strings.Contains(out, "no matching cluster") { // grep's convention
		t.Fatalf("no match: %s", out)
	}
	if code, _, errb = run(t, nil, "", "--database-url", url, "match"); code != cli.ExitUsage {
		t.Fatalf("match without text: %d %s", code, errb)
	}
	// rebuild keeps ids and slugs
	code, out, errb = run(t, nil, "", "--database-url", url, "classify", "--rebuild", "--json")
	if code != cli.ExitOK || !strings.Contains(out, `"new_clusters": 0`) {
		t.Fatalf("rebuild: %s %s", out, errb)
	}
	_, out, _ = run(t, nil, "", "--database-url", url, "clusters", "--json", "--min-size", "3")
	if !strings.Contains(out, fmt.Sprintf(`"id": %d`, top.ID)) || !strings.Contains(out, top.Slug) {
		t.Fatalf("rebuild changed the id or slug: %s", out)
	}
}

func TestClassifyConfigRules(t *testing.T) {
	t.Parallel()
	dir := writeCorpus(t)
	url := storetest.URL(t)
	cfg := filepath.Join(t.TempDir(), "errata.yaml")
	if err := os.WriteFile(cfg, []byte("rules:\n  tools:\n    - name: Acme CLI\n      repositories: [\"acme/*\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errb := run(t, nil, "", "--database-url", url, "import", filepath.Join(dir, "issues.jsonl")); code != cli.ExitOK {
		t.Fatalf("import: %s", errb)
	}
	if code, _, errb := run(t, nil, "", "--database-url", url, "--config", cfg, "classify"); code != cli.ExitOK {
		t.Fatalf("classify: %s", errb)
	}
	var cs []struct {
		Topic       string   `json:"topic"`
		Tools       []string `json:"tools"`
		ToolsReason string   `json:"tools_reason"`
		Code        string   `json:"code"`
	}
	_, out, _ := run(t, nil, "", "--database-url", url, "clusters", "--json")
	if err := json.Unmarshal([]byte(out), &cs); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range cs {
		for _, tool := range c.Tools {
			if tool == "Acme CLI" && strings.Contains(c.ToolsReason, "acme/") {
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("config tool rule not applied: %s", out)
	}
	// a bad rules key is an error naming the file and line
	bad := filepath.Join(t.TempDir(), "errata.yaml")
	if err := os.WriteFile(bad, []byte("rules:\n  topics:\n    - id: x\n      kewords: [a]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errb := run(t, nil, "", "--database-url", url, "--config", bad, "classify")
	if code == cli.ExitOK || !strings.Contains(errb, bad+":4") || !strings.Contains(errb, "kewords") {
		t.Fatalf("bad rules: exit %d: %s", code, errb)
	}
}
