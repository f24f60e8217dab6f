package classify_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"syscall"
	"testing"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// killChildEnv names the database a child classify runs on, and killAtEnv
// the batch after which it SIGKILLs itself.
const (
	killChildEnv = "ERRATA_TEST_CLASSIFY_CHILD_DB"
	killAtEnv    = "ERRATA_TEST_CLASSIFY_KILL_AT"
)

func TestMain(m *testing.M) {
	if u := os.Getenv(killChildEnv); u != "" {
		os.Exit(classifyChild(u))
	}
	os.Exit(m.Run())
}

// classifyChild runs classify on the database at u and kills its own
// process with SIGKILL once the batch named by killAtEnv is assigned:
// no deferred function, no rollback, no unlock; the server sees the
// connections drop.
func classifyChild(u string) int {
	at, err := strconv.Atoi(os.Getenv(killAtEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	ctx := context.Background()
	st, err := store.Open(ctx, u)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	_, err = classify.Run(ctx, st, classify.RunOptions{BatchSize: 3, Progress: func(assigned, _ int) {
		if assigned == at {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal arrives
		}
	}})
	fmt.Fprintln(os.Stderr, "child: classify ended without being killed:", err)
	return 3
}

// TestRunResumesAfterSIGKILL: a classify process killed outright at a
// batch boundary leaves the clusters of before and its extracted batches;
// the next run resumes and ends with the clusters of an uninterrupted run.
func TestRunResumesAfterSIGKILL(t *testing.T) {
	t.Parallel()
	ref := storetest.New(t)
	u := storetest.URL(t)
	st := storetest.Open(t, u)
	loadWave(t, ref, 0)
	loadWave(t, st, 0)
	run(t, ref, false)
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+u, killAtEnv+"=3")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child classify: %v, want killed by SIGKILL; output:\n%s", err, out)
	}
	if got := snapshot(t, st); len(got.Members) != 0 {
		t.Fatalf("readers see %d members of a killed first run", len(got.Members))
	}
	sum, err := classify.Run(context.Background(), st, classify.RunOptions{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Resumed < 3 {
		t.Errorf("resumed run found %d batches extracted, want at least 3", sum.Resumed)
	}
	if got, want := snapshot(t, st), snapshot(t, ref); !reflect.DeepEqual(got, want) {
		t.Fatalf("resumed clusters differ from an uninterrupted run's:\n got %+v\nwant %+v", got, want)
	}
}
