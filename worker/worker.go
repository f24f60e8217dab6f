// Package worker is `errata worker`: a long-running process that keeps the
// configured sources in sync through River (github.com/riverqueue/river,
// pgx v5 driver), a job queue that lives in errata's PostgreSQL. Any number
// of workers on any number of machines share the work through that one
// database.
//
// Jobs (kinds):
//
//   - errata_sync {source_kind, source_key}: one source. The River leader
//     (one worker at a time, elected through PostgreSQL) enqueues one per
//     source at the source's interval, unique by source and interval period
//     so a source is never queued twice for the same period; ingest's
//     per-source advisory lock keeps a retried or snoozed job from syncing
//     a source another job is syncing. Failures retry with River's
//     exponential backoff (MaxSyncAttempts). A sync that reaches a rate
//     limit it would have to wait for (longer than the client's MaxWait)
//     stops with its pages committed and the job is snoozed until the limit
//     resets (+1 s), which frees the worker slot; with several tokens, only
//     until the next token is usable. When every configured token is spent
//     the job is snoozed until the earliest reset without a request.
//
// Connections: a running sync holds one pool connection for its source
// lock and uses another for its page commits, and River keeps a few of its
// own, a classify job two (its assignment and the extraction ahead) and an
// extraction job one, so the pool needs about 2 × SyncConcurrency + 8
// connections (`errata worker` sets pool_max_conns so unless the URL
// does).
//   - errata_classify: enqueued after a sync that stored something, and
//     every schedule interval as a safety net (cheap when nothing is
//     pending). Unique while queued or running, so a burst of syncs makes
//     one classify; if data arrived while it ran, it snoozes itself and runs
//     again.
//   - errata_pages: enqueued by classify when pages are pending (data or
//     clusters changed); writes the pages and the trends report.
//   - errata_classify_extract {run_id, batch}: one batch of a classify run
//     to extract and normalize (queue errata_extract, ExtractConcurrency
//     per worker). The classify job records its run and queues one per
//     batch, so every worker takes a share of the three quarters of
//     classify's CPU that need no cluster state; the classify job itself
//     extracts the batches in order too, skipping those a worker holds,
//     and assigns them (one writer, under the classify lock) as they are
//     committed. A batch whose run finished, or that another worker did,
//     is a no-op; a worker under other rules cancels the job and leaves
//     the batch to the classify job. See classify.Run.
//
// Shutdown: on SIGTERM (ctx cancelled) the worker stops fetching jobs and
// closes the sync stop channel, so a running sync finishes the page it is
// on, commits it with its cursor and returns; the job is snoozed (0 s) and
// the next worker to fetch it resumes from the cursor. Classify and pages
// get ShutdownTimeout to finish before their contexts are cancelled. A
// worker killed outright (SIGKILL, lost machine) leaves its job "running";
// River's rescuer (run by the leader) makes it retryable after
// RescueAfter and another worker completes it; nothing is lost because
// every page is committed with its cursor.
package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/runner"
	"github.com/errata-tool/errata/store"
)

// Queues.
const (
	QueueSync     = "errata_sync"
	QueuePipeline = "errata_pipeline"
	QueueExtract  = "errata_extract"
)

// MaxSyncAttempts bounds retries of a failing sync job (River's backoff is
// attempt⁴ seconds with jitter: about 1 s, 16 s, 81 s, 4 min, 10 min ...).
const MaxSyncAttempts = 8

// riverMigrateLockKey serialises River's migrations across workers that
// start together (rivermigrate itself takes no lock).
const riverMigrateLockKey int64 = 0x657272617461000b

// SyncArgs is an errata_sync job.
type SyncArgs struct {
	SourceKind ingest.SourceKind `json:"source_kind" river:"unique"`
	SourceKey  string            `json:"source_key" river:"unique"`
}

// Kind is the River job kind.
func (SyncArgs) Kind() string { return "errata_sync" }

// ClassifyArgs is an errata_classify job.
type ClassifyArgs struct{}

// Kind is the River job kind.
func (ClassifyArgs) Kind() string { return "errata_classify" }

// ExtractArgs is an errata_classify_extract job: one batch of a classify
// run.
type ExtractArgs struct {
	RunID int64 `json:"run_id"`
	Batch int   `json:"batch"`
}

// Kind is the River job kind.
func (ExtractArgs) Kind() string { return "errata_classify_extract" }

// PagesArgs is an errata_pages job.
type PagesArgs struct{}

// Kind is the River job kind.
func (PagesArgs) Kind() string { return "errata_pages" }

