package ingest

// Sync design (the decisions the issue leaves open are written here):
//
// Streams. A repository source has two streams, "issues" (the issue list,
// pull requests included, as GitHub returns it) and "comments" (the
// repository-wide issue-comment list). A search source has the "issues"
// stream (search hits) and comments fetched for the hits that changed.
//
// Backfill. A stream that never finished a pass lists with state=all,
// sort=updated, direction=asc, per_page=100 from the source's start date.
// Each page is committed in one transaction together with the stream
// cursor: the largest updated_at on the page (GitHub's clock, never ours).
// The next page is asked for with since=<that cursor> (since is inclusive,
// so items sharing the boundary second come again and are upserted as
// no-ops). Re-anchoring on since instead of blindly following page=N+1
// removes the offset drift of page-numbered lists: an item updated during
// the scan moves to the end of the list, which would shift every later
// item one place up and skip one at the next page boundary. When a whole
// page shares one second (since cannot advance), the Link rel="next" URL is
// followed as GitHub gives it. A killed sync resumes from cursor-overlap.
//
// Incremental passes and conditional requests. Once a backfill is done,
// every run starts with one "probe": the first page of the same list
// sorted by updated descending, with no since, so its URL never changes
// between runs and its ETag (kept in http_validators) stays valid. A 304
// means nothing in the stream changed: the whole run costs one free
// request per stream. A 200 page that reaches below cursor-overlap holds
// every change, and is committed with the new cursor and validator. Else
// (more than a page of changes) an ascending pass from cursor-overlap
// catches up page by page, resumable as above, and the probe is asked
// again to record its validator.
//
// Pull requests. The issues endpoint mixes pull requests in. They are
// recognised by the "pull_request" key and stored (is_pull_request = true)
// only when the source has include_pull_requests; otherwise they are
// skipped, as are their conversation comments (comment html_url /pull/),
// and counted as skipped. Turning include_pull_requests on later restarts
// the source's backfill so the skipped ones are fetched.
//
// Comments of issues errata does not hold yet (an issue created after its
// stream's pass) trigger one GET of that issue, stored in the same page.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/errata-tool/errata/config"
	"github.com/errata-tool/errata/store"
)

// Source is one thing to sync.
type Source struct {
	Kind SourceKind
	// Key is "owner/name" or the search query.
	Key string
	// Since bounds a first sync (zero: everything).
	Since time.Time
	// IncludePullRequests stores pull requests too (repo sources; search
	// sources store them when the query says is:pr).
	IncludePullRequests bool
}

func (s Source) String() string {
	if s.Kind == KindSearch {
		return "search " + strconv.Quote(s.Key)
	}
	return s.Key
}

// Event is a progress report.
type Event struct {
	Source       string
	Stream       string
	Pages, Items int
	// EstPages estimates the pages of the current pass (from Link
	// rel="last"), 0 when unknown.
	EstPages      int
	RateRemaining int64 // -1 unknown
	Waiting       time.Duration
	Reason        string
	Done          bool
}

// Options configure a Syncer.
type Options struct {
	// Overlap is subtracted from a cursor when a run resumes or starts an
	// incremental pass (updated_at has one-second resolution and GitHub's
	// lists are eventually consistent). Default 2 minutes.
	Overlap time.Duration
	// PerPage is the page size (default and maximum 100).
	PerPage int
	// Reconcile adds a reconcile pass to repository sources.
	Reconcile bool
	// SearchResultCap is how many results one search query can reach
	// (GitHub: 1,000, the default).
	SearchResultCap int
	// IncompleteRetries bounds retries of a search page answered with
	// incomplete_results (default 3), waiting Limits.RetryBase × attempt.
	IncompleteRetries int
	Logger            *slog.Logger
	// Progress receives page and wait events (nil: none).
	Progress func(Event)
}

