// Package runner is errata's scheduled pipeline: sync every configured
// source, classify what changed, and write the pages and the trends report,
// as one idempotent job (`errata run`, safe to start from cron every few
// minutes) and as the stage functions that `errata worker` (package worker)
// runs as River jobs.
//
// The stages belong to other packages (ingest, classify, reports/pages,
// reports/trends). The runner syncs with package ingest directly
// (IngestSyncer, one long-lived client per token), and reaches classify
// and the reports through the small interfaces Classifier and Publisher,
// which the CLI implements with those packages' exported functions. The
// runner owns what is common to `errata run`, `errata worker` and
// `errata sync`:
//
//   - the sync loop, stopping and token rotation (sync.go): every source is
//     synced through Pipeline.SyncSource;
//   - the run lock: a session-level PostgreSQL advisory lock (RunLockKey),
//     tried without waiting, so an overlapping `errata run` exits at once
//     with ExitLocked and a message saying who holds it; the lock dies with
//     the session, so a killed run never leaves it behind;
//   - stage locks (classify, pages) shared with the worker, so a cron run
//     and a worker never classify or write pages at the same time;
//   - "pending" state in pipeline_state (migration 0008): classify runs only
//     when issues or comments changed after the last classify started (or
//     the rules changed); pages and trends only when data or clusters
//     changed after the last pages run started, the output dir changed, or
//     the output dir is gone. A run that finds nothing new costs one
//     conditional request per stream plus a few index probes;
//   - the exit codes (Exit*), one per failed stage;
//   - GitHub tokens used in turn (TokenPool) and Prometheus metrics
//     (Metrics).
//
// Decision: a sync that stops cleanly because the rate limit would make it
// wait too long is not a failure (its progress is saved and the next run
// resumes); it is logged as a warning and the other stages still run. A
// source that fails makes the run exit ExitSync, but classify and pages
// still run on what was synced, so one broken repository does not freeze the
// pages of the others.
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/store"
)

// Exit codes of `errata run`. When several stages fail, the code is the
// first failed stage in pipeline order (sync, classify, pages, trends).
const (
	ExitOK       = 0
	ExitFailure  = 1 // before any stage: configuration, database
	ExitUsage    = 2
	ExitSync     = 3 // at least one source failed to sync (the others and the later stages ran)
	ExitClassify = 4 // classify failed (pages and trends were not written)
	ExitPages    = 5 // pages failed
	ExitTrends   = 6 // the trends report failed
	// ExitStopped: the first SIGINT or SIGTERM stopped the run after the
	// unit of work in hand; the later stages were skipped, and the next
	// run picks up.
	ExitStopped = 7
	// ExitAborted: a second signal abandoned the stage in hand at once
	// (an open transaction rolls back; committed work is kept).
	ExitAborted = 8
	// ExitLocked: another `errata run` holds the run lock. 75 is
	// EX_TEMPFAIL of sysexits.h: try again later.
	ExitLocked = 75
)

// Advisory lock keys. They share the 64-bit space with store's migration
// lock (0x6572726174610001, "errata" + 1) and never collide with River's,
// which hashes its own.
const (
	RunLockKey      int64 = 0x6572726174610008 // one `errata run` at a time
	ClassifyLockKey int64 = 0x6572726174610009 // one classify at a time (run or worker)
	PagesLockKey    int64 = 0x657272617461000a // one pages/trends writer at a time
)

// DefaultInterval is how often a source is synced when neither the source
// nor schedule.interval says.
const DefaultInterval = time.Hour

// Classifier classifies the issues that changed since it last ran.
type Classifier interface {
	Classify(ctx context.Context) (ClassifyResult, error)
}

// ClassifyResult is what a classify run did.
type ClassifyResult struct {
	Classified int  // issues (re)classified
	Changed    bool // clusters or memberships changed
	Summary    string
}

// Publisher writes the pages and the trends report into dir.
type Publisher interface {
	Pages(ctx context.Context, dir string) (string, error)
	Trends(ctx context.Context, dir string) (string, error)
}

// RateLimitError is a sync's Err when it was not started because every
// token is known to be rate limited: it can start at Until.
type RateLimitError struct {
	Until time.Time
	Err   error
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limited until %s: %v", e.Until.UTC().Format(time.RFC3339), e.Err)
}

func (e *RateLimitError) Unwrap() error { return e.Err }

