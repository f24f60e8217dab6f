package trends

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/errata-tool/errata/store"
)

// MaxSpanDays is the longest span (current window and baseline) a query
// may cover.
const MaxSpanDays = 3660

// NoneKey is the group key of clusters without a topic, category or tool.
const NoneKey = "(none)"

// Normalize fills in defaults and checks q. It is idempotent.
func (q Query) Normalize(now time.Time) (Query, error) {
	if q.AsOf.IsZero() {
		q.AsOf = now
	}
	q.AsOf = DayOf(q.AsOf).Time()
	if q.WindowDays == 0 {
		q.WindowDays = DefaultWindowDays
	}
	if q.WindowDays < 1 || q.WindowDays > 3660 {
		return q, fmt.Errorf("window of %d days: want 1 to 3660", q.WindowDays)
	}
	if q.Baselines == 0 {
		q.Baselines = DefaultBaselines
	}
	if q.Baselines < 1 || q.Baselines > 52 {
		return q, fmt.Errorf("%d baseline windows: want 1 to 52", q.Baselines)
	}
	// The span read is kept to ten years: every cluster holds a count per
	// week of it.
	if span := (q.Baselines + 1) * q.WindowDays; span > MaxSpanDays {
		return q, fmt.Errorf("%d-day window with %d baseline windows spans %d days: at most %d", q.WindowDays, q.Baselines, span, MaxSpanDays)
	}
	if q.By == "" {
		q.By = ByCluster
	}
	switch q.By {
	case ByCluster, ByTopic, ByCategory, ByTool, ByRepo:
	default:
		return q, fmt.Errorf("group by %q: want cluster, topic, category, tool or repo", q.By)
	}
	if q.Signal == "" {
		q.Signal = SignalReports
	}
	switch q.Signal {
	case SignalReports, SignalComments, SignalReactions, SignalActivity:
	default:
		return q, fmt.Errorf("signal %q: want reports, comments, reactions or activity", q.Signal)
	}
	if q.Top < 0 {
		return q, fmt.Errorf("top %d: want 0 (all) or more", q.Top)
	}
	if q.MinCount == 0 {
		q.MinCount = DefaultMinCount
	}
	if q.MinCount < -1 {
		return q, fmt.Errorf("min count %d: want -1 (list everything) or more", q.MinCount)
	}
	if q.Alpha == 0 {
		q.Alpha = DefaultAlpha
	}
	if q.Alpha <= 0 || q.Alpha >= 1 {
		return q, fmt.Errorf("alpha %g: want between 0 and 1", q.Alpha)
	}
	return q, nil
}

// WindowsFor returns the windows of a normalized query, without data start.
func WindowsFor(q Query) Windows {
	asOf := DayOf(q.AsOf)
	w := q.WindowDays
	return Windows{
		Current:      DayRange{From: asOf.AddDays(-w + 1), To: asOf},
		Baseline:     DayRange{From: asOf.AddDays(-(q.Baselines+1)*w + 1), To: asOf.AddDays(-w)},
		BaselineDays: q.Baselines * w,
	}
}

// weekCount is the number of weekly buckets a report shows: enough to
// cover the current window and the baseline.
func weekCount(q Query) int {
	span := (q.Baselines + 1) * q.WindowDays
	return (span + 6) / 7
}

// acc holds the counts of one cluster (and repository) by week and by
// window.
type acc struct {
	cluster, repo int64
	weeks         []Counts // index 0 = latest week
	windows       []Counts // index 0 = current window
}

// accumulator sums daily rows per cluster and repository. Cluster ids are
// a bigserial, so usually small and dense: rows without a repository are
// found by indexing a slice with the id (a map lookup per row is
// measurable at a hundred thousand rows); others go through a map.
type accumulator struct {
	nWeeks, windowDays, baselines int
	dense                         []*acc
	sparse                        map[[2]int64]*acc
	// slabs to carve accs and their counts from, instead of three
	// allocations per cluster.
	accSlab    []acc
	countsSlab []Counts
}

const maxDenseID = 1 << 20

func newAccumulator(nWeeks int, q Query) *accumulator {
	return &accumulator{nWeeks: nWeeks, windowDays: q.WindowDays, baselines: q.Baselines, sparse: map[[2]int64]*acc{}}
}