// Summary is one source's outcome in a run; it is also stored in
// sync_runs.
type Summary struct {
	Source      string
	Kind        SourceKind
	Status      Status
	Requests    int64
	NotModified int64
	Waited      time.Duration
	Errors      int
	Pages       int
	// Issues counts issue rows, pull requests included when the source
	// keeps them; PullRequests is how many distinct pull requests were
	// written (new, updated or unchanged) and PRsSkipped how many were left
	// out (with their comments).
	Issues       store.UpsertResult
	PullRequests int
	Comments     store.UpsertResult
	PRsSkipped   int
	Gone         int // reconcile: issues marked gone
	Repaired     int // reconcile: comment threads refetched
	Message      string
	// Err is why the source did not end StatusOK (nil when it did).
	Err error `json:"-"`
}

// Syncer syncs sources against one GitHub API (one client, so one token)
// into one store.
type Syncer struct {
	c   *Client
	st  *store.Store
	opt Options
	log *slog.Logger
}

// NewSyncer builds a Syncer.
func NewSyncer(c *Client, st *store.Store, o Options) *Syncer {
	if o.Overlap == 0 {
		o.Overlap = 2 * time.Minute
	}
	if o.PerPage <= 0 || o.PerPage > 100 {
		o.PerPage = 100
	}
	if o.SearchResultCap <= 0 {
		o.SearchResultCap = 1000
	}
	if o.IncompleteRetries == 0 {
		o.IncompleteRetries = 3
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Syncer{c: c, st: st, opt: o, log: o.Logger}
}

// Sync brings one source up to date on the Syncer's client, committing
// page by page. The caller owns the loop over sources (package runner:
// `errata run`, `errata worker` and `errata sync` alike), so that one
// long-lived client per token keeps what GitHub's headers taught it (the
// core and search budgets left) from one source to the next. Sync is safe
// to call from several goroutines; Summary counts only this source's
// requests.
//
// A source that fails (gone, forbidden, retries exhausted) comes back
// StatusFailed. A stop (WithStop), a cancelled context or a rate-limit
// wait beyond MaxWait ends it with every committed page kept. Nothing is
// sent, and the source comes back StatusSkipped with the reason in Err,
// when the run was stopped before it began (ErrStopped), when the client's
// circuit breaker has given up on the API host (a *CircuitOpenError), or
// when another process is syncing it (ErrSourceBusy).
func (s *Syncer) Sync(ctx context.Context, src Source) Summary {
	if Stopped(ctx) || ctx.Err() != nil {
		return Summary{Source: src.String(), Kind: src.Kind, Status: StatusSkipped,
			Message: "not started: the run was stopped", Err: ErrStopped}
	}
	if err := s.c.Unreachable(); err != nil {
		// The API host is down for this run: report, do not try.
		return Summary{Source: src.String(), Kind: src.Kind, Status: StatusSkipped, Message: "not tried: " + err.Error(), Err: err}
	}
	return s.syncSource(ctx, src)
}

// Client is the client the Syncer sends its requests with.
func (s *Syncer) Client() *Client { return s.c }

// streamState is one stream's cursor.
type streamState struct {
	Cursor       time.Time `json:"cursor,omitzero"`
	BackfillDone bool      `json:"backfill_done,omitempty"`
}

// sourceState is what errata keeps in sync_sources.state.
type sourceState struct {
	Issues     streamState `json:"issues"`
	Comments   streamState `json:"comments"`
	IncludePRs bool        `json:"include_pull_requests,omitempty"`
	// Since is the start date the backfill began with.
	Since time.Time `json:"since,omitzero"`
	// Pending are search hits whose comments still have to be fetched:
	// repository -> issue number -> what to fetch.
	Pending map[string]map[string]pendingItem `json:"pending_comments,omitempty"`
	// LastTotal is the search's last total_count.
	LastTotal int `json:"last_total,omitempty"`
}

// run is one source's sync in progress.
type run struct {
	s        *Syncer
	src      Source
	stop     <-chan struct{} // from the context (WithStop)
	id       int64
	state    sourceState
	sum      *Summary
	pages    int
	items    int
	stream   string
	owner    string
	name     string
	searchPR bool
	skipped  map[string]bool // pull requests left out, by repo#number
	prs      map[string]bool // pull requests stored
	known    map[int]bool    // issue numbers of the repository known to be stored
	per      int             // page size of oldest-first lists (halved on persistent failures)
	est      int             // estimated pages of the run so far (progress display)
}

// minPerPage is the smallest page size the failure fallback goes down to.
const minPerPage = 10

// skipPR counts a pull request left out once per run.
func (r *run) skipPR(repo string, n int) {
	k := strings.ToLower(repo) + "#" + strconv.Itoa(n)
	if !r.skipped[k] {
		r.skipped[k] = true
		r.sum.PRsSkipped++
	}
}

func (s *Syncer) syncSource(ctx context.Context, src Source) (sum Summary) {
	sum = Summary{Source: src.String(), Kind: src.Kind}
	log := s.log.With("source", src.String())
	if src.Kind == KindRepo && !config.ValidRepo(src.Key) {
		// Checked before anything is saved or requested: a bad name is
		// never stored as a source and never reaches a request path.
		sum.Status, sum.Err = StatusFailed, fmt.Errorf("repository %q: want owner/name (letters, digits, '-', '_', '.')", src.Key)
		sum.Message = sum.Err.Error()
		return sum
	}
	row, err := s.st.SyncSourceEnsure(ctx, string(src.Kind), src.Key)
	if err != nil {
		sum.Status, sum.Err, sum.Message = StatusFailed, err, err.Error()
		return sum
	}
	lock, err := s.st.SyncLockTry(ctx, row.ID)
	if err != nil {
		sum.Status, sum.Err, sum.Message = StatusFailed, err, err.Error()
		return sum
	}
	if lock == nil {
		sum.Status, sum.Err = StatusSkipped, ErrSourceBusy
		sum.Message = ErrSourceBusy.Error()
		log.Warn("skipped: another errata sync holds this source")
		return sum
	}
	defer lock.Release()
	// Re-read the state under the lock: the other sync may just have
	// committed.
	if row, err = s.st.SyncSourceGet(ctx, row.ID); err != nil {
		sum.Status, sum.Err, sum.Message = StatusFailed, err, err.Error()
		return sum
	}
	r := &run{s: s, src: src, id: row.ID, sum: &sum, stop: StopOf(ctx), skipped: map[string]bool{}, prs: map[string]bool{}, known: map[int]bool{},
		per: s.opt.PerPage}
	if len(row.State) > 0 {
		if err := json.Unmarshal(row.State, &r.state); err != nil {
			log.Warn("unreadable sync state; starting over", "error", err)
			r.state = sourceState{}
		}
	}
	started := time.Now()
	runID, err := s.st.SyncRunStart(ctx, row.ID, started)
	if err != nil {
		sum.Status, sum.Err, sum.Message = StatusFailed, err, err.Error()
		return sum
	}
	// This source's share of the client's counters (other syncs may use
	// the client at the same time).
	var own Counters
	ctx = withCounters(ctx, &own)
	if s.opt.Progress != nil {
		s.opt.Progress(Event{Source: src.String(), RateRemaining: s.c.Count.RateRemaining.Load()}) // start: no pages yet
	}

	err = r.do(ctx)

	sum.Requests = own.Requests.Load()
	sum.NotModified = own.NotModified.Load()
	sum.Waited = time.Duration(own.WaitedNanos.Load())
	sum.Pages = r.pages
	sum.Err = err
	var wt *WaitTooLongError
	switch {
	case err == nil:
		sum.Status = StatusOK
	case errors.Is(err, ErrStopped) || errors.Is(err, context.Canceled):
		sum.Status, sum.Message = StatusInterrupted, "stopped; progress saved, the next run resumes"
	case errors.As(err, &wt):
		sum.Status, sum.Message = StatusPartial, wt.Error()+"; progress saved, the next run resumes"
	case errors.Is(err, errIncomplete):
		sum.Status, sum.Message = StatusPartial, err.Error()
	default:
		sum.Status, sum.Message = StatusFailed, err.Error()
		sum.Errors++
	}
	if sum.Message == "" && sum.Gone+sum.Repaired > 0 {
		sum.Message = fmt.Sprintf("reconcile: %d issues gone, %d comment threads repaired", sum.Gone, sum.Repaired)
	}
	fctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		fctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
	}
	fin := time.Now()
	if ferr := s.st.SyncRunFinish(fctx, store.SyncRun{ID: runID, SourceID: row.ID, FinishedAt: &fin, Status: string(sum.Status),
		Requests: int(sum.Requests), NotModified: int(sum.NotModified), WaitedMS: sum.Waited.Milliseconds(),
		Errors: sum.Errors, IssuesNew: sum.Issues.Inserted, IssuesUpdated: sum.Issues.Updated,
		CommentsNew: sum.Comments.Inserted, CommentsUpdated: sum.Comments.Updated, Message: sum.Message}); ferr != nil {
		log.Error("could not record the sync run", "error", ferr)
	}
	if s.opt.Progress != nil {
		s.opt.Progress(Event{Source: src.String(), Done: true, Pages: r.pages, Items: r.items, RateRemaining: s.c.Count.RateRemaining.Load()})
	}
	attrs := []any{"status", sum.Status, "requests", sum.Requests, "not_modified", sum.NotModified,
		"issues_new", sum.Issues.Inserted, "issues_updated", sum.Issues.Updated, "comments_new", sum.Comments.Inserted,
		"comments_updated", sum.Comments.Updated, "waited", sum.Waited.Round(time.Millisecond).String()}
	switch sum.Status {
	case StatusOK:
		log.Info("synced", attrs...)
	case StatusFailed:
		log.Error("sync failed", append(attrs, "error", sum.Message)...)
	default:
		log.Warn("sync stopped", append(attrs, "reason", sum.Message)...)
	}
	return sum
}

