package classify

import (
	"context"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store"
)

// Finishing: once every batch is assigned and consolidated, the run writes
// clusters, memberships, redirects, refreshed counts and labels, in the
// assignment's transaction. The decisions (who moved where, which refresh,
// which redirects) are pure functions below; finish only reads and writes.

// finisher carries what the finishing steps share.
type finisher struct {
	st    *store.Store
	tx    pgx.Tx
	a     *assigner
	sum   *RunSummary
	rules *Rules
	step  func(name string)

	before       map[int64]int64 // cluster of each classified issue before the run
	isNew        map[int64]bool
	plan         memberPlan
	storedMerged map[int64]bool
	mergeRedir   []store.ClusterRedirect
	touchedIDs   []int64
	sizes        map[int64]int
}

func finish(ctx context.Context, st *store.Store, tx pgx.Tx, a *assigner, rules *Rules, sum *RunSummary, step func(string)) error {
	f := &finisher{st: st, tx: tx, a: a, sum: sum, rules: rules, step: step}
	for _, fn := range []func(context.Context) error{
		f.readBefore, f.createClusters, f.writeMembers, f.mergeStored, f.refresh, f.redirect,
	} {
		if err := fn(ctx); err != nil {
			return err
		}
	}
	defer step("labels")
	return labelClusters(ctx, st, tx, rules, f.touchedIDs, f.sizes)
}

// readBefore reads where the classified issues were before the run.
func (f *finisher) readBefore(ctx context.Context) error {
	var err error
	if f.a.rebuild {
		f.before, err = f.st.MemberAll(ctx, f.tx)
	} else {
		f.before, err = f.st.MemberCurrent(ctx, f.tx, f.a.changedIssues())
	}
	return err
}

// createClusters gives a rebuild's clusters the ids of the stored ones
// they overlap most, creates the new clusters, and writes the profiles of
// the clusters that changed and the word frequencies.
func (f *finisher) createClusters(ctx context.Context) error {
	st, tx, cl := f.st, f.tx, f.a.cl
	if f.a.rebuild {
		matchRebuilt(cl, f.a.results, f.before, f.a.states)
		for _, c := range cl.Clusters {
			if c.ID != 0 {
				if err := st.ClusterDefine(ctx, tx, c.ID, c.asNew("")); err != nil {
					return err
				}
			}
		}
	}
	var fresh []*Cluster
	for _, c := range cl.Clusters {
		if c.ID == 0 && c.Size > 0 {
			fresh = append(fresh, c)
		}
	}
	var news []store.ClusterNew
	if len(fresh) > 0 { // the slugs given so far: read only when needed
		slugs, err := st.ClusterSlugsList(ctx, tx)
		if err != nil {
			return err
		}
		for _, c := range fresh {
			news = append(news, c.asNew(uniqueSlug(SlugFor(c), slugs)))
		}
	}
	f.step("prepare")
	newIDs, err := st.ClusterCreateMany(ctx, tx, news)
	if err != nil {
		return err
	}
	f.isNew = map[int64]bool{}
	for i, c := range fresh {
		c.ID = newIDs[i]
		f.isNew[c.ID] = true
	}
	f.sum.NewClusters = len(fresh)
	var profiles []store.ClusterProfile
	for _, c := range cl.Live() {
		if c.ID != 0 && c.Size > 0 && (c.changed || f.isNew[c.ID]) {
			profiles = append(profiles, store.ClusterProfile{ID: c.ID, Concept: c.Concept, WeakCodes: c.WeakCodes, Profile: c.StoredProfile()})
		}
	}
	if err := st.ClusterProfileSetMany(ctx, tx, profiles); err != nil {
		return err
	}
	return st.TokenDFAdd(ctx, tx, f.a.dfAdd, f.a.nAdd)
}

// memberPlan is where the run's issues go: member rows, issues leaving
// their clusters, the clusters touched, and moves (old cluster → new
// cluster → reports).
type memberPlan struct {
	rows    []store.MemberRow
	remove  []int64
	touched map[int64]bool
	moves   map[int64]map[int64]int
}

// planMembers decides the memberships of a run (the clusters must have
// their ids). A rebuild also removes issues no longer selected (pull
// requests, gone) and touches every cluster active before it.
func planMembers(results []assigned, unclustered []int64, before map[int64]int64, rebuild bool, oldActive []int64) memberPlan {
	p := memberPlan{rows: make([]store.MemberRow, len(results)), touched: map[int64]bool{}, moves: map[int64]map[int64]int{}}
	for i, r := range results {
		p.rows[i] = store.MemberRow{IssueID: r.issueID, ClusterID: r.cl.ID, Score: r.score, Reason: r.reason}
		p.touched[r.cl.ID] = true
		if old, ok := before[r.issueID]; ok && old != r.cl.ID {
			p.touched[old] = true
			if p.moves[old] == nil {
				p.moves[old] = map[int64]int{}
			}
			p.moves[old][r.cl.ID]++
		}
	}
	for _, id := range unclustered {
		if old, ok := before[id]; ok {
			p.touched[old] = true
		}
	}
	p.remove = unclustered
	if rebuild {
		inRun := make(map[int64]bool, len(results))
		for _, r := range results {
			inRun[r.issueID] = true
		}
		for issue, old := range before {
			if !inRun[issue] {
				p.remove = append(p.remove, issue)
				p.touched[old] = true
			}
		}
		for _, id := range oldActive {
			p.touched[id] = true
		}
	}
	return p
}