func (m *accumulator) get(cluster, repo int64) *acc {
	if repo == 0 && cluster >= 0 && cluster < maxDenseID {
		if int(cluster) >= len(m.dense) {
			m.dense = append(m.dense, make([]*acc, int(cluster)+1-len(m.dense)+len(m.dense)/2)...)
		}
		if a := m.dense[cluster]; a != nil {
			return a
		}
		a := m.newAcc(cluster, repo)
		m.dense[cluster] = a
		return a
	}
	k := [2]int64{cluster, repo}
	a := m.sparse[k]
	if a == nil {
		a = m.newAcc(cluster, repo)
		m.sparse[k] = a
	}
	return a
}

func (m *accumulator) newAcc(cluster, repo int64) *acc {
	const batch = 512
	if len(m.accSlab) == 0 {
		m.accSlab = make([]acc, batch)
	}
	per := m.nWeeks + m.baselines + 1
	if len(m.countsSlab) < per {
		m.countsSlab = make([]Counts, per*batch)
	}
	a := &m.accSlab[0]
	m.accSlab = m.accSlab[1:]
	c := m.countsSlab[:per:per]
	m.countsSlab = m.countsSlab[per:]
	*a = acc{cluster: cluster, repo: repo, weeks: c[:m.nWeeks:m.nWeeks], windows: c[m.nWeeks:]}
	return a
}

func (m *accumulator) add(d store.TrendDailyRow) {
	a := m.get(d.ClusterID, d.RepositoryID)
	c := Counts{Reports: d.Reports, Comments: d.Comments, Reactions: d.Reactions}
	if w := d.Back / 7; w < m.nWeeks {
		a.weeks[w].add(c)
	}
	if w := d.Back / m.windowDays; w <= m.baselines {
		a.windows[w].add(c)
	}
}

// merge adds o into m and returns every accumulated entry.
func (m *accumulator) merge(o *accumulator) []*acc {
	for _, b := range o.all() {
		a := m.get(b.cluster, b.repo)
		for i := range b.weeks {
			a.weeks[i].add(b.weeks[i])
		}
		for i := range b.windows {
			a.windows[i].add(b.windows[i])
		}
	}
	return m.all()
}

func (m *accumulator) all() []*acc {
	out := make([]*acc, 0, len(m.sparse))
	for _, a := range m.dense {
		if a != nil {
			out = append(out, a)
		}
	}
	for _, a := range m.sparse {
		out = append(out, a)
	}
	return out
}

type group struct {
	key, label string
	topic      string
	category   string
	clusterID  int64
	// survivors and raws are the group's surviving clusters and the member
	// clusters whose counts it holds; deduplicated (sorted) once filled.
	survivors []int64
	raws      []int64
	weeks     []Counts // index 0 = latest week
	windows   []Counts // index 0 = current window
}

// computation holds what the phases of Compute share: the query, its
// windows, the clusters and how they group.
type computation struct {
	q       Query
	win     Windows
	asOf    Day
	nWeeks  int
	repoID  *int64 // the repository asked for (q.Repo), or nil
	repoIDs []int64

	clusters  []store.TrendCluster
	repoNames map[int64]string
	byID      map[int64]*store.TrendCluster
	survivor  map[int64]int64
	groups    map[string]*group

	weeks     []Day // start of each week shown, oldest first
	baseWeeks []int // weeks (0 = latest) usable for the escalation ceiling
}

