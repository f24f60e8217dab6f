package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	urfavecli "github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/errata-tool/errata/config"
	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/runner"
)

// syncCommand is `errata sync`.
//
// Sources: with --repo or --search, exactly those are synced (a flag
// naming a configured source keeps its config settings); without them,
// every source of the config file. --since overrides the start date of
// the sources synced; it only bounds a first sync (a source already synced
// continues from its cursor). --include-pull-requests applies to --repo
// sources. Exit status: 0 when every source is ok or stopped at --max-wait
// (progress saved, reported as partial), 1 when any source failed, 2 for
// usage errors, 7 when a signal stopped it after the current page, 8 when
// a second signal aborted it (runner.ExitStopped, runner.ExitAborted).
func syncCommand(env *Env) *urfavecli.Command {
	return &urfavecli.Command{
		Name:  "sync",
		Usage: "pull issues and comments from GitHub into the database, incrementally and within rate limits",
		Description: `Syncs the configured sources (or those given with --repo/--search).
Uses GITHUB_TOKEN, else GH_TOKEN (or github.token_env); with several tokens
(github.token_envs) each source takes the next in turn, skipping a token
whose rate limit is spent until its reset. Without a token it works at
GitHub's unauthenticated limit. Ctrl-C or SIGTERM stops after the
current page with everything saved; a second Ctrl-C aborts at once.`,
		Flags: []urfavecli.Flag{
			&urfavecli.StringSliceFlag{Name: "repo", Usage: "repository owner/name to sync (repeatable)"},
			&urfavecli.GenericFlag{Name: "search", Value: &queryList{}, Usage: "GitHub issue search query to sync (repeatable; commas are part of the query)"},
			&urfavecli.StringFlag{Name: "since", Usage: "start date (YYYY-MM-DD or RFC 3339) bounding a first sync"},
			&urfavecli.BoolFlag{Name: "include-pull-requests", Usage: "also store pull requests of --repo sources"},
			&urfavecli.StringFlag{Name: "github-api-url", Usage: "GitHub API base (GitHub Enterprise Server or a compatible API; default $GITHUB_API_URL, then github.api_url, then api.github.com); a URL with a path is used as given"},
			&urfavecli.DurationFlag{Name: "max-wait", Value: 15 * time.Minute, Usage: "longest rate-limit wait; a longer one stops the sync cleanly with progress saved"},
			&urfavecli.BoolFlag{Name: "reconcile", Usage: "also detect transferred/deleted issues and deleted comments (lists every issue again)"},
			&urfavecli.StringFlag{Name: "progress", Value: "auto", Usage: "auto (bars on a terminal, log lines otherwise), bar or log"},
			&urfavecli.BoolFlag{Name: "json", Usage: "print the run summary as JSON"},
			&urfavecli.DurationFlag{Name: "secondary-backoff", Value: 60 * time.Second, Usage: "first wait after a secondary rate limit without Retry-After", Hidden: true},
			&urfavecli.DurationFlag{Name: "retry-backoff", Value: time.Second, Usage: "first wait after a 5xx or network error", Hidden: true},
			&urfavecli.DurationFlag{Name: "overlap", Value: 2 * time.Minute, Usage: "cursor overlap", Hidden: true},
		},
		Action: func(c *urfavecli.Context) error { return runSync(c, env) },
	}
}