// Config configures a Worker.
type Config struct {
	Pipeline *runner.Pipeline
	// SyncConcurrency is how many sources this process syncs at once
	// (default 2).
	SyncConcurrency int
	// ExtractConcurrency is how many classify batches this process
	// extracts at once (default 1: a batch already uses every core).
	ExtractConcurrency int
	// ClassifyInterval is the safety-net classify period (default the
	// smallest source interval, at most 1h).
	ClassifyInterval time.Duration
	// ShutdownTimeout is how long running jobs get to finish after a stop
	// (default 30 s).
	ShutdownTimeout time.Duration
	// JobTimeout bounds one job (default 1 h); RescueAfter is when a job
	// whose worker vanished is retried elsewhere (default JobTimeout +
	// 5 min, at least JobTimeout).
	JobTimeout  time.Duration
	RescueAfter time.Duration
	// FetchPollInterval is how often idle workers poll (default 1 s;
	// LISTEN/NOTIFY wakes them sooner).
	FetchPollInterval time.Duration
	// ID names this worker in River (default a random id).
	ID     string
	Logger *slog.Logger
}

// Worker is a running `errata worker`.
type Worker struct {
	cfg     Config
	p       *runner.Pipeline
	client  *river.Client[pgx.Tx]
	stop    chan struct{}
	once    sync.Once
	sources map[string]runner.Source
	log     *slog.Logger
}

func sourceID(kind ingest.SourceKind, key string) string { return string(kind) + "\x00" + key }

// periodicID is a River periodic job id for a source (River allows only
// word characters and a few signs, which a search query may not be).
func periodicID(s runner.Source) string {
	h := sha256.Sum256([]byte(string(s.Kind) + "\x00" + s.Key))
	return "sync-" + string(s.Kind) + "-" + hex.EncodeToString(h[:8])
}

// Migrate brings River's tables up to date, under an advisory lock so
// workers starting together do not race.
func Migrate(ctx context.Context, st *store.Store, log *slog.Logger) error {
	m, err := rivermigrate.New(st.QueueDriver(), &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	// Some River migrations cannot share one transaction (an enum value
	// added and used), so the lock is a session lock on a connection of
	// its own, held while Migrate runs version by version.
	lock, err := st.LockWait(ctx, riverMigrateLockKey)
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	defer lock.Release()
	// rivermigrate logs each version it applies through log.
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	return nil
}

// New builds a worker (it does not start it). The caller has run Migrate.
func New(cfg Config) (*Worker, error) {
	p := cfg.Pipeline
	if p == nil || p.Store == nil {
		return nil, errors.New("worker: no pipeline")
	}
	if cfg.SyncConcurrency <= 0 {
		cfg.SyncConcurrency = 2
	}
	if cfg.ExtractConcurrency <= 0 {
		cfg.ExtractConcurrency = 1
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = time.Hour
	}
	if cfg.RescueAfter <= 0 {
		cfg.RescueAfter = cfg.JobTimeout + 5*time.Minute
	}
	if cfg.RescueAfter < cfg.JobTimeout {
		cfg.RescueAfter = cfg.JobTimeout
	}
	if cfg.ClassifyInterval <= 0 {
		cfg.ClassifyInterval = runner.DefaultInterval
		for _, s := range p.Sources {
			if s.Interval < cfg.ClassifyInterval {
				cfg.ClassifyInterval = s.Interval
			}
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Worker{cfg: cfg, p: p, stop: make(chan struct{}), sources: map[string]runner.Source{}, log: log}
	workers := river.NewWorkers()
	river.AddWorker(workers, &syncWorker{w: w})
	river.AddWorker(workers, &classifyWorker{w: w})
	river.AddWorker(workers, &pagesWorker{w: w})
	river.AddWorker(workers, &extractWorker{w: w})

	var periodic []*river.PeriodicJob
	for _, s := range p.Sources {
		w.sources[sourceID(s.Kind, s.Key)] = s
		args := SyncArgs{SourceKind: s.Kind, SourceKey: s.Key}
		opts := SyncInsertOpts(s.Interval)
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(s.Interval),
			func() (river.JobArgs, *river.InsertOpts) { return args, opts },
			&river.PeriodicJobOpts{RunOnStart: true, ID: periodicID(s)}))
	}
	if p.Classifier != nil {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.ClassifyInterval),
			func() (river.JobArgs, *river.InsertOpts) { return ClassifyArgs{}, pipelineInsertOpts() },
			&river.PeriodicJobOpts{RunOnStart: true, ID: "classify"}))
	}

	client, err := river.NewClient(p.Store.QueueDriver(), &river.Config{
		ID:                   cfg.ID,
		Logger:               log,
		Workers:              workers,
		PeriodicJobs:         periodic,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		FetchPollInterval:    cfg.FetchPollInterval,
		ErrorHandler:         &errorHandler{w: w},
		Queues: map[string]river.QueueConfig{
			QueueSync:     {MaxWorkers: cfg.SyncConcurrency},
			QueuePipeline: {MaxWorkers: 1},
			QueueExtract:  {MaxWorkers: cfg.ExtractConcurrency},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	w.client = client
	return w, nil
}

// SyncInsertOpts are the options of a periodic sync job: unique by source
// within the interval period.
func SyncInsertOpts(interval time.Duration) *river.InsertOpts {
	return &river.InsertOpts{
		Queue:       QueueSync,
		MaxAttempts: MaxSyncAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByPeriod: interval},
	}
}

// pipelineInsertOpts make classify and pages jobs unique while queued or
// running (not once completed, so the next change queues a new one).
func pipelineInsertOpts() *river.InsertOpts {
	return &river.InsertOpts{
		Queue:       QueuePipeline,
		MaxAttempts: 5,
		UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateScheduled, rivertype.JobStateRetryable}},
	}
}