// RateLimitedUntil reports whether err is a clean stop on a rate limit
// (ingest's *WaitTooLongError or a *RateLimitError) and when the limit
// resets.
func RateLimitedUntil(err error) (time.Time, bool) {
	var wt *ingest.WaitTooLongError
	if errors.As(err, &wt) {
		until := wt.Until
		if until.IsZero() {
			until = time.Now().Add(wt.Wait)
		}
		return until, true
	}
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return rl.Until, true
	}
	return time.Time{}, false
}

// Pipeline holds what both schedulers need.
type Pipeline struct {
	Store   *store.Store
	Sources []Source
	// Tokens are used in turn (nil: unauthenticated).
	Tokens *TokenPool
	// Syncer syncs one source with a token (see SyncSource).
	Syncer     *IngestSyncer
	Classifier Classifier
	Publisher  Publisher
	OutDir     string
	// RulesHash identifies the classification a run does (the CLI sets
	// classify.Rules.Version: errata's algorithm version and the rules in
	// effect); a change, an edited rules: section or an upgraded errata,
	// makes classify pending.
	RulesHash string
	Metrics   *Metrics
	Logger    *slog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time

	poolOnce   sync.Once
	anonTokens *TokenPool // when Tokens is nil
}

func (p *Pipeline) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

func (p *Pipeline) log() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// ErrLocked is returned by Run when another run holds the run lock.
var ErrLocked = errors.New("another errata run is in progress")

// LockedError says who holds a lock, when PostgreSQL can tell.
type LockedError struct {
	Holder string // "pid 1234 (errata) since 2026-01-02T03:04:05Z", or ""
}

func (e *LockedError) Error() string {
	if e.Holder == "" {
		return ErrLocked.Error()
	}
	return ErrLocked.Error() + ": held by " + e.Holder
}

func (e *LockedError) Is(t error) bool { return t == ErrLocked }

// State is how a stage ended, in a Report.
type State string

// The states of a stage.
const (
	StateOK          State = "ok"
	StateSkipped     State = "skipped"
	StateRateLimited State = "rate_limited" // sync: stopped on a rate limit, progress saved
	StateFailed      State = "failed"
	StateStopped     State = "stopped" // a first signal ended it after the work in hand
	StateAborted     State = "aborted" // a second signal abandoned it
)

