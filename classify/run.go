package classify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store"
)

// RunOptions configure a classify run over the store.
type RunOptions struct {
	Rules *Rules // nil: DefaultRules()
	// Rebuild recomputes every cluster from scratch. Clusters that still
	// hold most of the same reports keep their ids and slugs; the others
	// are merged, split or dissolved with redirects recorded.
	Rebuild   bool
	BatchSize int // issues loaded per round trip (default 2000)
	Workers   int // parallel extraction (default GOMAXPROCS)
	Logger    *slog.Logger
	// Stop, when closed, ends the run before its next batch with
	// ErrStopped, rolling the assignment back (the batches extracted so
	// far are kept for the next run); once the batches are done the run
	// commits (errata run's first SIGINT or SIGTERM).
	Stop <-chan struct{}
	// Spread, when set, is given the run's batches still to extract, to
	// hand them to other processes (`errata worker` queues a River job per
	// batch that calls ExtractBatch). The run extracts the batches nobody
	// took itself.
	Spread func(ctx context.Context, runID int64, batches []int) error
	// Progress, when set, is called after each batch is assigned.
	Progress func(assigned, batches int)
}

// ErrStopped is returned by Run when RunOptions.Stop was closed before the
// last batch: no cluster, member or signature of the run was saved; the
// batches it extracted are, and the next run resumes from them.
var ErrStopped = errors.New("classify stopped before its last batch and rolled back")

// RunSummary says what a classify run did.
type RunSummary struct {
	Considered  int           `json:"considered"`  // issues selected (new, changed or all)
	Resumed     int           `json:"resumed"`     // batches already extracted when the run began (a resumed run)
	Stored      int           `json:"stored"`      // batches assigned from their stored result (extracted by an earlier run or other workers)
	Classified  int           `json:"classified"`  // issues whose signatures were recomputed
	Unchanged   int           `json:"unchanged"`   // selected but content and rules unchanged
	Clustered   int           `json:"clustered"`   // classified issues now in a cluster
	Unclustered int           `json:"unclustered"` // classified issues without error text
	NewClusters int           `json:"new_clusters"`
	Touched     int           `json:"touched_clusters"`
	Merged      int           `json:"merged"`
	Split       int           `json:"split"`
	Dissolved   int           `json:"dissolved"`
	Duration    time.Duration `json:"duration"`
	// Phases: time spent reading issues, analyzing them (extraction),
	// staging each batch's result ("stage"), waiting for and decoding
	// batches extracted elsewhere ("wait-and-decode"), assigning, writing
	// signatures, consolidating and finishing (clusters, members, counts,
	// labels).
	Phases map[string]time.Duration `json:"phases"`
}

// deltaRefreshLimit: incremental runs that change at most this many issues
// refresh cluster aggregates and daily counts by the days they touched;
// larger runs recompute them for the touched clusters.
const deltaRefreshLimit = 20000

type runClock struct {
	sum *RunSummary
}

func (c runClock) phase(name string, since time.Time) { c.sum.Phases[name] += time.Since(since) }

// step is phase for the steps a run takes once (before and after its
// batches), logged at debug level as they end.
func (c runClock) step(log *slog.Logger, name string, since time.Time) {
	d := time.Since(since)
	c.sum.Phases[name] += d
	log.Debug("classify step", "step", name, "took", d.Round(time.Microsecond))
}

// logPhases logs the run's phases at debug level, in name order.
func logPhases(log *slog.Logger, sum *RunSummary) {
	names := make([]string, 0, len(sum.Phases))
	for k := range sum.Phases {
		names = append(names, k)
	}
	sort.Strings(names)
	args := make([]any, 0, 2*len(names)+2)
	args = append(args, "took", sum.Duration.Round(time.Microsecond))
	for _, k := range names {
		args = append(args, k, sum.Phases[k].Round(time.Microsecond))
	}
	log.Debug("classify phases", args...)
}

