package classify

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store"
)

// Assignment: the one writer of a classify run. It keeps the clusterer
// (stored clusters plus the clusters this run creates) between batches and
// collects what the finishing phase writes. Everything here but
// loadAssigner and lookUpFingerprints is pure, so tests drive it without a
// database.

// extracted is one issue of a batch as extraction leaves it for
// assignment.
type extracted struct {
	ID   int64
	Hash string // ContentHash of the issue as read
	// Skip: the content hash and rules are those of the last
	// classification (incremental runs only); the issue is only touched.
	Skip bool
	// Days are the UTC days of the issue's and its comments' creation
	// (the days a delta refresh recounts).
	Days     []time.Time
	Analysis Analysis // zero when Skip
}

// batchResult is one extracted batch, in the run's issue order.
type batchResult struct {
	items []extracted
}

type assigned struct {
	issueID int64
	cl      *Cluster
	score   float32
	reason  string
}

// assigner is the state of a run's assignment.
type assigner struct {
	rebuild     bool
	version     string
	at          time.Time // when the run selected its issues: the classifications' time
	cl          *Clusterer
	byID        map[int64]*Cluster   // stored clusters by id (incremental runs)
	states      []store.ClusterState // the active clusters before the run
	results     []assigned
	unclustered []int64
	days        map[time.Time]bool
	fpSeen      map[string]*Cluster // primary fingerprints of this run's issues
	dfAdd       map[string]int
	nAdd        int
	merges      []Merge
}

func newAssigner(rebuild bool, version string, states []store.ClusterState, df map[string]int, n int) *assigner {
	a := &assigner{rebuild: rebuild, version: version, cl: NewClusterer(), byID: map[int64]*Cluster{}, states: states,
		days: map[time.Time]bool{}, fpSeen: map[string]*Cluster{}, dfAdd: map[string]int{}}
	if rebuild {
		return a
	}
	a.cl.Weights.DF, a.cl.Weights.N = df, n
	for i := range states {
		c := stateCluster(&states[i])
		a.cl.AddExisting(c, nil)
		c.changed = false
		a.byID[c.ID] = c
	}
	return a
}

// loadAssigner reads what assignment starts from: the stored clusters and
// word frequencies, or, for a rebuild, clears the fingerprints and word
// frequencies that the run records again (loadWeights also clears the word
// frequencies on the first run under a new rules or algorithm version).
// step times each part (load:weights, load:clusters).
func loadAssigner(ctx context.Context, st *store.Store, tx pgx.Tx, rebuild bool, version string,
	step func(name string, since time.Time)) (*assigner, error) {
	t := time.Now()
	if rebuild {
		if err := st.ClusterFingerprintsClear(ctx, tx); err != nil {
			return nil, err
		}
	}
	var w Weights
	if err := loadWeights(ctx, st, tx, &w, version, rebuild); err != nil {
		return nil, err
	}
	step("load:weights", t)
	t = time.Now()
	states, err := st.ClusterStateList(ctx, tx)
	if err != nil {
		return nil, err
	}
	a := newAssigner(rebuild, version, states, w.DF, w.N)
	step("load:clusters", t)
	return a, nil
}

// oldActive are the ids of the clusters active before the run.
func (a *assigner) oldActive() []int64 {
	ids := make([]int64, len(a.states))
	for i, s := range a.states {
		ids[i] = s.ID
	}
	return ids
}

// unknownFingerprints are the primary fingerprints of the batch not yet
// tied to a cluster in memory (an incremental run looks them up in the
// stored clusters).
func (a *assigner) unknownFingerprints(b *batchResult) []string {
	if a.rebuild {
		return nil
	}
	var fps []string
	for i := range b.items {
		it := &b.items[i]
		if p := it.Analysis.Primary(); p != nil && !it.Skip && a.cl.byFP[p.Fingerprint] == nil {
			fps = append(fps, p.Fingerprint)
		}
	}
	return fps
}

// adoptFingerprints ties stored fingerprints to the stored clusters.
func (a *assigner) adoptFingerprints(known map[string]int64) {
	for fp, id := range known {
		if c := a.byID[id]; c != nil {
			a.cl.byFP[fp] = c
		}
	}
}