func (r *run) do(ctx context.Context) error {
	switch r.src.Kind {
	case KindRepo:
		r.owner, r.name, _ = strings.Cut(r.src.Key, "/")
		if r.src.IncludePullRequests && !r.state.IncludePRs && (r.state.Issues.BackfillDone || !r.state.Issues.Cursor.IsZero()) {
			// Pull requests were skipped so far: list everything again.
			r.state.Issues, r.state.Comments = streamState{}, streamState{}
		}
		r.state.IncludePRs = r.src.IncludePullRequests
		if r.state.Since.IsZero() && !r.src.Since.IsZero() && r.state.Issues.Cursor.IsZero() {
			r.state.Since = r.src.Since.UTC()
		}
		if err := r.runStream(ctx, r.issueStream()); err != nil {
			return r.repoErr(err)
		}
		if err := r.runStream(ctx, r.commentStream()); err != nil {
			return r.repoErr(err)
		}
		if r.s.opt.Reconcile {
			if err := r.reconcile(ctx); err != nil {
				return r.repoErr(err)
			}
		}
		return nil
	case KindSearch:
		if r.state.Since.IsZero() && !r.src.Since.IsZero() && r.state.Issues.Cursor.IsZero() {
			r.state.Since = r.src.Since.UTC()
		}
		return r.search(ctx)
	default:
		return fmt.Errorf("unknown source kind %q", r.src.Kind)
	}
}

