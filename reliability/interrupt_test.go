package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// TestSyncResumesAfterInterrupt stops a sync part-way, both ways errata
// can be asked to stop (the context is cancelled, as Ctrl-C does; or the
// graceful Stop channel is closed, as SIGTERM does), several times in a
// row, and checks that each stopped run reports "interrupted" and that the
// final run completes with exactly the data of an uninterrupted run.
func TestSyncResumesAfterInterrupt(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedFake(fake, 250)
	want := cleanDump(t, fake)

	for _, how := range []string{"cancel", "stop"} {
		t.Run(how, func(t *testing.T) {
			st := storetest.New(t)
			stops := 0
			for _, after := range []int64{3, 9, 17} {
				var n atomic.Int64
				ctx, cancel := context.WithCancel(context.Background())
				stop := make(chan struct{})
				var once sync.Once
				fake.OnRequest(func(*http.Request) {
					if n.Add(1) == after {
						once.Do(func() {
							if how == "cancel" {
								cancel()
							} else {
								close(stop)
							}
						})
					}
				})
				sum := syncOnce(ctx, t, st, fake.APIURL(), "", stop)
				fake.OnRequest(nil)
				cancel()
				if sum.Status != "interrupted" {
					t.Fatalf("stopped after %d requests: status %q (%v), want interrupted", after, sum.Status, sum.Err)
				}
				stops++
			}
			var last string
			if err := storetest.Pool(st).QueryRow(context.Background(), `SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1`).Scan(&last); err != nil {
				t.Fatal(err)
			}
			if last != "interrupted" {
				t.Errorf("last sync_runs status %q, want interrupted", last)
			}
			sum := syncOnce(context.Background(), t, st, fake.APIURL(), "", nil)
			if sum.Status != "ok" {
				t.Fatalf("resumed sync: %s: %v", sum.Status, sum.Err)
			}
			if got := dumpData(t, st); got != want {
				t.Fatalf("resumed sync differs from an uninterrupted one: %s", diffDumps(want, got))
			}
			recordFigure("faults.interrupt_"+how, stops)
		})
	}
}

// childEnv names the variables the SIGKILL check passes to its child.
const (
	childMode = "ERRATA_RELIABILITY_CHILD"
	childDB   = "ERRATA_RELIABILITY_DB"
	childAPI  = "ERRATA_RELIABILITY_API"
)

