package ingest

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/store/storetest"
)

// hostileRepos are repository names that would leave the API's /repos/
// path, or change the request, if they reached a URL.
var hostileRepos = []string{"../user", "../etc", "own er/name", "owner/name?x=1", "owner/..", "owner/.", "owner/name/issues",
	"owner/name#x", "owner/%2e%2e", "/name", "owner/", "owner\\name", "owner/name\n"}

func TestRepoPath(t *testing.T) {
	t.Parallel()
	for _, repo := range hostileRepos {
		if p, err := repoPath(repo, "issues/1"); err == nil {
			t.Errorf("repoPath(%q) = %q, want an error", repo, p)
		}
	}
	for repo, want := range map[string]string{
		"acme/app":       "repos/acme/app/issues/1",
		"a-b/.github":    "repos/a-b/.github/issues/1",
		"x/name.with.do": "repos/x/name.with.do/issues/1",
	} {
		if p, err := repoPath(repo, "issues/1"); err != nil || p != want {
			t.Errorf("repoPath(%q) = %q, %v; want %q", repo, p, err, want)
		}
	}
}

// TestSyncRejectsHostileRepoNames: a repository source whose name is not
// owner/name fails before any request, and is not saved as a source.
func TestSyncRejectsHostileRepoNames(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	st := storetest.New(t)
	var srcs []Source
	for _, r := range hostileRepos {
		srcs = append(srcs, Source{Kind: "repo", Key: r})
	}
	sums := newSyncer(t, fake, st, fastLimits(), Options{}).runAll(context.Background(), srcs)
	for _, s := range sums {
		if s.Status != "failed" || !strings.Contains(s.Message, "want owner/name") {
			t.Errorf("%s: status %s (%s); want failed naming the expected shape", s.Source, s.Status, s.Message)
		}
	}
	if n := fake.Stats().Requests; n != 0 {
		t.Errorf("%d requests sent for bad repository names", n)
	}
	var n int
	if err := storetest.Pool(st).QueryRow(context.Background(), `SELECT count(*) FROM sync_sources`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d bad repository names saved as sources", n)
	}
}

// TestSearchSkipsHitsOfHostileRepos: a search answer naming a repository
// that is not owner/name (here "evil/..", whose comment list would resolve
// to /repos/issues/comments) is skipped with a warning; the other hits are
// stored and no request leaves /repos/{owner}/{name}/ or /search/.
func TestSearchSkipsHitsOfHostileRepos(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	for i := 0; i < 6; i++ {
		for _, repo := range []string{"good/one", "evil/.."} {
			is := fake.AddIssue(repo, githubfake.NewIssue{Title: "segfault in parser"})
			fake.AddComment(repo, is.Number, "", "me too", time.Time{})
			fake.Advance(time.Minute)
		}
	}
	var mu sync.Mutex
	var paths []string
	fake.OnRequest(func(r *http.Request) { mu.Lock(); paths = append(paths, r.URL.Path); mu.Unlock() })
	st := storetest.New(t)
	sums := newSyncer(t, fake, st, fastLimits(), Options{}).runAll(context.Background(), []Source{{Kind: "search", Key: "segfault"}})
	mustOK(t, sums)
	mu.Lock()
	defer mu.Unlock()
	for _, p := range paths {
		if !strings.HasPrefix(p, "/search/") && !strings.HasPrefix(p, "/repos/good/one/") && p != "/rate_limit" {
			t.Errorf("request outside the hits' repositories: %s", p)
		}
	}
	got := takeSnapshot(t, st)
	if len(got.Issues) != 6 || len(got.Comments) != 6 {
		t.Errorf("stored %d issues and %d comments; want the 6 and 6 of good/one", len(got.Issues), len(got.Comments))
	}
	for _, is := range got.Issues {
		if is.Repo != "good/one" {
			t.Errorf("stored %s#%d", is.Repo, is.Number)
		}
	}
}
