package runner_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/errata-tool/errata/config"
	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/runner"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// benchStore is the store a production benchmark runs on: the database at
// ERRATA_BENCH_DATABASE_URL (a scale store made with testdata/scale.sql, see
// docs/benchmarks.md), else a fresh test database.
func benchStore(b *testing.B) *store.Store {
	b.Helper()
	if u := os.Getenv("ERRATA_BENCH_DATABASE_URL"); u != "" {
		s, err := store.Open(context.Background(), u)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(s.Close)
		return s
	}
	return storetest.New(b)
}

// BenchmarkRunNothingNew is `errata run` on a store that is up to date:
// ten repository sources (synced once from a fake GitHub before the timer
// starts), nothing new on GitHub, nothing pending. Each op is one whole
// run: 20 conditional requests answered 304, classify and pages skipped.
func BenchmarkRunNothingNew(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	cfg := &config.Config{}
	for r := 0; r < 10; r++ {
		repo := fmt.Sprintf("bench/nothing-new-%d", r)
		for i := 0; i < 20; i++ {
			is := fake.AddIssue(repo, githubfake.NewIssue{Title: "build fails: ENOSPC no space left on device", Body: "```\nENOSPC: no space left on device, write\n```"})
			fake.AddComment(repo, is.Number, "someone", "same here", time.Time{})
			fake.Advance(time.Second)
		}
		cfg.Sources.Repositories = append(cfg.Sources.Repositories, config.Repository{Repo: repo})
	}
	p := &runner.Pipeline{
		Store:      s,
		Sources:    runner.SourcesFromConfig(cfg),
		Tokens:     runner.NewTokenPool(nil),
		Syncer:     &runner.IngestSyncer{Store: s, APIURL: fake.APIURL(), Limits: ingest.Limits{MaxWait: time.Second}},
		Classifier: &runner.ClassifyStage{Store: s},
		Publisher:  &runner.PublishStage{Store: s},
		OutDir:     b.TempDir(),
	}
	rep, err := p.Run(ctx, runner.RunOptions{})
	if err != nil || rep.ExitCode != runner.ExitOK {
		b.Fatalf("first run: %v %+v", err, rep)
	}
	fake.ResetStats()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := p.Run(ctx, runner.RunOptions{})
		if err != nil || rep.ExitCode != runner.ExitOK {
			b.Fatalf("run: %v %+v", err, rep)
		}
		for _, st := range rep.Stages {
			if st.Stage != "sync" && st.Status != "skipped" {
				b.Fatalf("%s ran with nothing new: %+v", st.Stage, st)
			}
		}
	}
	b.StopTimer()
	st := fake.Stats()
	b.ReportMetric(float64(st.Requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(st.NotModified)/float64(b.N), "304s/op")
}
