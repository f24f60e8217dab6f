package ingest

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// seedBig fills repo with n issues (every fifth a pull request), each with
// i%4 comments, one minute apart.
func seedBig(fake *githubfake.Server, repo string, n int) {
	for i := 0; i < n; i++ {
		is := fake.AddIssue(repo, githubfake.NewIssue{Title: fmt.Sprintf("error %d: cannot open file", i),
			Body: "stack trace here", IsPR: i%5 == 4, Closed: i%3 == 0, Labels: []string{"bug"}})
		for j := 0; j < i%4; j++ {
			fake.Advance(time.Second)
			fake.AddComment(repo, is.Number, "", fmt.Sprintf("same here %d/%d", i, j), time.Time{})
		}
		fake.Advance(time.Minute)
	}
}

type snapIssue struct {
	Repo     string
	Number   int
	PR       bool
	State    string
	Title    string
	Updated  time.Time
	Comments int
	Gone     string
}

type snapComment struct {
	Repo    string
	Number  int
	ID      int64
	Body    string
	Updated time.Time
}

type snapshot struct {
	Issues   []snapIssue
	Comments []snapComment
}

func takeSnapshot(t *testing.T, st *store.Store) snapshot {
	t.Helper()
	ctx := context.Background()
	var s snapshot
	rows, err := storetest.Pool(st).Query(ctx, `SELECT r.full_name, i.number, i.is_pull_request, i.state, i.title, i.updated_at,
		i.comment_count, COALESCE(i.gone_reason, '') FROM issues i JOIN repositories r ON r.id = i.repository_id ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var x snapIssue
		if err := rows.Scan(&x.Repo, &x.Number, &x.PR, &x.State, &x.Title, &x.Updated, &x.Comments, &x.Gone); err != nil {
			t.Fatal(err)
		}
		x.Updated = x.Updated.UTC()
		s.Issues = append(s.Issues, x)
	}
	rows.Close()
	rows, err = storetest.Pool(st).Query(ctx, `SELECT r.full_name, i.number, c.github_id, c.body, c.updated_at
		FROM comments c JOIN issues i ON i.id = c.issue_id JOIN repositories r ON r.id = i.repository_id ORDER BY 3`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var x snapComment
		if err := rows.Scan(&x.Repo, &x.Number, &x.ID, &x.Body, &x.Updated); err != nil {
			t.Fatal(err)
		}
		x.Updated = x.Updated.UTC()
		s.Comments = append(s.Comments, x)
	}
	rows.Close()
	return s
}

// expected is what a complete sync of repo must store.
func expected(fake *githubfake.Server, repo string, prs bool) snapshot {
	var s snapshot
	keep := map[int]bool{}
	for _, is := range fake.Issues(repo) {
		if is.IsPR && !prs {
			continue
		}
		keep[is.Number] = true
		s.Issues = append(s.Issues, snapIssue{Repo: repo, Number: is.Number, PR: is.IsPR, State: is.State, Title: is.Title,
			Updated: is.UpdatedAt, Comments: is.Comments})
	}
	for _, c := range fake.Comments(repo) {
		if keep[c.Issue] {
			s.Comments = append(s.Comments, snapComment{Repo: repo, Number: c.Issue, ID: c.ID, Body: c.Body, Updated: c.UpdatedAt})
		}
	}
	return s
}

func diffSnap(t *testing.T, what string, got, want snapshot) {
	t.Helper()
	if len(got.Issues) != len(want.Issues) || len(got.Comments) != len(want.Comments) {
		t.Fatalf("%s: %d issues, %d comments; want %d and %d", what, len(got.Issues), len(got.Comments), len(want.Issues), len(want.Comments))
	}
	for i := range got.Issues {
		if got.Issues[i] != want.Issues[i] {
			t.Fatalf("%s: issue %d = %+v, want %+v", what, i, got.Issues[i], want.Issues[i])
		}
	}
	for i := range got.Comments {
		if got.Comments[i] != want.Comments[i] {
			t.Fatalf("%s: comment %d = %+v, want %+v", what, i, got.Comments[i], want.Comments[i])
		}
	}
}

func newSyncer(t *testing.T, fake *githubfake.Server, st *store.Store, lim Limits, o Options) *Syncer {
	t.Helper()
	c, err := NewClient(ClientOptions{APIURL: fake.APIURL(), Token: "t0ken", Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	return NewSyncer(c, st, o)
}

func mustOK(t *testing.T, sums []Summary) {
	t.Helper()
	for _, s := range sums {
		if s.Status != "ok" {
			t.Fatalf("%s: status %s: %s", s.Source, s.Status, s.Message)
		}
	}
}

func TestSyncRepository(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{Prefix: "/api/v3"})
	defer fake.Close()
	seedBig(fake, "acme/widget", 260)
	st := storetest.New(t)
	src := []Source{{Kind: "repo", Key: "acme/widget"}}

	sums := newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, src)
	mustOK(t, sums)
	diffSnap(t, "first sync", takeSnapshot(t, st), expected(fake, "acme/widget", false))
	if sums[0].PRsSkipped == 0 || sums[0].PullRequests != 0 {
		t.Errorf("pull requests skipped %d, stored %d; want some skipped and none stored", sums[0].PRsSkipped, sums[0].PullRequests)
	}
	if sums[0].Issues.Inserted != 208 {
		t.Errorf("issues inserted = %d, want 208", sums[0].Issues.Inserted)
	}

	// Nothing changed: one request per stream, both 304.
	fake.ResetStats()
	sums = newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, src)
	mustOK(t, sums)
	if sums[0].Requests != 2 || sums[0].NotModified != 2 {
		t.Errorf("no-change re-sync: %d requests, %d not modified; want 2 and 2", sums[0].Requests, sums[0].NotModified)
	}
	if fs := fake.Stats(); fs.Requests != 2 || fs.NotModified != 2 {
		t.Errorf("fake saw %d requests, %d 304", fs.Requests, fs.NotModified)
	}

	// Changes: a new issue with a comment, an edited comment, a closed issue.
	fake.Advance(time.Hour)
	is := fake.AddIssue("acme/widget", githubfake.NewIssue{Title: "new crash"})
	fake.AddComment("acme/widget", is.Number, "", "me too", time.Time{})
	fake.Advance(time.Minute)
	fake.EditComment("acme/widget", fake.Comments("acme/widget")[0].ID, "edited text")
	fake.UpdateIssue("acme/widget", 2, func(i *githubfake.Issue) { i.State = "closed" })
	sums = newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, src)
	mustOK(t, sums)
	diffSnap(t, "incremental", takeSnapshot(t, st), expected(fake, "acme/widget", false))
	if sums[0].Issues.Inserted != 1 || sums[0].Issues.Updated != 1 || sums[0].Comments.Inserted != 1 || sums[0].Comments.Updated != 1 {
		t.Errorf("incremental counts: issues %+v comments %+v", sums[0].Issues, sums[0].Comments)
	}
	if sums[0].Requests > 4 {
		t.Errorf("incremental sync used %d requests, want at most 4", sums[0].Requests)
	}
	// The run is recorded.
	row, err := st.SyncSourceEnsure(ctx, "repo", "acme/widget")
	if err != nil {
		t.Fatal(err)
	}
	last, err := st.SyncRunLast(ctx, row.ID)
	if err != nil || last.Status != "ok" || last.IssuesNew != 1 || last.CommentsUpdated != 1 {
		t.Errorf("last run %+v, %v", last, err)
	}
}

func TestSyncPullRequestsKeptApart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedBig(fake, "o/r", 40)
	st := storetest.New(t)
	// First without pull requests, then the source turns them on.
	mustOK(t, newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, []Source{{Kind: "repo", Key: "o/r"}}))
	diffSnap(t, "without PRs", takeSnapshot(t, st), expected(fake, "o/r", false))
	sums := newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, []Source{{Kind: "repo", Key: "o/r", IncludePullRequests: true}})
	mustOK(t, sums)
	diffSnap(t, "with PRs", takeSnapshot(t, st), expected(fake, "o/r", true))
	if sums[0].PullRequests != 8 {
		t.Errorf("pull requests stored = %d, want 8", sums[0].PullRequests)
	}
	c, err := st.CountsGet(ctx)
	if err != nil || c.PullRequests != 8 || c.Issues != 32 {
		t.Errorf("counts %+v %v", c, err)
	}
}

func TestSyncSinceBoundsFirstSync(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedBig(fake, "o/r", 30)
	cut := fake.Issues("o/r")[20].UpdatedAt
	st := storetest.New(t)
	mustOK(t, newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, []Source{{Kind: "repo", Key: "o/r", Since: cut}}))
	got := takeSnapshot(t, st)
	for _, is := range got.Issues {
		if is.Updated.Before(cut) {
			t.Errorf("issue %d updated %s is before --since %s", is.Number, is.Updated, cut)
		}
	}
	if len(got.Issues) == 0 || len(got.Issues) >= 24 {
		t.Errorf("%d issues stored", len(got.Issues))
	}
}

// TestSyncKilledMidwayResumes kills syncs at several points (context
// cancelled from the fake while a page is in flight, and a graceful stop)
// and shows that a rerun ends with exactly the data of an uninterrupted
// sync.
func TestSyncKilledMidwayResumes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedBig(fake, "o/r", 450)
	src := []Source{{Kind: "repo", Key: "o/r"}}

	ref := storetest.New(t)
	mustOK(t, newSyncer(t, fake, ref, fastLimits(), Options{Overlap: time.Minute}).runAll(ctx, src))
	want := takeSnapshot(t, ref)
	diffSnap(t, "reference", want, expected(fake, "o/r", false))

	for _, killAt := range []int{2, 4, 9} {
		t.Run(fmt.Sprintf("cancel at request %d", killAt), func(t *testing.T) {
			st := storetest.New(t)
			kctx, cancel := context.WithCancel(ctx)
			var n atomic.Int64
			fake2 := githubfake.New(githubfake.Options{})
			defer fake2.Close()
			seedBig(fake2, "o/r", 450)
			fake2.OnRequest(func(*http.Request) {
				if n.Add(1) == int64(killAt) {
					cancel()
				}
			})
			sums := newSyncer(t, fake2, st, fastLimits(), Options{Overlap: time.Minute}).runAll(kctx, src)
			if sums[0].Status != "interrupted" {
				t.Fatalf("status %s (%s), want interrupted", sums[0].Status, sums[0].Message)
			}
			mid := takeSnapshot(t, st)
			if len(mid.Issues)+len(mid.Comments) >= len(want.Issues)+len(want.Comments) {
				t.Fatalf("killed sync stored everything already (%d issues, %d comments)", len(mid.Issues), len(mid.Comments))
			}
			fake2.OnRequest(nil)
			mustOK(t, newSyncer(t, fake2, st, fastLimits(), Options{Overlap: time.Minute}).runAll(ctx, src))
			diffSnap(t, "after rerun", takeSnapshot(t, st), want)
		})
	}
	t.Run("graceful stop", func(t *testing.T) {
		st := storetest.New(t)
		stop := make(chan struct{})
		var once sync.Once
		var pages atomic.Int64
		o := Options{Overlap: time.Minute, Progress: func(e Event) {
			if e.Pages > 0 && pages.Add(1) == 3 {
				once.Do(func() { close(stop) })
			}
		}}
		sums := newSyncer(t, fake, st, fastLimits(), o).runAll(WithStop(ctx, stop), src)
		if sums[0].Status != "interrupted" || sums[0].Pages != 3 {
			t.Fatalf("status %s after %d pages, want interrupted after 3", sums[0].Status, sums[0].Pages)
		}
		// Three pages of 100 (a fifth of them pull requests, and the
		// boundary item of each page asked for again) hold 236-240 issues.
		if got := takeSnapshot(t, st); len(got.Issues) < 236 || len(got.Issues) > 240 || len(got.Comments) != 0 {
			t.Errorf("stopped after 3 pages with %d issues and %d comments stored", len(got.Issues), len(got.Comments))
		}
		mustOK(t, newSyncer(t, fake, st, fastLimits(), Options{Overlap: time.Minute}).runAll(ctx, src))
		diffSnap(t, "after rerun", takeSnapshot(t, st), want)
	})
}

// TestSyncSurvivesFaults injects every kind of failure GitHub produces and
// shows the same final data as a clean sync.
func TestSyncSurvivesFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{PrimaryStatus: http.StatusTooManyRequests})
	defer fake.Close()
	seedBig(fake, "o/r", 320)
	want := expected(fake, "o/r", false)
	st := storetest.New(t)
	faults := []githubfake.Fault{
		{PathContains: "/issues?", Status: 502, Count: 2},
		{PathContains: "/issues?", Status: 403, Secondary: true, RetryAfter: 1},
		{PathContains: "/issues?", Status: 429},
		{PathContains: "/issues?", Status: 403, Secondary: true},
		{PathContains: "/issues?", Drop: true},
		{PathContains: "/comments", Status: 503},
		{PathContains: "/comments", Drop: true, Count: 2},
		{PathContains: "/comments", Status: 429, RetryAfter: 1},
		{PathContains: "/comments", Status: 429, Primary: true, ResetIn: time.Second},
		{PathContains: "/comments", Status: 500},
	}
	for _, f := range faults {
		fake.Inject(f)
	}
	sums := newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, []Source{{Kind: "repo", Key: "o/r"}})
	mustOK(t, sums)
	diffSnap(t, "with faults", takeSnapshot(t, st), want)
	if sums[0].Waited < 2*time.Second {
		t.Errorf("waited %s, want the Retry-After and reset waits (>= 2s)", sums[0].Waited)
	}
}

func TestSyncMaxWaitStopsCleanly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedBig(fake, "o/r", 250)
	want := expected(fake, "o/r", false)
	st := storetest.New(t)
	var n atomic.Int64
	fake.OnRequest(func(*http.Request) {
		if n.Add(1) == 2 {
			fake.Inject(githubfake.Fault{Status: 403, Primary: true, ResetIn: time.Hour})
		}
	})
	lim := fastLimits()
	lim.MaxWait = time.Second
	sums := newSyncer(t, fake, st, lim, Options{}).runAll(ctx, []Source{{Kind: "repo", Key: "o/r"}, {Kind: "repo", Key: "o/other"}})
	if sums[0].Status != "partial" || !strings.Contains(sums[0].Message, "max-wait") {
		t.Fatalf("status %s %q, want partial with a max-wait message", sums[0].Status, sums[0].Message)
	}
	// The client remembers the spent budget: the second source stops at
	// once, without a request.
	if sums[1].Status != StatusPartial || sums[1].Requests != 0 {
		t.Errorf("second source %s after %d requests, want partial after none", sums[1].Status, sums[1].Requests)
	}
	if got := takeSnapshot(t, st); len(got.Issues) == 0 || len(got.Issues) >= len(want.Issues) {
		t.Errorf("partial sync stored %d issues", len(got.Issues))
	}
	fake.OnRequest(nil)
	mustOK(t, newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, []Source{{Kind: "repo", Key: "o/r"}}))
	diffSnap(t, "resumed", takeSnapshot(t, st), want)
}

func TestSyncGoneRepositoriesSkipped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedBig(fake, "o/r", 12)
	fake.SetRepoStatus("o/private", http.StatusForbidden)
	st := storetest.New(t)
	sums := newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, []Source{
		{Kind: "repo", Key: "o/missing"}, {Kind: "repo", Key: "o/private"}, {Kind: "repo", Key: "o/r"}})
	if sums[0].Status != "failed" || !strings.Contains(sums[0].Message, "not found") {
		t.Errorf("missing repo: %s %q", sums[0].Status, sums[0].Message)
	}
	if sums[1].Status != "failed" || !strings.Contains(sums[1].Message, "not accessible") {
		t.Errorf("forbidden repo: %s %q", sums[1].Status, sums[1].Message)
	}
	if sums[2].Status != "ok" {
		t.Errorf("good repo: %s %q", sums[2].Status, sums[2].Message)
	}
	diffSnap(t, "good repo", takeSnapshot(t, st), expected(fake, "o/r", false))
}

// TestSyncConcurrentRuns starts two syncs of the same source together: one
// holds the advisory lock, the other skips; the data and cursor are those
// of one clean sync.
func TestSyncConcurrentRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedBig(fake, "o/r", 300)
	st := storetest.New(t)
	fake.Inject(githubfake.Fault{Delay: 700 * time.Millisecond})
	// The second sync starts once the first has sent a request, that is,
	// holds the source's lock, and is held up by the delay.
	first := make(chan struct{})
	var once sync.Once
	fake.OnRequest(func(*http.Request) { once.Do(func() { close(first) }) })
	src := []Source{{Kind: "repo", Key: "o/r"}}
	var wg sync.WaitGroup
	res := make([][]Summary, 2)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 1 {
				<-first
			}
			res[i] = newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, src)
		}()
	}
	wg.Wait()
	fake.OnRequest(nil)
	statuses := []string{string(res[0][0].Status), string(res[1][0].Status)}
	sort.Strings(statuses)
	if statuses[0] != "ok" || statuses[1] != "skipped" {
		t.Fatalf("statuses %v, want one ok and one skipped", statuses)
	}
	diffSnap(t, "concurrent", takeSnapshot(t, st), expected(fake, "o/r", false))
	// The cursor is intact: a re-sync costs two 304s.
	sums := newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, src)
	if sums[0].Requests != 2 || sums[0].NotModified != 2 {
		t.Errorf("after concurrent runs: %d requests, %d 304s", sums[0].Requests, sums[0].NotModified)
	}
}

func TestSyncReconcile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedBig(fake, "o/r", 30)
	st := storetest.New(t)
	src := []Source{{Kind: "repo", Key: "o/r"}}
	mustOK(t, newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, src))
	var withComments int
	for _, is := range fake.Issues("o/r") {
		if !is.IsPR && is.Comments >= 2 && withComments == 0 {
			withComments = is.Number
		}
	}
	var victim int64
	for _, c := range fake.Comments("o/r") {
		if c.Issue == withComments {
			victim = c.ID
		}
	}
	fake.TransferIssue("o/r", 1, "o/elsewhere")
	fake.DeleteIssue("o/r", 2)
	fake.DeleteComment("o/r", victim)
	sums := newSyncer(t, fake, st, fastLimits(), Options{Reconcile: true}).runAll(ctx, src)
	mustOK(t, sums)
	if sums[0].Gone != 2 || sums[0].Repaired != 1 {
		t.Errorf("gone %d repaired %d, want 2 and 1", sums[0].Gone, sums[0].Repaired)
	}
	got := takeSnapshot(t, st)
	reasons := map[int]string{}
	for _, is := range got.Issues {
		reasons[is.Number] = is.Gone
	}
	if reasons[1] != "transferred to o/elsewhere#1" || reasons[2] != "deleted" || reasons[3] != "" {
		t.Errorf("gone reasons %q %q %q", reasons[1], reasons[2], reasons[3])
	}
	for _, c := range got.Comments {
		if c.ID == victim {
			t.Errorf("deleted comment %d still stored", victim)
		}
	}
	cs, err := st.IssueCommentCounts(ctx, "o/r")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if !c.Gone && c.Reported != c.Stored {
			t.Errorf("issue %d: GitHub says %d comments, store has %d", c.Number, c.Reported, c.Stored)
		}
	}
}

func TestSyncSearch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{SearchCap: 50})
	defer fake.Close()
	// 130 matching issues over two repositories (more than the cap of 50),
	// some non-matching ones and matching pull requests.
	for i := 0; i < 160; i++ {
		repo := []string{"a/one", "b/two"}[i%2]
		title := fmt.Sprintf("segfault in parser %d", i)
		if i%8 == 7 {
			title = fmt.Sprintf("docs typo %d", i)
		}
		is := fake.AddIssue(repo, githubfake.NewIssue{Title: title, IsPR: i%10 == 9})
		for j := 0; j < i%3; j++ {
			fake.Advance(time.Second)
			fake.AddComment(repo, is.Number, "", fmt.Sprintf("reply %d", j), time.Time{})
		}
		fake.Advance(time.Minute)
	}
	fake.Inject(githubfake.Fault{Incomplete: true, PathContains: "/search/"})
	st := storetest.New(t)
	src := []Source{{Kind: "search", Key: "segfault"}}
	fake.RecordPaths(true)
	sums := newSyncer(t, fake, st, fastLimits(), Options{PerPage: 20}).runAll(ctx, src)
	mustOK(t, sums)
	// Dozens of hits with comments per repository: the repository-wide
	// list is cheaper than one request per issue.
	repoWide, perIssueFirst := 0, 0
	for _, p := range fake.Stats().Paths {
		if strings.Contains(p, "/issues/comments?") {
			repoWide++
		} else if strings.Contains(p, "/comments") {
			perIssueFirst++
		}
		if strings.Contains(p, "/search/") && !strings.Contains(p, "advanced_search=true") {
			t.Errorf("search without advanced_search=true: %s", p)
		}
	}
	if repoWide == 0 || perIssueFirst != 0 {
		t.Errorf("first search sync: %d repository-wide and %d per-issue comment requests; want only repository-wide", repoWide, perIssueFirst)
	}
	fake.RecordPaths(false)
	fake.ResetStats()
	want := map[string]int{}
	wantComments := 0
	for _, repo := range []string{"a/one", "b/two"} {
		for _, is := range fake.Issues(repo) {
			if !is.IsPR && strings.Contains(is.Title, "segfault") {
				want[fmt.Sprintf("%s#%d", repo, is.Number)] = is.Comments
				wantComments += is.Comments
			}
		}
	}
	got := takeSnapshot(t, st)
	if len(got.Issues) != len(want) || len(want) <= 50 {
		t.Fatalf("stored %d issues, want %d (beyond the cap of 50)", len(got.Issues), len(want))
	}
	for _, is := range got.Issues {
		if _, ok := want[fmt.Sprintf("%s#%d", is.Repo, is.Number)]; !ok || is.PR {
			t.Errorf("unexpected %s#%d", is.Repo, is.Number)
		}
	}
	if len(got.Comments) != wantComments {
		t.Errorf("stored %d comments, want %d", len(got.Comments), wantComments)
	}
	// Unchanged: one search request, answered 304.
	sums = newSyncer(t, fake, st, fastLimits(), Options{PerPage: 20}).runAll(ctx, src)
	mustOK(t, sums)
	if sums[0].Requests != 1 || sums[0].NotModified != 1 {
		t.Errorf("no-change search re-sync: %d requests, %d 304s", sums[0].Requests, sums[0].NotModified)
	}
	// One new comment on a hit: fetched per issue (cheaper than the repo).
	fake.Advance(time.Hour)
	hit := fake.Issues("a/one")[0]
	fake.AddComment("a/one", hit.Number, "", "new reply", time.Time{})
	fake.RecordPaths(true)
	sums = newSyncer(t, fake, st, fastLimits(), Options{PerPage: 20}).runAll(ctx, src)
	mustOK(t, sums)
	if sums[0].Comments.Inserted != 1 {
		t.Errorf("new comment not stored: %+v", sums[0].Comments)
	}
	perIssue := false
	for _, p := range fake.Stats().Paths {
		if strings.Contains(p, fmt.Sprintf("/issues/%d/comments", hit.Number)) {
			perIssue = true
		}
		if strings.Contains(p, "/issues/comments") {
			t.Errorf("repository-wide comments fetched for one changed hit: %s", p)
		}
	}
	if !perIssue {
		t.Error("the changed hit's comments were not fetched per issue")
	}
}

// TestSyncCatchUpBeyondOnePage changes more than a page of issues and
// comments between runs: the probe cannot hold them all, so an ascending
// catch-up runs, and the run after it is two 304s again.
func TestSyncCatchUpBeyondOnePage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedBig(fake, "o/r", 300)
	st := storetest.New(t)
	src := []Source{{Kind: "repo", Key: "o/r"}}
	mustOK(t, newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, src))
	fake.Advance(time.Hour)
	for n := 1; n <= 260; n++ {
		fake.UpdateIssue("o/r", n, func(i *githubfake.Issue) { i.Title += " (edited)" })
		if n%2 == 0 {
			fake.AddComment("o/r", n, "", "follow-up", time.Time{})
		}
		fake.Advance(time.Second)
	}
	sums := newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, src)
	mustOK(t, sums)
	diffSnap(t, "catch-up", takeSnapshot(t, st), expected(fake, "o/r", false))
	if sums[0].Issues.Updated < 200 || sums[0].Comments.Inserted < 100 {
		t.Errorf("catch-up counts: issues %+v comments %+v", sums[0].Issues, sums[0].Comments)
	}
	sums = newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, src)
	if sums[0].Requests != 2 || sums[0].NotModified != 2 {
		t.Errorf("after catch-up: %d requests, %d 304s; want 2 and 2", sums[0].Requests, sums[0].NotModified)
	}
}

// TestSyncSearchBudget runs a search that needs more requests than the
// search budget allows per window: the client waits for the window's reset
// (from X-RateLimit-Reset) instead of failing.
func TestSyncSearchBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{SearchLimit: 2, SearchWindow: 1500 * time.Millisecond})
	defer fake.Close()
	for i := 0; i < 50; i++ {
		fake.AddIssue("o/r", githubfake.NewIssue{Title: fmt.Sprintf("deadlock detected %d", i)})
		fake.Advance(time.Minute)
	}
	st := storetest.New(t)
	sums := newSyncer(t, fake, st, fastLimits(), Options{PerPage: 10}).runAll(ctx, []Source{{Kind: "search", Key: "deadlock repo:o/r"}})
	mustOK(t, sums)
	if got := takeSnapshot(t, st); len(got.Issues) != 50 {
		t.Errorf("stored %d issues, want 50", len(got.Issues))
	}
	if sums[0].Waited == 0 {
		t.Error("never waited for the search budget")
	}
	if fs := fake.Stats(); fs.Status[403] > 1 {
		t.Errorf("%d requests hit the exhausted search limit", fs.Status[403])
	}
}

// TestSyncServerFailureMidway: GitHub keeps failing after a few pages, so
// the sync gives up (bounded retries) with the pages so far committed; a
// later run completes with exactly the data of a clean sync.
func TestSyncServerFailureMidway(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedBig(fake, "o/r", 350)
	want := expected(fake, "o/r", false)
	st := storetest.New(t)
	var n atomic.Int64
	fake.OnRequest(func(*http.Request) {
		if n.Add(1) == 3 {
			fake.Inject(githubfake.Fault{Status: 502, Count: 1000})
		}
	})
	sums := newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, []Source{{Kind: "repo", Key: "o/r"}})
	if sums[0].Status != "failed" || !strings.Contains(sums[0].Message, "giving up after 6 attempts") {
		t.Fatalf("status %s %q", sums[0].Status, sums[0].Message)
	}
	if got := takeSnapshot(t, st); len(got.Issues) == 0 || len(got.Issues) >= len(want.Issues) {
		t.Fatalf("failed sync stored %d issues", len(got.Issues))
	}
	fake.OnRequest(nil)
	fake.ClearFaults()
	mustOK(t, newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, []Source{{Kind: "repo", Key: "o/r"}}))
	diffSnap(t, "after recovery", takeSnapshot(t, st), want)
}

// TestSyncEmptyRepositoryThenBusy: a repository with no issues at the first
// sync, then more than a page of them.
func TestSyncEmptyRepositoryThenBusy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	fake.AddRepo("o/quiet")
	st := storetest.New(t)
	src := []Source{{Kind: "repo", Key: "o/quiet"}}
	mustOK(t, newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, src))
	seedBig(fake, "o/quiet", 230)
	mustOK(t, newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, src))
	diffSnap(t, "after the repository filled up", takeSnapshot(t, st), expected(fake, "o/quiet", false))
}

// TestSyncSearchCapWithinOneSecond: more hits than the cap share one
// updated second, so even the narrowest window cannot reach them all. The
// sync takes what the cap allows, says so, and moves on past that second.
func TestSyncSearchCapWithinOneSecond(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{SearchCap: 50})
	defer fake.Close()
	at := fake.Now()
	for i := 0; i < 60; i++ {
		fake.AddIssue("o/r", githubfake.NewIssue{Title: "oom killed", At: at})
	}
	fake.Advance(time.Hour)
	for i := 0; i < 5; i++ {
		fake.AddIssue("o/r", githubfake.NewIssue{Title: "oom killed later"})
		fake.Advance(time.Minute)
	}
	st := storetest.New(t)
	sums := newSyncer(t, fake, st, fastLimits(), Options{PerPage: 20, SearchResultCap: 50}).runAll(ctx, []Source{{Kind: "search", Key: "oom"}})
	mustOK(t, sums)
	if sums[0].Errors != 1 || !strings.Contains(sums[0].Message, "unreachable") {
		t.Errorf("errors %d message %q", sums[0].Errors, sums[0].Message)
	}
	// The oldest-first scan reaches 50 of the crowded second and the 5
	// later ones; the newest-first probe that ends the run reaches the
	// other end of the crowded second (its last 15), which here completes it.
	if got := takeSnapshot(t, st); len(got.Issues) != 65 {
		t.Errorf("stored %d issues, want 65", len(got.Issues))
	}
}

// TestSyncSmallerPagesOnPersistentFailure: GitHub answers 502 to every
// request for 100-item pages (as it does when big pages time out); the
// sync asks for smaller pages and completes.
func TestSyncSmallerPagesOnPersistentFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedBig(fake, "o/r", 120)
	fake.Inject(githubfake.Fault{PathContains: "direction=asc&per_page=100", Status: 502, Count: 1000})
	st := storetest.New(t)
	sums := newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, []Source{{Kind: "repo", Key: "o/r"}})
	mustOK(t, sums)
	diffSnap(t, "smaller pages", takeSnapshot(t, st), expected(fake, "o/r", false))
}

// TestSyncAgreesWithImport: issues imported from `gh api` output and then
// synced are not rewritten: both paths store the same row.
func TestSyncAgreesWithImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedBig(fake, "o/r", 40)
	st := storetest.New(t)
	resp, err := http.Get(fake.URL + "/repos/o/r/issues?state=all&per_page=100")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Import(ctx, st, resp.Body, "gh-api.json")
	resp.Body.Close()
	if err != nil || sum.Issues.Inserted != 32 || sum.PullRequests.Inserted != 8 {
		t.Fatalf("import: %+v %v", sum, err)
	}
	sums := newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, []Source{{Kind: "repo", Key: "o/r"}})
	mustOK(t, sums)
	if sums[0].Issues.Inserted != 0 || sums[0].Issues.Updated != 0 {
		t.Errorf("sync rewrote imported issues: %+v", sums[0].Issues)
	}
	// The import kept the pull requests (the sync source does not, and
	// leaves them alone); the comments came from the sync.
	want := expected(fake, "o/r", true)
	want.Comments = expected(fake, "o/r", false).Comments
	diffSnap(t, "import then sync", takeSnapshot(t, st), want)
}

// TestSyncSearchIncompleteKeepsFailing: a search that keeps answering
// incomplete_results stops the source as partial without moving its
// cursor; the next run, with GitHub well again, gets everything.
func TestSyncSearchIncompleteKeepsFailing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	for i := 0; i < 30; i++ {
		fake.AddIssue("o/r", githubfake.NewIssue{Title: fmt.Sprintf("stack overflow %d", i)})
		fake.Advance(time.Minute)
	}
	fake.Inject(githubfake.Fault{Incomplete: true, Count: 100})
	st := storetest.New(t)
	src := []Source{{Kind: "search", Key: "overflow"}}
	sums := newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, src)
	if sums[0].Status != "partial" || !strings.Contains(sums[0].Message, "incomplete_results") {
		t.Fatalf("status %s %q", sums[0].Status, sums[0].Message)
	}
	row, err := st.SyncSourceEnsure(ctx, "search", "overflow")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := DescribeState(row.State); err != nil || !v.IssuesCursor.IsZero() {
		t.Errorf("cursor moved to %v (%v) on incomplete results", v.IssuesCursor, err)
	}
	fake.ClearFaults()
	mustOK(t, newSyncer(t, fake, st, fastLimits(), Options{}).runAll(ctx, src))
	if got := takeSnapshot(t, st); len(got.Issues) != 30 {
		t.Errorf("stored %d issues, want 30", len(got.Issues))
	}
}
