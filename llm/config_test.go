package llm

import (
	"flag"
	"strings"
	"testing"
	"time"

	urfavecli "github.com/urfave/cli/v2"

	"github.com/errata-tool/errata/config"
)

// flagContext parses args with Flags() the way a command would.
func flagContext(t *testing.T, args ...string) *urfavecli.Context {
	t.Helper()
	set := flag.NewFlagSet("test", flag.ContinueOnError)
	for _, f := range Flags() {
		if err := f.Apply(set); err != nil {
			t.Fatal(err)
		}
	}
	if err := set.Parse(args); err != nil {
		t.Fatal(err)
	}
	return urfavecli.NewContext(urfavecli.NewApp(), set, nil)
}

func parseConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(strings.NewReader(yaml), "errata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestConfigFrom(t *testing.T) {
	t.Parallel()
	full := "llm:\n  base_url: http://localhost:11434/v1\n  model: llama3.1\n  max_concurrency: 2\n  timeout: 30s\n  token_budget: 1000\n"
	tests := []struct {
		name string
		args []string
		yaml string
		env  map[string]string
		want Config
		err  string
	}{
		{name: "off by default", want: Config{Source: "off"}},
		{name: "config section", yaml: full,
			want: Config{Enabled: true, BaseURL: "http://localhost:11434/v1", Model: "llama3.1", APIKeyEnv: "OPENAI_API_KEY", MaxConcurrency: 2, Timeout: 30 * time.Second, TokenBudget: 1000, Source: "errata.yaml"}},
		{name: "config disabled", yaml: full + "  enabled: false\n", want: Config{Source: "off"}},
		{name: "--llm overrides enabled false", args: []string{"--llm"}, yaml: full + "  enabled: false\n",
			want: Config{Enabled: true, BaseURL: "http://localhost:11434/v1", Model: "llama3.1", APIKeyEnv: "OPENAI_API_KEY", MaxConcurrency: 2, Timeout: 30 * time.Second, TokenBudget: 1000, Source: "--llm"}},
		{name: "--no-llm overrides config", args: []string{"--no-llm"}, yaml: full, want: Config{Source: "--no-llm"}},
		{name: "--llm and --no-llm", args: []string{"--llm", "--no-llm"}, err: "contradict"},
		{name: "--llm from the environment", args: []string{"--llm"},
			env:  map[string]string{"OPENAI_BASE_URL": "https://llm.internal/v1", "OPENAI_API_KEY": "sk-env", "OPENAI_MODEL": "m-env"},
			want: Config{Enabled: true, BaseURL: "https://llm.internal/v1", Model: "m-env", APIKey: "sk-env", APIKeyEnv: "OPENAI_API_KEY", Source: "--llm"}},
		{name: "--llm-model wins", args: []string{"--llm", "--llm-model", "m-flag"}, yaml: full,
			want: Config{Enabled: true, BaseURL: "http://localhost:11434/v1", Model: "m-flag", APIKeyEnv: "OPENAI_API_KEY", MaxConcurrency: 2, Timeout: 30 * time.Second, TokenBudget: 1000, Source: "--llm"}},
		{name: "config base_url beats OPENAI_BASE_URL", yaml: full, env: map[string]string{"OPENAI_BASE_URL": "https://elsewhere/v1"},
			want: Config{Enabled: true, BaseURL: "http://localhost:11434/v1", Model: "llama3.1", APIKeyEnv: "OPENAI_API_KEY", MaxConcurrency: 2, Timeout: 30 * time.Second, TokenBudget: 1000, Source: "errata.yaml"}},
		{name: "openai default model", args: []string{"--llm"}, env: map[string]string{"OPENAI_API_KEY": "sk-x"},
			want: Config{Enabled: true, BaseURL: DefaultBaseURL, Model: DefaultModel, APIKey: "sk-x", APIKeyEnv: "OPENAI_API_KEY", Source: "--llm"}},
		{name: "openai needs a key", args: []string{"--llm"}, err: "needs an API key in OPENAI_API_KEY"},
		{name: "other endpoint needs a model", args: []string{"--llm"}, env: map[string]string{"OPENAI_BASE_URL": "http://localhost:8000/v1"}, err: "name the model"},
		{name: "named key variable", yaml: full + "  api_key_env: MY_KEY\n", env: map[string]string{"MY_KEY": "k", "OPENAI_API_KEY": "other"},
			want: Config{Enabled: true, BaseURL: "http://localhost:11434/v1", Model: "llama3.1", APIKey: "k", APIKeyEnv: "MY_KEY", MaxConcurrency: 2, Timeout: 30 * time.Second, TokenBudget: 1000, Source: "errata.yaml"}},
		{name: "named key variable unset", yaml: full + "  api_key_env: MY_KEY\n", err: "MY_KEY, which is not set"},
		{name: "bad base url", args: []string{"--llm", "--llm-model", "m"}, env: map[string]string{"OPENAI_BASE_URL": "localhost:8000"}, err: "want an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := parseConfig(t, tt.yaml)
			got, err := ConfigFrom(flagContext(t, tt.args...), cfg, func(k string) string { return tt.env[k] })
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if strings.Contains(got.String(), "sk-") {
				t.Errorf("String() shows the key: %s", got)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Plain sentence.", "Plain sentence."},
		{"line one\nline two\r\n\tthree", "line one line two three"},
		{"<script>alert(1)</script>Hi", "alert(1)Hi"},
		{`<img src="x" onerror="alert(1)">pic`, "pic"},
		{"<a href='javascript:alert(1)'>click</a>", "click"},
		{"a <!-- hidden --> b", "a b"},
		{"expected <string>, got <int>", "expected <string>, got <int>"},
		{"<scr<b>ipt>alert(1)", "alert(1)"},
		{"see [the docs](https://evil.example/x) now", "see the docs now"},
		{"![img](http://x/y.png)", "img"},
		{"visit https://evil.example/a?b=c or www.evil.example", "visit or"},
		{"# Heading", "Heading"},
		{"> quote", "quote"},
		{"- item", "item"},
		{"1. step", "step"},
		{"```bash\nrm -rf /\n```", "bash rm -rf /"},
		{"odd ` backtick", "odd backtick"},
		{"use `npm ci` instead", "use `npm ci` instead"},
		{"fixed in 2.0 [1][2, 3]", "fixed in 2.0"},
		{"token ghp_" + strings.Repeat("b", 36) + " leaked", "token [REDACTED:github-token] leaked"},
		{"&lt;script&gt; x", "script x"},
		{"a\u202Eb\u200Bc", "abc"},
		{"text --- more === and ***", "text more and"},
	}
	for _, tt := range tests {
		if got := Sanitize(tt.in, 0); got != tt.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := strings.Repeat("word ", 100)
	got := Sanitize(long, 50)
	if len(got) > 50 || !strings.HasSuffix(got, "…") || strings.Contains(got, "wor…") {
		t.Errorf("Sanitize cut = %q", got)
	}
}
