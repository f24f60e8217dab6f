package classify_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// resumeCorpus is a small store of reports written for the test: a few
// error families in varied words, questions without error text, and
// comments. wave 0 is the first sync, wave 1 arrives later.
func resumeCorpus(wave int) ([]store.Issue, []store.Comment) {
	families := []struct{ title, body string }{
		{"Dev server will not start", "```\nError: listen EADDRINUSE: address already in use :::%d\n```"},
		{"Login loop", "The provider answers `invalid_grant` (refresh token revoked) after %d minutes."},
		{"Build dies", "```\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n```\nafter %d modules"},
		{"Upload fails", "```\nPermissionError: [Errno 13] Permission denied: '/srv/data/%d.csv'\n```"},
		{"Feature: dark mode", "Would be nice to have a dark theme, asked by %d people."},
		{"Client cannot reach API", "```\nError: connect ECONNREFUSED 127.0.0.1:%d\n```"},
	}
	var issues []store.Issue
	var comments []store.Comment
	base := 100 * wave
	for i := 0; i < 24; i++ {
		f := families[(i*7+wave)%len(families)]
		n := base + i + 1
		is := issue(fmt.Sprintf("org%d/repo", i%4), n, f.title, fmt.Sprintf(f.body, 3000+i), t0.Add(time.Duration(base+i)*time.Hour))
		issues = append(issues, is)
		if i%5 == 0 {
			comments = append(comments, store.Comment{Repository: is.Repository, IssueNumber: n, SourceKey: "pos:1",
				Body: "Same here: `Error: connect ECONNREFUSED 127.0.0.1:5432`", CreatedAt: is.CreatedAt.Add(30 * time.Hour), UpdatedAt: is.CreatedAt.Add(30 * time.Hour)})
		}
	}
	return issues, comments
}

func loadWave(t *testing.T, st *store.Store, wave int) {
	t.Helper()
	issues, comments := resumeCorpus(wave)
	upsert(t, st, issues...)
	if _, err := st.CommentUpsertMany(context.Background(), nil, comments); err != nil {
		t.Fatal(err)
	}
}

// storeClusters is what readers see of a store's clusters, keyed by slug.
type storeClusters struct {
	Clusters  map[string]store.ClusterInfo
	Members   map[string]string // issue URL → cluster slug
	Redirects []store.ClusterRedirect
}

func snapshot(t *testing.T, st *store.Store) storeClusters {
	t.Helper()
	ctx := context.Background()
	cs, err := st.ClusterList(ctx, store.ClusterListParams{})
	if err != nil {
		t.Fatal(err)
	}
	s := storeClusters{Clusters: map[string]store.ClusterInfo{}, Members: map[string]string{}}
	slug := map[int64]string{}
	for _, c := range cs {
		slug[c.ID] = c.Slug
		s.Clusters[c.Slug] = c
	}
	members, err := st.ClusterMemberURLList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for url, id := range members {
		s.Members[url] = slug[id]
	}
	if s.Redirects, err = st.ClusterRedirectsList(ctx); err != nil {
		t.Fatal(err)
	}
	sort.Slice(s.Redirects, func(i, j int) bool {
		return s.Redirects[i].OldID < s.Redirects[j].OldID || s.Redirects[i].OldID == s.Redirects[j].OldID && s.Redirects[i].NewID < s.Redirects[j].NewID
	})
	return s
}

