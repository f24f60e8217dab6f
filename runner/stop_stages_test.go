package runner_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/errata-tool/errata/config"
	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/runner"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// stopFamilies are error messages written for these tests, six reports
// each, so that every cluster gets a page with a chart.
var stopFamilies = []string{
	"Error: ENOENT: no such file or directory, open '/srv/app/settings.json'",
	"panic: runtime error: invalid memory address or nil pointer dereference",
	"java.lang.OutOfMemoryError: Java heap space",
	"ModuleNotFoundError: No module named 'yamlish'",
	"x509: certificate signed by unknown authority",
	"fatal error: concurrent map writes",
}

// stopSetup returns a pipeline over a fake GitHub holding one repository
// with the stopFamilies, and the stop channel of its run.
func stopSetup(t *testing.T) (*runner.Pipeline, *store.Store, string) {
	t.Helper()
	fake := githubfake.New(githubfake.Options{})
	t.Cleanup(fake.Close)
	for i := 0; i < 6; i++ {
		for _, msg := range stopFamilies {
			fake.AddIssue("acme/app", githubfake.NewIssue{Title: "crash on start", Body: "It fails with\n\n    " + msg + "\n"})
			fake.Advance(time.Minute)
		}
	}
	s := storetest.New(t)
	cfg := &config.Config{}
	cfg.Sources.Repositories = []config.Repository{{Repo: "acme/app"}}
	out := filepath.Join(t.TempDir(), "site")
	p := &runner.Pipeline{
		Store: s, Sources: runner.SourcesFromConfig(cfg), Tokens: runner.NewTokenPool(nil),
		Syncer:     &runner.IngestSyncer{Store: s, APIURL: fake.APIURL(), Limits: ingest.Limits{MaxWait: time.Second}},
		Classifier: &runner.ClassifyStage{Store: s}, OutDir: out,
		Publisher: &runner.PublishStage{Store: s, Chart: func(string, []store.PageCount, time.Time) []byte {
			return []byte("<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n")
		}},
	}
	return p, s, out
}

// hookClassifier runs a hook (a signal arriving) just as classify starts.
type hookClassifier struct {
	inner runner.Classifier
	hook  func()
}

func (h *hookClassifier) Classify(ctx context.Context) (runner.ClassifyResult, error) {
	h.hook()
	return h.inner.Classify(ctx)
}

func stageList(rep *runner.Report) string {
	var got []string
	for _, st := range rep.Stages {
		got = append(got, st.Stage+":"+string(st.Status))
	}
	return strings.Join(got, " ")
}

