package ingest

// Search sources.
//
// The query gets "is:issue" unless it already says is:issue or is:pr
// (GitHub requires one; pull requests are stored only when the query asks
// for them with is:pr). The stream machinery is the repository one: a
// stable descending probe (q, sort=updated, order=desc) answers 304 when
// nothing matched changed; backfill and catch-up go oldest-first with
// "updated:>=<cursor>" added to q. Every page re-anchors the window on the
// last updated_at seen, so no window ever needs more than the 1,000
// results (10 pages) search returns: the cap is handled by splitting on
// updated: date windows as the scan advances. Only if more than 1,000 hits
// share one second is the rest of that second skipped, with a warning.
// incomplete_results (a search that timed out on GitHub's side) is retried
// a few times; if it persists the source stops as partial without moving
// its cursor past the window. The search budget (30 requests a minute,
// 10 unauthenticated) is kept by the transport from X-RateLimit-* headers
// of the "search" resource, separate from the core budget.
//
// Comments of hits that are new or changed are remembered as pending in
// the source state, committed with the hits, so an interrupted run still
// fetches them. Per repository, errata fetches them per issue
// (GET /repos/o/r/issues/N/comments?since=...) or with the repository-wide
// list since the oldest pending change, whichever costs fewer requests:
// per-issue costs one request per 100 comments of each issue; the
// repository-wide cost is read from the Link rel="last" page number of its
// first page (that page is used either way).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/errata-tool/errata/config"
)

// pendingItem is a hit whose comments still have to be fetched.
type pendingItem struct {
	Since    string `json:"since,omitempty"` // RFC 3339; "" = all
	Comments int    `json:"comments"`
}

func (r *run) searchQuery() string {
	q := strings.TrimSpace(r.src.Key)
	lq := strings.ToLower(q)
	r.searchPR = strings.Contains(lq, "is:pr") || strings.Contains(lq, "type:pr")
	if !r.searchPR && !strings.Contains(lq, "is:issue") && !strings.Contains(lq, "type:issue") {
		q += " is:issue"
	}
	return q
}

func (r *run) search(ctx context.Context) error {
	q := r.searchQuery()
	per := strconv.Itoa(r.s.opt.PerPage)
	d := &streamDef{
		name:  "issues",
		state: &r.state.Issues,
		probe: "search/issues?" + url.Values{"q": {q}, "sort": {"updated"}, "order": {"desc"}, "per_page": {per}}.Encode(),
		asc: func(since time.Time) string {
			qq := q
			if !since.IsZero() {
				qq += " updated:>=" + sinceParam(since)
			}
			return "search/issues?" + url.Values{"q": {qq}, "sort": {"updated"}, "order": {"asc"}, "per_page": {strconv.Itoa(r.per)}}.Encode()
		},
		fetch:  r.searchFetch,
		decode: r.decodeSearch,
	}
	// Comments left pending by an interrupted run go first.
	if err := r.pendingComments(ctx); err != nil {
		return err
	}
	if err := r.runStream(ctx, d); err != nil {
		return err
	}
	r.stream = "comments"
	return r.pendingComments(ctx)
}

func (r *run) searchFetch(ctx context.Context, u, etag string) (*page, []json.RawMessage, error) {
	for attempt := 0; ; attempt++ {
		var res searchResult
		p, err := r.s.c.get(ctx, u, etag, &res, false)
		if err != nil {
			return nil, nil, err
		}
		if p.Status == 304 {
			return p, nil, nil
		}
		p.total = res.TotalCount
		if res.IncompleteResults {
			if attempt >= r.s.opt.IncompleteRetries {
				return nil, nil, errIncomplete
			}
			r.s.log.Info("search answered incomplete_results; retrying", "source", r.src.String(), "attempt", attempt+1)
			if err := r.s.c.tr.wait(ctx, r.s.c.tr.lim.RetryBase*time.Duration(attempt+1), "incomplete search results", time.Time{}); err != nil {
				return nil, nil, err
			}
			etag = ""
			continue
		}
		if cap := r.s.opt.SearchResultCap; p.Next == "" && res.TotalCount > cap && pageOf(p.URL)*perPageOf(p.URL) >= cap {
			p.capped = true
		}
		return p, res.Items, nil
	}
}

