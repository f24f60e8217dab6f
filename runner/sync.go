package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/errata-tool/errata/config"
	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/store"
)

// The sync path. `errata run`, `errata worker` and `errata sync` all sync
// through Pipeline.SyncSource (the worker one source per job, the other
// two through Pipeline.SyncAll): it picks the next usable token, syncs the
// source on that token's long-lived client (IngestSyncer), and records
// what the answer taught about the token. Stopping is the same everywhere:
// the stop travels in the context (WithStop: `errata run` and `errata sync`
// close it on the first signal, the worker on shutdown); once it is closed
// the source ends after its page in hand, and a cancelled context abandons
// it.

// Source is one configured sync source: what ingest syncs, and how often
// the worker syncs it.
type Source struct {
	ingest.Source
	Interval time.Duration
}

// String is "repo owner/name" or "search <query>".
func (s Source) String() string { return string(s.Kind) + " " + s.Key }

// SourcesFromConfig lists the configured sources with their intervals:
// the source's own interval, else schedule.interval, else DefaultInterval.
func SourcesFromConfig(cfg *config.Config) []Source {
	def := cfg.Schedule.Interval.Duration
	if def <= 0 {
		def = DefaultInterval
	}
	every := func(d time.Duration) time.Duration {
		if d <= 0 {
			return def
		}
		return d
	}
	var out []Source
	for _, r := range cfg.Sources.Repositories {
		out = append(out, Source{Source: RepoSource(r), Interval: every(r.Interval.Duration)})
	}
	for _, s := range cfg.Sources.Searches {
		out = append(out, Source{Source: SearchSource(s), Interval: every(s.Interval.Duration)})
	}
	return out
}

// RepoSource is what ingest syncs for a configured repository.
func RepoSource(r config.Repository) ingest.Source {
	return ingest.Source{Kind: ingest.KindRepo, Key: r.Repo, Since: r.Since.Time, IncludePullRequests: r.IncludePullRequests}
}

// SearchSource is what ingest syncs for a configured search.
func SearchSource(s config.Search) ingest.Source {
	return ingest.Source{Kind: ingest.KindSearch, Key: s.Query, Since: s.Since.Time}
}

// SyncResult is what one source's sync did: ingest's summary (its Status
// and, unless StatusOK, the reason in Err), the token used and the core
// rate-limit headers last seen with it.
type SyncResult struct {
	ingest.Summary
	// Token names the token used (its environment variable; "" for
	// none or when no request could be sent).
	Token string
	// RateRemaining and RateLimit are the last core rate-limit headers
	// seen with the token (-1 when unknown).
	RateRemaining, RateLimit int64
	// Duration is how long the sync took.
	Duration time.Duration
}

// Changed reports whether the sync stored anything new.
func (r SyncResult) Changed() bool {
	return r.Issues.Inserted+r.Issues.Updated+r.Comments.Inserted+r.Comments.Updated > 0
}

// IngestSyncer syncs sources with package ingest: one long-lived client per
// token, so that what GitHub's headers said about a token's core and search
// budgets carries from one source to the next (a search source after
// another waits for the search reset before its first request instead of
// being refused), and one circuit breaker for all of them, so that a dead
// API host costs a few connection attempts in all.
type IngestSyncer struct {
	Store  *store.Store
	APIURL string
	Limits ingest.Limits
	Logger *slog.Logger
	// Options tune every source's sync; their Logger defaults to Logger.
	Options ingest.Options
	// OnWait is told about every rate-limit or backoff wait (progress).
	OnWait ingest.Waiter
	// Breaker is shared by the clients of every token; nil: one is made
	// on first use. It stays open once open (see ResetBreaker).
	Breaker *ingest.Breaker

	mu      sync.Mutex
	byToken map[string]*ingest.Syncer
}

// syncer returns the token's syncer, making its client on first use.
func (s *IngestSyncer) syncer(token string) (*ingest.Syncer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sy := s.byToken[token]; sy != nil {
		return sy, nil
	}
	if s.Breaker == nil {
		s.Breaker = ingest.NewBreaker(0)
	}
	cl, err := ingest.NewClient(ingest.ClientOptions{APIURL: s.APIURL, Token: token, Limits: s.Limits,
		Breaker: s.Breaker, OnWait: s.OnWait})
	if err != nil {
		return nil, err
	}
	o := s.Options
	if o.Logger == nil {
		o.Logger = s.Logger
	}
	if s.byToken == nil {
		s.byToken = map[string]*ingest.Syncer{}
	}
	sy := ingest.NewSyncer(cl, s.Store, o)
	s.byToken[token] = sy
	return sy, nil
}

// ResetBreaker closes the circuit breaker: the next request tries the API
// host again. A worker runs for good, so each of its sync jobs starts with
// a closed breaker, as each `errata run` does.
func (s *IngestSyncer) ResetBreaker() {
	s.mu.Lock()
	br := s.Breaker
	s.mu.Unlock()
	br.Reset()
}

