package config_test

import (
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
		{"unknown top-level key", "sources: {}\noutptu:\n  dir: x\n", `cfg.yaml:2: unknown key "outptu" in config`},
		{"unknown nested key", "sources:\n  repositories:\n    - repo: a/b\n      sinse: 2025-01-01\n", `cfg.yaml:4: unknown key "sinse" in repository`},
		{"bad repo", "sources:\n  repositories:\n    - repo: not-a-repo\n", `cfg.yaml:3: sources.repositories.repo: want owner/name, got "not-a-repo"`},
		{"duplicate repo", "sources:\n  repositories:\n    - a/b\n    - A/B\n", `cfg.yaml:4: sources.repositories.repo: A/B is already listed on line 3`},
		{"bad date", "sources:\n  searches:\n    - query: x\n      since: last week\n", `cfg.yaml:4: since: want a date`},
		{"bad duration", "schedule:\n  interval: often\n", `cfg.yaml:2: want a positive duration`},
		{"bad format", "output:\n  format: html\n", `cfg.yaml: output.format: want hugo, mkdocs or plain, got "html"`},
		{"empty query", "sources:\n  searches:\n    - query: ''\n", `cfg.yaml:3: sources.searches.query: must not be empty`},
		{"bad yaml", "sources: [\n", `cfg.yaml`},
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