func runSync(c *urfavecli.Context, env *Env) error {
	log := env.logger()
	cfg, err := env.Config(c)
	if err != nil {
		return err
	}
	sources, err := syncSources(c, cfg)
	if err != nil {
		return err
	}
	apiURL := c.String("github-api-url")
	if apiURL == "" {
		apiURL = env.Getenv("GITHUB_API_URL")
	}
	if apiURL == "" {
		apiURL = cfg.GitHub.APIURL
	}
	if _, err := ingest.ResolveAPIURL(apiURL); err != nil {
		return usageError("--github-api-url: %v", err)
	}
	mode := c.String("progress")
	if mode != "auto" && mode != "bar" && mode != "log" {
		return usageError("--progress: want auto, bar or log, got %q", mode)
	}
	if c.Duration("max-wait") <= 0 {
		return usageError("--max-wait must be positive")
	}
	st, err := env.Store(c)
	if err != nil {
		return err
	}
	tokens := runner.TokensFromConfig(cfg.GitHub, env.Getenv)
	if len(tokens) == 0 {
		log.Warn("no GitHub token (GITHUB_TOKEN or GH_TOKEN): syncing at the unauthenticated limit of 60 requests an hour")
	}

	ctx, stop, done := gracefulStop(c.Context, log, "the current page")
	defer done()

	prog := newSyncProgress(env.Stderr, mode, log)
	defer prog.close()
	// The same sync path as `errata run`: the runner picks a token per
	// source in turn (skipping one known to be rate limited) and keeps one
	// client per token for the whole command.
	p := &runner.Pipeline{Store: st, Sources: sources, Tokens: runner.NewTokenPool(tokens), Logger: log,
		Syncer: &runner.IngestSyncer{Store: st, APIURL: apiURL, Logger: log, OnWait: prog.wait,
			Limits: ingest.Limits{MaxWait: c.Duration("max-wait"), SecondaryBase: c.Duration("secondary-backoff"),
				RetryBase: c.Duration("retry-backoff")},
			Options: ingest.Options{Overlap: c.Duration("overlap"), Reconcile: c.Bool("reconcile"), Progress: prog.event}}}
	results := p.SyncAll(runner.WithStop(ctx, stop))
	sums := make([]ingest.Summary, len(results))
	for i, r := range results {
		sums[i] = r.Summary
	}
	prog.close()
	err = printSyncSummary(env.Stdout, c.Bool("json"), sums)
	if errors.Is(err, errSyncInterrupted) {
		if ctx.Err() != nil {
			return urfavecli.Exit(fmt.Sprintf("sync aborted by a second signal; everything up to the last committed page is saved and the next run resumes (exit %d)", runner.ExitAborted), runner.ExitAborted)
		}
		return urfavecli.Exit(fmt.Sprintf("sync stopped after the current page; everything up to it is saved and the next run resumes (exit %d)", runner.ExitStopped), runner.ExitStopped)
	}
	return err
}

// errSyncInterrupted: a signal ended the sync (see syncCommand).
var errSyncInterrupted = errors.New("sync interrupted")

// syncSources merges the config's sources with the flags.
func syncSources(c *urfavecli.Context, cfg *config.Config) ([]runner.Source, error) {
	var since time.Time
	if s := c.String("since"); s != "" {
		t, err := config.ParseDate(s)
		if err != nil {
			return nil, usageError("--since: %v", err)
		}
		since = t.UTC()
	}
	var out []runner.Source
	fromRepo := func(r config.Repository) runner.Source { return runner.Source{Source: runner.RepoSource(r)} }
	fromSearch := func(s config.Search) runner.Source { return runner.Source{Source: runner.SearchSource(s)} }
	repos := c.StringSlice("repo")
	var searches []string
	if ql, ok := c.Generic("search").(*queryList); ok && ql != nil {
		searches = ql.list
	}
	if len(repos)+len(searches) == 0 {
		for _, r := range cfg.Sources.Repositories {
			out = append(out, fromRepo(r))
		}
		for _, s := range cfg.Sources.Searches {
			out = append(out, fromSearch(s))
		}
		if len(out) == 0 {
			return nil, usageError("sync: no sources: list them under sources: in the config file, or pass --repo owner/name or --search QUERY")
		}
	}
	seen := map[string]bool{}
	for _, name := range repos {
		name = strings.TrimSpace(name)
		if !config.ValidRepo(name) {
			return nil, usageError("--repo: want owner/name (letters, digits, '-', '_', '.'), got %q", name)
		}
		if seen["r:"+strings.ToLower(name)] {
			continue
		}
		seen["r:"+strings.ToLower(name)] = true
		src := fromRepo(config.Repository{Repo: name})
		for _, r := range cfg.Sources.Repositories {
			if strings.EqualFold(r.Repo, name) {
				src = fromRepo(r)
			}
		}
		if c.IsSet("include-pull-requests") {
			src.IncludePullRequests = c.Bool("include-pull-requests")
		}
		out = append(out, src)
	}
	for _, q := range searches {
		q = strings.TrimSpace(q)
		if q == "" {
			return nil, usageError("--search: empty query")
		}
		if seen["s:"+q] {
			continue
		}
		seen["s:"+q] = true
		src := fromSearch(config.Search{Query: q})
		for _, s := range cfg.Sources.Searches {
			if s.Query == q {
				src = fromSearch(s)
			}
		}
		out = append(out, src)
	}
	if !since.IsZero() {
		for i := range out {
			out[i].Since = since
		}
	}
	return out, nil
}