func count(t *testing.T, s *store.Store, q string) int {
	t.Helper()
	var n int
	if err := storetest.Pool(s).QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRunStopDuringClassify: the first signal during classify ends it
// before its next batch, rolled back; pages and trends are skipped, the
// run reports ExitStopped, and the next run classifies and publishes.
func TestRunStopDuringClassify(t *testing.T) {
	t.Parallel()
	p, s, out := stopSetup(t)
	stop := make(chan struct{})
	p.Classifier = &hookClassifier{inner: p.Classifier, hook: func() { close(stop) }}
	rep, err := p.Run(context.Background(), runner.RunOptions{Stop: stop})
	if !errors.Is(err, runner.ErrStopped) {
		t.Fatalf("Run = %v, want ErrStopped; stages %s", err, stageList(rep))
	}
	if got, want := stageList(rep), "sync:ok classify:stopped pages:skipped trends:skipped"; got != want {
		t.Errorf("stages %s, want %s", got, want)
	}
	if rep.ExitCode != runner.ExitStopped {
		t.Errorf("exit code %d, want %d", rep.ExitCode, runner.ExitStopped)
	}
	if n := count(t, s, `SELECT count(*) FROM issue_classification`); n != 0 {
		t.Errorf("%d classifications kept from a stopped classify; want it rolled back", n)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("pages were written after the stop: %v", err)
	}

	p.Classifier = p.Classifier.(*hookClassifier).inner
	rep, err = p.Run(context.Background(), runner.RunOptions{})
	if err != nil || rep.ExitCode != runner.ExitOK {
		t.Fatalf("next run: %v, exit %d, stages %s", err, rep.ExitCode, stageList(rep))
	}
	if got, want := stageList(rep), "sync:ok classify:ok pages:ok trends:ok"; got != want {
		t.Errorf("next run: stages %s, want %s", got, want)
	}
	if n := count(t, s, `SELECT count(*) FROM issue_classification`); n != 6*len(stopFamilies) {
		t.Errorf("next run classified %d issues, want %d", n, 6*len(stopFamilies))
	}
}

// TestRunAbortDuringClassify: a second signal (the context cancelled)
// during classify is reported as an abort, not as a classify failure.
func TestRunAbortDuringClassify(t *testing.T) {
	t.Parallel()
	p, s, _ := stopSetup(t)
	stop := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.Classifier = &hookClassifier{inner: p.Classifier, hook: func() { close(stop); cancel() }}
	rep, err := p.Run(ctx, runner.RunOptions{Stop: stop})
	if !errors.Is(err, runner.ErrAborted) {
		t.Fatalf("Run = %v, want ErrAborted; stages %s", err, stageList(rep))
	}
	if got, want := stageList(rep), "sync:ok classify:aborted pages:skipped trends:skipped"; got != want {
		t.Errorf("stages %s, want %s", got, want)
	}
	if rep.ExitCode != runner.ExitAborted || runner.ExitCodeFor(err) != runner.ExitAborted {
		t.Errorf("exit code %d (%d for the error), want %d", rep.ExitCode, runner.ExitCodeFor(err), runner.ExitAborted)
	}
	if n := count(t, s, `SELECT count(*) FROM issue_classification`); n != 0 {
		t.Errorf("%d classifications kept from an aborted classify; want it rolled back", n)
	}
}

// TestRunStopDuringPages: the first signal while pages are being written
// ends them after the files in hand, each written whole; the trends report
// is skipped, the run reports ExitStopped, and the next run finishes the
// pages and writes the trends report.
func TestRunStopDuringPages(t *testing.T) {
	t.Parallel()
	p, _, out := stopSetup(t)
	stop := make(chan struct{})
	var once sync.Once
	ps := p.Publisher.(*runner.PublishStage)
	chart := ps.Chart
	ps.Chart = func(title string, w []store.PageCount, asOf time.Time) []byte {
		once.Do(func() { close(stop) }) // the signal arrives while the first page is drawn
		return chart(title, w, asOf)
	}
	rep, err := p.Run(context.Background(), runner.RunOptions{Stop: stop})
	if !errors.Is(err, runner.ErrStopped) {
		t.Fatalf("Run = %v, want ErrStopped; stages %s", err, stageList(rep))
	}
	if got, want := stageList(rep), "sync:ok classify:ok pages:stopped trends:skipped"; got != want {
		t.Errorf("stages %s, want %s", got, want)
	}
	if rep.ExitCode != runner.ExitStopped {
		t.Errorf("exit code %d, want %d", rep.ExitCode, runner.ExitStopped)
	}
	if _, err := os.Stat(filepath.Join(out, runner.TrendsFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the trends report was written after the stop: %v", err)
	}
	pagesAfterStop := 0
	_ = filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
			return err
		}
		b, rerr := os.ReadFile(path)
		if rerr != nil || len(b) == 0 || b[len(b)-1] != '\n' {
			t.Errorf("%s is not whole after the stop (%d bytes, %v)", path, len(b), rerr)
		}
		pagesAfterStop++
		return nil
	})
	if pagesAfterStop == 0 {
		t.Errorf("no page file was finished after the stop; want the files in hand")
	}

	ps.Chart = chart
	rep, err = p.Run(context.Background(), runner.RunOptions{})
	if err != nil || rep.ExitCode != runner.ExitOK {
		t.Fatalf("next run: %v, exit %d, stages %s", err, rep.ExitCode, stageList(rep))
	}
	if got, want := stageList(rep), "sync:ok classify:skipped pages:ok trends:ok"; got != want {
		t.Errorf("next run: stages %s, want %s", got, want)
	}
	if _, err := os.Stat(filepath.Join(out, runner.TrendsFile)); err != nil {
		t.Errorf("no trends report after the next run: %v", err)
	}
}

// TestRunAbortDuringPages: a second signal while pages are written is an
// abort (ExitAborted), not a pages failure; the next run completes.
func TestRunAbortDuringPages(t *testing.T) {
	t.Parallel()
	p, _, out := stopSetup(t)
	stop := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	ps := p.Publisher.(*runner.PublishStage)
	chart := ps.Chart
	ps.Chart = func(title string, w []store.PageCount, asOf time.Time) []byte {
		once.Do(func() { close(stop); cancel() })
		return chart(title, w, asOf)
	}
	rep, err := p.Run(ctx, runner.RunOptions{Stop: stop})
	if !errors.Is(err, runner.ErrAborted) {
		t.Fatalf("Run = %v, want ErrAborted; stages %s", err, stageList(rep))
	}
	if got, want := stageList(rep), "sync:ok classify:ok pages:aborted trends:skipped"; got != want {
		t.Errorf("stages %s, want %s", got, want)
	}
	if rep.ExitCode != runner.ExitAborted {
		t.Errorf("exit code %d, want %d", rep.ExitCode, runner.ExitAborted)
	}
	ps.Chart = chart
	rep, err = p.Run(context.Background(), runner.RunOptions{})
	if err != nil || rep.ExitCode != runner.ExitOK {
		t.Fatalf("next run: %v, exit %d, stages %s", err, rep.ExitCode, stageList(rep))
	}
	if _, err := os.Stat(filepath.Join(out, runner.TrendsFile)); err != nil {
		t.Errorf("no trends report after the next run: %v", err)
	}
}