// StageStatus is one stage's outcome in a Report.
type StageStatus struct {
	Stage    string        `json:"stage"`            // sync | classify | pages | trends
	Source   string        `json:"source,omitempty"` // for sync
	Status   State         `json:"status"`
	Detail   string        `json:"detail,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// Report is what Run did.
type Report struct {
	Stages   []StageStatus `json:"stages"`
	ExitCode int           `json:"exit_code"`
	Changed  bool          `json:"changed"` // sync stored something new
}

func (r *Report) add(s StageStatus) { r.Stages = append(r.Stages, s) }

func (r *Report) fail(code int) {
	if r.ExitCode == ExitOK {
		r.ExitCode = code
	}
}

// RunOptions tune Run.
type RunOptions struct {
	// Force runs classify and pages even when nothing is pending.
	Force bool
	// SkipSync skips the sync stage (errata run --no-sync).
	SkipSync bool
	// Stop, when closed (first SIGINT or SIGTERM), ends the run after the
	// unit of work in hand of whichever stage runs: the sync page (it is
	// committed), the classify batch (classify commits only whole, so it
	// rolls back unless its batches were all done), the page files being
	// written (each is finished, no new one is begun). The later stages are
	// skipped, Report.ExitCode is ExitStopped and Run returns ErrStopped.
	// A stop that comes once the trends report is being written changes
	// nothing: the run has nothing left to skip and reports its result.
	// Cancelling ctx (the second signal) abandons the stage in hand at
	// once: ExitAborted and ErrAborted.
	Stop <-chan struct{}
}

// ErrStopped is returned by Run when RunOptions.Stop was closed.
var ErrStopped = errors.New("stopped by a signal after the work in hand; everything committed is kept and the next run picks up")

// ErrAborted is returned by Run when its context was cancelled (a second
// signal): the stage in hand was abandoned.
var ErrAborted = errors.New("aborted by a second signal; the stage in hand was abandoned (its open transaction rolled back), everything committed is kept and the next run picks up")

// WithStop returns ctx carrying stop (the first signal): every stage of
// the pipeline reads it from its context, the sync (it is ingest.WithStop)
// as well as the stages reached through interfaces (Classifier). Cancelling
// ctx itself is the second signal.
func WithStop(ctx context.Context, stop <-chan struct{}) context.Context {
	return ingest.WithStop(ctx, stop)
}

// StopFrom returns the stop channel WithStop put in ctx, or nil.
func StopFrom(ctx context.Context) <-chan struct{} { return ingest.StopOf(ctx) }

// cancelOnStop returns a context cancelled when ctx's stop is closed, for stages
// that end their unit of work in hand when their context is cancelled.
func cancelOnStop(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(ctx)
	if stop := StopFrom(ctx); stop != nil {
		go func() {
			select {
			case <-stop:
				cancel()
			case <-c.Done():
			}
		}()
	}
	return c, cancel
}

// interrupted ends the report when the run was aborted (ctx cancelled) or
// stopped: the stages named are recorded as skipped and the exit code set.
func interrupted(ctx context.Context, rep *Report, later ...string) error {
	var err error
	var detail string
	switch {
	case ctx.Err() != nil:
		err, detail = ErrAborted, "the run was aborted"
		rep.ExitCode = ExitAborted
	case ingest.Stopped(ctx):
		err, detail = ErrStopped, "the run was stopped"
		rep.ExitCode = ExitStopped
	default:
		return nil
	}
	for _, st := range later {
		rep.add(StageStatus{Stage: st, Status: StateSkipped, Detail: detail})
	}
	return err
}

// Run is `errata run`: the whole pipeline once, under the run lock. It
// returns ErrLocked (a *LockedError) when another run holds the lock; stage
// failures are in the report's ExitCode, not in the error.
func (p *Pipeline) Run(ctx context.Context, opts RunOptions) (*Report, error) {
	ctx = WithStop(ctx, opts.Stop) // every stage reads the stop from ctx
	unlock, err := TryLock(ctx, p.Store, RunLockKey)
	if err != nil {
		return nil, err
	}
	defer unlock()
	start := p.now()
	rep := &Report{}
	runID, err := p.Store.PipelineRunCreate(ctx, "run", start)
	if err != nil {
		return nil, err
	}
	defer func() {
		// Record the outcome even when ctx was cancelled.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		stages, _ := json.Marshal(rep.Stages)
		_ = p.Store.PipelineRunFinish(cctx, store.PipelineRunFinish{ID: runID, FinishedAt: p.now(), ExitCode: rep.ExitCode, Stages: stages})
		p.Metrics.observeRun("run", rep.ExitCode, time.Since(start))
	}()

	// 1. sync
	switch {
	case opts.SkipSync:
		rep.add(StageStatus{Stage: "sync", Status: StateSkipped, Detail: "--no-sync"})
	case len(p.Sources) == 0:
		rep.add(StageStatus{Stage: "sync", Status: StateSkipped, Detail: "no sources configured (sources: in the config file); classify and pages run on the stored issues"})
		p.log().Info("sync skipped: no sources configured")
	default:
		for i, res := range p.SyncAll(ctx) {
			src := p.Sources[i]
			if res.Changed() {
				rep.Changed = true
			}
			st, failed := syncStage(ctx, src, res)
			switch {
			case st.Status == StateRateLimited:
				p.log().Warn("sync stopped by the rate limit; the next run resumes", "source", src.String(), "detail", st.Detail)
			case st.Status == StateFailed:
				p.log().Error("sync failed", "source", src.String(), "error", res.Err)
			}
			if failed {
				rep.fail(ExitSync)
			}
			rep.add(st)
		}
	}
	if err := interrupted(ctx, rep, "classify", "pages", "trends"); err != nil {
		return rep, err
	}

	// 2. classify
	t0 := time.Now()
	ran, cres, err := p.ClassifyIfPending(ctx, opts.Force)
	st := StageStatus{Stage: "classify", Duration: time.Since(t0)}
	switch {
	case err != nil && ctx.Err() != nil:
		st.Status, st.Detail = StateAborted, "aborted by a second signal; its transaction rolled back, the next run classifies again"
		rep.add(st)
		return rep, interrupted(ctx, rep, "pages", "trends")
	case errors.Is(err, classify.ErrStopped):
		st.Status, st.Detail = StateStopped, "stopped before its next batch and rolled back; the next run classifies again"
		rep.add(st)
		return rep, interrupted(ctx, rep, "pages", "trends")
	case errors.Is(err, ErrLocked):
		st.Status, st.Detail = StateSkipped, "a worker is classifying now"
	case err != nil:
		st.Status, st.Detail = StateFailed, err.Error()
		rep.fail(ExitClassify)
		rep.add(st)
		rep.add(StageStatus{Stage: "pages", Status: StateSkipped, Detail: "classify failed"})
		rep.add(StageStatus{Stage: "trends", Status: StateSkipped, Detail: "classify failed"})
		p.log().Error("classify failed", "error", err)
		return rep, nil
	case !ran:
		st.Status, st.Detail = StateSkipped, "nothing changed since the last classify"
	default:
		st.Status, st.Detail = StateOK, cres.Summary
	}
	rep.add(st)
	if err := interrupted(ctx, rep, "pages", "trends"); err != nil {
		return rep, err
	}

	// 3. pages and trends
	return rep, p.publish(ctx, rep, opts.Force)
}

// publish runs pages and trends when pending; it returns ErrStopped or
// ErrAborted when the run was stopped or aborted during them.
func (p *Pipeline) publish(ctx context.Context, rep *Report, force bool) error {
	pending, why, err := p.PagesPending(ctx)
	if err != nil {
		if ierr := interrupted(ctx, rep, "pages", "trends"); ierr != nil {
			return ierr
		}
		rep.add(StageStatus{Stage: "pages", Status: StateFailed, Detail: err.Error()})
		rep.fail(ExitPages)
		return nil
	}
	if !pending && !force {
		rep.add(StageStatus{Stage: "pages", Status: StateSkipped, Detail: "nothing changed since the last pages run"})
		rep.add(StageStatus{Stage: "trends", Status: StateSkipped, Detail: "nothing changed since the last pages run"})
		return nil
	}
	p.log().Debug("pages pending", "why", why)
	pagesSt, trendsSt, err := p.publishStop(ctx)
	if errors.Is(err, ErrLocked) {
		rep.add(StageStatus{Stage: "pages", Status: StateSkipped, Detail: "a worker is writing pages now"})
		rep.add(StageStatus{Stage: "trends", Status: StateSkipped, Detail: "a worker is writing pages now"})
		return nil
	}
	if pagesSt.Stage == "" {
		// Publish failed before the pages began.
		if ierr := interrupted(ctx, rep, "pages", "trends"); ierr != nil {
			return ierr
		}
		rep.add(StageStatus{Stage: "pages", Status: StateFailed, Detail: err.Error()})
		rep.fail(ExitPages)
		return nil
	}
	rep.add(pagesSt)
	if trendsSt.Stage == "" {
		// Stopped or aborted during the pages, or stopped when they were
		// done: the trends report is skipped.
		return interrupted(ctx, rep, "trends")
	}
	if trendsSt.Status == StateFailed && ctx.Err() != nil {
		trendsSt.Status, trendsSt.Detail = StateAborted, "aborted by a second signal"
		rep.add(trendsSt)
		rep.ExitCode = ExitAborted
		return ErrAborted
	}
	rep.add(trendsSt)
	if pagesSt.Status == StateFailed {
		rep.fail(ExitPages)
	}
	if trendsSt.Status == StateFailed {
		rep.fail(ExitTrends)
	}
	return nil
}

// ClassifyIfPending classifies when issues or comments changed after the
// last classify started, the rules changed, or force is set. It returns
// ErrLocked when another process is classifying.
func (p *Pipeline) ClassifyIfPending(ctx context.Context, force bool) (bool, ClassifyResult, error) {
	if p.Classifier == nil {
		return false, ClassifyResult{}, errors.New("classify is not available in this build")
	}
	unlock, err := TryLock(ctx, p.Store, ClassifyLockKey)
	if err != nil {
		return false, ClassifyResult{}, err
	}
	defer unlock()
	pending, err := p.ClassifyPending(ctx)
	if err != nil {
		return false, ClassifyResult{}, err
	}
	if !pending && !force {
		p.Metrics.setClassifyLag(0)
		return false, ClassifyResult{}, nil
	}
	started, err := p.watermark(ctx)
	if err != nil {
		return false, ClassifyResult{}, err
	}
	t0 := time.Now()
	res, err := p.Classifier.Classify(ctx)
	p.Metrics.observeStage("classify", err, time.Since(t0))
	if err != nil {
		return true, res, fmt.Errorf("classify: %w", err)
	}
	if err := p.setState(ctx, "classify", started, map[string]any{"rules": p.RulesHash, "changed": res.Changed, "classified": res.Classified}); err != nil {
		return true, res, err
	}
	if err := p.UpdateClassifyLag(ctx); err != nil {
		p.log().Warn("read classify lag", "error", err)
	}
	return true, res, nil
}

// Publish writes the pages and the trends report under the pages lock,
// whether or not anything is pending (callers check PagesPending).
func (p *Pipeline) Publish(ctx context.Context) (pagesSt, trendsSt StageStatus, err error) {
	pagesSt, trendsSt, err = p.publishStop(ctx)
	if pagesSt.Status == StateAborted {
		pagesSt.Status = StateFailed
		trendsSt = StageStatus{Stage: "trends", Status: StateSkipped, Detail: "pages failed"}
	}
	return pagesSt, trendsSt, err
}

// publishStop is Publish for a run that may be stopped: when ctx's stop
// (WithStop) closes
// during the pages, they end after the files in hand (every file written
// is whole), the pages status is "stopped" and the trends
// report is not written; nothing is recorded as published, so the next
// run writes the pages again (unchanged files are left as they are).
func (p *Pipeline) publishStop(ctx context.Context) (pagesSt, trendsSt StageStatus, err error) {
	if p.Publisher == nil {
		return StageStatus{Stage: "pages", Status: StateFailed, Detail: "pages are not available in this build"},
			StageStatus{Stage: "trends", Status: StateSkipped, Detail: "pages failed"}, nil
	}
	unlock, err := TryLock(ctx, p.Store, PagesLockKey)
	if err != nil {
		return pagesSt, trendsSt, err
	}
	defer unlock()
	started, err := p.watermark(ctx)
	if err != nil {
		return pagesSt, trendsSt, err
	}
	t0 := time.Now()
	pctx, cancel := cancelOnStop(ctx)
	detail, perr := p.Publisher.Pages(pctx, p.OutDir)
	cancel()
	pagesSt = StageStatus{Stage: "pages", Status: StateOK, Detail: detail, Duration: time.Since(t0)}
	switch {
	case perr != nil && ctx.Err() != nil:
		pagesSt.Status, pagesSt.Detail = StateAborted, "aborted by a second signal; the files written are whole, the next run writes the rest"
		return pagesSt, trendsSt, nil
	case perr != nil && ingest.Stopped(ctx):
		pagesSt.Status, pagesSt.Detail = StateStopped, "stopped after the files in hand, each written whole; the next run writes the rest"
		return pagesSt, trendsSt, nil
	case ingest.Stopped(ctx):
		// The pages were done when the stop came: skip the trends.
		p.Metrics.observeStage("pages", nil, time.Since(t0))
		return pagesSt, trendsSt, nil
	}
	p.Metrics.observeStage("pages", perr, time.Since(t0))
	if perr != nil {
		pagesSt.Status, pagesSt.Detail = StateFailed, perr.Error()
		p.log().Error("pages failed", "error", perr)
	}
	t1 := time.Now()
	tdetail, terr := p.Publisher.Trends(ctx, p.OutDir)
	p.Metrics.observeStage("trends", terr, time.Since(t1))
	trendsSt = StageStatus{Stage: "trends", Status: StateOK, Detail: tdetail, Duration: time.Since(t1)}
	if terr != nil {
		trendsSt.Status, trendsSt.Detail = StateFailed, terr.Error()
		p.log().Error("trends report failed", "error", terr)
	}
	if perr == nil && terr == nil {
		if err := p.setState(ctx, "pages", started, map[string]any{"dir": p.OutDir}); err != nil {
			return pagesSt, trendsSt, err
		}
	}
	return pagesSt, trendsSt, nil
}

// ExitCodeFor maps a Run error to an exit code (ExitLocked, ExitStopped,
// ExitAborted, else ExitFailure); use Report.ExitCode when err is nil.
func ExitCodeFor(err error) int {
	switch {
	case errors.Is(err, ErrLocked):
		return ExitLocked
	case errors.Is(err, ErrStopped):
		return ExitStopped
	case errors.Is(err, ErrAborted):
		return ExitAborted
	}
	return ExitFailure
}

// TryLock takes the session-level advisory lock key on a connection of its
// own without waiting, and returns the function that releases it (and the
// connection). It returns a *LockedError (errors.Is ErrLocked) when another
// session holds the lock.
func TryLock(ctx context.Context, s *store.Store, key int64) (func(), error) {
	lock, holder, err := s.LockTry(ctx, key)
	if err != nil {
		return nil, err
	}
	if lock == nil {
		return nil, &LockedError{Holder: holder}
	}
	return lock.Release, nil
}

// dirExists is a variable for tests of pending detection.
var dirExists = func(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir()
}

// ErrSourceBusy is a sync's Err when another process is syncing the source
// right now (ingest's per-source lock): nothing to do.
var ErrSourceBusy = ingest.ErrSourceBusy