// sync syncs src with token's client.
func (s *IngestSyncer) sync(ctx context.Context, src Source, token string) SyncResult {
	res := SyncResult{RateRemaining: -1, RateLimit: -1}
	sy, err := s.syncer(token)
	if err != nil {
		res.Summary = ingest.Summary{Source: src.Source.String(), Kind: src.Kind, Status: ingest.StatusFailed, Message: err.Error(), Err: err}
		return res
	}
	res.Summary = sy.Sync(ctx, src.Source)
	cl := sy.Client()
	res.RateRemaining, res.RateLimit = cl.Count.RateRemaining.Load(), cl.Count.RateLimit.Load()
	return res
}

// SyncSource syncs one source with the next usable token, feeding the
// metrics. The stop ctx carries (WithStop), once closed, ends the sync
// after the page in hand; cancelling ctx abandons it. When
// every token is known to be rate limited it sends nothing: the result is
// StatusSkipped with a *RateLimitError. A token whose sync stopped on a
// rate limit is skipped by later sources until the limit resets.
func (p *Pipeline) SyncSource(ctx context.Context, src Source) SyncResult {
	pool := p.tokenPool()
	tok, until, ok := pool.Next(p.now())
	if !ok {
		err := &RateLimitError{Until: until, Err: errors.New("every configured GitHub token is rate limited")}
		return SyncResult{Summary: ingest.Summary{Source: src.Source.String(), Kind: src.Kind, Status: ingest.StatusSkipped,
			Message: "not started: " + err.Error(), Err: err}, RateRemaining: -1, RateLimit: -1}
	}
	t0 := time.Now()
	res := p.Syncer.sync(ctx, src, tok.Value)
	res.Token, res.Duration = tok.Name, time.Since(t0)
	p.Metrics.observeSync(src, tok, res)
	if until, ok := RateLimitedUntil(res.Err); ok {
		pool.Limited(tok, until)
	}
	if res.Err == nil && res.RateRemaining == 0 {
		// Spent exactly: let the next source use another token.
		pool.Limited(tok, p.now().Add(time.Minute))
	}
	return res
}

// SyncAll syncs p.Sources one after the other (a token's requests are best
// made serially). Once ctx's stop is closed or ctx cancelled, the sources not
// begun are reported StatusSkipped with ingest.ErrStopped.
func (p *Pipeline) SyncAll(ctx context.Context) []SyncResult {
	out := make([]SyncResult, 0, len(p.Sources))
	for _, src := range p.Sources {
		if ctx.Err() != nil || ingest.Stopped(ctx) {
			out = append(out, SyncResult{Summary: ingest.Summary{Source: src.Source.String(), Kind: src.Kind,
				Status: ingest.StatusSkipped, Message: "not started: the run was stopped", Err: ingest.ErrStopped},
				RateRemaining: -1, RateLimit: -1})
			continue
		}
		out = append(out, p.SyncSource(ctx, src))
	}
	return out
}

// tokenPool is p.Tokens, or an unauthenticated pool of the Pipeline's
// own (p.Tokens is left as the caller set it: the worker reads it).
func (p *Pipeline) tokenPool() *TokenPool {
	if p.Tokens != nil {
		return p.Tokens
	}
	p.poolOnce.Do(func() { p.anonTokens = NewTokenPool(nil) })
	return p.anonTokens
}

// syncStage is the run report's line for one source; failed is set when
// it makes the run exit ExitSync.
func syncStage(ctx context.Context, src Source, res SyncResult) (st StageStatus, failed bool) {
	st = StageStatus{Stage: "sync", Source: src.String(), Duration: res.Duration}
	err := res.Err
	var open *ingest.CircuitOpenError
	switch {
	case res.Status == ingest.StatusSkipped && errors.Is(err, ingest.ErrStopped):
		st.Status, st.Detail = StateSkipped, "the run was stopped"
	case err != nil && ctx.Err() != nil:
		st.Status, st.Detail = StateAborted, "aborted by a second signal; every committed page is kept"
	case err != nil && ingest.Stopped(ctx):
		st.Status, st.Detail = StateStopped, "stopped after the current page; progress saved"
	case errors.As(err, &open) && res.Requests == 0:
		st.Status, st.Detail = StateSkipped, "not tried: "+open.Error()
		failed = true
	case errors.Is(err, ingest.ErrSourceBusy):
		st.Status, st.Detail = StateSkipped, "another errata process is syncing this source now"
	default:
		if until, ok := RateLimitedUntil(err); ok {
			st.Status, st.Detail = StateRateLimited, fmt.Sprintf("stopped with progress saved; the limit resets at %s", until.UTC().Format(time.RFC3339))
		} else if err != nil {
			st.Status, st.Detail = StateFailed, fmt.Sprintf("sync %s: %v", src, err)
			failed = true
		} else {
			st.Status = StateOK
			st.Detail = fmt.Sprintf("%d requests (%d not modified); issues %d new, %d updated; comments %d new, %d updated",
				res.Requests, res.NotModified, res.Issues.Inserted, res.Issues.Updated, res.Comments.Inserted, res.Comments.Updated)
		}
	}
	return st, failed
}