// lookUpFingerprints adopts the stored fingerprints of the batch.
func (a *assigner) lookUpFingerprints(ctx context.Context, st *store.Store, tx pgx.Tx, b *batchResult) error {
	if a.rebuild {
		return nil
	}
	known, err := st.ClusterFingerprintsGet(ctx, tx, a.unknownFingerprints(b))
	if err != nil {
		return err
	}
	a.adoptFingerprints(known)
	return nil
}

// observe counts the batch's words before it is assigned, so its first
// issues are weighed with their neighbours' words too.
func (a *assigner) observe(b *batchResult) {
	for i := range b.items {
		it := &b.items[i]
		if !it.Skip && len(it.Analysis.Probes) > 0 {
			before := a.cl.Weights.N
			a.cl.Observe(&it.Analysis)
			a.nAdd += a.cl.Weights.N - before
			for _, w := range observedWords(&it.Analysis) {
				a.dfAdd[w]++
			}
		}
	}
}

// batchWrites is what one assigned batch writes: the classification and
// signatures of its classified issues, and the issues only touched.
type batchWrites struct {
	marks []store.ClassificationRow
	sigs  []store.SignatureRow
	touch []int64
}

// assign puts the batch's issues into clusters (after observe) and
// returns what the batch writes.
func (a *assigner) assign(b *batchResult, sum *RunSummary) batchWrites {
	var w batchWrites
	for i := range b.items {
		it := &b.items[i]
		if it.Skip {
			sum.Unchanged++
			w.touch = append(w.touch, it.ID)
			continue
		}
		sum.Classified++
		for _, d := range it.Days {
			a.days[d] = true
		}
		an := &it.Analysis
		as := a.cl.Assign(an)
		if as.Cluster == nil {
			a.unclustered = append(a.unclustered, it.ID)
			sum.Unclustered++
		} else {
			sum.Clustered++
			a.results = append(a.results, assigned{it.ID, as.Cluster, float32(as.Score), as.Reason})
			if p := an.Primary(); p != nil {
				a.fpSeen[p.Fingerprint] = as.Cluster
			}
		}
		w.marks = append(w.marks, store.ClassificationRow{IssueID: it.ID, ContentHash: it.Hash, RulesVersion: a.version})
		for rank, c := range an.Candidates {
			w.sigs = append(w.sigs, store.SignatureRow{IssueID: it.ID, Rank: rank, Raw: c.Raw, Normalized: c.Normalized,
				Fingerprint: c.Fingerprint, Source: c.Source, Score: float32(c.Score)})
		}
	}
	return w
}

// consolidate is the second look: it merges clusters whose profiles are
// close (an incremental run only reconsiders clusters it added reports
// to) and points the run's results at the surviving clusters.
func (a *assigner) consolidate() {
	a.merges = a.cl.Consolidate(!a.rebuild)
	for i := range a.results {
		a.results[i].cl = root(a.results[i].cl)
	}
	for fp, c := range a.fpSeen {
		a.fpSeen[fp] = root(c)
	}
}

// changedIssues are the run's classified issues, clustered first.
func (a *assigner) changedIssues() []int64 {
	changed := make([]int64, 0, len(a.results)+len(a.unclustered))
	for _, r := range a.results {
		changed = append(changed, r.issueID)
	}
	return append(changed, a.unclustered...)
}

// dayList are the days the run's issues touched.
func (a *assigner) dayList() []time.Time {
	out := make([]time.Time, 0, len(a.days))
	for d := range a.days {
		out = append(out, d)
	}
	return out
}

// issueDays are the distinct UTC days of an issue's and its comments'
// creation.
func issueDays(is *store.ClassifyIssue) []time.Time {
	out := []time.Time{dayOf(is.CreatedAt)}
	for _, c := range is.Comments {
		d := dayOf(c.CreatedAt)
		dup := false
		for _, x := range out {
			if x.Equal(d) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, d)
		}
	}
	return out
}
