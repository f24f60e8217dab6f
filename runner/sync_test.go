package runner_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/errata-tool/errata/config"
	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/runner"
	"github.com/errata-tool/errata/store/storetest"
)

// TestSearchBudgetCarriesAcrossSources: search sources synced one after
// the other share their token's client, so the search budget the first one
// spent (learned from X-RateLimit-* headers) makes the second wait for the
// reset before its first request, instead of being refused with a 403.
func TestSearchBudgetCarriesAcrossSources(t *testing.T) {
	t.Parallel()
	// A first sync of a search costs two search requests (the pass and
	// the probe): a budget of two is spent by the first source.
	fake := githubfake.New(githubfake.Options{SearchLimit: 2, SearchWindow: 2 * time.Second})
	defer fake.Close()
	fake.AddIssue("acme/one", githubfake.NewIssue{Title: "segfault in the parser"})
	fake.AddIssue("acme/two", githubfake.NewIssue{Title: "deadlock on shutdown"})
	s := storetest.New(t)
	cfg := &config.Config{}
	cfg.Sources.Searches = []config.Search{{Query: "segfault repo:acme/one"}, {Query: "deadlock repo:acme/two"}}
	p := &runner.Pipeline{Store: s, Sources: runner.SourcesFromConfig(cfg),
		Tokens: runner.NewTokenPool([]runner.Token{{Name: "TOK", Value: "token-1"}}),
		Syncer: &runner.IngestSyncer{Store: s, APIURL: fake.APIURL(), Limits: ingest.Limits{MaxWait: 10 * time.Second}}}
	res := p.SyncAll(context.Background())
	if len(res) != 2 {
		t.Fatalf("%d results for 2 sources", len(res))
	}
	for _, r := range res {
		if r.Status != ingest.StatusOK || r.Issues.Inserted != 1 {
			t.Errorf("%s: %s (%v), %d issues new; want ok with 1", r.Source, r.Status, r.Err, r.Issues.Inserted)
		}
	}
	st := fake.Stats()
	if n := st.Status[http.StatusForbidden] + st.Status[http.StatusTooManyRequests]; n != 0 {
		t.Errorf("%d requests refused on the search limit; the client should have known the budget was spent", n)
	}
	if res[1].Waited == 0 {
		t.Errorf("the second search did not wait for the search reset")
	}
	if res[0].Token != "TOK" || res[1].Token != "TOK" {
		t.Errorf("tokens %q, %q; want TOK for both", res[0].Token, res[1].Token)
	}
}

// TestSyncAllSkipsOnceEveryTokenIsSpent: once the only token's sync stopped
// on a rate limit that resets beyond MaxWait, the later sources are
// skipped without a request, as rate limited; without a token the
// unauthenticated limit is tracked the same way.
func TestSyncAllSkipsOnceEveryTokenIsSpent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		tokens *runner.TokenPool
	}{
		{"one token", runner.NewTokenPool([]runner.Token{{Name: "TOK", Value: "token-1"}})},
		{"no token", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := githubfake.New(githubfake.Options{})
			defer fake.Close()
			for _, r := range []string{"acme/one", "acme/two", "acme/three"} {
				fake.AddIssue(r, githubfake.NewIssue{Title: "segfault in the parser"})
			}
			fake.Inject(githubfake.Fault{Status: http.StatusForbidden, Primary: true, ResetIn: time.Hour})
			s := storetest.New(t)
			cfg := &config.Config{}
			cfg.Sources.Repositories = []config.Repository{{Repo: "acme/one"}, {Repo: "acme/two"}, {Repo: "acme/three"}}
			p := &runner.Pipeline{Store: s, Sources: runner.SourcesFromConfig(cfg), Tokens: tc.tokens,
				Syncer: &runner.IngestSyncer{Store: s, APIURL: fake.APIURL(), Limits: ingest.Limits{MaxWait: time.Second}}}
			res := p.SyncAll(context.Background())
			if res[0].Status != ingest.StatusPartial {
				t.Errorf("first source %s (%v), want partial on the rate limit", res[0].Status, res[0].Err)
			}
			for _, r := range res[1:] {
				if _, limited := runner.RateLimitedUntil(r.Err); r.Status != ingest.StatusSkipped || !limited || r.Requests != 0 {
					t.Errorf("%s: %s after %d requests (%v), want skipped as rate limited after none", r.Source, r.Status, r.Requests, r.Err)
				}
			}
			if n := fake.Stats().Requests; n != 1 {
				t.Errorf("%d requests, want the one that met the limit", n)
			}
		})
	}
}
