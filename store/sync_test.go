package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

func syncIssue(n int, updated time.Time, title string) store.Issue {
	id := int64(9000 + n)
	raw, _ := json.Marshal(map[string]string{"title": title}) // a NUL becomes \u0000, as GitHub sends it
	return store.Issue{Repository: "Owner/Repo", Number: n, GitHubID: &id, State: "open", Title: title,
		Body: "body", Labels: []string{"bug", "p1"}, HTMLURL: "https://github.example/o/r/issues/1",
		CreatedAt: updated.Add(-time.Hour), UpdatedAt: updated, CommentCount: 1, Raw: raw}
}

func syncComment(n int, id int64, updated time.Time, body string) store.Comment {
	return store.Comment{Repository: "owner/repo", IssueNumber: n, SourceKey: "c" + string(rune('0'+id)), GitHubID: &id,
		Body: body, CreatedAt: updated, UpdatedAt: updated, Raw: json.RawMessage(`{"body":"x"}`)}
}

func TestSyncPageCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t)
	src, err := st.SyncSourceEnsure(ctx, "repo", "owner/repo")
	if err != nil {
		t.Fatal(err)
	}
	again, err := st.SyncSourceEnsure(ctx, "repo", "OWNER/REPO")
	if err != nil || again.ID != src.ID {
		t.Fatalf("repository keys must match case-insensitively: %v %v", again, err)
	}
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		page     store.SyncPage
		issues   store.UpsertResult
		comments store.UpsertResult
	}{
		{"insert", store.SyncPage{Issues: []store.Issue{syncIssue(1, t0, "a"), syncIssue(2, t0, "b\x00nul")},
			Comments:   []store.Comment{syncComment(1, 1, t0, "first"), syncComment(7, 2, t0, "no issue")},
			State:      json.RawMessage(`{"issues":{"cursor":"2024-05-01T10:00:00Z"}}`),
			Validators: []store.Validator{{URL: "https://api.example/repos/o/r/issues?x", ETag: `W/"abc"`}}},
			store.UpsertResult{Inserted: 2}, store.UpsertResult{Inserted: 1, Skipped: 1}},
		{"same again", store.SyncPage{Issues: []store.Issue{syncIssue(1, t0, "a")}, Comments: []store.Comment{syncComment(1, 1, t0, "first")}},
			store.UpsertResult{Unchanged: 1}, store.UpsertResult{Unchanged: 1}},
		{"older never overwrites", store.SyncPage{Issues: []store.Issue{syncIssue(1, t0.Add(-time.Minute), "stale")},
			Comments: []store.Comment{syncComment(1, 1, t0.Add(-time.Minute), "stale")}},
			store.UpsertResult{Unchanged: 1}, store.UpsertResult{Unchanged: 1}},
		{"newer updates, duplicates in a page keep the newest", store.SyncPage{
			Issues:   []store.Issue{syncIssue(1, t0.Add(time.Minute), "a2"), syncIssue(1, t0.Add(2*time.Minute), "a3")},
			Comments: []store.Comment{syncComment(1, 1, t0.Add(time.Minute), "edited"), syncComment(1, 1, t0.Add(-time.Hour), "older dup")}},
			store.UpsertResult{Updated: 1}, store.UpsertResult{Updated: 1, Unchanged: 1}},
	}
	for _, tc := range cases {
		tc.page.SourceID = src.ID
		res, err := st.SyncPageCommit(ctx, tc.page)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if res.Issues != tc.issues || res.Comments != tc.comments {
			t.Errorf("%s: issues %+v comments %+v; want %+v and %+v", tc.name, res.Issues, res.Comments, tc.issues, tc.comments)
		}
	}
	is, err := st.IssueGet(ctx, "owner/repo", 1)
	if err != nil || is.Title != "a3" || len(is.Labels) != 2 || is.Labels[1] != "p1" {
		t.Errorf("issue 1 = %+v, %v", is, err)
	}
	is2, err := st.IssueGet(ctx, "owner/repo", 2)
	if err != nil || is2.Title != "b\uFFFDnul" {
		t.Errorf("NUL not sanitised: %q %v", is2.Title, err)
	}
	got, err := st.SyncSourceGet(ctx, src.ID)
	if err != nil || string(got.State) != `{"issues": {"cursor": "2024-05-01T10:00:00Z"}}` {
		t.Errorf("state = %s, %v", got.State, err)
	}
	v, err := st.ValidatorGet(ctx, "https://api.example/repos/o/r/issues?x")
	if err != nil || v.ETag != `W/"abc"` {
		t.Errorf("validator %+v %v", v, err)
	}
	if _, err := st.ValidatorGet(ctx, "https://nowhere"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing validator: %v", err)
	}
	times, err := st.IssueUpdatedAt(ctx, "OWNER/repo", []int{1, 2, 3})
	if err != nil || len(times) != 2 || !times[1].Equal(t0.Add(2*time.Minute)) {
		t.Errorf("IssueUpdatedAt = %v, %v", times, err)
	}
}

func TestSyncLockAndRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t)
	src, err := st.SyncSourceEnsure(ctx, "search", "panic in:title")
	if err != nil {
		t.Fatal(err)
	}
	l1, err := st.SyncLockTry(ctx, src.ID)
	if err != nil || l1 == nil {
		t.Fatalf("first lock: %v %v", l1, err)
	}
	l2, err := st.SyncLockTry(ctx, src.ID)
	if err != nil || l2 != nil {
		t.Fatalf("second lock while held: %v %v", l2, err)
	}
	l1.Release()
	l1.Release()
	l3, err := st.SyncLockTry(ctx, src.ID)
	if err != nil || l3 == nil {
		t.Fatalf("lock after release: %v %v", l3, err)
	}
	l3.Release()

	if _, err := st.SyncRunLast(ctx, src.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("no run yet: %v", err)
	}
	start := time.Now().Add(-time.Minute)
	id, err := st.SyncRunStart(ctx, src.ID, start)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SyncRunFinish(ctx, store.SyncRun{ID: id, Status: "partial", Requests: 12, NotModified: 3, WaitedMS: 1500,
		IssuesNew: 4, CommentsUpdated: 2, Message: "primary rate limit"}); err != nil {
		t.Fatal(err)
	}
	// A run left "running" by a dead process is closed by the next start.
	dead, err := st.SyncRunStart(ctx, src.ID, start.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SyncRunStart(ctx, src.ID, start.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var deadStatus string
	if err := storetest.Pool(st).QueryRow(ctx, `SELECT status FROM sync_runs WHERE id = $1`, dead).Scan(&deadStatus); err != nil || deadStatus != "interrupted" {
		t.Errorf("stale run status %q, %v", deadStatus, err)
	}
	r, err := st.SyncRunLast(ctx, src.ID)
	if err != nil || r.Status != "partial" || r.Requests != 12 || r.NotModified != 3 || r.WaitedMS != 1500 ||
		r.IssuesNew != 4 || r.CommentsUpdated != 2 || r.FinishedAt == nil || r.Message != "primary rate limit" {
		t.Errorf("last run %+v %v", r, err)
	}
	list, err := st.SyncSourceList(ctx)
	if err != nil || len(list) != 1 || list[0].Key != "panic in:title" {
		t.Errorf("sources %+v %v", list, err)
	}
}

func TestSyncGoneAndCommentRepair(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t)
	src, _ := st.SyncSourceEnsure(ctx, "repo", "owner/repo")
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	_, err := st.SyncPageCommit(ctx, store.SyncPage{SourceID: src.ID,
		Issues:   []store.Issue{syncIssue(1, t0, "a"), syncIssue(2, t0, "b")},
		Comments: []store.Comment{syncComment(1, 1, t0, "x"), syncComment(1, 2, t0, "y"), syncComment(2, 3, t0, "z")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.IssueMarkGone(ctx, "owner/repo", 2, "deleted"); err != nil {
		t.Fatal(err)
	}
	n, err := st.CommentDeleteMissing(ctx, "owner/repo", 1, []int64{2})
	if err != nil || n != 1 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	cs, err := st.IssueCommentCounts(ctx, "owner/repo")
	if err != nil || len(cs) != 2 || cs[0].Stored != 1 || cs[0].Reported != 1 || !cs[1].Gone || cs[1].Stored != 1 {
		t.Fatalf("counts %+v %v", cs, err)
	}
	rc, err := st.RepoCountsGet(ctx, "owner/repo")
	if err != nil || rc.Issues != 2 || rc.Comments != 2 || rc.Gone != 1 {
		t.Errorf("repo counts %+v %v", rc, err)
	}
	if err := st.IssueClearGone(ctx, "owner/repo", []int{2}); err != nil {
		t.Fatal(err)
	}
	rc, _ = st.RepoCountsGet(ctx, "owner/repo")
	if rc.Gone != 0 {
		t.Errorf("gone after clear = %d", rc.Gone)
	}
}
