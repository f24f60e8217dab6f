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
