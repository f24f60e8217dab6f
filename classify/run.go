package classify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sort"
	"strings"
	"sync"
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
	// ErrStopped, rolling the run's transaction back; once the batches are
	// done the run commits (errata run's first SIGINT or SIGTERM).
	Stop <-chan struct{}
}

// ErrStopped is returned by Run when RunOptions.Stop was closed before the
// last batch: nothing of the run was saved.
var ErrStopped = errors.New("classify stopped before its last batch and rolled back")

// RunSummary says what a classify run did.
type RunSummary struct {
	Considered  int           `json:"considered"`  // issues selected (new, changed or all)
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
	// Phases: time spent reading issues, analyzing them (extraction and
	// clustering), writing signatures, and finishing (clusters, members,
	// counts, labels).
	Phases map[string]time.Duration `json:"phases"`
}

// deltaRefreshLimit: incremental runs that change at most this many issues
// refresh cluster aggregates and daily counts by the days they touched;
// larger runs recompute them for the touched clusters.
const deltaRefreshLimit = 20000

func dayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

type assigned struct {
	issueID int64
	cl      *Cluster
	score   float32
	reason  string
}

// Run classifies the issues of the store: incrementally by default (only
// new issues, changed issues and issues classified under other rules), or
// everything with opts.Rebuild. The whole run is one transaction, under an
// advisory lock so that two runs do not interleave.
func Run(ctx context.Context, st *store.Store, opts RunOptions) (RunSummary, error) {
	start := time.Now()
	var sum RunSummary
	if opts.Rules == nil {
		opts.Rules = DefaultRules()
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 2000
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	version := opts.Rules.Version()
	sum.Phases = map[string]time.Duration{}
	phase := func(name string, since time.Time) { sum.Phases[name] += time.Since(since) }
	err := st.InTx(ctx, func(tx pgx.Tx) error {
		if err := st.ClassifyLock(ctx, tx); err != nil {
			return err
		}
		ids, err := st.ClassifyPendingIDs(ctx, tx, store.ClassifyPendingParams{RulesVersion: version, All: opts.Rebuild})
		if err != nil {
			return err
		}
		sum.Considered = len(ids)
		log.Info("classify", "issues", len(ids), "rebuild", opts.Rebuild, "rules", version)

		cl := NewClusterer()
		byID := map[int64]*Cluster{}
		oldActive := []int64{}
		if opts.Rebuild {
			if err := st.ClusterFingerprintsClear(ctx, tx); err != nil {
				return err
			}
		}
		if err := loadWeights(ctx, st, tx, cl.Weights, version, opts.Rebuild); err != nil {
			return err
		}
		dfAdd := map[string]int{}
		nAdd := 0
		states, err := st.ClusterStateList(ctx, tx)
		if err != nil {
			return err
		}
		for _, s := range states {
			oldActive = append(oldActive, s.ID)
			if opts.Rebuild {
				continue
			}
			c := stateCluster(&s)
			cl.AddExisting(c, nil)
			c.changed = false
			byID[s.ID] = c
		}

		var results []assigned
		var unclustered []int64
		days := map[time.Time]bool{}
		fpSeen := map[string]*Cluster{}
		// Reading and analysis run ahead in their own goroutine (on pool
		// connections) while this one assigns and writes in the run's
		// transaction.
		pctx, cancel := context.WithCancel(ctx)
		defer cancel()
		b0 := &producerStats{phases: map[string]time.Duration{}}
		batches, perr := produceBatches(pctx, st, ids, version, opts, b0)
		for b := range batches {
			select {
			case <-opts.Stop:
				return ErrStopped
			default:
			}
			issues, hashes, skip, analyses, touch := b.issues, b.hashes, b.skip, b.analyses, b.touch
			t := time.Now()
			// fingerprints already seen in stored clusters
			if !opts.Rebuild {
				var fps []string
				for i := range analyses {
					if p := analyses[i].Primary(); p != nil && !skip[i] && cl.byFP[p.Fingerprint] == nil {
						fps = append(fps, p.Fingerprint)
					}
				}
				known, err := st.ClusterFingerprintsGet(ctx, tx, fps)
				if err != nil {
					return err
				}
				for fp, id := range known {
					if c := byID[id]; c != nil {
						cl.byFP[fp] = c
					}
				}
			}
			phase("fingerprints", t)
			t = time.Now()
			// Count the batch's words before assigning it, so its first
			// issues are weighed with their neighbours' words too.
			for i := range analyses {
				if !skip[i] && len(analyses[i].Probes) > 0 {
					before := cl.Weights.N
					cl.Observe(&analyses[i])
					nAdd += cl.Weights.N - before
					for _, w := range observedWords(&analyses[i]) {
						dfAdd[w]++
					}
				}
			}
			var marks []store.ClassificationRow
			var sigs []store.SignatureRow
			for i := range issues {
				if skip[i] {
					sum.Unchanged++
					continue
				}
				sum.Classified++
				days[dayOf(issues[i].CreatedAt)] = true
				for _, c := range issues[i].Comments {
					days[dayOf(c.CreatedAt)] = true
				}
				a := &analyses[i]
				as := cl.Assign(a)
				if as.Cluster == nil {
					unclustered = append(unclustered, issues[i].ID)
					sum.Unclustered++
				} else {
					sum.Clustered++
					results = append(results, assigned{issues[i].ID, as.Cluster, float32(as.Score), as.Reason})
					if p := a.Primary(); p != nil {
						fpSeen[p.Fingerprint] = as.Cluster
					}
				}
				marks = append(marks, store.ClassificationRow{IssueID: issues[i].ID, ContentHash: hashes[i], RulesVersion: version})
				for rank, c := range a.Candidates {
					sigs = append(sigs, store.SignatureRow{IssueID: issues[i].ID, Rank: rank, Raw: c.Raw, Normalized: c.Normalized,
						Fingerprint: c.Fingerprint, Source: c.Source, Score: float32(c.Score)})
				}
			}
			phase("assign", t)
			t = time.Now()
			if err := st.SignatureReplaceMany(ctx, tx, marks, sigs); err != nil {
				return err
			}
			if err := st.ClassificationTouchMany(ctx, tx, touch, version); err != nil {
				return err
			}
			phase("write-signatures", t)
			log.Debug("classify batch", "issues", len(issues))
		}
		if err := <-perr; err != nil {
			return err
		}
		for k, v := range b0.phases {
			sum.Phases[k] += v
		}
		// The second look: merge clusters whose profiles are close. An
		// incremental run only reconsiders clusters it added reports to.
		t := time.Now()
		merges := cl.Consolidate(!opts.Rebuild)
		for i := range results {
			results[i].cl = root(results[i].cl)
		}
		for fp, c := range fpSeen {
			fpSeen[fp] = root(c)
		}
		phase("consolidate", t)

		finish := time.Now()
		step := func(name string) {
			phase("finish:"+name, finish)
			finish = time.Now()
		}
		// Where the classified issues were before.
		var before map[int64]int64
		if opts.Rebuild {
			before, err = st.MemberAll(ctx, tx)
		} else {
			changed := make([]int64, 0, len(results)+len(unclustered))
			for _, r := range results {
				changed = append(changed, r.issueID)
			}
			changed = append(changed, unclustered...)
			before, err = st.MemberCurrent(ctx, tx, changed)
		}
		if err != nil {
			return err
		}
		if opts.Rebuild {
			matchRebuilt(cl, results, before, states)
			for _, c := range cl.Clusters {
				if c.ID != 0 {
					if err := st.ClusterDefine(ctx, tx, c.ID, c.asNew("")); err != nil {
						return err
					}
				}
			}
		}
		// Create the new clusters.
		slugs, err := st.ClusterSlugsList(ctx, tx)
		if err != nil {
			return err
		}
		var fresh []*Cluster
		var news []store.ClusterNew
		for _, c := range cl.Clusters {
			if c.ID == 0 && c.Size > 0 {
				fresh = append(fresh, c)
				news = append(news, c.asNew(uniqueSlug(SlugFor(c), slugs)))
			}
		}
		step("prepare")
		newIDs, err := st.ClusterCreateMany(ctx, tx, news)
		if err != nil {
			return err
		}
		isNew := map[int64]bool{}
		for i, c := range fresh {
			c.ID = newIDs[i]
			isNew[c.ID] = true
		}
		sum.NewClusters = len(fresh)
		// Profiles (and codes adopted) of the clusters that changed.
		var profiles []store.ClusterProfile
		for _, c := range cl.Live() {
			if c.ID != 0 && c.Size > 0 && (c.changed || isNew[c.ID]) {
				profiles = append(profiles, store.ClusterProfile{ID: c.ID, Concept: c.Concept, WeakCodes: c.WeakCodes, Profile: c.StoredProfile()})
			}
		}
		if err := st.ClusterProfileSetMany(ctx, tx, profiles); err != nil {
			return err
		}
		if err := st.TokenDFAdd(ctx, tx, dfAdd, nAdd); err != nil {
			return err
		}

		// Memberships, and where reports moved.
		rows := make([]store.MemberRow, len(results))
		touched := map[int64]bool{}
		moves := map[int64]map[int64]int{}
		for i, r := range results {
			rows[i] = store.MemberRow{IssueID: r.issueID, ClusterID: r.cl.ID, Score: r.score, Reason: r.reason}
			touched[r.cl.ID] = true
			if old, ok := before[r.issueID]; ok && old != r.cl.ID {
				touched[old] = true
				if moves[old] == nil {
					moves[old] = map[int64]int{}
				}
				moves[old][r.cl.ID]++
			}
		}
		for _, id := range unclustered {
			if old, ok := before[id]; ok {
				touched[old] = true
			}
		}
		remove := unclustered
		if opts.Rebuild {
			// issues no longer selected (pull requests, gone) leave their clusters
			inRun := make(map[int64]bool, len(results))
			for _, r := range results {
				inRun[r.issueID] = true
			}
			for issue, old := range before {
				if !inRun[issue] {
					remove = append(remove, issue)
					touched[old] = true
				}
			}
			for _, id := range oldActive {
				touched[id] = true
			}
		}
		step("create")
		if err := st.MemberSetMany(ctx, tx, rows, remove); err != nil {
			return err
		}
		fps := make(map[string]int64, len(fpSeen))
		for fp, c := range fpSeen {
			fps[fp] = c.ID
		}
		if err := st.ClusterFingerprintSetMany(ctx, tx, fps); err != nil {
			return err
		}
		// Stored clusters merged by the consolidation pass: their other
		// members follow, and a merge redirect is recorded.
		var mergeRedirects []store.ClusterRedirect
		storedMerged := map[int64]bool{}
		for _, m := range merges {
			if m.From.ID == 0 {
				continue
			}
			into := root(m.Into)
			if err := st.ClusterMembersMove(ctx, tx, m.From.ID, into.ID); err != nil {
				return err
			}
			mergeRedirects = append(mergeRedirects, store.ClusterRedirect{OldID: m.From.ID, NewID: into.ID, Kind: "merge"})
			storedMerged[m.From.ID] = true
			touched[m.From.ID] = true
			touched[into.ID] = true
		}
		touchedIDs := make([]int64, 0, len(touched))
		for id := range touched {
			touchedIDs = append(touchedIDs, id)
		}
		sort.Slice(touchedIDs, func(i, j int) bool { return touchedIDs[i] < touchedIDs[j] })
		sum.Touched = len(touchedIDs)
		step("members")
		if opts.Rebuild || len(storedMerged) > 0 || len(results)+len(unclustered) > deltaRefreshLimit {
			if err := st.ClusterRefresh(ctx, tx, touchedIDs); err != nil {
				return err
			}
		} else {
			changed := make([]int64, 0, len(results)+len(unclustered))
			for _, r := range results {
				changed = append(changed, r.issueID)
			}
			changed = append(changed, unclustered...)
			var shrunk []int64
			seen := map[int64]bool{}
			for _, id := range changed {
				if old, ok := before[id]; ok && !seen[old] {
					seen[old] = true
					shrunk = append(shrunk, old)
				}
			}
			dayList := make([]time.Time, 0, len(days))
			for d := range days {
				dayList = append(dayList, d)
			}
			sizeDelta := map[int64]int{}
			for _, r := range results {
				if old, ok := before[r.issueID]; !ok || old != r.cl.ID {
					sizeDelta[r.cl.ID]++
					if ok {
						sizeDelta[old]--
					}
				}
			}
			for _, id := range unclustered {
				if old, ok := before[id]; ok {
					sizeDelta[old]--
				}
			}
			if err := st.ClusterRefreshDelta(ctx, tx, touchedIDs, changed, shrunk, sizeDelta, dayList); err != nil {
				return err
			}
		}
		step("refresh")
		sizes, err := st.ClusterSizes(ctx, tx, touchedIDs)
		if err != nil {
			return err
		}
		// Redirects: a cluster whose reports all left merged into the one
		// that took them, or split when they went to several; a surviving
		// cluster whose reports started a new cluster records a split.
		redirects := mergeRedirects
		sum.Merged += len(mergeRedirects)
		olds := make([]int64, 0, len(moves))
		for old := range moves {
			if !storedMerged[old] {
				olds = append(olds, old)
			}
		}
		sort.Slice(olds, func(i, j int) bool { return olds[i] < olds[j] })
		for _, old := range olds {
			dests := moves[old]
			keys := make([]int64, 0, len(dests))
			for d := range dests {
				keys = append(keys, d)
			}
			sort.Slice(keys, func(i, j int) bool {
				if dests[keys[i]] != dests[keys[j]] {
					return dests[keys[i]] > dests[keys[j]]
				}
				return keys[i] < keys[j]
			})
			switch {
			case sizes[old] == 0 && len(keys) == 1:
				redirects = append(redirects, store.ClusterRedirect{OldID: old, NewID: keys[0], Kind: "merge"})
				sum.Merged++
			case sizes[old] == 0:
				for _, d := range keys {
					redirects = append(redirects, store.ClusterRedirect{OldID: old, NewID: d, Kind: "split"})
				}
				sum.Split++
			default:
				for _, d := range keys {
					if isNew[d] {
						redirects = append(redirects, store.ClusterRedirect{OldID: old, NewID: d, Kind: "split"})
					}
				}
			}
		}
		if err := st.ClusterRedirectAddMany(ctx, tx, redirects); err != nil {
			return err
		}
		for _, id := range touchedIDs {
			if sizes[id] == 0 && moves[id] == nil && !storedMerged[id] {
				sum.Dissolved++
			}
		}
		// Topics, categories and tools of the touched clusters.
		step("redirects")
		defer step("labels")
		return labelClusters(ctx, st, tx, opts.Rules, touchedIDs, sizes)
	})
	sum.Duration = time.Since(start)
	if err != nil {
		return sum, fmt.Errorf("classify: %w", err)
	}
	return sum, nil
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
		states, err := clusterConcepts(ctx, tx, live)
		if err != nil {
			return err
		}
		var out []store.ClusterLabels
		for _, id := range live {
			var mf []MemberFacts
			for _, f := range facts[id] {
				mf = append(mf, MemberFacts{Repository: f.Repository, Labels: f.Labels, Title: f.Title, Text: f.Text})
			}
			st := states[id]
			l := rules.Label(st[0], st[1], mf)
			out = append(out, store.ClusterLabels{ID: id, Topic: l.Topic, TopicReason: l.TopicReason, Category: l.Category,
				CategoryReason: l.CategoryReason, Tools: l.Tools, ToolsReason: l.ToolsReason})
		}
		if err := st.ClusterLabelsSetMany(ctx, tx, out); err != nil {
			return err
		}
	}
	return nil
}

