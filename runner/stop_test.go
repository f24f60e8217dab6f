package runner_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/errata-tool/errata/config"
	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/runner"
	"github.com/errata-tool/errata/store/storetest"
)

// TestRunStopsAfterCurrentPage: the first signal (Stop closed) while the
// first source syncs ends the run after the current page; the second source
// and the later stages are skipped, and what was committed stays.
func TestRunStopsAfterCurrentPage(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	for _, r := range []string{"acme/first", "acme/second"} {
		for i := 0; i < 350; i++ {
			fake.AddIssue(r, githubfake.NewIssue{Title: "segfault in parser", Body: "SIGSEGV: segmentation violation"})
			fake.Advance(time.Second)
		}
	}
	stop := make(chan struct{})
	var once sync.Once
	var n atomic.Int32
	fake.OnRequest(func(r *http.Request) {
		if strings.Contains(r.URL.Path, "/issues") && n.Add(1) == 2 {
			once.Do(func() { close(stop) })
		}
	})
	s := storetest.New(t)
	cfg := &config.Config{}
	cfg.Sources.Repositories = []config.Repository{{Repo: "acme/first"}, {Repo: "acme/second"}}
	p := &runner.Pipeline{
		Store: s, Sources: runner.SourcesFromConfig(cfg), Tokens: runner.NewTokenPool(nil),
		Syncer:     &runner.IngestSyncer{Store: s, APIURL: fake.APIURL(), Limits: ingest.Limits{MaxWait: time.Second}},
		Classifier: &runner.ClassifyStage{Store: s}, Publisher: &runner.PublishStage{Store: s}, OutDir: t.TempDir(),
	}
	rep, err := p.Run(context.Background(), runner.RunOptions{Stop: stop})
	if !errors.Is(err, runner.ErrStopped) {
		t.Fatalf("Run = %v, want ErrStopped", err)
	}
	var got []string
	for _, st := range rep.Stages {
		got = append(got, st.Stage+":"+string(st.Status))
	}
	want := "sync:stopped sync:skipped classify:skipped pages:skipped trends:skipped"
	if strings.Join(got, " ") != want {
		t.Errorf("stages %v, want %s", got, want)
	}
	if rep.ExitCode != runner.ExitStopped {
		t.Errorf("exit code %d, want %d", rep.ExitCode, runner.ExitStopped)
	}
	var stored int
	if err := storetest.Pool(s).QueryRow(context.Background(), `SELECT count(*) FROM issues`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored < 100 || stored >= 350 {
		t.Errorf("%d issues kept after the stop, want the committed pages of the first source (100 to 299)", stored)
	}
}
