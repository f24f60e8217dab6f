package runner_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/errata-tool/errata/config"
	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/runner"
)

func TestSourcesFromConfigIntervals(t *testing.T) {
	t.Parallel()
	d := func(s string) config.Duration { v, _ := config.ParseDuration(s); return config.Duration{Duration: v} }
	tests := []struct {
		name     string
		schedule config.Duration
		want     []time.Duration
	}{
		{"source intervals else 1h", config.Duration{}, []time.Duration{15 * time.Minute, time.Hour, 2 * time.Hour}},
		{"source intervals else schedule", d("30m"), []time.Duration{15 * time.Minute, 30 * time.Minute, 2 * time.Hour}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := &config.Config{Schedule: config.Schedule{Interval: tc.schedule}}
			cfg.Sources.Repositories = []config.Repository{{Repo: "a/b", Interval: d("15m")}, {Repo: "c/d"}}
			cfg.Sources.Searches = []config.Search{{Query: "is:issue label:bug", Interval: d("2h")}}
			got := runner.SourcesFromConfig(cfg)
			if len(got) != 3 {
				t.Fatalf("%d sources", len(got))
			}
			for i, s := range got {
				if s.Interval != tc.want[i] {
					t.Errorf("%s: interval %s, want %s", s, s.Interval, tc.want[i])
				}
			}
			if got[2].Kind != ingest.KindSearch || got[2].Key != "is:issue label:bug" || got[0].Kind != ingest.KindRepo || got[0].Key != "a/b" {
				t.Errorf("sources %+v", got)
			}
		})
	}
}

func TestTokensFromConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{"TOK_A": "aaa", "TOK_B": "bbb", "TOK_DUP": "aaa", "GITHUB_TOKEN": "ggg", "GH_TOKEN": "hhh"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name string
		gh   config.GitHub
		want string
	}{
		{"token_envs in order, unset and duplicates left out", config.GitHub{TokenEnvs: []string{"TOK_B", "TOK_UNSET", "TOK_A", "TOK_DUP"}}, "TOK_B,TOK_A"},
		{"token_env", config.GitHub{TokenEnv: "TOK_A"}, "TOK_A"},
		{"default GITHUB_TOKEN", config.GitHub{}, "GITHUB_TOKEN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var names string
			for i, tok := range runner.TokensFromConfig(tc.gh, getenv) {
				if i > 0 {
					names += ","
				}
				names += tok.Name
				if tok.Value != env[tok.Name] {
					t.Errorf("%s has the wrong value", tok.Name)
				}
			}
			if names != tc.want {
				t.Errorf("tokens %s, want %s", names, tc.want)
			}
		})
	}
}

// TestTokenPool: tokens are used in turn, a limited one is skipped until
// its reset, and when all are limited the earliest reset is returned.
func TestTokenPool(t *testing.T) {
	t.Parallel()
	a, b, c := runner.Token{Name: "A", Value: "a"}, runner.Token{Name: "B", Value: "b"}, runner.Token{Name: "C", Value: "c"}
	p := runner.NewTokenPool([]runner.Token{a, b, c})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var seq string
	for i := 0; i < 4; i++ {
		tok, _, ok := p.Next(now)
		if !ok {
			t.Fatal("no token")
		}
		seq += tok.Name
	}
	if seq != "ABCA" {
		t.Errorf("round robin gave %s, want ABCA", seq)
	}
	p.Limited(b, now.Add(10*time.Minute))
	seq = ""
	for i := 0; i < 3; i++ {
		tok, _, _ := p.Next(now)
		seq += tok.Name
	}
	if seq != "CAC" {
		t.Errorf("with B limited: %s, want CAC", seq)
	}
	p.Limited(a, now.Add(5*time.Minute))
	p.Limited(c, now.Add(20*time.Minute))
	if _, earliest, ok := p.Next(now); ok || !earliest.Equal(now.Add(5*time.Minute)) {
		t.Errorf("all limited: ok %v, earliest %s; want false, the reset of A", ok, earliest)
	}
	if at := p.AvailableAt(now); !at.Equal(now.Add(5 * time.Minute)) {
		t.Errorf("AvailableAt with all limited = %s, want the reset of A", at)
	}
	if tok, _, ok := p.Next(now.Add(6 * time.Minute)); !ok || tok.Name != "A" {
		t.Errorf("after A's reset: %v %v, want A", tok.Name, ok)
	}
}

func TestRateLimitedUntil(t *testing.T) {
	t.Parallel()
	reset := time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		err  error
		ok   bool
	}{
		{"ingest wait too long, wrapped", fmt.Errorf("sync x: %w", &ingest.WaitTooLongError{Reason: "core primary rate limit", Wait: time.Hour, Until: reset}), true},
		{"runner rate limit error", &runner.RateLimitError{Until: reset, Err: errors.New("all tokens spent")}, true},
		{"other error", errors.New("boom"), false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			until, ok := runner.RateLimitedUntil(tc.err)
			if ok != tc.ok || (ok && !until.Equal(reset)) {
				t.Errorf("RateLimitedUntil = %s, %v; want %s, %v", until, ok, reset, tc.ok)
			}
		})
	}
}