// Run classifies the issues of the store: incrementally by default (only
// new issues, changed issues and issues classified under other rules), or
// everything with opts.Rebuild.
//
// A run resumes and spreads. Under the classify lock (an advisory lock
// held by the run's assignment transaction, open from its start to its
// end, so two runs never interleave) it records
// the issues it selected, cut into batches of opts.BatchSize, in
// classify_runs and classify_batches. It then works in two stages:
//
//   - Extraction and normalization (reading issues and comments, Analyze):
//     each batch is extracted under its row lock and its result (the
//     analyses, content hashes and days, gob-encoded) committed with it.
//     The batches with a result are the run's durable watermark: a run
//     killed or failed at any point keeps them, and the next run with the
//     same rules resumes the recorded run instead of selecting anew (an
//     incremental run also resumes an unfinished rebuild; a run under
//     other rules, or a rebuild after an incremental run, starts afresh).
//     Extraction needs no cluster state, so any process may do any batch:
//     opts.Spread hands the batches to `errata worker`s (River jobs that
//     call ExtractBatch), while this process extracts ahead in order,
//     skipping batches another process holds.
//   - Assignment: one writer, in one transaction, takes the batches in
//     order (from memory when it extracted them itself, else from their
//     stored result, waiting on the row lock of a batch another process is
//     extracting), assigns them with the clusterer exactly as an
//     uninterrupted run would, consolidates, writes signatures, clusters,
//     members, redirects, counts and labels, and deletes the run record.
//
// Readers (pages, trends, match, mcp) read only signatures, clusters and
// members, which change only when the assignment commits: they never see
// a half-classified batch or run. Since the assignment starts from the
// stored clusters and the recorded issue list and batch results, a resumed
// or spread run ends with the same clusters as an uninterrupted one.
// Classifications are recorded at the run's start (when it selected its
// issues), so issues synced after it are selected by the next run even
// when the run finished much later.
//
// What a killed run loses is its assignment (about a quarter of the CPU);
// the assignment restarts from the first batch, reading the stored
// results.
func Run(ctx context.Context, st *store.Store, opts RunOptions) (RunSummary, error) {
	start := time.Now()
	sum := RunSummary{Phases: map[string]time.Duration{}}
	opts = opts.withDefaults()
	err := runLocked(ctx, st, opts, &sum)
	sum.Duration = time.Since(start)
	logPhases(opts.Logger, &sum)
	if err != nil {
		return sum, fmt.Errorf("classify: %w", err)
	}
	return sum, nil
}