// Client is the River client (tests and the CLI insert jobs through it).
func (w *Worker) Client() *river.Client[pgx.Tx] { return w.client }

// Run starts the worker and blocks until ctx is cancelled, then shuts down
// gracefully: syncs stop after their current page, other jobs get
// ShutdownTimeout to finish, then their contexts are cancelled.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("worker: start: %w", err)
	}
	w.log.Info("worker started", "sources", len(w.sources), "sync_concurrency", w.cfg.SyncConcurrency)
	<-ctx.Done()
	return w.Shutdown()
}

// Shutdown stops the worker (Run calls it when its context ends).
func (w *Worker) Shutdown() error {
	w.once.Do(func() { close(w.stop) })
	w.log.Info("worker stopping: running syncs stop after their current page", "timeout", w.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), w.cfg.ShutdownTimeout)
	defer cancel()
	if err := w.client.Stop(sctx); err != nil {
		w.log.Warn("jobs still running at the shutdown timeout; cancelling them", "error", err)
		hctx, hcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer hcancel()
		if err := w.client.StopAndCancel(hctx); err != nil {
			return fmt.Errorf("worker: stop: %w", err)
		}
	}
	w.log.Info("worker stopped")
	return nil
}

// Stopping is closed once the worker begins to shut down: from then on,
// running syncs stop after their current page.
func (w *Worker) Stopping() <-chan struct{} { return w.stop }

func (w *Worker) stopping() bool {
	select {
	case <-w.stop:
		return true
	default:
		return false
	}
}

type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	w *Worker
}

func (sw *syncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	w := sw.w
	src, ok := w.sources[sourceID(job.Args.SourceKind, job.Args.SourceKey)]
	if !ok {
		// Queued by a worker with another configuration.
		return river.JobCancel(fmt.Errorf("source %s %q is not in this worker's configuration", job.Args.SourceKind, job.Args.SourceKey))
	}
	log := w.log.With("job_id", job.ID, "source", src.String(), "attempt", job.Attempt)
	// Each job tries the API host afresh, as each `errata run` does.
	w.p.Syncer.ResetBreaker()
	res := w.p.SyncSource(runner.WithStop(ctx, w.stop), src)
	if res.Changed() && w.p.Classifier != nil {
		if ierr := w.enqueueClassify(ctx); ierr != nil {
			log.Error("could not queue classify", "error", ierr)
		}
	}
	err := res.Err
	if until, limited := runner.RateLimitedUntil(err); limited {
		// Another token may be usable before this one resets.
		if w.p.Tokens != nil && w.p.Tokens.Len() > 1 {
			if at := w.p.Tokens.AvailableAt(time.Now()); at.Before(until) {
				until = at
			}
		}
		d := time.Until(until) + time.Second
		if d < time.Second {
			d = time.Second
		}
		log.Info("rate limited: job snoozed until the limit resets", "reset", until.UTC(), "snooze", d.Round(time.Second))
		return river.JobSnooze(d)
	}
	if errors.Is(err, runner.ErrSourceBusy) {
		log.Info("another worker is syncing this source; nothing to do")
		return nil
	}
	if err != nil && (w.stopping() || ctx.Err() != nil) {
		// Stopped mid-sync by a shutdown: the pages so far are committed
		// with their cursor; let another worker resume now.
		log.Info("sync stopped by shutdown; progress saved, job handed back")
		return river.JobSnooze(0)
	}
	if err != nil {
		log.Error("sync failed", "error", err)
		return fmt.Errorf("sync %s: %w", src, err)
	}
	log.Info("synced", "requests", res.Requests, "not_modified", res.NotModified,
		"issues_new", res.Issues.Inserted, "issues_updated", res.Issues.Updated,
		"comments_new", res.Comments.Inserted, "comments_updated", res.Comments.Updated)
	return nil
}

