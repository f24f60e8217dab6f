package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/errata-tool/errata/config"
	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/runner"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
	"github.com/errata-tool/errata/worker"
)

// TestMain lets the test binary run as a worker process of its own
// (ERRATA_WORKER_CHILD=1), so a test can kill one with SIGKILL.
func TestMain(m *testing.M) {
	if os.Getenv("ERRATA_WORKER_CHILD") == "1" {
		os.Exit(childWorker())
	}
	os.Exit(m.Run())
}

func childWorker() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	s, err := store.Open(ctx, os.Getenv("ERRATA_CHILD_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	iv, _ := time.ParseDuration(os.Getenv("ERRATA_CHILD_INTERVAL"))
	id := os.Getenv("ERRATA_CHILD_ID")
	if id == "" {
		id = "child"
	}
	w, err := newWorker(s, os.Getenv("ERRATA_CHILD_API"), strings.Split(os.Getenv("ERRATA_CHILD_REPOS"), ","), iv, id,
		slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if addr := os.Getenv("ERRATA_CHILD_METRICS"); addr != "" {
		srv, err := runner.Serve(addr, w.Pipeline().Metrics, nil, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer srv.Close(context.Background())
	}
	if err := w.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func pipeline(s *store.Store, apiURL string, repos []string, interval time.Duration, log *slog.Logger) *runner.Pipeline {
	cfg := &config.Config{}
	for _, r := range repos {
		cfg.Sources.Repositories = append(cfg.Sources.Repositories, config.Repository{Repo: r, Interval: config.Duration{Duration: interval}})
	}
	return &runner.Pipeline{
		Store:   s,
		Sources: runner.SourcesFromConfig(cfg),
		Tokens:  runner.NewTokenPool(nil),
		Syncer: &runner.IngestSyncer{Store: s, APIURL: apiURL, Logger: log,
			Limits: ingest.Limits{MaxWait: time.Second, RetryBase: 10 * time.Millisecond, SecondaryBase: 10 * time.Millisecond}},
		OutDir:  "",
		Metrics: runner.NewMetrics(),
		Logger:  log,
	}
}

func newWorker(s *store.Store, apiURL string, repos []string, interval time.Duration, id string, log *slog.Logger) (*worker.Worker, error) {
	if err := worker.Migrate(context.Background(), s, log); err != nil {
		return nil, err
	}
	return worker.New(worker.Config{
		Pipeline:          pipeline(s, apiURL, repos, interval, log),
		SyncConcurrency:   2,
		ShutdownTimeout:   5 * time.Second,
		JobTimeout:        20 * time.Second,
		RescueAfter:       25 * time.Second,
		FetchPollInterval: 100 * time.Millisecond,
		ID:                id,
		Logger:            log,
	})
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func openStore(t *testing.T, url string) *store.Store {
	t.Helper()
	return storetest.Open(t, url)
}

func seed(fake *githubfake.Server, repo string, issues, commentsEach int) {
	for i := 0; i < issues; i++ {
		is := fake.AddIssue(repo, githubfake.NewIssue{Title: fmt.Sprintf("crash %d: connection refused", i), Body: "dial tcp: connection refused"})
		for c := 0; c < commentsEach; c++ {
			fake.AddComment(repo, is.Number, "someone", fmt.Sprintf("same here %d", c), time.Time{})
		}
		fake.Advance(time.Second)
	}
}

func count(t *testing.T, s *store.Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := storetest.Pool(s).QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestTwoWorkersSyncEachSourceOncePerInterval runs two workers (two
// connection pools, as on two machines) against one database for several
// intervals and checks that every source was synced once per interval
// period, never twice at once, and that the data is complete.
func TestTwoWorkersSyncEachSourceOncePerInterval(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	repos := []string{"acme/alpha", "acme/beta", "acme/gamma"}
	for i, r := range repos {
		seed(fake, r, 20+i*10, 2)
	}
	url := storetest.URL(t)
	const interval = 2 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var completed [2]<-chan *river.Event
	start := time.Now()
	for i := range completed {
		s := openStore(t, url)
		w, err := newWorker(s, fake.APIURL(), repos, interval, fmt.Sprintf("w%d", i), testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		var unsubscribe func()
		completed[i], unsubscribe = w.Client().Subscribe(river.EventKindJobCompleted)
		defer unsubscribe()
		wg.Add(1)
		go func() { defer wg.Done(); _ = w.Run(ctx) }()
	}
	// The test waits on River's completion events (from either worker),
	// not on the clock: every source synced once, then new data arrives,
	// then every source synced three times and beta once since the new
	// data.
	synced := map[string]int{}
	var seededAt time.Time
	betaAfterSeed := false
	for deadline := time.After(3 * time.Minute); ; {
		var ev *river.Event
		select {
		case ev = <-completed[0]:
		case ev = <-completed[1]:
		case <-deadline:
			cancel()
			wg.Wait()
			t.Fatalf("sync jobs completed after 3 minutes: %v (beta since new data: %v)", synced, betaAfterSeed)
		}
		var args struct {
			SourceKey string `json:"source_key"`
		}
		if ev.Job.Kind != "errata_sync" || json.Unmarshal(ev.Job.EncodedArgs, &args) != nil {
			continue
		}
		synced[args.SourceKey]++
		if seededAt.IsZero() && len(synced) == len(repos) {
			seed(fake, "acme/beta", 5, 1)
			seededAt = time.Now()
		} else if !seededAt.IsZero() && args.SourceKey == "acme/beta" && ev.Job.AttemptedAt != nil && ev.Job.AttemptedAt.After(seededAt) {
			betaAfterSeed = true
		}
		if betaAfterSeed && minCount(synced, repos) >= 3 {
			break
		}
	}
	cancel()
	wg.Wait()
	elapsed := time.Since(start)

	s := openStore(t, url)
	// Every issue and comment of the fake is stored exactly once.
	for _, r := range repos {
		wantIssues, _, wantComments := fake.Counts(r)
		gotIssues := count(t, s, `SELECT count(*) FROM issues i JOIN repositories r ON r.id = i.repository_id WHERE r.full_name = $1`, r)
		gotComments := count(t, s, `SELECT count(*) FROM comments c JOIN issues i ON i.id = c.issue_id JOIN repositories r ON r.id = i.repository_id WHERE r.full_name = $1`, r)
		if gotIssues != wantIssues || gotComments != wantComments {
			t.Errorf("%s: stored %d issues, %d comments; fake has %d, %d", r, gotIssues, gotComments, wantIssues, wantComments)
		}
	}
	// One sync job per source per interval period, and every one ran.
	rows, err := storetest.Pool(s).Query(context.Background(), `
		SELECT args->>'source_key', count(*), count(DISTINCT floor(extract(epoch FROM created_at) / $1)),
		       count(*) FILTER (WHERE state = 'completed')
		FROM river_job WHERE kind = 'errata_sync' GROUP BY 1 ORDER BY 1`, interval.Seconds())
	if err != nil {
		t.Fatal(err)
	}
	type jobCount struct{ total, periods, completed int }
	got := map[string]jobCount{}
	for rows.Next() {
		var k string
		var c jobCount
		if err := rows.Scan(&k, &c.total, &c.periods, &c.completed); err != nil {
			t.Fatal(err)
		}
		got[k] = c
	}
	rows.Close()
	for _, r := range repos {
		c := got[r]
		// At most one job per interval period the workers ran through
		// (plus the run-on-start one, which may share the first period).
		if most := int(elapsed/interval) + 2; c.total < 3 || c.total > most {
			t.Errorf("%s: %d sync jobs in %s at a %s interval, want 3 to %d", r, c.total, elapsed.Round(time.Millisecond), interval, most)
		}
		if c.total != c.periods {
			t.Errorf("%s: %d sync jobs in %d interval periods: a period was synced twice", r, c.total, c.periods)
		}
	}
	// No two syncs of one source overlapped (sync_runs has one row per
	// actual sync, written by ingest).
	overlaps := count(t, s, `
		SELECT count(*) FROM sync_runs a JOIN sync_runs b
		  ON a.source_id = b.source_id AND a.id < b.id
		 AND b.started_at < coalesce(a.finished_at, 'infinity') AND a.started_at < coalesce(b.finished_at, 'infinity')`)
	if overlaps != 0 {
		t.Errorf("%d overlapping syncs of one source", overlaps)
	}
	// Both workers did work.
	byWorker := count(t, s, `SELECT count(DISTINCT attempted_by[1]) FROM river_job WHERE kind = 'errata_sync' AND state = 'completed'`)
	if byWorker != 2 {
		t.Logf("sync jobs were run by %d of the 2 workers", byWorker)
	}
	// The re-syncs were answered by 304s.
	nm := count(t, s, `SELECT coalesce(sum(not_modified), 0) FROM sync_runs`)
	if nm == 0 {
		t.Errorf("no 304 answers across re-syncs")
	}
}

// minCount is the smallest count of keys in m (0 for a key not in m).
func minCount(m map[string]int, keys []string) int {
	least := -1
	for _, k := range keys {
		if least < 0 || m[k] < least {
			least = m[k]
		}
	}
	return max(least, 0)
}

// TestRateLimitSnoozesJob exhausts the fake's core budget mid-sync: the job
// must be snoozed until the limit resets (not failed, not sleeping in a
// slot), with the pages fetched so far kept.
func TestRateLimitSnoozesJob(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seed(fake, "acme/limited", 250, 0)
	const window = 90 * time.Second
	fake.SetLimits(2, 30, window, time.Minute)
	resetAt := time.Now().Add(window)
	s := storetest.New(t)
	w, err := newWorker(s, fake.APIURL(), []string{"acme/limited"}, time.Hour, "snoozer", testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	snoozed, unsubscribe := w.Client().Subscribe(river.EventKindJobSnoozed)
	defer unsubscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// River reports the snooze once it is recorded. On a loaded machine
	// the worker can take long to start and fetch: the bound is generous
	// and only ends a test that would otherwise hang.
	var job *rivertype.JobRow
	select {
	case ev := <-snoozed:
		job = ev.Job
	case <-time.After(60 * time.Second):
		t.Fatal("the sync job was not snoozed within 60 s")
	}
	var meta struct {
		Snoozes int `json:"snoozes"`
	}
	if err := json.Unmarshal(job.Metadata, &meta); err != nil || job.Kind != "errata_sync" || meta.Snoozes != 1 {
		t.Fatalf("snoozed job %s, metadata %s (%v): want errata_sync snoozed once", job.Kind, job.Metadata, err)
	}
	if job.State != rivertype.JobStateScheduled {
		t.Errorf("snoozed job state %q, want scheduled", job.State)
	}
	scheduled, attempt := job.ScheduledAt, job.Attempt
	// The fake's window runs from its first request after SetLimits, so
	// the reset lies between resetAt and now + window.
	if scheduled.Before(resetAt.Add(-2*time.Second)) || scheduled.After(time.Now().Add(window+2*time.Second)) {
		t.Errorf("snoozed until %s, want the reset (between %s and %s, +1 s)", scheduled.UTC(), resetAt.UTC(), time.Now().Add(window).UTC())
	}
	if attempt != 0 {
		t.Errorf("attempt %d after a snooze, want 0 (a snooze is not a failed attempt)", attempt)
	}
	// The two requests within budget were stored before the stop.
	// (Pages overlap by the boundary issue, so two pages hold 199.)
	if n := count(t, s, `SELECT count(*) FROM issues`); n < 100 || n >= 250 {
		t.Errorf("%d issues kept from the pages fetched before the limit, want the first pages' (100 to 200)", n)
	}
	m := w.Client() // the worker is free: nothing else running
	if m == nil {
		t.Fatal("no client")
	}
}

// TestKilledWorkerLosesNothing kills a worker process (SIGKILL) in the
// middle of a sync; another worker must complete the job, resuming from
// the pages the dead one committed, with every issue stored once.
func TestKilledWorkerLosesNothing(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	const repo = "acme/killed"
	seed(fake, repo, 450, 0)
	url := storetest.URL(t)

	// Hold the child's third issues page until the child is dead.
	var issuePages atomic.Int32
	release := make(chan struct{})
	reached := make(chan struct{}, 1)
	fake.OnRequest(func(r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/repos/"+repo+"/issues") {
			if issuePages.Add(1) == 3 {
				reached <- struct{}{}
				<-release
			}
		}
	})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ERRATA_WORKER_CHILD=1", "ERRATA_CHILD_DB="+url, "ERRATA_CHILD_API="+fake.APIURL(),
		"ERRATA_CHILD_REPOS="+repo, "ERRATA_CHILD_INTERVAL=1h")
	var childErr lockedBuffer
	cmd.Stderr = &childErr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("child worker never reached the third page:\n%s", childErr.String())
	}
	// Page 3 is held; page 2 is committed while it is in flight (ingest
	// overlaps the next request with the commit): wait for that commit.
	s := openStore(t, url)
	eventually(15*time.Second, func() bool { return count(t, s, `SELECT count(*) FROM issues`) >= 199 })
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(release)

	kept := count(t, s, `SELECT count(*) FROM issues`)
	lastDeadRun := count(t, s, `SELECT coalesce(max(id), 0) FROM sync_runs`)
	if kept < 150 || kept > 200 {
		t.Fatalf("the killed worker committed %d issues, want its 2 pages (about 200)", kept)
	}
	var jobID int64
	if err := storetest.Pool(s).QueryRow(context.Background(), `SELECT id FROM river_job WHERE kind = 'errata_sync' AND state = 'running'`).Scan(&jobID); err != nil {
		t.Fatalf("the killed worker's job is not left running: %v", err)
	}

	w, err := worker.New(worker.Config{
		Pipeline:          pipeline(s, fake.APIURL(), []string{repo}, time.Hour, testLogger(t)),
		ShutdownTimeout:   5 * time.Second,
		JobTimeout:        3 * time.Second,
		RescueAfter:       4 * time.Second,
		FetchPollInterval: 100 * time.Millisecond,
		ID:                "rescuer",
		Logger:            testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	completed, unsubscribe := w.Client().Subscribe(river.EventKindJobCompleted)
	defer unsubscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// The rescuer completes the job once River's rescuer (after
	// RescueAfter) has made it retryable.
	for rescued := false; !rescued; {
		select {
		case ev := <-completed:
			rescued = ev.Job.ID == jobID
		case <-time.After(100 * time.Second):
			t.Fatal("the killed worker's job was not completed elsewhere within 100 s")
		}
	}
	wantIssues, _, _ := fake.Counts(repo)
	if n := count(t, s, `SELECT count(*) FROM issues`); n != wantIssues {
		t.Errorf("stored %d issues, want %d", n, wantIssues)
	}
	// The rescuing worker resumed from the dead one's cursor instead of
	// starting over: its run stored only the rest.
	// (On a loaded machine the rescue can take more than one run, as
	// JobTimeout interrupts it: the runs after the kill are summed.)
	newInRescue := count(t, s, `SELECT coalesce(sum(issues_new), 0) FROM sync_runs WHERE id > $1`, lastDeadRun)
	if newInRescue != wantIssues-kept {
		t.Errorf("the rescuing syncs stored %d new issues, want the %d the dead worker had not committed", newInRescue, wantIssues-kept)
	}
	var by []string
	if err := storetest.Pool(s).QueryRow(context.Background(), `SELECT attempted_by FROM river_job WHERE id = $1`, jobID).Scan(&by); err != nil {
		t.Fatal(err)
	}
	if len(by) < 2 || by[0] != "child" || by[len(by)-1] != "rescuer" {
		t.Errorf("job attempted by %v, want the child then the rescuer", by)
	}
}

// TestShutdownCheckpointsSync stops a worker (as SIGTERM does) while a sync
// waits for its third page: the sync finishes that page, commits it, and
// hands the job back (snoozed, not failed) for the next worker to resume.
func TestShutdownCheckpointsSync(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	const repo = "acme/graceful"
	seed(fake, repo, 450, 0)
	var issuePages atomic.Int32
	release := make(chan struct{})
	reached := make(chan struct{}, 1)
	fake.OnRequest(func(r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/repos/"+repo+"/issues") && issuePages.Add(1) == 3 {
			reached <- struct{}{}
			<-release
		}
	})
	s := storetest.New(t)
	w, err := newWorker(s, fake.APIURL(), []string{repo}, time.Hour, "graceful", testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		t.Fatal("the sync never reached its third page")
	}
	cancel() // SIGTERM
	// Release the page in flight once the worker has begun to stop.
	<-w.Stopping()
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the worker did not stop")
	}
	// The pages before the one in flight are committed (ingest prefetches
	// the next page while committing one, and a stop discards at most that
	// prefetched answer; page boundaries overlap by one issue).
	if n := count(t, s, `SELECT count(*) FROM issues`); n < 199 || n > 298 {
		t.Errorf("%d issues after a graceful stop on the third page, want the pages before it committed (199 to 298)", n)
	}
	var state string
	var attempt int
	var snoozes *int
	if err := storetest.Pool(s).QueryRow(context.Background(), `SELECT state, attempt, (metadata->>'snoozes')::int FROM river_job WHERE kind = 'errata_sync'`).
		Scan(&state, &attempt, &snoozes); err != nil {
		t.Fatal(err)
	}
	if state != "available" && state != "scheduled" {
		t.Errorf("job %q after a graceful stop, want handed back (available or scheduled)", state)
	}
	if snoozes == nil || attempt != 0 {
		t.Errorf("job attempt %d, snoozes %v: want a snooze, not a failed attempt", attempt, snoozes)
	}
	// The next worker resumes and completes it.
	w2, err := newWorker(s, fake.APIURL(), []string{repo}, time.Hour, "next", testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	completed, unsubscribe := w2.Client().Subscribe(river.EventKindJobCompleted)
	defer unsubscribe()
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan error, 1)
	go func() { done2 <- w2.Run(ctx2) }()
	defer func() {
		cancel2()
		if err := <-done2; err != nil {
			t.Logf("worker after its context ended: %v", err)
		}
	}()
	for resumed := false; !resumed; {
		select {
		case ev := <-completed:
			resumed = ev.Job.Kind == "errata_sync"
		case <-time.After(30 * time.Second):
			t.Fatal("the next worker did not complete the handed-back sync within 30 s")
		}
	}
	want, _, _ := fake.Counts(repo)
	if n := count(t, s, `SELECT count(*) FROM issues`); n != want {
		t.Errorf("%d issues after the next worker resumed, want %d", n, want)
	}
}

// TestWorkerPipelineAndMetrics runs a worker with every stage: syncs that
// store issues queue classify, classify queues pages, and /metrics shows
// the work; /healthz answers.
func TestWorkerPipelineAndMetrics(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	const repo = "acme/observed"
	for i := 0; i < 12; i++ {
		is := fake.AddIssue(repo, githubfake.NewIssue{Title: "login fails: invalid_grant refresh token expired",
			Body: "```\nerror: invalid_grant (refresh token expired)\n```"})
		fake.AddComment(repo, is.Number, "helper", "same here", time.Time{})
		fake.Advance(time.Minute)
	}
	s := storetest.New(t)
	log := testLogger(t)
	p := pipeline(s, fake.APIURL(), []string{repo}, 2*time.Second, log)
	p.Classifier = &runner.ClassifyStage{Store: s, Logger: log}
	p.Publisher = &runner.PublishStage{Store: s, Format: "hugo", Logger: log}
	p.OutDir = t.TempDir()
	if err := worker.Migrate(context.Background(), s, log); err != nil {
		t.Fatal(err)
	}
	w, err := worker.New(worker.Config{Pipeline: p, FetchPollInterval: 100 * time.Millisecond, ShutdownTimeout: 5 * time.Second, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := runner.Serve("127.0.0.1:0", p.Metrics, func(ctx context.Context) error { return s.Ping(ctx) }, log)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	completed, unsubscribe := w.Client().Subscribe(river.EventKindJobCompleted)
	defer unsubscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	// waitJob waits for River to report a job of kind completed. The bound
	// only ends a test that would otherwise hang.
	waitJob := func(kind string) {
		t.Helper()
		for {
			select {
			case ev := <-completed:
				if ev.Job.Kind == kind {
					return
				}
			case <-time.After(60 * time.Second):
				t.Fatalf("no %s job completed within 60 s", kind)
			}
		}
	}

	// Issues get classified and pages written without anyone asking.
	ready := func() bool {
		if _, err := os.Stat(p.OutDir + "/" + runner.TrendsFile); err != nil {
			return false
		}
		if count(t, s, `SELECT count(*) FROM cluster_members`) != 12 {
			return false
		}
		pending, _, err := p.PagesPending(context.Background())
		return err == nil && !pending
	}
	// (A pages job may run before the first sync stored anything, as the
	// output directory does not exist yet.)
	for !ready() {
		waitJob("errata_pages")
	}
	var pagesAfterClassify bool
	if err := storetest.Pool(s).QueryRow(context.Background(), `SELECT p.started_at >= c.started_at FROM pipeline_state p, pipeline_state c
		WHERE p.stage = 'pages' AND c.stage = 'classify'`).Scan(&pagesAfterClassify); err != nil || !pagesAfterClassify {
		t.Errorf("pages not written after the classify: %v", err)
	}
	// A sync's metrics are recorded before its job ends, and the 304s
	// need a re-sync (2 s interval): the first sync to complete after the
	// pages is one.
	waitJob("errata_sync")
	wants := []string{
		`errata_issues_synced_total{kind="new",source="repo acme/observed"} 12`,
		`errata_comments_synced_total{kind="new",source="repo acme/observed"} 12`,
		`errata_github_requests_total{source="repo acme/observed"}`,
		`errata_github_not_modified_total{source="repo acme/observed"}`,
		`errata_github_rate_limit_remaining{token="none"}`,
		`errata_classify_lag_seconds 0`,
		`errata_stage_duration_seconds_count{stage="classify"}`,
		`errata_stage_duration_seconds_count{stage="pages"}`,
		`errata_syncs_total{result="ok",source="repo acme/observed"}`,
	}
	noResync := `errata_github_not_modified_total{source="repo acme/observed"} 0`
	resp, err := http.Get("http://" + srv.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(text, noResync) {
		t.Errorf("no 304s counted after a re-sync")
	}
	resp, err = http.Get("http://" + srv.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	hb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(hb)) != "ok" {
		t.Errorf("/healthz: %d %q", resp.StatusCode, hb)
	}
}

var newIssuesRe = regexp.MustCompile(`(?m)^errata_issues_synced_total\{kind="new",source="[^"]+"\} (\d+)$`)

// newIssuesMetric sums the new issues a worker's /metrics at addr
// counts (0 when it cannot be read yet).
func newIssuesMetric(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0
	}
	sum := 0
	for _, m := range newIssuesRe.FindAllStringSubmatch(string(body), -1) {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			t.Fatalf("metric value %q: %v", m[1], err)
		}
		sum += n
	}
	return sum
}

// lockedBuffer collects a child process's output: exec copies it in a
// goroutine of its own, so the test may read it while the child runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// eventually checks cond every 100 ms until it holds (true) or timeout
// passes (false): a barrier on state another process writes, where no
// event reaches the test.
func eventually(timeout time.Duration, cond func() bool) bool {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(timeout)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			return cond()
		}
	}
	return true
}

// TestTwoWorkerProcesses runs two `worker` processes against one database
// and a fake GitHub: every issue is stored once, the processes' metrics
// add up to exactly the stored issues (no sync stored anything twice), each
// source is synced once per interval period, and SIGTERM stops both
// cleanly.
func TestTwoWorkerProcesses(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	repos := []string{"acme/one", "acme/two", "acme/three", "acme/four"}
	for i, r := range repos {
		seed(fake, r, 30+20*i, 1)
	}
	url := storetest.URL(t)
	const interval = 2 * time.Second
	var cmds []*exec.Cmd
	var addrs []string
	var logs []*lockedBuffer
	for i := 0; i < 2; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "ERRATA_WORKER_CHILD=1", "ERRATA_CHILD_DB="+url, "ERRATA_CHILD_API="+fake.APIURL(),
			"ERRATA_CHILD_REPOS="+strings.Join(repos, ","), "ERRATA_CHILD_INTERVAL="+interval.String(),
			"ERRATA_CHILD_ID=proc"+strconv.Itoa(i), "ERRATA_CHILD_METRICS="+addr)
		b := new(lockedBuffer)
		cmd.Stderr = b
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, addrs, logs = append(cmds, cmd), append(addrs, addr), append(logs, b)
	}
	defer func() {
		for _, c := range cmds {
			_ = c.Process.Kill()
		}
	}()
	// The processes are waited on through what they leave in the
	// database and their metrics, not the clock: every source synced
	// once, then new data arrives; then every source synced twice more,
	// everything stored and counted.
	s := openStore(t, url)
	// River's tables are made here, not only by the children, so the
	// first poll does not run ahead of their migration.
	if err := worker.Migrate(context.Background(), s, testLogger(t)); err != nil {
		t.Fatal(err)
	}
	syncedEach := func() int {
		return count(t, s, `SELECT CASE WHEN count(*) = $1 THEN min(n) ELSE 0 END FROM (
			SELECT count(*) AS n FROM river_job WHERE kind = 'errata_sync' AND state = 'completed'
			GROUP BY args->>'source_key') j`, len(repos))
	}
	if !eventually(3*time.Minute, func() bool { return syncedEach() >= 1 }) {
		t.Fatalf("not every source was synced within 3 minutes:\n%s\n%s", logs[0].String(), logs[1].String())
	}
	seed(fake, "acme/two", 7, 0)
	want := 0
	for _, r := range repos {
		n, _, _ := fake.Counts(r)
		want += n
	}
	var stored, sum int
	settled := eventually(3*time.Minute, func() bool {
		stored = count(t, s, `SELECT count(*) FROM issues`)
		sum = 0
		for _, addr := range addrs {
			sum += newIssuesMetric(t, addr)
		}
		return stored == want && sum == stored && syncedEach() >= 3
	})
	if !settled {
		t.Logf("did not settle within 3 minutes (sources synced at least %d times)", syncedEach())
	}
	if stored != want {
		t.Errorf("stored %d issues, the fake has %d", stored, want)
	}
	if sum != stored {
		t.Errorf("the workers' metrics count %d new issues, the store holds %d: a duplicate or a lost write", sum, stored)
	}
	dup := count(t, s, `
		SELECT count(*) FROM (
			SELECT args->>'source_key', floor(extract(epoch FROM created_at) / $1)
			FROM river_job WHERE kind = 'errata_sync' GROUP BY 1, 2 HAVING count(*) > 1) d`, interval.Seconds())
	if dup != 0 {
		t.Errorf("%d source periods with more than one sync job", dup)
	}
	overlaps := count(t, s, `
		SELECT count(*) FROM sync_runs a JOIN sync_runs b
		  ON a.source_id = b.source_id AND a.id < b.id
		 AND b.started_at < coalesce(a.finished_at, 'infinity') AND a.started_at < coalesce(b.finished_at, 'infinity')`)
	if overlaps != 0 {
		t.Errorf("%d overlapping syncs of one source", overlaps)
	}
	for i, c := range cmds {
		if err := c.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("worker %d after SIGTERM: %v\n%s", i, err, logs[i].String())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("worker %d did not stop on SIGTERM", i)
		}
	}
	n := count(t, s, `SELECT count(DISTINCT attempted_by[1]) FROM river_job WHERE kind = 'errata_sync' AND state = 'completed'`)
	if n < 1 {
		t.Errorf("no sync jobs ran")
	}
	t.Logf("sync jobs were completed by %d of the 2 processes", n)
}
