package runner_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/errata-tool/errata/config"
	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/runner"
	"github.com/errata-tool/errata/store/storetest"
)

// TestRunDeadAPIHostSharedBreaker: the syncs of a run's sources share one
// circuit breaker (each source has its own client): against a closed port
// the first source fails after a few attempts and the others are reported
// skipped with the reason, without a request of their own.
func TestRunDeadAPIHostSharedBreaker(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := storetest.New(t)
	cfg := &config.Config{}
	for _, r := range []string{"acme/a", "acme/b", "acme/c", "acme/d", "acme/e"} {
		cfg.Sources.Repositories = append(cfg.Sources.Repositories, config.Repository{Repo: r})
	}
	p := &runner.Pipeline{
		Store: s, Sources: runner.SourcesFromConfig(cfg), Tokens: runner.NewTokenPool(nil),
		Syncer: &runner.IngestSyncer{Store: s, APIURL: "http://" + addr + "/", Breaker: ingest.NewBreaker(0),
			Limits: ingest.Limits{MaxWait: time.Second, RetryBase: 2 * time.Millisecond, RequestTimeout: time.Second}},
		Classifier: &runner.ClassifyStage{Store: s}, Publisher: &runner.PublishStage{Store: s}, OutDir: t.TempDir(),
	}
	rep, err := p.Run(context.Background(), runner.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var syncs []runner.StageStatus
	for _, st := range rep.Stages {
		if st.Stage == "sync" {
			syncs = append(syncs, st)
		}
	}
	if len(syncs) != 5 || syncs[0].Status != "failed" || !strings.Contains(syncs[0].Detail, "unreachable") {
		t.Fatalf("sync stages %+v; want the first failed as unreachable", syncs)
	}
	for _, st := range syncs[1:] {
		if st.Status != "skipped" || !strings.Contains(st.Detail, "unreachable") || !strings.Contains(st.Detail, "connection refused") {
			t.Errorf("%s: %s %q; want skipped with the reason", st.Source, st.Status, st.Detail)
		}
	}
	if rep.ExitCode != runner.ExitSync {
		t.Errorf("exit code %d, want %d", rep.ExitCode, runner.ExitSync)
	}
}