func (w *Worker) enqueueClassify(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	_, err := w.client.Insert(ctx, ClassifyArgs{}, pipelineInsertOpts())
	return err
}

func (w *Worker) enqueuePages(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	_, err := w.client.Insert(ctx, PagesArgs{}, pipelineInsertOpts())
	return err
}

type classifyWorker struct {
	river.WorkerDefaults[ClassifyArgs]
	w *Worker
}

func (cw *classifyWorker) Work(ctx context.Context, job *river.Job[ClassifyArgs]) error {
	w := cw.w
	if _, ok := w.p.Classifier.(runner.BatchExtractor); ok {
		ctx = runner.WithSpread(ctx, w.enqueueExtract)
	}
	ran, res, err := w.p.ClassifyIfPending(ctx, false)
	if errors.Is(err, runner.ErrLocked) {
		return river.JobSnooze(15 * time.Second)
	}
	if err != nil {
		return err
	}
	if ran {
		w.log.Info("classified", "job_id", job.ID, "summary", res.Summary)
	}
	if pending, _, perr := w.p.PagesPending(ctx); perr == nil && pending && w.p.Publisher != nil {
		if err := w.enqueuePages(ctx); err != nil {
			w.log.Error("could not queue pages", "error", err)
		}
	} else if perr != nil {
		return perr
	}
	// Data that arrived while classify ran (its sync's classify job was
	// dropped as a duplicate of this one): run again.
	if more, err := w.p.ClassifyPending(ctx); err == nil && more && ran && !w.stopping() {
		return river.JobSnooze(time.Second)
	}
	return nil
}

// enqueueExtract queues one extraction job per batch of a classify run.
func (w *Worker) enqueueExtract(ctx context.Context, runID int64, batches []int) error {
	params := make([]river.InsertManyParams, len(batches))
	for i, b := range batches {
		params[i] = river.InsertManyParams{Args: ExtractArgs{RunID: runID, Batch: b},
			InsertOpts: &river.InsertOpts{Queue: QueueExtract, MaxAttempts: 3}}
	}
	if _, err := w.client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("queue classify batches: %w", err)
	}
	return nil
}

type extractWorker struct {
	river.WorkerDefaults[ExtractArgs]
	w *Worker
}

func (ew *extractWorker) Work(ctx context.Context, job *river.Job[ExtractArgs]) error {
	w := ew.w
	ex, ok := w.p.Classifier.(runner.BatchExtractor)
	if !ok {
		return river.JobCancel(errors.New("this worker cannot classify"))
	}
	did, err := ex.ExtractBatch(ctx, job.Args.RunID, job.Args.Batch)
	if errors.Is(err, classify.ErrOtherRules) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if did {
		w.log.Debug("classify batch extracted", "job_id", job.ID, "run", job.Args.RunID, "batch", job.Args.Batch)
	}
	return nil
}

type pagesWorker struct {
	river.WorkerDefaults[PagesArgs]
	w *Worker
}

func (pw *pagesWorker) Work(ctx context.Context, job *river.Job[PagesArgs]) error {
	w := pw.w
	pending, why, err := w.p.PagesPending(ctx)
	if err != nil {
		return err
	}
	if !pending {
		return nil
	}
	pst, tst, err := w.p.Publish(ctx)
	if errors.Is(err, runner.ErrLocked) {
		return river.JobSnooze(15 * time.Second)
	}
	if err != nil {
		return err
	}
	if pst.Status == runner.StateFailed {
		return fmt.Errorf("pages: %s", pst.Detail)
	}
	if tst.Status == runner.StateFailed {
		return fmt.Errorf("trends: %s", tst.Detail)
	}
	w.log.Info("pages written", "job_id", job.ID, "why", why, "pages", pst.Detail, "trends", tst.Detail)
	return nil
}

type errorHandler struct{ w *Worker }

func (h *errorHandler) HandleError(_ context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	h.w.log.Warn("job failed; River retries it with backoff", "job_id", job.ID, "kind", job.Kind,
		"attempt", job.Attempt, "max_attempts", job.MaxAttempts, "error", err)
	return nil
}

func (h *errorHandler) HandlePanic(_ context.Context, job *rivertype.JobRow, v any, trace string) *river.ErrorHandlerResult {
	h.w.p.Metrics.JobFailed(job.Kind)
	h.w.log.Error("job panicked", "job_id", job.ID, "kind", job.Kind, "panic", fmt.Sprint(v), "trace", trace)
	return nil
}

// Pipeline is the pipeline the worker runs.
func (w *Worker) Pipeline() *runner.Pipeline { return w.p }