func clusterConcepts(ctx context.Context, tx pgx.Tx, ids []int64) (map[int64][2]string, error) {
	out := map[int64][2]string{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT id, concept, signature FROM clusters WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("read cluster concepts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c, s string
		if err := rows.Scan(&id, &c, &s); err != nil {
			return nil, fmt.Errorf("read cluster concepts: %w", err)
		}
		out[id] = [2]string{c, s}
	}
	return out, rows.Err()
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

// analyzeAll analyzes issues in parallel (results in input order).
func analyzeAll(issues []Issue, skip []bool, workers int) []Analysis {
	out := make([]Analysis, len(issues))
	var wg sync.WaitGroup
	next := make(chan int, len(issues))
	for i := range issues {
		if !skip[i] {
			next <- i
		}
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = Analyze(&issues[i])
			}
		}()
	}
	wg.Wait()
	return out
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

type batchResult struct {
	issues   []store.ClassifyIssue
	hashes   []string
	skip     []bool
	analyses []Analysis
	touch    []int64
}

type producerStats struct {
	phases map[string]time.Duration
}

// produceBatches reads the issues in batches and analyzes them, sending
// results in order; the error channel yields the first error (or nil)
// once the batch channel is closed.
func produceBatches(ctx context.Context, st *store.Store, ids []int64, version string, opts RunOptions, stats *producerStats) (<-chan batchResult, <-chan error) {
	out := make(chan batchResult, 2)
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		for start := 0; start < len(ids); start += opts.BatchSize {
			if err := ctx.Err(); err != nil {
				errc <- err
				return
			}
			batch := ids[start:min(start+opts.BatchSize, len(ids))]
			t := time.Now()
			issues, err := st.ClassifyIssuesGet(ctx, batch)
			if err != nil {
				errc <- err
				return
			}
			stats.phases["read"] += time.Since(t)
			t = time.Now()
			b := batchResult{issues: issues, hashes: make([]string, len(issues)), skip: make([]bool, len(issues))}
			inputs := make([]Issue, len(issues))
			for i := range issues {
				inputs[i] = toInput(&issues[i])
				b.hashes[i] = ContentHash(&inputs[i])
				if !opts.Rebuild && issues[i].PrevHash == b.hashes[i] && issues[i].PrevRules == version {
					b.skip[i] = true
					b.touch = append(b.touch, issues[i].ID)
				}
			}
			b.analyses = analyzeAll(inputs, b.skip, opts.Workers)
			stats.phases["analyze"] += time.Since(t)
			select {
			case out <- b:
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
		}
		errc <- nil
	}()
	return out, errc
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