func perPageOf(u string) int {
	pu, err := url.Parse(u)
	if err != nil {
		return 30
	}
	n, err := strconv.Atoi(pu.Query().Get("per_page"))
	if err != nil || n < 1 {
		return 30
	}
	return n
}

func pageOf(u string) int {
	pu, err := url.Parse(u)
	if err != nil {
		return 1
	}
	n, err := strconv.Atoi(pu.Query().Get("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

func (r *run) decodeSearch(ctx context.Context, raws []json.RawMessage) (*batch, error) {
	b := &batch{}
	byRepo := map[string][]int{}
	for _, raw := range raws {
		is, err := toStoreIssue("", raw)
		var re *RecordError
		if errors.As(err, &re) && (strings.HasPrefix(re.Field, "repository") || re.Field == "html_url") {
			// A hit whose repository is not owner/name (config.ValidRepo)
			// could lead requests out of /repos/: skip it, keep the rest.
			r.s.log.Warn("search hit skipped: no valid owner/name repository", "source", r.src.String(), "error", err)
			continue
		}
		if err != nil {
			return nil, err
		}
		b.times = append(b.times, is.UpdatedAt)
		if is.Repository == "" {
			return nil, fmt.Errorf("search hit %d has no repository_url", is.Number)
		}
		if is.UpdatedAt.Before(r.state.Since) {
			continue
		}
		if is.IsPullRequest && !r.searchPR {
			r.skipPR(is.Repository, is.Number)
			continue
		}
		b.issues = append(b.issues, is)
		byRepo[is.Repository] = append(byRepo[is.Repository], is.Number)
	}
	stored := map[string]map[int]time.Time{}
	for repo, nums := range byRepo {
		m, err := r.s.st.IssueUpdatedAt(ctx, repo, nums)
		if err != nil {
			return nil, err
		}
		stored[repo] = m
	}
	for _, is := range b.issues {
		if is.CommentCount == 0 {
			continue
		}
		prev, had := stored[is.Repository][is.Number]
		if had && !prev.Before(is.UpdatedAt) {
			continue
		}
		since := ""
		if had {
			since = sinceParam(prev)
		}
		r.addPending(is.Repository, is.Number, pendingItem{Since: since, Comments: is.CommentCount})
	}
	return b, nil
}

func (r *run) addPending(repo string, n int, it pendingItem) {
	if r.state.Pending == nil {
		r.state.Pending = map[string]map[string]pendingItem{}
	}
	m := r.state.Pending[repo]
	if m == nil {
		m = map[string]pendingItem{}
		r.state.Pending[repo] = m
	}
	k := strconv.Itoa(n)
	if old, ok := m[k]; ok && (old.Since == "" || (it.Since != "" && old.Since < it.Since)) {
		it.Since = old.Since
	}
	m[k] = it
}

// pendingComments fetches the comments of pending hits, repository by
// repository, the cheaper way.
func (r *run) pendingComments(ctx context.Context) error {
	repos := make([]string, 0, len(r.state.Pending))
	for repo := range r.state.Pending {
		repos = append(repos, repo)
	}
	sort.Strings(repos)
	for _, repo := range repos {
		if err := r.pendingRepo(ctx, repo); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) pendingRepo(ctx context.Context, repo string) error {
	if !config.ValidRepo(repo) {
		// Saved by an errata that did not check search hits' names.
		r.s.log.Warn("search hit with a repository name that is not owner/name; its comments are skipped", "source", r.src.String(), "repository", repo)
		delete(r.state.Pending, repo)
		return nil
	}
	items := r.state.Pending[repo]
	nums := make([]int, 0, len(items))
	perIssue := 0
	var minSince time.Time
	all := false
	for k, it := range items {
		n, _ := strconv.Atoi(k)
		nums = append(nums, n)
		perIssue += max(1, (it.Comments+99)/100)
		if it.Since == "" {
			all = true
		} else if t, err := time.Parse(time.RFC3339, it.Since); err == nil && (minSince.IsZero() || t.Before(minSince)) {
			minSince = t
		}
	}
	sort.Ints(nums)
	if all {
		minSince = time.Time{}
	}
	per := strconv.Itoa(r.s.opt.PerPage)
	if perIssue > 2 {
		base, err := repoPath(repo, "issues/comments?sort=updated&direction=asc&per_page="+per)
		if err != nil {
			return err
		}
		u := base
		if !minSince.IsZero() {
			u += "&since=" + url.QueryEscape(sinceParam(minSince))
		}
		if r.stopped() {
			return ErrStopped
		}
		p, raws, err := r.listFetch(ctx, u, "")
		if err != nil {
			return r.pendingErr(repo, err)
		}
		r.pages++
		repoWide := max(p.LastPage, 1)
		if p.Next == "" {
			repoWide = 1
		}
		b, err := r.commentBatch(repo, raws)
		if err != nil {
			return err
		}
		if repoWide-1 <= perIssue {
			// Repository-wide is cheaper (its first page is paid for). Later
			// pages re-anchor on the last updated_at, as in a backfill.
			since := minSince
			for p.Next != "" {
				if err := r.commit(ctx, b, nil); err != nil {
					return err
				}
				if r.stopped() {
					return ErrStopped
				}
				nextURL := p.Next
				if _, hi := b.minMax(); hi.After(since) {
					since = hi
					nextURL = base + "&since=" + url.QueryEscape(sinceParam(since))
				}
				if p, raws, err = r.listFetch(ctx, nextURL, ""); err != nil {
					return r.pendingErr(repo, err)
				}
				r.pages++
				if b, err = r.commentBatch(repo, raws); err != nil {
					return err
				}
			}
			delete(r.state.Pending, repo)
			return r.commit(ctx, b, nil)
		}
		if err := r.commit(ctx, b, nil); err != nil {
			return err
		}
	}
	for _, n := range nums {
		k := strconv.Itoa(n)
		it := items[k]
		u, err := repoPath(repo, fmt.Sprintf("issues/%d/comments?per_page=%s", n, per))
		if err != nil {
			return err
		}
		if it.Since != "" {
			u += "&since=" + url.QueryEscape(it.Since)
		}
		for {
			if r.stopped() {
				return ErrStopped
			}
			p, raws, err := r.listFetch(ctx, u, "")
			if StatusOf(err) == 404 || StatusOf(err) == 410 {
				p, raws, err = &page{}, nil, nil // the issue went away meanwhile
			}
			if err != nil {
				return r.pendingErr(repo, err)
			}
			r.pages++
			b, err := r.commentBatch(repo, raws)
			if err != nil {
				return err
			}
			if p.Next == "" {
				delete(items, k)
				if len(items) == 0 {
					delete(r.state.Pending, repo)
				}
				if err := r.commit(ctx, b, nil); err != nil {
					return err
				}
				break
			}
			if err := r.commit(ctx, b, nil); err != nil {
				return err
			}
			u = p.Next
		}
	}
	return nil
}

// pendingErr drops a repository that is gone or forbidden from the pending
// list (its comments cannot be had) and passes other errors on.
func (r *run) pendingErr(repo string, err error) error {
	switch StatusOf(err) {
	case 403, 404, 410, 451:
		r.s.log.Warn("cannot read comments; skipped", "source", r.src.String(), "repository", repo, "error", err)
		delete(r.state.Pending, repo)
		r.sum.Errors++
		return nil
	}
	return err
}

func (r *run) commentBatch(repo string, raws []json.RawMessage) (*batch, error) {
	b := &batch{}
	for _, raw := range raws {
		c, err := toStoreComment(repo, raw)
		if err != nil {
			return nil, err
		}
		b.times = append(b.times, c.UpdatedAt)
		b.comments = append(b.comments, c)
	}
	return b, nil
}
