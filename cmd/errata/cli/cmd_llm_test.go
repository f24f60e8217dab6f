package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/errata-tool/errata/cmd/errata/cli"
	"github.com/errata-tool/errata/llm/llmfake"
	"github.com/errata-tool/errata/store/storetest"
)

func runLLMCmd(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }}
	code := cli.Run(context.Background(), env, append([]string{"errata"}, args...))
	return code, out.String(), errb.String()
}

func TestLLMCheck(t *testing.T) {
	t.Parallel()
	fake := llmfake.New(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "errata.yaml")
	cfgText := "llm:\n  base_url: " + fake.BaseURL() + "\n  model: " + llmfake.Model + "\n  api_key_env: MY_LLM_KEY\n  enabled: false\n"
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		vars map[string]string
		args []string
		code int
		out  string
		err  string
	}{
		{"environment", map[string]string{"OPENAI_BASE_URL": fake.BaseURL(), "OPENAI_API_KEY": llmfake.Key},
			[]string{"llm", "check", "--llm-model", llmfake.Model}, cli.ExitOK, "ok: model fake-gpt at " + fake.BaseURL(), ""},
		{"config file", map[string]string{"MY_LLM_KEY": llmfake.Key},
			[]string{"--config", cfgPath, "llm", "check"}, cli.ExitOK, "structured output: json_schema", ""},
		{"json", map[string]string{"MY_LLM_KEY": llmfake.Key},
			[]string{"--config", cfgPath, "llm", "check", "--json"}, cli.ExitOK, `"ok": true`, ""},
		{"wrong key", map[string]string{"MY_LLM_KEY": "sk-not-the-right-key-000000000000"},
			[]string{"--config", cfgPath, "llm", "check"}, cli.ExitFailure, "", "refused the API key from MY_LLM_KEY (401)"},
		{"unknown model", map[string]string{"MY_LLM_KEY": llmfake.Key},
			[]string{"--config", cfgPath, "llm", "check", "--llm-model", "gpt-nonexistent"}, cli.ExitFailure, "", `model "gpt-nonexistent"`},
		{"key variable unset", nil,
			[]string{"--config", cfgPath, "llm", "check"}, cli.ExitUsage, "", "MY_LLM_KEY, which is not set"},
		{"openai without key", nil,
			[]string{"llm", "check"}, cli.ExitUsage, "", "needs an API key in OPENAI_API_KEY"},
		{"endpoint down", map[string]string{"OPENAI_BASE_URL": "http://127.0.0.1:1/v1"},
			[]string{"llm", "check", "--llm-model", "m"}, cli.ExitFailure, "", "cannot reach http://127.0.0.1:1/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runLLMCmd(t, tt.vars, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errOut, tt.err) {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s\nwant stdout %q, stderr %q", code, tt.code, out, errOut, tt.out, tt.err)
			}
			if strings.Contains(out+errOut, "sk-") {
				t.Errorf("key printed:\n%s%s", out, errOut)
			}
			if tt.name == "json" {
				var v map[string]any
				if err := json.Unmarshal([]byte(out), &v); err != nil || v["model"] != llmfake.Model {
					t.Errorf("bad JSON %q: %v", out, err)
				}
			}
		})
	}
}