// Compute builds the trend report for q from the store: it refreshes the
// trend rollups (store.TrendRefresh), reads the daily counts of the weeks
// shown, sums them per cluster into week and window buckets, groups them,
// tests them and labels them. Rows are sorted by state (Escalating,
// Regressed, New, Rising, Stable, Declining), then by the signal in the
// current window (descending), then by ratio (descending), then by key;
// Top cuts the list after the tests, so q-values do not depend on Top.
// Reasons and weekly series are filled in for the rows kept.
func Compute(ctx context.Context, s *store.Store, q Query) (*Report, error) {
	q, err := q.Normalize(time.Now())
	if err != nil {
		return nil, err
	}
	if _, err := s.TrendRefresh(ctx); err != nil {
		return nil, err
	}
	c := &computation{q: q, win: WindowsFor(q), nWeeks: weekCount(q)}
	c.asOf = c.win.Current.To
	if q.Repo != "" {
		id, err := s.TrendRepositoryID(ctx, q.Repo)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("repository %q: not in the store", q.Repo)
		}
		if err != nil {
			return nil, fmt.Errorf("look up repository %q: %w", q.Repo, err)
		}
		c.repoID = &id
		c.repoIDs = []int64{id}
	}

	accs, err := c.read(ctx, s)
	if err != nil {
		return nil, err
	}
	c.index()
	c.group(accs)
	c.weekLayout()
	rows := c.score()

	// Regressions, judged per surviving cluster on all its reports.
	regressed := map[int64]regression{}
	if q.By != ByRepo {
		if regressed, err = findRegressions(ctx, s, c.clusters, c.survivor, c.win, c.regressionCandidates(accs)); err != nil {
			return nil, err
		}
	}
	rows = c.list(rows, regressed)
	adjustQ(rows)
	lastBefore, err := c.lastBefore(ctx, s, rows)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		r := &rows[i]
		r.LastBefore = lastBefore[r.Key]
		decide(r, q, c.win, len(c.baseWeeks), c.regressionsOf(r.Key, regressed), false)
	}

	rows = sortRows(rows)
	rep := &Report{Query: q, Windows: c.win, Groups: len(rows), Weeks: c.weeks}
	if q.Top > 0 && len(rows) > q.Top {
		rows = rows[:q.Top]
	}
	// Reasons and weekly series only for the rows kept.
	for i := range rows {
		r := &rows[i]
		decide(r, q, c.win, len(c.baseWeeks), c.regressionsOf(r.Key, regressed), true)
		g := c.groups[r.Key]
		r.Weekly = make([]WeekCount, c.nWeeks)
		for k := 0; k < c.nWeeks; k++ {
			w := c.weeks[c.nWeeks-1-k]
			r.Weekly[c.nWeeks-1-k] = WeekCount{Start: w, Current: w >= c.win.Current.From, Counts: g.weeks[k]}
		}
	}
	rep.Rows = rows
	return rep, nil
}