func (o RunOptions) withDefaults() RunOptions {
	if o.Rules == nil {
		o.Rules = DefaultRules()
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 2000
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// runLocked is a run under the classify lock, which its assignment
// transaction takes first and holds to the end (so the run needs one
// connection for it, and one for the extraction ahead).
func runLocked(ctx context.Context, st *store.Store, opts RunOptions, sum *RunSummary) error {
	version := opts.Rules.Version()
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var src *batchSource
	clock := runClock{sum}
	err := st.InTx(ctx, func(tx pgx.Tx) error {
		t := time.Now()
		if err := st.ClassifyLock(ctx, tx); err != nil {
			return err
		}
		clock.step(opts.Logger, "lock", t)
		t = time.Now()
		run, err := beginRun(ctx, st, opts, version)
		if err != nil {
			return err
		}
		pending, err := st.ClassifyBatchesPending(ctx, run.ID)
		if err != nil {
			return err
		}
		clock.step(opts.Logger, "select", t)
		sum.Considered = run.Issues
		sum.Resumed = run.Batches - len(pending)
		opts.Logger.Info("classify", "issues", run.Issues, "rebuild", run.Rebuild, "rules", version,
			"batches", run.Batches, "batches_done", sum.Resumed)
		if opts.Spread != nil && len(pending) > 0 {
			if err := opts.Spread(ctx, run.ID, pending); err != nil {
				return err
			}
		}
		src = startBatches(pctx, st, run, opts)
		return assignRun(ctx, st, tx, run, src, opts, sum)
	})
	cancel()
	if src != nil {
		src.wait()
		for k, v := range src.phases {
			sum.Phases[k] += v
		}
	}
	return err
}

// beginRun resumes the recorded run when it can, or records a new one.
func beginRun(ctx context.Context, st *store.Store, opts RunOptions, version string) (store.ClassifyRun, error) {
	old, ok, err := st.ClassifyRunGet(ctx)
	if err != nil {
		return store.ClassifyRun{}, err
	}
	if ok {
		if resumable(old, version, opts.Rebuild) {
			opts.Logger.Info("classify resumes an interrupted run", "run", old.ID, "started", old.StartedAt)
			return old, nil
		}
		opts.Logger.Info("classify drops an interrupted run of other rules or kind", "run", old.ID)
		if err := st.ClassifyRunsClear(ctx); err != nil {
			return store.ClassifyRun{}, err
		}
	}
	return st.ClassifyRunCreate(ctx, store.ClassifyPendingParams{RulesVersion: version, All: opts.Rebuild},
		func(ids []int64) [][]int64 { return splitBatches(ids, opts.BatchSize) })
}

// resumable says whether a recorded run is continued by a run of version
// (a rebuild when rebuild): same rules, and the same kind, or a rebuild
// continued by an incremental run (it covers more).
func resumable(old store.ClassifyRun, version string, rebuild bool) bool {
	return old.RulesVersion == version && (old.Rebuild == rebuild || old.Rebuild)
}

// assignRun is the assignment of a run in its transaction.
func assignRun(ctx context.Context, st *store.Store, tx pgx.Tx, run store.ClassifyRun, src *batchSource, opts RunOptions, sum *RunSummary) error {
	clock := runClock{sum}
	a, err := loadAssigner(ctx, st, tx, run.Rebuild, run.RulesVersion, func(name string, since time.Time) {
		clock.step(opts.Logger, name, since)
	})
	if err != nil {
		return err
	}
	a.at = run.StartedAt
	for k := 0; k < run.Batches; k++ {
		select {
		case <-opts.Stop:
			return ErrStopped
		default:
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := src.next(ctx, k, clock)
		if err != nil {
			return err
		}
		if err := assignBatch(ctx, st, tx, a, &b, sum, clock); err != nil {
			return err
		}
		opts.Logger.Debug("classify batch", "batch", k, "issues", len(b.items))
		if opts.Progress != nil {
			opts.Progress(k+1, run.Batches)
		}
	}
	t := time.Now()
	a.consolidate()
	clock.phase("consolidate", t)
	last := time.Now()
	err = finish(ctx, st, tx, a, opts.Rules, sum, func(name string) {
		clock.phase("finish:"+name, last)
		last = time.Now()
	})
	if err != nil {
		return err
	}
	return st.ClassifyRunDelete(ctx, tx, run.ID)
}

// assignBatch assigns one extracted batch and writes its signatures.
func assignBatch(ctx context.Context, st *store.Store, tx pgx.Tx, a *assigner, b *batchResult, sum *RunSummary, clock runClock) error {
	t := time.Now()
	if err := a.lookUpFingerprints(ctx, st, tx, b); err != nil {
		return err
	}
	clock.phase("fingerprints", t)
	t = time.Now()
	a.observe(b)
	w := a.assign(b, sum)
	clock.phase("assign", t)
	t = time.Now()
	if err := st.SignatureReplaceMany(ctx, tx, w.marks, w.sigs, a.at); err != nil {
		return err
	}
	if err := st.ClassificationTouchMany(ctx, tx, w.touch, a.version, a.at); err != nil {
		return err
	}
	clock.phase("write-signatures", t)
	return nil
}

func labelClusters(ctx context.Context, st *store.Store, tx pgx.Tx, rules *Rules, ids []int64, sizes map[int64]int) error {
	const chunk = 5000
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		var live []int64
		for _, id := range part {
			if sizes[id] > 0 {
				live = append(live, id)
			}
		}
		facts, err := st.ClusterMemberFacts(ctx, tx, live, 30)
		if err != nil {
			return err
		}
		states, err := st.ClusterConceptsGet(ctx, tx, live)
		if err != nil {
			return err
		}
		var out []store.ClusterLabels
		for _, id := range live {
			var mf []MemberFacts
			for _, f := range facts[id] {
				mf = append(mf, MemberFacts{Repository: f.Repository, Labels: f.Labels, Title: f.Title, Text: f.Text})
			}
			cs := states[id]
			l := rules.Label(cs.Concept, cs.Signature, mf)
			out = append(out, store.ClusterLabels{ID: id, Topic: l.Topic, TopicReason: l.TopicReason, Category: l.Category,
				CategoryReason: l.CategoryReason, Tools: l.Tools, ToolsReason: l.ToolsReason})
		}
		if err := st.ClusterLabelsSetMany(ctx, tx, out); err != nil {
			return err
		}
	}
	return nil
}

// matchRebuilt gives recomputed clusters the ids of the stored clusters
// they overlap most (one to one, largest overlap first), so ids and slugs
// survive a rebuild when the grouping did not really change.
func matchRebuilt(cl *Clusterer, results []assigned, before map[int64]int64, states []store.ClusterState) {
	type pair struct {
		c     *Cluster
		old   int64
		count int
	}
	overlap := map[*Cluster]map[int64]int{}
	for _, r := range results {
		if old, ok := before[r.issueID]; ok {
			if overlap[r.cl] == nil {
				overlap[r.cl] = map[int64]int{}
			}
			overlap[r.cl][old]++
		}
	}
	active := map[int64]bool{}
	for _, s := range states {
		active[s.ID] = true
	}
	var pairs []pair
	for c, m := range overlap {
		for old, n := range m {
			if active[old] {
				pairs = append(pairs, pair{c, old, n})
			}
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].count != pairs[j].count {
			return pairs[i].count > pairs[j].count
		}
		if pairs[i].old != pairs[j].old {
			return pairs[i].old < pairs[j].old
		}
		return pairs[i].c.seq < pairs[j].c.seq
	})
	usedOld := map[int64]bool{}
	for _, p := range pairs {
		if p.c.ID != 0 || usedOld[p.old] {
			continue
		}
		p.c.ID = p.old
		usedOld[p.old] = true
	}
}

func (c *Cluster) asNew(slug string) store.ClusterNew {
	return store.ClusterNew{Slug: slug, Title: c.Title, Key: c.Key, Concept: c.Concept, Signature: c.Signature,
		Fingerprint: c.Fingerprint, WeakCodes: c.WeakCodes}
}

func toInput(is *store.ClassifyIssue) Issue {
	in := Issue{ID: is.ID, Repository: is.Repository, Number: is.Number, Title: is.Title, Body: is.Body,
		Labels: is.Labels, HTMLURL: is.HTMLURL, CreatedAt: is.CreatedAt}
	for _, c := range is.Comments {
		in.Comments = append(in.Comments, Comment{Body: c.Body, CreatedAt: c.CreatedAt})
	}
	return in
}

// Slugify makes a URL slug: lower-case ASCII letters and digits joined by
// single hyphens, at most 60 bytes, cut at a hyphen when possible.
func Slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	out := b.String()
	if len(out) > 60 {
		out = out[:60]
		if i := strings.LastIndexByte(out, '-'); i > 30 {
			out = out[:i]
		}
		out = strings.TrimRight(out, "-")
	}
	if out == "" {
		out = "error"
	}
	return out
}