// writeMembers writes the memberships and the fingerprints seen.
func (f *finisher) writeMembers(ctx context.Context) error {
	f.plan = planMembers(f.a.results, f.a.unclustered, f.before, f.a.rebuild, f.a.oldActive())
	f.step("create")
	if err := f.st.MemberSetMany(ctx, f.tx, f.plan.rows, f.plan.remove); err != nil {
		return err
	}
	fps := make(map[string]int64, len(f.a.fpSeen))
	for fp, c := range f.a.fpSeen {
		fps[fp] = c.ID
	}
	return f.st.ClusterFingerprintSetMany(ctx, f.tx, fps)
}

// storedMerges are the consolidation's merges of stored clusters, as
// (from, into) ids of the surviving cluster.
func storedMerges(merges []Merge) [][2]int64 {
	var out [][2]int64
	for _, m := range merges {
		if m.From.ID == 0 {
			continue
		}
		out = append(out, [2]int64{m.From.ID, root(m.Into).ID})
	}
	return out
}

// mergeStored moves the other members of stored clusters merged by the
// consolidation and records merge redirects.
func (f *finisher) mergeStored(ctx context.Context) error {
	f.storedMerged = map[int64]bool{}
	for _, m := range storedMerges(f.a.merges) {
		if err := f.st.ClusterMembersMove(ctx, f.tx, m[0], m[1]); err != nil {
			return err
		}
		f.mergeRedir = append(f.mergeRedir, store.ClusterRedirect{OldID: m[0], NewID: m[1], Kind: "merge"})
		f.storedMerged[m[0]] = true
		f.plan.touched[m[0]] = true
		f.plan.touched[m[1]] = true
	}
	f.touchedIDs = sortedIDs(f.plan.touched)
	f.sum.Touched = len(f.touchedIDs)
	f.step("members")
	return nil
}

func sortedIDs(set map[int64]bool) []int64 {
	out := make([]int64, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// fullRefresh says whether the run recomputes the aggregates of the
// touched clusters from their members, rather than by the days it touched.
func fullRefresh(rebuild bool, storedMerges, changedIssues int) bool {
	return rebuild || storedMerges > 0 || changedIssues > deltaRefreshLimit
}

// sizeDeltas are the size changes of clusters when the run's issues move.
func sizeDeltas(results []assigned, unclustered []int64, before map[int64]int64) map[int64]int {
	d := map[int64]int{}
	for _, r := range results {
		if old, ok := before[r.issueID]; !ok || old != r.cl.ID {
			d[r.cl.ID]++
			if ok {
				d[old]--
			}
		}
	}
	for _, id := range unclustered {
		if old, ok := before[id]; ok {
			d[old]--
		}
	}
	return d
}

// shrunkClusters are the clusters the changed issues were in, once each,
// in the order of changed.
func shrunkClusters(changed []int64, before map[int64]int64) []int64 {
	var out []int64
	seen := map[int64]bool{}
	for _, id := range changed {
		if old, ok := before[id]; ok && !seen[old] {
			seen[old] = true
			out = append(out, old)
		}
	}
	return out
}

// refresh recomputes sizes, dates and daily counts of the touched
// clusters, and reads their sizes.
func (f *finisher) refresh(ctx context.Context) error {
	a := f.a
	changed := a.changedIssues()
	var err error
	if fullRefresh(a.rebuild, len(f.storedMerged), len(changed)) {
		err = f.st.ClusterRefresh(ctx, f.tx, f.touchedIDs)
	} else {
		err = f.st.ClusterRefreshDelta(ctx, f.tx, f.touchedIDs, changed, shrunkClusters(changed, f.before),
			sizeDeltas(a.results, a.unclustered, f.before), a.dayList())
	}
	if err != nil {
		return err
	}
	f.step("refresh")
	f.sizes, err = f.st.ClusterSizes(ctx, f.tx, f.touchedIDs)
	return err
}

// redirectPlan is what became of clusters whose reports moved.
type redirectPlan struct {
	redirects []store.ClusterRedirect
	merged    int
	split     int
	dissolved int
}

// planRedirects decides redirects: a cluster whose reports all left merged
// into the one that took them, or split when they went to several; a
// surviving cluster whose reports started a new cluster records a split.
// Clusters left empty without moves or merges dissolved.
func planRedirects(mergeRedir []store.ClusterRedirect, moves map[int64]map[int64]int, sizes map[int64]int,
	isNew, storedMerged map[int64]bool, touchedIDs []int64) redirectPlan {
	p := redirectPlan{redirects: mergeRedir, merged: len(mergeRedir)}
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
			p.redirects = append(p.redirects, store.ClusterRedirect{OldID: old, NewID: keys[0], Kind: "merge"})
			p.merged++
		case sizes[old] == 0:
			for _, d := range keys {
				p.redirects = append(p.redirects, store.ClusterRedirect{OldID: old, NewID: d, Kind: "split"})
			}
			p.split++
		default:
			for _, d := range keys {
				if isNew[d] {
					p.redirects = append(p.redirects, store.ClusterRedirect{OldID: old, NewID: d, Kind: "split"})
				}
			}
		}
	}
	for _, id := range touchedIDs {
		if sizes[id] == 0 && moves[id] == nil && !storedMerged[id] {
			p.dissolved++
		}
	}
	return p
}

// redirect records the redirects.
func (f *finisher) redirect(ctx context.Context) error {
	p := planRedirects(f.mergeRedir, f.plan.moves, f.sizes, f.isNew, f.storedMerged, f.touchedIDs)
	if err := f.st.ClusterRedirectAddMany(ctx, f.tx, p.redirects); err != nil {
		return err
	}
	f.sum.Merged += p.merged
	f.sum.Split += p.split
	f.sum.Dissolved += p.dissolved
	f.step("redirects")
	return nil
}

// dayOf is the UTC day of t.
func dayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
