package worker_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/runner"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
	"github.com/errata-tool/errata/worker"
)

// spreadIssues are reports written for the test: a few error families in
// varied words and questions without error text.
func spreadIssues() []store.Issue {
	families := []struct{ title, body string }{
		{"Dev server will not start", "```\nError: listen EADDRINUSE: address already in use :::%d\n```"},
		{"Login loop", "The provider answers `invalid_grant` (refresh token revoked) after %d minutes."},
		{"Build dies", "```\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n```\nafter %d modules"},
		{"Upload fails", "```\nPermissionError: [Errno 13] Permission denied: '/srv/data/%d.csv'\n```"},
		{"Feature: dark mode", "Would be nice to have a dark theme, asked by %d people."},
		{"Client cannot reach API", "```\nError: connect ECONNREFUSED 127.0.0.1:%d\n```"},
	}
	t0 := time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC)
	var out []store.Issue
	for i := 0; i < 48; i++ {
		f := families[(i*5)%len(families)]
		repo := fmt.Sprintf("org%d/repo", i%3)
		at := t0.Add(time.Duration(i) * time.Hour)
		out = append(out, store.Issue{Repository: repo, Number: i + 1, State: "open", Title: f.title, Body: fmt.Sprintf(f.body, 3000+i),
			HTMLURL: fmt.Sprintf("https://github.com/%s/issues/%d", repo, i+1), CreatedAt: at, UpdatedAt: at, Raw: []byte(`{}`)})
	}
	return out
}

// clusterView is what readers see: each issue's cluster (by slug) and the
// clusters' sizes and signatures.
func clusterView(t *testing.T, s *store.Store) (map[string]string, map[string]string) {
	t.Helper()
	ctx := context.Background()
	cs, err := s.ClusterList(ctx, store.ClusterListParams{})
	if err != nil {
		t.Fatal(err)
	}
	slug := map[int64]string{}
	clusters := map[string]string{}
	for _, c := range cs {
		slug[c.ID] = c.Slug
		clusters[c.Slug] = fmt.Sprintf("%s %d %s %s %s", c.Status, c.Size, c.Signature, c.Title, c.Topic)
	}
	ms, err := s.ClusterMemberURLList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	members := map[string]string{}
	for url, id := range ms {
		members[url] = slug[id]
	}
	return members, clusters
}

// TestThreeWorkersShareClassify: three workers on one database run the
// periodic classify; its batches go to every worker as extraction jobs,
// and the clusters are those of `errata classify` (classify.Run) on the
// same issues with the same batch size.
func TestThreeWorkersShareClassify(t *testing.T) {
	t.Parallel()
	const batch = 4
	ctx := context.Background()
	ref := storetest.New(t)
	if _, err := ref.IssueUpsertMany(ctx, nil, spreadIssues()); err != nil {
		t.Fatal(err)
	}
	if _, err := classify.Run(ctx, ref, classify.RunOptions{BatchSize: batch}); err != nil {
		t.Fatal(err)
	}
	url := storetest.URL(t)
	seedStore := openStore(t, url)
	if _, err := seedStore.IssueUpsertMany(ctx, nil, spreadIssues()); err != nil {
		t.Fatal(err)
	}
	log := testLogger(t)
	type event struct {
		worker int
		kind   string
		failed bool
	}
	events := make(chan event, 256)
	rctx, cancel := context.WithCancel(ctx)
	var done []chan struct{}
	for i := 0; i < 3; i++ {
		s := openStore(t, url)
		p := &runner.Pipeline{Store: s, Tokens: runner.NewTokenPool(nil), Metrics: runner.NewMetrics(), Logger: log,
			Classifier: &runner.ClassifyStage{Store: s, Logger: log, BatchSize: batch}}
		if err := worker.Migrate(ctx, s, log); err != nil {
			t.Fatal(err)
		}
		w, err := worker.New(worker.Config{Pipeline: p, FetchPollInterval: 100 * time.Millisecond, ShutdownTimeout: 5 * time.Second,
			ID: fmt.Sprintf("w%d", i), Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		ch, unsubscribe := w.Client().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
		defer unsubscribe()
		d := make(chan struct{})
		done = append(done, d)
		go func() { defer close(d); _ = w.Run(rctx) }()
		go func(i int) {
			for ev := range ch {
				events <- event{i, ev.Job.Kind, ev.Kind != river.EventKindJobCompleted}
			}
		}(i)
	}
	defer func() {
		cancel()
		for _, d := range done {
			<-d
		}
	}()
	// Every batch's extraction job completes, on whichever worker took it,
	// whether it extracted the batch or found it done by the classify job
	// (which extracts ahead too): wait for the classify job and for all of
	// them, never for a time.
	want := (len(spreadIssues()) + batch - 1) / batch
	extracts := make([]int, 3)
	total := 0
	for classified := false; !classified || total < want; {
		select {
		case ev := <-events:
			if ev.failed {
				t.Fatalf("worker %d: a %s job failed or was cancelled", ev.worker, ev.kind)
			}
			switch ev.kind {
			case worker.ExtractArgs{}.Kind():
				extracts[ev.worker]++
				total++
			case worker.ClassifyArgs{}.Kind():
				classified = true
			}
		case <-time.After(90 * time.Second): // only ends a test that would hang
			t.Fatalf("within 90 s: classify job completed %v, %d of %d extraction jobs completed", classified, total, want)
		}
	}
	t.Logf("extraction jobs completed per worker: %v", extracts)
	if total != want {
		t.Errorf("%d extraction jobs completed, want %d (one per batch)", total, want)
	}
	gotMembers, gotClusters := clusterView(t, seedStore)
	wantMembers, wantClusters := clusterView(t, ref)
	if !reflect.DeepEqual(gotMembers, wantMembers) || !reflect.DeepEqual(gotClusters, wantClusters) {
		t.Fatalf("workers' clusters differ from errata classify's:\n got %v\n%v\nwant %v\n%v", gotMembers, gotClusters, wantMembers, wantClusters)
	}
	if len(wantClusters) < 4 {
		t.Fatalf("test corpus makes only %d clusters", len(wantClusters))
	}
}