// queryList is a repeatable flag whose values are kept whole (a
// StringSliceFlag would split a query at its commas).
type queryList struct{ list []string }

func (q *queryList) Set(v string) error { q.list = append(q.list, v); return nil }
func (q *queryList) String() string     { return strings.Join(q.list, " | ") }

func printSyncSummary(w io.Writer, asJSON bool, sums []ingest.Summary) error {
	failed, interrupted := 0, false
	type jsonSum struct {
		Source          string  `json:"source"`
		Kind            string  `json:"kind"`
		Status          string  `json:"status"`
		Requests        int64   `json:"requests"`
		NotModified     int64   `json:"not_modified"`
		WaitedSeconds   float64 `json:"waited_seconds"`
		Pages           int     `json:"pages"`
		IssuesNew       int     `json:"issues_new"`
		IssuesUpdated   int     `json:"issues_updated"`
		PullRequests    int     `json:"pull_requests_stored"`
		PRsSkipped      int     `json:"pull_requests_skipped"`
		CommentsNew     int     `json:"comments_new"`
		CommentsUpdated int     `json:"comments_updated"`
		Gone            int     `json:"issues_gone"`
		Repaired        int     `json:"comment_threads_repaired"`
		Message         string  `json:"message,omitempty"`
	}
	var js []jsonSum
	var tot ingest.Summary
	for _, s := range sums {
		switch {
		case s.Status == ingest.StatusFailed:
			failed++
		case s.Status == ingest.StatusInterrupted,
			s.Status == ingest.StatusSkipped && errors.Is(s.Err, ingest.ErrStopped):
			interrupted = true
		}
		tot.Requests += s.Requests
		tot.NotModified += s.NotModified
		tot.Waited += s.Waited
		tot.Issues.Add(s.Issues)
		tot.Comments.Add(s.Comments)
		if asJSON {
			js = append(js, jsonSum{Source: s.Source, Kind: string(s.Kind), Status: string(s.Status), Requests: s.Requests, NotModified: s.NotModified,
				WaitedSeconds: roundSeconds(s.Waited), Pages: s.Pages, IssuesNew: s.Issues.Inserted, IssuesUpdated: s.Issues.Updated,
				PullRequests: s.PullRequests, PRsSkipped: s.PRsSkipped, CommentsNew: s.Comments.Inserted,
				CommentsUpdated: s.Comments.Updated, Gone: s.Gone, Repaired: s.Repaired, Message: s.Message})
			continue
		}
		fmt.Fprintf(w, "%s: %s: %d requests (%d not modified), issues %d new %d updated, comments %d new %d updated",
			s.Source, s.Status, s.Requests, s.NotModified, s.Issues.Inserted, s.Issues.Updated, s.Comments.Inserted, s.Comments.Updated)
		if s.PRsSkipped > 0 {
			fmt.Fprintf(w, ", %d pull requests skipped", s.PRsSkipped)
		}
		if s.Waited > 0 {
			fmt.Fprintf(w, ", waited %s", s.Waited.Round(time.Second))
		}
		if s.Message != "" {
			fmt.Fprintf(w, " (%s)", s.Message)
		}
		fmt.Fprintln(w)
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(js); err != nil {
			return err
		}
	} else if len(sums) > 1 {
		fmt.Fprintf(w, "total: %d sources, %d requests (%d not modified), issues %d new %d updated, comments %d new %d updated, waited %s\n",
			len(sums), tot.Requests, tot.NotModified, tot.Issues.Inserted, tot.Issues.Updated, tot.Comments.Inserted,
			tot.Comments.Updated, tot.Waited.Round(time.Second))
	}
	switch {
	case interrupted:
		return errSyncInterrupted
	case failed > 0:
		return urfavecli.Exit(fmt.Sprintf("sync: %d of %d sources failed (see above)", failed, len(sums)), ExitFailure)
	}
	return nil
}