// SlugFor derives a new cluster's slug from its signature without the
// placeholders (so the slug names the error, not one report's values),
// falling back to its title.
func SlugFor(c *Cluster) string {
	sig := c.Signature
	for p := range placeholders {
		sig = strings.ReplaceAll(sig, p, " ")
	}
	if s := Slugify(sig); s != "error" && len(s) >= 8 {
		return s
	}
	return Slugify(c.Title)
}

// uniqueSlug returns base, or base-2, base-3, ... when taken, and marks it
// taken.
func uniqueSlug(base string, taken map[string]bool) string {
	s := base
	for n := 2; taken[s]; n++ {
		s = fmt.Sprintf("%s-%d", base, n)
	}
	taken[s] = true
	return s
}

// AnalyzeText analyzes a pasted error text (for `errata match`). Unlike an
// issue body, the whole text is taken to be an error: when no line looks
// like one, its first lines are used as they are.
func AnalyzeText(text string) Analysis {
	is := Issue{Body: text}
	a := Analyze(&is)
	if a.Primary() != nil {
		return a
	}
	raw := strings.TrimSpace(CleanText(cutBytes(text, MaxRawLen)))
	if raw == "" {
		return a
	}
	c := Candidate{Raw: raw, Source: "text", Score: MinCandidateScore, Codes: FindCodes(raw)}
	c.Normalized = Normalize(c.Raw)
	c.Fingerprint = Fingerprint(c.Normalized)
	a.Candidates = []Candidate{c}
	a.Concept = pickConcept(a.Candidates)
	if a.Concept != "" {
		a.Key = "code:" + a.Concept
	} else {
		a.Key = "fp:" + c.Fingerprint
	}
	a.setProbes()
	return a
}

// LoadMatcher builds a clusterer over the stored active clusters, with the
// fingerprints of a's candidates looked up, for matching without assigning.
func LoadMatcher(ctx context.Context, st *store.Store, tx pgx.Tx, a *Analysis) (*Clusterer, error) {
	states, err := st.ClusterStateList(ctx, tx)
	if err != nil {
		return nil, err
	}
	cl := NewClusterer()
	df, n, err := st.TokenDFList(ctx, tx)
	if err != nil {
		return nil, err
	}
	cl.Weights.DF, cl.Weights.N = df, n
	byID := map[int64]*Cluster{}
	for i := range states {
		c := stateCluster(&states[i])
		cl.AddExisting(c, nil)
		byID[c.ID] = c
	}
	var fps []string
	for _, c := range a.Candidates {
		fps = append(fps, c.Fingerprint)
	}
	known, err := st.ClusterFingerprintsGet(ctx, tx, fps)
	if err != nil {
		return nil, err
	}
	for fp, id := range known {
		if c := byID[id]; c != nil && cl.byFP[fp] == nil {
			cl.byFP[fp] = c
		}
	}
	return cl, nil
}

// stateCluster makes a clusterer cluster of a stored one.
func stateCluster(s *store.ClusterState) *Cluster {
	return &Cluster{ID: s.ID, Key: s.Key, Concept: s.Concept, Signature: s.Signature, Fingerprint: s.Fingerprint,
		Tokens: TemplateTokens(s.Signature), WeakCodes: s.WeakCodes, Size: s.Size, Profile: s.Profile}
}

// observedWords are the words Observe counts for an issue (each once).
func observedWords(a *Analysis) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range a.Probes {
		for _, t := range p.Tokens {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}
