package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/errata-tool/errata/config"
)

func TestExampleFileParses(t *testing.T) {
	t.Parallel()
	c, err := config.Load("../errata.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sources.Repositories) != 3 || c.Sources.Repositories[2].Repo != "example-org/another-tool" {
		t.Fatalf("repositories = %+v", c.Sources.Repositories)
	}
	if !c.Sources.Repositories[1].IncludePullRequests || c.Sources.Repositories[0].Interval.Duration != time.Hour {
		t.Fatalf("repository options lost: %+v", c.Sources.Repositories)
	}
	if got := c.Sources.Repositories[0].Since.Format("2006-01-02"); got != "2025-01-01" {
		t.Fatalf("since = %s", got)
	}
	if c.Output.Format != "hugo" || c.Output.MinSize != 2 || c.Schedule.Interval.Duration != 15*time.Minute {
		t.Fatalf("output/schedule = %+v %+v", c.Output, c.Schedule)
	}
}

func TestErrorsNameLineAndKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"unknown top-level key", "sources: {}\noutptu:\n  dir: x\n", `cfg.yaml:2: unknown key "outptu" (known: sources, github, rules, output, schedule, llm)`},
		{"unknown nested key", "sources:\n  repositories:\n    - repo: a/b\n      sinse: 2025-01-01\n", `cfg.yaml:4: sources.repositories[0]: unknown key "sinse" (known: repo, since, include_pull_requests, interval)`}, //nolint:misspell // a deliberate typo of a key
		{"unknown key in a search", "sources:\n  searches:\n    - x\n    - query: y\n      intervall: 1h\n", `cfg.yaml:5: sources.searches[1]: unknown key "intervall"`},
		{"unknown key in a section", "llm:\n  model: m\n  temprature: 0\n", `cfg.yaml:3: llm: unknown key "temprature" (known: base_url, model,`},
		{"mapping for a list", "github:\n  token_envs:\n    a: b\n", `cfg.yaml:3: github.token_envs: want a list, got a mapping`},
		{"list for a section", "output: [a]\n", `cfg.yaml:1: output: want a mapping (key: value lines), got a list`},
		{"bad repo", "sources:\n  repositories:\n    - repo: not-a-repo\n", `cfg.yaml:3: sources.repositories.repo: want owner/name, got "not-a-repo"`},
		{"duplicate repo", "sources:\n  repositories:\n    - a/b\n    - A/B\n", `cfg.yaml:4: sources.repositories.repo: A/B is already listed on line 3`},
		{"bad date", "sources:\n  searches:\n    - query: x\n      since: last week\n", `cfg.yaml:4: sources.searches[0].since: want a date`},
		{"bad duration", "schedule:\n  interval: often\n", `cfg.yaml:2: schedule.interval: want a positive duration`},
		{"bad format", "output:\n  format: html\n", `cfg.yaml:2: output.format: want hugo, mkdocs or plain, got "html"`},
		{"empty query", "sources:\n  searches:\n    - query: ''\n", `cfg.yaml:3: sources.searches.query: must not be empty`},
		{"bad yaml", "sources: [\n", `cfg.yaml:1: did not find expected node content`},
		{"bad indentation on its line", "output:\n  dir: x\n format: hugo\n", `cfg.yaml:3: did not find expected key`},
		{"tab on its line", "output:\n\tdir: x\n", `cfg.yaml:2: found character that cannot start any token`},
		{"type error names the key", "output:\n  dir: x\n  min_size: many\n", `cfg.yaml:3: output.min_size: want a whole number, got a string`},
		{"type error in a list names the key", "sources:\n  repositories:\n    - repo: a/b\n      include_pull_requests: sometimes\n", `cfg.yaml:4: sources.repositories[0].include_pull_requests: want true or false, got a string`},
		{"list for a string", "github:\n  api_url: [a, b]\n", `cfg.yaml:2: github.api_url: want a string, got a list`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse(strings.NewReader(tc.in), "cfg.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestSeveralErrorsReportedAtOnce: a file with several problems reports
// every one, each with its line and key, not only the first.
func TestSeveralErrorsReportedAtOnce(t *testing.T) {
	t.Parallel()
	in := "sources:\n  repositories:\n    - repo: ../user\n    - repo: a/b\n      since: someday\noutput:\n  min_size: lots\n  format: html\nschedule:\n  interval: often\nllm:\n  token_budget: -1\n  modle: x\n" //nolint:misspell // a deliberate typo of a key
	_, err := config.Parse(strings.NewReader(in), "cfg.yaml")
	if err == nil {
		t.Fatal("accepted")
	}
	var ce *config.Error
	if !errors.As(err, &ce) {
		t.Errorf("errors.As finds no *config.Error in %v", err)
	}
	want := strings.Join([]string{
		`cfg.yaml:3: sources.repositories.repo: want owner/name, got "../user"`,
		`cfg.yaml:5: sources.repositories[1].since: want a date like 2025-01-31 or an RFC 3339 time, got "someday"`,
		`cfg.yaml:7: output.min_size: want a whole number, got a string`,
		`cfg.yaml:8: output.format: want hugo, mkdocs or plain, got "html"`,
		`cfg.yaml:10: schedule.interval: want a positive duration like 15m, 6h or 28d, got "often"`,
		`cfg.yaml:12: llm.token_budget: must not be negative`,
		`cfg.yaml:13: llm: unknown key "modle" (known: base_url, model, api_key_env, max_concurrency, timeout, token_budget, enabled)`, //nolint:misspell // a deliberate typo of a key
	}, "\n")
	if got := err.Error(); got != want {
		t.Errorf("errors:\n%v\nwant, in this order:\n%s", got, want)
	}
	// A file that decodes: the checks on the decoded values, all at once.
	in = "sources:\n  repositories:\n    - repo: ../user\noutput:\n  format: html\nllm:\n  token_budget: -1\n"
	_, err = config.Parse(strings.NewReader(in), "cfg.yaml")
	for _, want := range []string{
		`cfg.yaml:3: sources.repositories.repo: want owner/name, got "../user"`,
		`cfg.yaml:5: output.format: want hugo, mkdocs or plain, got "html"`,
		`cfg.yaml:7: llm.token_budget: must not be negative`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"28d": 28 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "90m": 90 * time.Minute} {
		got, err := config.ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0d", "-1h", "d", "1.5d"} {
		if _, err := config.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
}