// writeLLMIssues writes made-up issues (two errors, three and two
// reports) as one GitHub issue object per line, and returns the file.
func writeLLMIssues(t *testing.T) string {
	t.Helper()
	bodies := []struct{ repo, title, body string }{
		{"acme/widgetd", "spool broken", "```\nError: EACCES: permission denied, open '/var/spool/widget/a.db'\n```\nchown fixed it"},
		{"acme/widgetd", "spool broken again", "```\nError: EACCES: permission denied, open '/var/spool/widget/b.db'\n```"},
		{"acme/widgetd", "spool on boot", "```\nError: EACCES: permission denied, open '/srv/widget/c.db'\n```\nrestorecon fixed it"},
		{"acme/gizmo", "gizmo fails", "```\nError: connect ECONNREFUSED 127.0.0.1:5432\n```"},
		{"acme/gizmo", "gizmo limit", "```\nError: connect ECONNREFUSED 10.0.0.7:5432\n```"},
	}
	var b strings.Builder
	for i, x := range bodies {
		rec := map[string]any{
			"repository": x.repo, "number": i + 1, "html_url": "https://github.com/" + x.repo + "/issues/" + string(rune('1'+i)),
			"title": x.title, "body": x.body, "state": "open", "user": map[string]string{"login": "someone"}, "labels": []string{},
			"created_at": "2026-01-0" + string(rune('1'+i)) + "T00:00:00Z", "updated_at": "2026-01-0" + string(rune('1'+i)) + "T00:00:00Z",
		}
		line, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	p := filepath.Join(t.TempDir(), "issues.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestClassifyWithLLM(t *testing.T) {
	t.Parallel()
	url := storetest.URL(t)
	fake := llmfake.New(t)
	vars := map[string]string{"OPENAI_BASE_URL": fake.BaseURL(), "OPENAI_API_KEY": llmfake.Key}
	if code, _, errb := runLLMCmd(t, nil, "--database-url", url, "import", writeLLMIssues(t)); code != cli.ExitOK {
		t.Fatalf("import: %s", errb)
	}
	titles := func() []string {
		code, out, errb := runLLMCmd(t, nil, "--database-url", url, "clusters", "--json")
		if code != cli.ExitOK {
			t.Fatalf("clusters: %s", errb)
		}
		var cs []struct {
			Title string `json:"title"`
		}
		if err := json.Unmarshal([]byte(out), &cs); err != nil {
			t.Fatal(err)
		}
		var ts []string
		for _, c := range cs {
			ts = append(ts, c.Title)
		}
		return ts
	}

	// Endpoint down: the run still succeeds, with deterministic titles.
	down := map[string]string{"OPENAI_BASE_URL": "http://127.0.0.1:1/v1", "OPENAI_API_KEY": "k"}
	code, _, errb := runLLMCmd(t, down, "--database-url", url, "classify", "--llm", "--llm-model", "m")
	if code != cli.ExitOK {
		t.Fatalf("classify with the endpoint down: exit %d: %s", code, errb)
	}
	before := titles()
	if len(before) != 2 {
		t.Fatalf("clusters: %v", before)
	}
	for _, ti := range before {
		if strings.HasPrefix(ti, "Model title") {
			t.Errorf("model title without a model: %q", ti)
		}
	}

	code, _, errb = runLLMCmd(t, vars, "--database-url", url, "classify", "--llm", "--llm-model", llmfake.Model)
	if code != cli.ExitOK {
		t.Fatalf("classify --llm: exit %d: %s", code, errb)
	}
	after := titles()
	for _, ti := range after {
		if !strings.HasPrefix(ti, "Model title: ") {
			t.Errorf("title %q is not the model's", ti)
		}
	}
	calls := fake.Calls()
	if calls == 0 {
		t.Fatal("no model calls")
	}
	// A second run on unchanged clusters makes no calls.
	code, _, errb = runLLMCmd(t, vars, "--database-url", url, "classify", "--llm", "--llm-model", llmfake.Model)
	if code != cli.ExitOK || fake.Calls() != calls {
		t.Errorf("second run: exit %d, %d new calls: %s", code, fake.Calls()-calls, errb)
	}
	// --no-llm never calls; --llm with --no-llm is a usage error.
	if code, _, errb = runLLMCmd(t, vars, "--database-url", url, "classify", "--no-llm"); code != cli.ExitOK || fake.Calls() != calls {
		t.Errorf("--no-llm: exit %d, calls %d: %s", code, fake.Calls()-calls, errb)
	}
	if code, _, _ = runLLMCmd(t, vars, "--database-url", url, "classify", "--llm", "--no-llm"); code != cli.ExitUsage {
		t.Errorf("--llm --no-llm: exit %d, want %d", code, cli.ExitUsage)
	}
}

func TestRunWithLLM(t *testing.T) {
	t.Parallel()
	fake := llmfake.New(t)
	tests := []struct {
		name  string
		vars  map[string]string
		model bool
	}{
		{"model answers", map[string]string{"OPENAI_BASE_URL": fake.BaseURL(), "OPENAI_API_KEY": llmfake.Key}, true},
		{"endpoint down", map[string]string{"OPENAI_BASE_URL": "http://127.0.0.1:1/v1", "OPENAI_API_KEY": "k"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := storetest.URL(t)
			out := t.TempDir()
			if code, _, errb := runLLMCmd(t, nil, "--database-url", url, "import", writeLLMIssues(t)); code != cli.ExitOK {
				t.Fatalf("import: %s", errb)
			}
			code, stdout, errb := runLLMCmd(t, tt.vars, "--database-url", url, "run", "--no-sync", "--force", "--out", out, "--llm", "--llm-model", llmfake.Model)
			if code != cli.ExitOK {
				t.Fatalf("run: exit %d\n%s\n%s", code, stdout, errb)
			}
			_, cl, _ := runLLMCmd(t, nil, "--database-url", url, "clusters", "--json")
			if got := strings.Count(cl, `"title": "Model title: `); (got == 2) != tt.model {
				t.Errorf("%d model titles, model answering=%v:\n%s", got, tt.model, cl)
			}
			pages := readTree(t, out)
			prose, titled := 0, 0
			for _, text := range pages {
				if strings.Contains(text, "Model says the error") {
					prose++
				}
				if strings.Contains(text, "This page's title, summary") && strings.Contains(text, "chosen by the language model "+llmfake.Model) {
					titled++
				}
			}
			if (titled == 2) != tt.model {
				t.Errorf("%d pages say their title is the model's; model answering=%v", titled, tt.model)
			}
			if len(pages) == 0 || (prose == 2) != tt.model {
				t.Errorf("%d files, %d with model prose; model answering=%v", len(pages), prose, tt.model)
			}
		})
	}
}

// readTree returns every file under dir by relative path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPagesWithLLM(t *testing.T) {
	t.Parallel()
	url := storetest.URL(t)
	fake := llmfake.New(t)
	vars := map[string]string{"OPENAI_BASE_URL": fake.BaseURL(), "OPENAI_API_KEY": llmfake.Key}
	down := map[string]string{"OPENAI_BASE_URL": "http://127.0.0.1:1/v1", "OPENAI_API_KEY": "k"}
	if code, _, errb := runLLMCmd(t, nil, "--database-url", url, "import", writeLLMIssues(t)); code != cli.ExitOK {
		t.Fatalf("import: %s", errb)
	}
	if code, _, errb := runLLMCmd(t, nil, "--database-url", url, "classify"); code != cli.ExitOK {
		t.Fatalf("classify: %s", errb)
	}
	pagesRun := func(vars map[string]string, flags ...string) map[string]string {
		t.Helper()
		out := t.TempDir()
		var global []string
		if len(flags) > 0 && flags[0] == "--config" {
			global, flags = flags[:2], flags[2:]
		}
		args := append(append(append([]string{"--database-url", url}, global...), "pages", "--format", "plain", "--no-charts", "--out", out), flags...)
		code, stdout, errb := runLLMCmd(t, vars, args...)
		if code != cli.ExitOK {
			t.Fatalf("pages %v: exit %d\n%s\n%s", flags, code, stdout, errb)
		}
		return readTree(t, out)
	}
	plain := pagesRun(nil)
	withModel := pagesRun(vars, "--llm", "--llm-model", llmfake.Model)
	calls := fake.Calls()
	if calls != 2 {
		t.Errorf("%d calls for 2 pages, want 2", calls)
	}
	found := 0
	for name, text := range withModel {
		if !strings.Contains(text, "Model says the error") {
			continue
		}
		found++
		if testing.Verbose() && found == 1 {
			t.Logf("%s:\n%s", name, text)
		}
		if !strings.Contains(text, "were written by "+llmfake.Model) || strings.Count(text, "*Written by the language model "+llmfake.Model) != 4 {
			t.Errorf("%s does not say which model wrote what:\n%s", name, text)
		}
		if !strings.Contains(text, "[[acme/") || !strings.Contains(text, "](https://github.com/acme/") {
			t.Errorf("%s: citations do not link to reports:\n%s", name, text)
		}
		if strings.Contains(plain[name], "Model says") {
			t.Errorf("model text without a model")
		}
	}
	if found != 2 {
		t.Errorf("%d pages with model prose, want 2", found)
	}
	// Second run: same pages, no calls.
	again := pagesRun(vars, "--llm", "--llm-model", llmfake.Model)
	if fake.Calls() != calls {
		t.Errorf("second run made %d calls", fake.Calls()-calls)
	}
	for name := range withModel {
		if again[name] != withModel[name] {
			t.Errorf("%s changed on a rerun", name)
		}
	}
	// Budget spent (a new model, so nothing is cached): no calls, and the
	// same pages as without a model.
	cfgPath := filepath.Join(t.TempDir(), "errata.yaml")
	if err := os.WriteFile(cfgPath, []byte("llm:\n  base_url: "+fake.BaseURL()+"\n  model: "+llmfake.Model+"-2\n  token_budget: 50\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	broke := pagesRun(vars, "--config", cfgPath)
	if fake.Calls() != calls {
		t.Errorf("calls made past the budget: %d", fake.Calls()-calls)
	}
	for name := range plain {
		if broke[name] != plain[name] {
			t.Errorf("%s differs from the page without a model when the budget is spent", name)
		}
	}
	// Endpoint down: complete deterministic pages, the same as without a model.
	fallback := pagesRun(down, "--llm", "--llm-model", "other-model")
	if len(fallback) != len(plain) {
		t.Fatalf("%d files with the endpoint down, %d without a model", len(fallback), len(plain))
	}
	for name := range plain {
		if fallback[name] != plain[name] {
			t.Errorf("%s differs from the page without a model:\n%s\n----\n%s", name, fallback[name], plain[name])
		}
	}
}