// killedRun runs classify and cancels its context (as a kill would end
// the process) once `after` batches are assigned; it wants the run to
// fail.
func killedRun(t *testing.T, st *store.Store, rebuild bool, after int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := classify.Run(ctx, st, classify.RunOptions{Rebuild: rebuild, BatchSize: 3, Workers: 2,
		Progress: func(assigned, _ int) {
			if assigned == after {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("killed run: err = %v, want context.Canceled", err)
	}
	run, ok, err := st.ClassifyRunGet(context.Background())
	if err != nil || !ok {
		t.Fatalf("killed run left no run record (ok %v, err %v)", ok, err)
	}
	pending, err := st.ClassifyBatchesPending(context.Background(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done := run.Batches - len(pending); done < after {
		t.Fatalf("killed after %d batches, but only %d batches of %d are kept", after, done, run.Batches)
	}
}

// TestRunResumesAfterKill: a classify killed mid-way (its context
// cancelled at a batch boundary) leaves readers the clusters of before,
// keeps its extracted batches, and the next run resumes from them and ends
// with the same clusters, members and redirects as an uninterrupted run
// on the same input: for a first run, an incremental run over stored
// clusters, and a rebuild.
func TestRunResumesAfterKill(t *testing.T) {
	t.Parallel()
	for _, after := range []int{1, 4, 8} {
		t.Run(fmt.Sprintf("killed after %d batches", after), func(t *testing.T) {
			t.Parallel()
			ref, st := storetest.New(t), storetest.New(t)
			for step, s := range []struct {
				wave    int
				rebuild bool
			}{{0, false}, {1, false}, {-1, true}} {
				if s.wave >= 0 {
					loadWave(t, ref, s.wave)
					loadWave(t, st, s.wave)
				}
				want := run(t, ref, s.rebuild)
				before := snapshot(t, st)
				killedRun(t, st, s.rebuild, after)
				if got := snapshot(t, st); !reflect.DeepEqual(got, before) {
					t.Fatalf("step %d: readers see a half-written run:\n got %+v\nwant %+v", step, got, before)
				}
				sum, err := classify.Run(context.Background(), st, classify.RunOptions{Rebuild: s.rebuild, BatchSize: 3})
				if err != nil {
					t.Fatal(err)
				}
				if sum.Resumed < after || sum.Stored != sum.Resumed {
					t.Errorf("step %d: resumed run found %d batches done and assigned %d stored ones, want at least %d", step, sum.Resumed, sum.Stored, after)
				}
				if sum.Classified != want.Classified || sum.NewClusters != want.NewClusters {
					t.Errorf("step %d: resumed run %+v, uninterrupted %+v", step, sum, want)
				}
				if got, w := snapshot(t, st), snapshot(t, ref); !reflect.DeepEqual(got, w) {
					t.Fatalf("step %d: resumed run's clusters differ from an uninterrupted run's:\n got %+v\nwant %+v", step, got, w)
				}
				if _, ok, _ := st.ClassifyRunGet(context.Background()); ok {
					t.Errorf("step %d: the finished run is still recorded", step)
				}
			}
		})
	}
}

// TestRunDropsRunOfOtherRules: a recorded run under other rules is not
// resumed; the run selects and extracts afresh.
func TestRunDropsRunOfOtherRules(t *testing.T) {
	t.Parallel()
	ref, st := storetest.New(t), storetest.New(t)
	loadWave(t, ref, 0)
	loadWave(t, st, 0)
	killedRun(t, st, false, 2)
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("topics:\n  - id: other\n    name: Other\n    keywords: [zzz-unused]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	other, err := classify.LoadRules(doc.Content[0], "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if other.Version() == classify.DefaultRules().Version() {
		t.Fatal("test rules have the default version")
	}
	want, err := classify.Run(context.Background(), ref, classify.RunOptions{Rules: other, BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := classify.Run(context.Background(), st, classify.RunOptions{Rules: other, BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Resumed != 0 {
		t.Errorf("a run under other rules resumed %d batches", sum.Resumed)
	}
	if sum.Classified != want.Classified {
		t.Errorf("classified %d, want %d", sum.Classified, want.Classified)
	}
}

// TestRunAssignsBatchesExtractedElsewhere: when other processes extract
// every batch (Spread hands them over and they are done before the run
// looks), the run assigns their stored results and ends with the clusters
// of a run that extracted everything itself; a process under other rules
// extracts nothing.
func TestRunAssignsBatchesExtractedElsewhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ref, st := storetest.New(t), storetest.New(t)
	loadWave(t, ref, 0)
	loadWave(t, st, 0)
	want := run(t, ref, false)
	var other classify.Rules // zero rules: another version
	sum, err := classify.Run(ctx, st, classify.RunOptions{BatchSize: 3, Spread: func(ctx context.Context, runID int64, batches []int) error {
		for _, b := range batches {
			if _, err := classify.ExtractBatch(ctx, st, &other, runID, b, 1); !errors.Is(err, classify.ErrOtherRules) {
				t.Errorf("batch %d under other rules: err = %v, want ErrOtherRules", b, err)
			}
			did, err := classify.ExtractBatch(ctx, st, nil, runID, b, 1)
			if err != nil || !did {
				return fmt.Errorf("extract batch %d: did %v, %w", b, did, err)
			}
			if did, err := classify.ExtractBatch(ctx, st, nil, runID, b, 1); err != nil || did {
				t.Errorf("batch %d extracted twice (err %v)", b, err)
			}
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Stored != (want.Considered+2)/3 {
		t.Errorf("run assigned %d batches extracted elsewhere, want all %d", sum.Stored, (want.Considered+2)/3)
	}
	if got, w := snapshot(t, st), snapshot(t, ref); !reflect.DeepEqual(got, w) {
		t.Fatalf("clusters differ:\n got %+v\nwant %+v", got, w)
	}
}