// runChild is the child process of TestSyncResumesAfterSIGKILL: the test
// binary re-executed to run one sync as `errata sync` does (same client,
// syncer and store code), so that it can be killed with SIGKILL.
func runChild() int {
	ctx := context.Background()
	st, err := store.Open(ctx, os.Getenv(childDB))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer st.Close()
	c, err := ingest.NewClient(ingest.ClientOptions{APIURL: os.Getenv(childAPI), Limits: fastLimits()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	s := ingest.NewSyncer(c, st, ingest.Options{PerPage: syncPerPage})
	sum := s.Sync(ctx, ingest.Source{Kind: ingest.KindRepo, Key: syncRepo, IncludePullRequests: true})
	fmt.Println("child:", sum.Status, sum.Message)
	if sum.Status != ingest.StatusOK {
		return 1
	}
	return 0
}

// TestSyncResumesAfterSIGKILL kills a sync process with SIGKILL (no
// chance to clean up: open transactions, the advisory lock's session and
// the sync_runs row are left behind) at several points — while it waits
// for GitHub and at random moments, so also inside database commits — and
// checks that the next run is not blocked and ends with exactly the data
// of an uninterrupted run, nothing lost or duplicated.
func TestSyncResumesAfterSIGKILL(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedFake(fake, 250)
	want := cleanDump(t, fake)
	url := storetest.URL(t)

	rng := rand.New(rand.NewPCG(1, 2))
	kills := 0
	plan := []struct {
		afterRequests int64
		afterTime     time.Duration
	}{
		{afterRequests: 4}, {afterTime: time.Duration(50+rng.IntN(100)) * time.Millisecond},
		{afterRequests: 15}, {afterTime: time.Duration(100+rng.IntN(200)) * time.Millisecond},
		{afterRequests: 30}, {afterTime: time.Duration(200+rng.IntN(200)) * time.Millisecond},
	}
	if *long {
		for i := 0; i < 20; i++ {
			plan = append(plan, struct {
				afterRequests int64
				afterTime     time.Duration
			}{afterTime: time.Duration(20+rng.IntN(400)) * time.Millisecond})
		}
	}
	for i, p := range plan {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childMode+"=sync", childDB+"="+url, childAPI+"="+fake.APIURL())
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		var n atomic.Int64
		killed := make(chan struct{})
		started := make(chan struct{}) // orders cmd.Start before cmd.Process is read
		var once sync.Once
		kill := func() {
			once.Do(func() {
				<-started
				_ = cmd.Process.Signal(syscall.SIGKILL)
				close(killed)
			})
		}
		if p.afterRequests > 0 {
			fake.OnRequest(func(*http.Request) {
				if n.Add(1) == p.afterRequests {
					kill()
				}
			})
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		close(started)
		if p.afterTime > 0 {
			time.AfterFunc(p.afterTime, kill)
		}
		err := cmd.Wait()
		fake.OnRequest(nil)
		var ee *exec.ExitError
		select {
		case <-killed:
			if !errors.As(err, &ee) || ee.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				// The child finished before the kill landed.
				t.Logf("kill %d: child ended before the kill: %v: %s", i, err, out.String())
				continue
			}
			kills++
		default:
			t.Logf("kill %d: child finished first: %v: %s", i, err, out.String())
			continue
		}
	}
	if kills < 3 {
		t.Fatalf("only %d of %d kills landed mid-sync", kills, len(plan))
	}
	st := storetest.Open(t, url)
	// A killed session's advisory lock dies with its connection, which
	// PostgreSQL notices when the socket closes: retry while the sync
	// says it was skipped for the lock.
	var sum ingest.Summary
	whileSkipped(t, func() bool {
		sum = syncOnce(context.Background(), t, st, fake.APIURL(), "", nil)
		return sum.Status == "skipped"
	})
	if sum.Status != "ok" {
		t.Fatalf("sync after %d SIGKILLs: %s: %v", kills, sum.Status, sum.Err)
	}
	if got := dumpData(t, st); got != want {
		t.Fatalf("sync after %d SIGKILLs differs from an uninterrupted one: %s", kills, diffDumps(want, got))
	}
	var running int
	if err := storetest.Pool(st).QueryRow(context.Background(), `SELECT count(*) FROM sync_runs WHERE status = 'running'`).Scan(&running); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d SIGKILLs landed; %d sync_runs rows left 'running' by killed processes", kills, running)
	if running != 0 {
		t.Errorf("%d sync_runs rows of killed processes still say 'running' after the next run", running)
	}
	recordFigure("faults.sigkill", kills)
	recordFigure("faults.sigkill_stale_running_rows", running)
}

// whileSkipped calls try again while it reports a run skipped because a
// dead process's advisory lock is not yet released. The event is the
// release, which PostgreSQL notices on its own schedule; the deadline only
// bounds a lock that is never released (then the caller's check fails).
func whileSkipped(t *testing.T, try func() (skipped bool)) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for try() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // poll interval, bounded by the deadline
	}
}

// syncBuffer collects a process's output; a test can wait until some text
// appears in it (an event the process logs) instead of sleeping.
type syncBuffer struct {
	mu      sync.Mutex
	b       []byte
	written chan struct{} // closed and replaced at each write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	if s.written != nil {
		close(s.written)
		s.written = nil
	}
	return len(p), nil
}

// waitFor blocks until the output contains text or done is closed (the
// process ended), and reports whether the text appeared.
func (s *syncBuffer) waitFor(text string, done <-chan struct{}) bool {
	for {
		s.mu.Lock()
		if strings.Contains(string(s.b), text) {
			s.mu.Unlock()
			return true
		}
		if s.written == nil {
			s.written = make(chan struct{})
		}
		ch := s.written
		s.mu.Unlock()
		select {
		case <-ch:
		case <-done:
			return strings.Contains(s.String(), text)
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}

var _ = strconv.Itoa