// read reads the clusters, the data start and the daily rows at once: the
// day range is scanned in two halves on two connections, each summed into
// its own accumulator, then merged. It sets c.clusters, c.repoNames and
// the data start of c.win, and returns the summed counts.
func (c *computation) read(ctx context.Context, s *store.Store) ([]*acc, error) {
	q := c.q
	byRepoCounts := q.By == ByRepo || q.Repo != ""
	var (
		dataStart time.Time
		noData    bool
	)
	from := c.asOf.AddDays(-7*c.nWeeks + 1)
	mid := c.asOf.AddDays(-7 * (c.nWeeks / 2))
	parts := []*accumulator{newAccumulator(c.nWeeks, q), newAccumulator(c.nWeeks, q)}
	ranges := [][2]Day{{from, mid}, {mid.AddDays(1), c.asOf}}
	eg, ectx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		var err error
		c.clusters, err = s.TrendClusterList(ectx)
		return err
	})
	eg.Go(func() error {
		ds, err := s.TrendDataStart(ectx, byRepoCounts)
		switch {
		case errors.Is(err, store.ErrNotFound):
			noData, err = true, nil
		case err != nil:
			return err
		default:
			dataStart = ds
		}
		if q.By == ByRepo {
			c.repoNames, err = s.TrendRepositoryNames(ectx)
		}
		return err
	})
	for i := range parts {
		part, rg := parts[i], ranges[i]
		eg.Go(func() error {
			return s.TrendDailyScan(ectx, store.TrendDailyParams{
				From: rg[0].Time(), To: rg[1].Time(), Anchor: c.asOf.Time(), ByRepo: byRepoCounts, RepositoryID: c.repoID,
			}, part.add)
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	if !noData {
		c.win.DataStart = DayOf(dataStart)
	}
	if c.win.DataStart != 0 && c.win.DataStart > c.win.Baseline.From {
		c.win.BaselineDays = max(0, c.win.Baseline.To.Sub(c.win.DataStart)+1)
	}
	return parts[0].merge(parts[1]), nil
}

// index builds the cluster look-ups: by id, and each cluster's survivor.
func (c *computation) index() {
	c.byID = make(map[int64]*store.TrendCluster, len(c.clusters))
	for i := range c.clusters {
		c.byID[c.clusters[i].ID] = &c.clusters[i]
	}
	c.survivor = resolveSurvivors(c.clusters)
}

// keep reports whether a surviving cluster passes the query's filters.
func (c *computation) keep(sc *store.TrendCluster) bool {
	q := c.q
	if sc == nil || sc.Status == "dissolved" {
		return false
	}
	if q.Topic != "" && sc.Topic != q.Topic {
		return false
	}
	if q.Category != "" && sc.Category != q.Category {
		return false
	}
	if q.Tool != "" && !contains(sc.Tools, q.Tool) {
		return false
	}
	return true
}

// groupFor returns the group of key, made with label if new.
func (c *computation) groupFor(key, label string) *group {
	g := c.groups[key]
	if g == nil {
		g = &group{key: key, label: label, weeks: make([]Counts, c.nWeeks), windows: make([]Counts, c.q.Baselines+1)}
		c.groups[key] = g
	}
	return g
}

// keysOf returns the keys of the groups a surviving cluster's counts (in
// repository repoID) go to.
func (c *computation) keysOf(sc *store.TrendCluster, repoID int64) []string {
	switch c.q.By {
	case ByTopic:
		return []string{orNone(sc.Topic)}
	case ByCategory:
		return []string{orNone(sc.Category)}
	case ByTool:
		if len(sc.Tools) == 0 {
			return []string{NoneKey}
		}
		return sc.Tools
	case ByRepo:
		if n, ok := c.repoNames[repoID]; ok {
			return []string{n}
		}
		return []string{fmt.Sprintf("repository %d", repoID)}
	default:
		return []string{sc.Slug}
	}
}

// addMember records that cluster raw, which survives as sc, belongs to g.
func (c *computation) addMember(g *group, raw int64, sc *store.TrendCluster) {
	g.raws = append(g.raws, raw)
	g.survivors = append(g.survivors, sc.ID)
	if c.q.By == ByCluster {
		g.label, g.clusterID, g.topic, g.category = sc.Title, sc.ID, sc.Topic, sc.Category
	}
}

// group sums the counts into c.groups by the query's grouping, leaving
// out clusters the filters reject.
func (c *computation) group(accs []*acc) {
	q := c.q
	c.groups = map[string]*group{}
	for _, a := range accs {
		sc := c.byID[c.survivor[a.cluster]]
		if !c.keep(sc) {
			continue
		}
		for _, k := range c.keysOf(sc, a.repo) {
			g := c.groupFor(k, k)
			c.addMember(g, a.cluster, sc)
			for i := range a.weeks {
				g.weeks[i].add(a.weeks[i])
			}
			for i := range a.windows {
				g.windows[i].add(a.windows[i])
			}
		}
	}
	// Chart callers want every cluster, even those without counts.
	if q.MinCount == -1 && q.By == ByCluster && c.repoID == nil {
		for i := range c.clusters {
			cl := &c.clusters[i]
			sc := c.byID[c.survivor[cl.ID]]
			if !c.keep(sc) {
				continue
			}
			g := c.groupFor(sc.Slug, sc.Title)
			c.addMember(g, cl.ID, sc)
		}
	}
	// Merged clusters that had no counts still belong to their survivor.
	if q.By == ByCluster {
		for i := range c.clusters {
			cl := &c.clusters[i]
			sc := c.byID[c.survivor[cl.ID]]
			if g := c.groups[keyOrEmpty(sc)]; g != nil && sc.ID != cl.ID && c.keep(sc) {
				g.raws = append(g.raws, cl.ID)
			}
		}
	}
}

// weekLayout sets the start of each week shown and the baseline weeks
// usable for the escalation ceiling: whole weeks inside the baseline, on
// or after the data start.
func (c *computation) weekLayout() {
	c.weeks = make([]Day, c.nWeeks)
	for k := 0; k < c.nWeeks; k++ {
		c.weeks[c.nWeeks-1-k] = c.asOf.AddDays(-7*k - 6)
	}
	c.baseWeeks = nil
	for k := 0; k < c.nWeeks; k++ {
		start, end := c.asOf.AddDays(-7*k-6), c.asOf.AddDays(-7*k)
		if start >= c.win.Baseline.From && end <= c.win.Baseline.To && (c.win.DataStart == 0 || start >= c.win.DataStart) {
			c.baseWeeks = append(c.baseWeeks, k)
		}
	}
}

// score makes one row per group with its counts, ratio, change, p-values
// and escalation ceiling; it needs no database.
func (c *computation) score() []Row {
	q := c.q
	rows := make([]Row, 0, len(c.groups))
	t1 := float64(q.WindowDays)
	t0 := float64(c.win.BaselineDays)
	for key, g := range c.groups {
		g.raws, g.survivors = sortedSet(g.raws), sortedSet(g.survivors)
		r := Row{Key: key, Label: g.label, ClusterID: g.clusterID, Topic: g.topic, Category: g.category, Clusters: len(g.survivors)}
		r.Current = g.windows[0]
		for _, w := range g.windows[1:] {
			r.Baseline.add(w)
		}
		r.Count = r.Current.Of(q.Signal)
		r.BaselineCount = r.Baseline.Of(q.Signal)
		if t0 > 0 {
			r.BaselinePerWindow = float64(r.BaselineCount) * t1 / t0
			if r.BaselineCount > 0 {
				ch := (float64(r.Count)/t1)/(float64(r.BaselineCount)/t0) - 1
				r.Change = &ch
			}
		}
		r.Ratio = smoothedRatio(r.Count, t1, r.BaselineCount, t0)
		r.PUp, r.PDown = rateTest(r.Count, t1, r.BaselineCount, t0)
		r.LastWeek = g.weeks[0].Of(q.Signal)
		bw := make([]int, len(c.baseWeeks))
		for i, k := range c.baseWeeks {
			bw[i] = g.weeks[k].Of(q.Signal)
		}
		r.Ceiling = escalationCeiling(bw)
		r.PWeek, _ = rateTest(r.LastWeek, 7, r.BaselineCount, t0)
		if q.By == ByCluster {
			for _, raw := range g.raws {
				if raw != g.clusterID {
					r.MergedIDs = append(r.MergedIDs, raw)
				}
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// regressionCandidates returns the surviving clusters with reports in the
// current window: only they can have regressed.
func (c *computation) regressionCandidates(accs []*acc) map[int64]bool {
	cand := map[int64]bool{}
	for _, a := range accs {
		if a.windows[0].Reports > 0 {
			cand[c.survivor[a.cluster]] = true
		}
	}
	return cand
}

// list keeps the rows with enough of the signal now or before, or a
// regression; it reuses rows' array.
func (c *computation) list(rows []Row, regressed map[int64]regression) []Row {
	q := c.q
	listed := rows[:0]
	for _, r := range rows {
		reg := false
		for _, id := range c.groups[r.Key].survivors {
			if _, ok := regressed[id]; ok {
				reg = true
			}
		}
		if q.MinCount == -1 || reg || r.Count >= q.MinCount || r.BaselinePerWindow >= float64(q.MinCount) {
			listed = append(listed, r)
		}
	}
	return listed
}

// adjustQ fills in the rows' q-values from their p-values
// (Benjamini-Hochberg over the rows listed).
func adjustQ(rows []Row) {
	ups := make([]float64, len(rows))
	downs := make([]float64, len(rows))
	wks := make([]float64, len(rows))
	for i, r := range rows {
		ups[i], downs[i], wks[i] = r.PUp, r.PDown, r.PWeek
	}
	qu, qd, qw := bhAdjust(ups), bhAdjust(downs), bhAdjust(wks)
	for i := range rows {
		rows[i].QUp, rows[i].QDown, rows[i].QWeek = qu[i], qd[i], qw[i]
	}
}

// lastBefore returns, by row key, the day of the last report before the
// window for rows without baseline reports.
func (c *computation) lastBefore(ctx context.Context, s *store.Store, rows []Row) (map[string]Day, error) {
	q := c.q
	var candRaw, candRepo []int64
	for _, r := range rows {
		if r.Baseline.Reports > 0 {
			continue
		}
		if q.By == ByRepo {
			for id, n := range c.repoNames {
				if n == r.Key {
					candRepo = append(candRepo, id)
				}
			}
			continue
		}
		candRaw = append(candRaw, c.groups[r.Key].raws...)
	}
	lastBefore := map[string]Day{}
	if len(candRaw) == 0 && len(candRepo) == 0 {
		return lastBefore, nil
	}
	p := store.TrendLastBeforeParams{Before: c.win.Current.From.Time(), RepositoryIDs: c.repoIDs}
	if q.By == ByRepo {
		p.ByRepo, p.RepositoryIDs = true, candRepo
		if q.Topic != "" || q.Category != "" || q.Tool != "" {
			for i := range c.clusters {
				if c.keep(c.byID[c.survivor[c.clusters[i].ID]]) {
					p.ClusterIDs = append(p.ClusterIDs, c.clusters[i].ID)
				}
			}
			if p.ClusterIDs == nil {
				p.ClusterIDs = []int64{}
			}
		}
	} else {
		p.ClusterIDs = candRaw
	}
	last, err := s.TrendLastBefore(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.Baseline.Reports > 0 {
			continue
		}
		var best Day
		if q.By == ByRepo {
			for id, n := range c.repoNames {
				if n == r.Key {
					if t, ok := last[id]; ok && DayOf(t) > best {
						best = DayOf(t)
					}
				}
			}
		} else {
			for _, raw := range c.groups[r.Key].raws {
				if t, ok := last[raw]; ok && DayOf(t) > best {
					best = DayOf(t)
				}
			}
		}
		lastBefore[r.Key] = best
	}
	return lastBefore, nil
}

// regressionsOf returns the regressions of the group with key, by cluster.
func (c *computation) regressionsOf(key string, regressed map[int64]regression) []regression {
	var regs []regression
	for _, id := range c.groups[key].survivors {
		if rg, ok := regressed[id]; ok {
			regs = append(regs, rg)
		}
	}
	sort.Slice(regs, func(a, b int) bool { return regs[a].clusterID < regs[b].clusterID })
	return regs
}

// sortRows returns rows in report order: by state (growth first), then
// by count and ratio (descending), then by key. Keys are unique, so the
// order is total and an unstable sort of indexes (cheaper than moving
// rows) is deterministic.
func sortRows(rows []Row) []Row {
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := &rows[i], &rows[j]
		if ra, rb := rank(a.State), rank(b.State); ra != rb {
			return cmp.Compare(ra, rb)
		}
		if a.Count != b.Count {
			return cmp.Compare(b.Count, a.Count)
		}
		if a.Ratio != b.Ratio {
			return cmp.Compare(b.Ratio, a.Ratio)
		}
		return strings.Compare(a.Key, b.Key)
	})
	sorted := make([]Row, len(rows))
	for i, o := range order {
		sorted[i] = rows[o]
	}
	return sorted
}

// rank orders states in a report: growth first.
func rank(s State) int {
	switch s {
	case StateEscalating:
		return 0
	case StateRegressed:
		return 1
	case StateNew:
		return 2
	case StateRising:
		return 3
	case StateStable:
		return 4
	}
	return 5
}

type regression struct {
	clusterID int64
	slug      string
	fixedAt   time.Time
	inWindow  int
}

// findRegressions returns the surviving clusters whose latest full fix
// (before the end of the current window) was followed by reports, the
// first of them inside the current window.
func findRegressions(ctx context.Context, s *store.Store, clusters []store.TrendCluster, survivor map[int64]int64, win Windows, candidates map[int64]bool) (map[int64]regression, error) {
	out := map[int64]regression{}
	if len(candidates) == 0 {
		return out, nil
	}
	fixes, err := s.TrendFixes(ctx, win.Current.To.AddDays(1).Time())
	if err != nil {
		return nil, err
	}
	fixOf := map[int64]time.Time{}
	for _, f := range fixes {
		if candidates[f.ClusterID] {
			fixOf[f.ClusterID] = f.FixedAt
		}
	}
	if len(fixOf) == 0 {
		return out, nil
	}
	slugs := map[int64]string{}
	var p store.TrendAfterFixParams
	for _, c := range clusters {
		slugs[c.ID] = c.Slug
		sv := survivor[c.ID]
		if f, ok := fixOf[sv]; ok {
			p.ClusterIDs = append(p.ClusterIDs, c.ID)
			p.Groups = append(p.Groups, sv)
			p.FixDays = append(p.FixDays, f)
		}
	}
	p.WindowStart, p.To = win.Current.From.Time(), win.Current.To.Time()
	after, err := s.TrendAfterFixCounts(ctx, p)
	if err != nil {
		return nil, err
	}
	for id, a := range after {
		if a.InWindow > 0 && a.BeforeWindow == 0 {
			out[id] = regression{clusterID: id, slug: slugs[id], fixedAt: fixOf[id], inWindow: a.InWindow}
		}
	}
	return out, nil
}

// decide sets the state of r and, when explain is set, its reason (the
// reasons are only written for the rows a report keeps).
func decide(r *Row, q Query, win Windows, baseWeeks int, regs []regression, explain bool) {
	sig := string(q.Signal)
	mc := max(q.MinCount, 0)
	t0 := win.BaselineDays
	cmp := func() string {
		return fmt.Sprintf("%d %s in %s..%s vs %s per %d days before", r.Count, plural(r.Count, sig), win.Current.From, win.Current.To, fmtF(r.BaselinePerWindow), q.WindowDays)
	}
	test := func() string { return fmt.Sprintf("ratio %s, %s, %s", fmtF(r.Ratio), eqP("p", r.PUp), eqP("q", r.QUp)) }
	escalating := r.Ceiling > 0 && float64(r.LastWeek) > r.Ceiling && r.LastWeek >= mc && r.QWeek < q.Alpha
	rising := r.QUp < q.Alpha && r.Ratio >= RisingRatio && r.Count >= mc
	also := func() string {
		switch {
		case escalating:
			return "; also escalating: " + fmt.Sprintf("%d in the last 7 days, above the ceiling of %s", r.LastWeek, fmtF(r.Ceiling))
		case rising:
			return "; also rising: " + test()
		}
		return ""
	}
	say := func(f func() string) {
		if explain {
			r.Reason = f()
		}
	}
	switch {
	case t0 == 0 && r.Count > 0:
		r.State = StateNew
		say(func() string {
			if win.DataStart == 0 {
				return fmt.Sprintf("%d %s in %s..%s; no earlier data to compare with", r.Count, plural(r.Count, sig), win.Current.From, win.Current.To)
			}
			return fmt.Sprintf("%d %s in %s..%s; the store has no data before %s to compare with", r.Count, plural(r.Count, sig), win.Current.From, win.Current.To, win.DataStart)
		})
	case r.Baseline.Reports == 0 && r.LastBefore == 0 && r.Current.Reports > 0 && r.Count >= mc:
		r.State = StateNew
		say(func() string {
			return fmt.Sprintf("first reports: %d %s in %s..%s, none before", r.Count, plural(r.Count, sig), win.Current.From, win.Current.To)
		})
	case len(regs) > 0:
		r.State = StateRegressed
		rg := regs[0]
		r.FixedAt = &rg.fixedAt
		total := 0
		for _, x := range regs {
			total += x.inWindow
		}
		r.AfterFix = total
		say(func() string {
			if len(regs) == 1 {
				who := "all earlier reports"
				if q.By != ByCluster {
					who = "all earlier reports of " + rg.slug
				}
				return fmt.Sprintf("%s were closed by %s, the last as fixed; %d new since, the first in this window%s",
					who, rg.fixedAt.UTC().Format(time.DateOnly), rg.inWindow, also())
			}
			return fmt.Sprintf("%d clusters came back after all their reports were closed as fixed (%d new reports, first of them in this window; e.g. %s, fixed %s)%s",
				len(regs), total, rg.slug, rg.fixedAt.UTC().Format(time.DateOnly), also())
		})
	case escalating:
		r.State = StateEscalating
		say(func() string {
			return fmt.Sprintf("%d %s in the last 7 days, above the ceiling of %s from %d baseline weeks; %s, %s (%s; %s)",
				r.LastWeek, plural(r.LastWeek, sig), fmtF(r.Ceiling), baseWeeks, eqP("p", r.PWeek), eqP("q", r.QWeek), cmp(), test())
		})
	case rising:
		r.State = StateRising
		say(func() string { return cmp() + ": " + test() + returning(r) })
	case r.QDown < q.Alpha && r.Ratio <= 1/RisingRatio:
		r.State = StateDeclining
		say(func() string {
			return fmt.Sprintf("%s: ratio %s, %s, %s", cmp(), fmtF(r.Ratio), eqP("p", r.PDown), eqP("q", r.QDown))
		})
	default:
		r.State = StateStable
		say(func() string {
			var s string
			switch {
			case r.Count < mc && r.Ratio >= RisingRatio:
				s = fmt.Sprintf("%s: below the minimum of %d to call a rise", cmp(), mc)
			case r.Ratio >= RisingRatio:
				s = fmt.Sprintf("%s: ratio %s is not significant (%s, %s)", cmp(), fmtF(r.Ratio), eqP("p", r.PUp), eqP("q", r.QUp))
			case r.Ratio <= 1/RisingRatio:
				s = fmt.Sprintf("%s: ratio %s, the drop is not significant (%s, %s)", cmp(), fmtF(r.Ratio), eqP("p", r.PDown), eqP("q", r.QDown))
			default:
				s = fmt.Sprintf("%s: ratio %s, within %s..%s", cmp(), fmtF(r.Ratio), fmtF(1/RisingRatio), fmtF(RisingRatio))
			}
			return s + returning(r)
		})
	}
}

// plural turns a signal name ("reports") singular for a count of one;
// "activity" has no plural.
func plural(n int, sig string) string {
	if n == 1 && strings.HasSuffix(sig, "s") {
		return strings.TrimSuffix(sig, "s")
	}
	return sig
}

func returning(r *Row) string {
	if r.Baseline.Reports == 0 && r.LastBefore != 0 && r.Current.Reports > 0 {
		return fmt.Sprintf("; back after none since %s", r.LastBefore)
	}
	return ""
}

// resolveSurvivors maps each cluster id to the cluster it finally merged
// into (at most 32 hops; a cycle resolves to where it stopped).
func resolveSurvivors(clusters []store.TrendCluster) map[int64]int64 {
	next := map[int64]int64{}
	for _, c := range clusters {
		if c.Status == "merged" && c.MergedInto != nil && *c.MergedInto != c.ID {
			next[c.ID] = *c.MergedInto
		}
	}
	out := make(map[int64]int64, len(clusters))
	for _, c := range clusters {
		cur := c.ID
		for hops := 0; hops < 32; hops++ {
			n, ok := next[cur]
			if !ok {
				break
			}
			cur = n
		}
		out[c.ID] = cur
	}
	return out
}

// sortedSet sorts ids and drops duplicates, in place.
func sortedSet(ids []int64) []int64 {
	slices.Sort(ids)
	return slices.Compact(ids)
}

func keyOrEmpty(c *store.TrendCluster) string {
	if c == nil {
		return ""
	}
	return c.Slug
}

func orNone(s string) string {
	if s == "" {
		return NoneKey
	}
	return s
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// fmtF formats a ratio or rate with two decimals, "inf" for infinities.
func fmtF(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return "n/a"
	}
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// fmtP formats a p- or q-value: three significant digits, "<0.0001" below.
func fmtP(v float64) string {
	if v < 0.0001 {
		return "<0.0001"
	}
	return fmt.Sprintf("%.3g", v)
}

// eqP is "name=v", or "name<0.0001".
func eqP(name string, v float64) string {
	s := fmtP(v)
	if strings.HasPrefix(s, "<") {
		return name + s
	}
	return name + "=" + s
}

// DecidingQ returns the adjusted p-value of the test behind the row's
// state: the last-week test for Escalating, the downward test for
// Declining, the upward test otherwise.
func (r *Row) DecidingQ() float64 {
	switch r.State {
	case StateEscalating:
		return r.QWeek
	case StateDeclining:
		return r.QDown
	}
	return r.QUp
}