// syncProgress shows a progress bar per source on a terminal, else logs.
type syncProgress struct {
	mu      sync.Mutex
	w       io.Writer
	bars    bool
	log     *slog.Logger
	bar     *progressbar.ProgressBar
	current string
	last    ingest.Event
}

func newSyncProgress(w io.Writer, mode string, log *slog.Logger) *syncProgress {
	p := &syncProgress{w: w, log: log}
	switch mode {
	case "bar":
		p.bars = true
	case "auto":
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			p.bars = true
		}
	}
	return p
}

func (p *syncProgress) event(e ingest.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Done {
		if p.bar != nil {
			_ = p.bar.Finish()
			fmt.Fprintln(p.w)
			p.bar = nil
		}
		p.current = ""
		return
	}
	p.last = e
	if !p.bars {
		if e.Pages == 0 {
			p.log.Info("syncing", "source", e.Source)
			return
		}
		if e.Pages == 1 || e.Pages%10 == 0 {
			p.log.Info("sync progress", "source", e.Source, "stream", e.Stream, "pages", e.Pages, "items", e.Items, "rate_remaining", e.RateRemaining)
		} else {
			p.log.Debug("sync page", "source", e.Source, "stream", e.Stream, "pages", e.Pages, "items", e.Items, "rate_remaining", e.RateRemaining)
		}
		return
	}
	if p.bar == nil || p.current != e.Source {
		if p.bar != nil {
			_ = p.bar.Finish()
			fmt.Fprintln(p.w)
		}
		p.current = e.Source
		p.bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(p.w), progressbar.OptionSpinnerType(14),
			progressbar.OptionShowCount(), progressbar.OptionSetItsString("pages"), progressbar.OptionShowIts(),
			progressbar.OptionThrottle(100*time.Millisecond))
	}
	if e.Stream == "" {
		e.Stream = "starting"
	}
	if e.EstPages > 0 && e.EstPages >= e.Pages {
		p.bar.ChangeMax(e.EstPages) // pages of this pass, from GitHub's Link rel="last"
	}
	p.bar.Describe(p.describe(e, ""))
	_ = p.bar.Set(e.Pages)
}

func (p *syncProgress) describe(e ingest.Event, wait string) string {
	d := fmt.Sprintf("%s %s: %d items", e.Source, e.Stream, e.Items)
	if e.RateRemaining >= 0 {
		d += fmt.Sprintf(", rate left %d", e.RateRemaining)
	}
	if wait != "" {
		d += ", " + wait
	}
	return d
}

func (p *syncProgress) wait(reason string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := fmt.Sprintf("waiting %s (%s)", d.Round(time.Second), reason)
	if p.bars && p.bar != nil {
		p.bar.Describe(p.describe(p.last, msg))
		return
	}
	p.log.Warn("waiting", "reason", reason, "wait", roundWait(d).String(), "source", p.last.Source)
}

// roundWait rounds a wait for people: milliseconds under a second, tenths
// under a minute, whole seconds above ("1.9s", not 1.8559999999999999).
func roundWait(d time.Duration) time.Duration {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond)
	case d < time.Minute:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

func (p *syncProgress) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.w)
		p.bar = nil
	}
}