// repoErr words a repository-level failure.
func (r *run) repoErr(err error) error {
	switch StatusOf(err) {
	case http.StatusNotFound:
		return fmt.Errorf("repository %s not found (deleted, renamed away, or private without access); skipped: %w", r.src.Key, err)
	case http.StatusForbidden, http.StatusUnavailableForLegalReasons:
		return fmt.Errorf("repository %s is not accessible with these credentials; skipped: %w", r.src.Key, err)
	case http.StatusUnauthorized:
		return fmt.Errorf("GitHub refused the token (401): check GITHUB_TOKEN: %w", err)
	}
	return err
}

// stopped reports whether the run's stop (WithStop) has been closed.
func (r *run) stopped() bool {
	if r.stop == nil {
		return false
	}
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// batch is one page's worth of rows.
type batch struct {
	issues   []store.Issue
	comments []store.Comment
	// times are the updated_at of every item on the page (kept or not),
	// in page order.
	times []time.Time
}

func (b *batch) minMax() (lo, hi time.Time) {
	for i, t := range b.times {
		if i == 0 || t.Before(lo) {
			lo = t
		}
		if t.After(hi) {
			hi = t
		}
	}
	return lo, hi
}

// streamDef describes one list.
type streamDef struct {
	name  string
	state *streamState
	probe string                       // stable URL: desc by updated, no since
	asc   func(since time.Time) string // ascending from since (zero: all)
	fetch func(ctx context.Context, u, etag string) (*page, []json.RawMessage, error)
	// decode turns a page into rows (may fetch missing parents).
	decode func(ctx context.Context, raws []json.RawMessage) (*batch, error)
}

func (r *run) listFetch(ctx context.Context, u, etag string) (*page, []json.RawMessage, error) {
	var raws []json.RawMessage
	p, err := r.s.c.get(ctx, u, etag, &raws, false)
	return p, raws, err
}

func (r *run) issueStream() *streamDef {
	return r.listStream("issues", "issues", "state=all&", &r.state.Issues, r.decodeIssues)
}

func (r *run) commentStream() *streamDef {
	return r.listStream("comments", "issues/comments", "", &r.state.Comments, r.decodeComments)
}

// listStream describes one of a repository's updated-sorted lists: path
// under repos/{owner}/{name}/, with filter (a query prefix ending in "&",
// or "") before the sort parameters. The probe asks newest first at full
// page size; catch-up pages ask oldest first from a cursor, at r.per.
func (r *run) listStream(name, path, filter string, state *streamState, decode func(context.Context, []json.RawMessage) (*batch, error)) *streamDef {
	// The source's name was checked by syncSource (config.ValidRepo).
	base, _ := repoPath(r.owner+"/"+r.name, path+"?"+filter)
	return &streamDef{
		name:  name,
		state: state,
		probe: base + "sort=updated&direction=desc&per_page=" + strconv.Itoa(r.s.opt.PerPage),
		asc: func(since time.Time) string {
			u := base + "sort=updated&direction=asc&per_page=" + strconv.Itoa(r.per)
			if !since.IsZero() {
				u += "&since=" + url.QueryEscape(sinceParam(since))
			}
			return u
		},
		fetch:  r.listFetch,
		decode: decode,
	}
}

// runStream backfills a stream if needed, then runs the incremental pass.
func (r *run) runStream(ctx context.Context, d *streamDef) error {
	r.stream = d.name
	afterAsc := false
	if !d.state.BackfillDone {
		start := r.state.Since
		if !d.state.Cursor.IsZero() {
			start = d.state.Cursor.Add(-r.s.opt.Overlap)
		}
		if err := r.ascending(ctx, d, start, true); err != nil {
			return err
		}
		afterAsc = true
	}
	return r.incremental(ctx, d, afterAsc)
}

// incremental runs the probe and, when more than a page changed, an
// ascending catch-up; see the package comment.
func (r *run) incremental(ctx context.Context, d *streamDef, afterAsc bool) error {
	for round := 0; round < 2; round++ {
		if r.stopped() {
			return ErrStopped
		}
		etag := ""
		if v, err := r.s.st.ValidatorGet(ctx, r.validatorKey(d.probe)); err == nil {
			etag = v.ETag
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		p, raws, err := d.fetch(ctx, d.probe, etag)
		if err != nil {
			return err
		}
		r.pages++
		if p.total > 0 {
			r.state.LastTotal = p.total
		}
		if p.Status == http.StatusNotModified {
			r.progress(0)
			return nil
		}
		b, err := d.decode(ctx, raws)
		if err != nil {
			return err
		}
		lo, hi := b.minMax()
		low := d.state.Cursor.Add(-r.s.opt.Overlap)
		if d.state.Cursor.IsZero() {
			low = r.state.Since // nothing seen yet: everything from the start date
		}
		covered := p.Next == "" || lo.Before(low) || (afterAsc && !lo.After(d.state.Cursor))
		if covered {
			if hi.After(d.state.Cursor) {
				d.state.Cursor = hi
			}
			return r.commit(ctx, b, &store.Validator{URL: r.validatorKey(d.probe), ETag: p.ETag, LastModified: p.LastModified})
		}
		if err := r.commit(ctx, b, nil); err != nil {
			return err
		}
		if err := r.ascending(ctx, d, low, false); err != nil {
			return err
		}
		afterAsc = true
	}
	return nil
}

// validatorKey is the key a validator is stored under: the absolute URL.
func (r *run) validatorKey(u string) string {
	ref, err := url.Parse(u)
	if err != nil {
		return u
	}
	return r.s.c.base.ResolveReference(ref).String()
}

// ascending lists a stream oldest-first from since, committing each page
// with the cursor.
func (r *run) ascending(ctx context.Context, d *streamDef, since time.Time, backfill bool) error {
	// The next page is fetched while the current one is committed: the
	// request and the database write overlap. Commits stay in order, so
	// resuming is unaffected; a stop discards at most the one prefetched
	// answer.
	type fetched struct {
		p    *page
		raws []json.RawMessage
		err  error
	}
	start := func(u string) chan fetched {
		ch := make(chan fetched, 1)
		go func() {
			p, raws, err := d.fetch(ctx, u, "")
			ch <- fetched{p, raws, err}
		}()
		return ch
	}
	next := start(d.asc(since))
	for {
		if r.stopped() {
			return ErrStopped
		}
		f := <-next
		var re *RetriesExhaustedError
		if f.err != nil && errors.As(f.err, &re) && !re.Connection && r.per > minPerPage && !errors.Is(f.err, ErrStopped) {
			// GitHub keeps failing on this page: large pages of big
			// issues time out on its side. Ask for smaller pages.
			r.per = max(r.per/2, minPerPage)
			r.s.log.Warn("page keeps failing; asking for smaller pages", "source", r.src.String(), "stream", d.name,
				"per_page", r.per, "error", f.err)
			next = start(d.asc(since))
			continue
		}
		if f.err != nil {
			return f.err
		}
		p := f.p
		r.pages++
		switch {
		case p.Next == "":
			r.est = r.pages
		case p.LastPage > 0:
			r.est = r.pages + p.LastPage - pageOf(p.URL)
		}
		if p.total > 0 {
			r.state.LastTotal = p.total
		}
		b, err := d.decode(ctx, f.raws)
		if err != nil {
			return err
		}
		_, hi := b.minMax()
		if hi.After(d.state.Cursor) {
			d.state.Cursor = hi
		}
		last := p.Next == ""
		if last && backfill && !p.capped {
			d.state.BackfillDone = true
		}
		switch {
		case last && p.capped:
			// More than 1,000 search hits share one second: the cap hides
			// the rest of it.
			r.s.log.Warn("more search results than the result cap share one updated second; skipping the rest of it",
				"source", r.src.String(), "second", sinceParam(hi), "cap", r.s.opt.SearchResultCap)
			r.sum.Errors++
			r.sum.Message = "some results were unreachable: more than the search result cap share one second (" + sinceParam(hi) + ")"
			since = hi.Add(time.Second)
			next = start(d.asc(since))
		case last:
			next = nil
		case hi.After(since):
			since = hi
			next = start(d.asc(since))
		default:
			next = start(p.Next) // a page of one second: follow Link
		}
		if err := r.commit(ctx, b, nil); err != nil {
			return err
		}
		if next == nil {
			return nil
		}
	}
}

// commit writes a page and the state in one transaction.
func (r *run) commit(ctx context.Context, b *batch, v *store.Validator) error {
	st, err := json.Marshal(r.state)
	if err != nil {
		return fmt.Errorf("encode sync state: %w", err)
	}
	p := store.SyncPage{SourceID: r.id, State: st, Issues: b.issues, Comments: b.comments}
	if v != nil {
		p.Validators = []store.Validator{*v}
	}
	res, err := r.s.st.SyncPageCommit(ctx, p)
	if err != nil {
		return err
	}
	r.sum.Issues.Add(res.Issues)
	for _, is := range b.issues {
		if k := strings.ToLower(is.Repository) + "#" + strconv.Itoa(is.Number); is.IsPullRequest && !r.prs[k] {
			r.prs[k] = true
			r.sum.PullRequests++
		}
	}
	r.sum.Comments.Add(res.Comments)
	r.items += len(b.times)
	r.progress(len(b.times))
	return nil
}

func (r *run) progress(n int) {
	if r.s.opt.Progress == nil {
		return
	}
	r.s.opt.Progress(Event{Source: r.src.String(), Stream: r.stream, Pages: r.pages, Items: r.items,
		EstPages: r.est, RateRemaining: r.s.c.Count.RateRemaining.Load()})
}

// ---------------------------------------------------------------------------
// Decoding

var errIncomplete = errors.New("search answered incomplete_results after retries; the window will be retried next run")

// repoFromAPIURL extracts "owner/name" from .../repos/owner/name[/...].
func repoFromAPIURL(u string) string {
	i := strings.Index(u, "/repos/")
	if i < 0 {
		return ""
	}
	parts := strings.SplitN(u[i+len("/repos/"):], "/", 3)
	if len(parts) < 2 || !config.ValidRepo(parts[0]+"/"+parts[1]) {
		return ""
	}
	return parts[0] + "/" + parts[1]
}

// issueNumberFromURL extracts N from .../issues/N.
func issueNumberFromURL(u string) int {
	i := strings.LastIndex(u, "/")
	if i < 0 {
		return 0
	}
	n, _ := strconv.Atoi(u[i+1:])
	return n
}

// toStoreIssue converts an issue object of the REST API with the import's
// parser (ParseIssue), so that a synced issue and an imported one are
// stored alike (raw JSON without the body, which has its own column). A
// non-empty repo names the repository (a repository source's own key).
func toStoreIssue(repo string, raw json.RawMessage) (store.Issue, error) {
	is, _, err := ParseIssue(raw)
	if err != nil {
		return is, fmt.Errorf("decode issue: %w", err)
	}
	if repo != "" {
		is.Repository = repo
	}
	return is, nil
}

func (r *run) decodeIssues(_ context.Context, raws []json.RawMessage) (*batch, error) {
	b := &batch{}
	for _, raw := range raws {
		is, err := toStoreIssue(r.src.Key, raw)
		if err != nil {
			// One malformed issue must not hold back its page (and every
			// later run): report it, naming the issue and field, and go on.
			r.s.log.Warn("skipped a malformed issue", "source", r.src.String(), "error", err)
			r.sum.Errors++
			r.sum.Message = "skipped malformed issues (see the log): " + err.Error()
			continue
		}
		b.times = append(b.times, is.UpdatedAt)
		if is.UpdatedAt.Before(r.state.Since) {
			continue // a probe page reaches before the source's start date
		}
		if is.IsPullRequest && !r.src.IncludePullRequests {
			r.skipPR(is.Repository, is.Number)
			continue
		}
		b.issues = append(b.issues, is)
		r.known[is.Number] = true
	}
	return b, nil
}

// toStoreComment converts a comment object of the REST API with the
// import's comment parser; its issue comes from issue_url.
func toStoreComment(repo string, raw json.RawMessage) (store.Comment, error) {
	issueURL, ok := topLevelString(raw, "issue_url")
	if !ok {
		var ref struct {
			IssueURL string `json:"issue_url"`
		}
		if err := json.Unmarshal(raw, &ref); err != nil {
			return store.Comment{}, fmt.Errorf("decode comment: %w", err)
		}
		issueURL = ref.IssueURL
	}
	n := issueNumberFromURL(issueURL)
	if repo == "" {
		repo = repoFromAPIURL(issueURL)
	}
	if n == 0 || repo == "" {
		return store.Comment{}, fmt.Errorf("decode comment: no issue_url")
	}
	c, rerr := parseComment(raw, store.Issue{Repository: repo, Number: n}, 0)
	if rerr != nil {
		return c, fmt.Errorf("decode comment: %w", rerr)
	}
	if c.GitHubID == nil {
		return c, fmt.Errorf("decode comment: no id")
	}
	return c, nil
}

// topLevelString finds "key":"value" in a JSON object without decoding it
// all, for values without escapes (URLs). Inside a JSON string the quotes
// of such a pattern would be escaped, so it cannot match there; nested
// objects of a comment have no such key. ok is false when not found.
func topLevelString(raw []byte, key string) (string, bool) {
	pat := []byte(`"` + key + `":"`)
	i := bytes.Index(raw, pat)
	if i < 0 {
		return "", false
	}
	rest := raw[i+len(pat):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || bytes.IndexByte(rest[:j], '\\') >= 0 {
		return "", false
	}
	return string(rest[:j]), true
}

// isPRComment tells a pull request conversation comment by its html_url.
func isPRComment(c store.Comment) bool { return strings.Contains(c.HTMLURL, "/pull/") }

func (r *run) decodeComments(ctx context.Context, raws []json.RawMessage) (*batch, error) {
	b := &batch{}
	var nums []int
	seen := map[int]bool{}
	for _, raw := range raws {
		c, err := toStoreComment(r.src.Key, raw)
		if err != nil {
			return nil, err
		}
		b.times = append(b.times, c.UpdatedAt)
		if c.UpdatedAt.Before(r.state.Since) {
			continue
		}
		if isPRComment(c) && !r.src.IncludePullRequests {
			continue
		}
		b.comments = append(b.comments, c)
		if !seen[c.IssueNumber] && !r.known[c.IssueNumber] {
			seen[c.IssueNumber] = true
			nums = append(nums, c.IssueNumber)
		}
	}
	have, err := r.s.st.IssueUpdatedAt(ctx, r.src.Key, nums)
	if err != nil {
		return nil, err
	}
	drop := map[int]bool{}
	for _, n := range nums {
		if _, ok := have[n]; ok {
			r.known[n] = true
			continue
		}
		is, err := r.fetchIssue(ctx, r.src.Key, n)
		if err != nil {
			return nil, err
		}
		if is == nil || (is.IsPullRequest && !r.src.IncludePullRequests) {
			drop[n] = true
			continue
		}
		b.issues = append(b.issues, *is)
		r.known[n] = true
	}
	if len(drop) > 0 {
		kept := b.comments[:0]
		for _, c := range b.comments {
			if !drop[c.IssueNumber] {
				kept = append(kept, c)
			}
		}
		b.comments = kept
	}
	return b, nil
}

// fetchIssue GETs one issue; nil when it is gone (301/404/410).
func (r *run) fetchIssue(ctx context.Context, repo string, n int) (*store.Issue, error) {
	var raw json.RawMessage
	p, err := repoPath(repo, "issues/"+strconv.Itoa(n))
	if err != nil {
		return nil, err
	}
	_, err = r.s.c.get(ctx, p, "", &raw, true)
	switch StatusOf(err) {
	case 0:
	case http.StatusMovedPermanently, http.StatusNotFound, http.StatusGone:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	is, err := toStoreIssue(repo, raw)
	if err != nil {
		return nil, err
	}
	return &is, nil
}

// StateView is a source's sync state as `errata status` shows it.
type StateView struct {
	IssuesCursor         time.Time `json:"issues_cursor,omitzero"`
	IssuesBackfillDone   bool      `json:"issues_backfill_done"`
	CommentsCursor       time.Time `json:"comments_cursor,omitzero"`
	CommentsBackfillDone bool      `json:"comments_backfill_done"`
	IncludePullRequests  bool      `json:"include_pull_requests"`
	Since                time.Time `json:"since,omitzero"`
	PendingComments      int       `json:"pending_comment_threads,omitempty"`
	LastSearchTotal      int       `json:"last_search_total,omitempty"`
}

// DescribeState decodes sync_sources.state.
func DescribeState(raw json.RawMessage) (StateView, error) {
	var st sourceState
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &st); err != nil {
			return StateView{}, fmt.Errorf("decode sync state: %w", err)
		}
	}
	v := StateView{IssuesCursor: st.Issues.Cursor, IssuesBackfillDone: st.Issues.BackfillDone,
		CommentsCursor: st.Comments.Cursor, CommentsBackfillDone: st.Comments.BackfillDone,
		IncludePullRequests: st.IncludePRs, Since: st.Since, LastSearchTotal: st.LastTotal}
	for _, m := range st.Pending {
		v.PendingComments += len(m)
	}
	return v, nil
}
