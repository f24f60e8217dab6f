package ingest

// Reconcile (errata sync --reconcile) finds what lists never show:
// transferred and deleted issues, and deleted comments. For a repository
// source it lists every issue once more (state=all, oldest first,
// re-anchored on updated_at as in a backfill; about one request per 100
// issues), upserting as it goes, then:
//
//   - each stored issue missing from that list is fetched alone without
//     following redirects: 301 marks it gone as "transferred to
//     owner/name#N", 410 as "deleted", 404 as "not found (deleted, or no
//     access)"; a 200 (it reappeared) is stored and stays;
//   - each issue whose comment count on GitHub differs from the comments
//     errata holds has its comments listed again (per issue), upserted,
//     and the stored ones GitHub no longer has are deleted;
//   - an issue marked gone that shows up again is un-marked.
//
// The cursors are not touched.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/errata-tool/errata/store"
)

func (r *run) reconcile(ctx context.Context) error {
	r.stream = "reconcile"
	seen := map[int]int{} // number -> comment count on GitHub
	d := r.issueStream()
	scratch := streamState{}
	d.state = &scratch
	decode := d.decode
	d.decode = func(ctx context.Context, raws []json.RawMessage) (*batch, error) {
		b, err := decode(ctx, raws)
		if err != nil {
			return nil, err
		}
		for _, is := range b.issues {
			seen[is.Number] = is.CommentCount
		}
		return b, nil
	}
	if err := r.ascending(ctx, d, time.Time{}, false); err != nil {
		return err
	}
	counts, err := r.s.st.IssueCommentCounts(ctx, r.src.Key)
	if err != nil {
		return err
	}
	var back []int
	for _, c := range counts {
		if r.stopped() {
			return ErrStopped
		}
		gh, ok := seen[c.Number]
		if !ok {
			if c.Gone {
				continue
			}
			if err := r.checkMissing(ctx, c.Number); err != nil {
				return err
			}
			continue
		}
		if c.Gone {
			back = append(back, c.Number)
		}
		if gh != c.Stored {
			if err := r.repairComments(ctx, c.Number); err != nil {
				return err
			}
		}
	}
	return r.s.st.IssueClearGone(ctx, r.src.Key, back)
}

func (r *run) checkMissing(ctx context.Context, n int) error {
	var raw json.RawMessage
	p, err := repoPath(r.src.Key, "issues/"+strconv.Itoa(n))
	if err != nil {
		return err
	}
	_, err = r.s.c.get(ctx, p, "", &raw, true)
	r.pages++
	reason := ""
	var se *StatusError
	switch StatusOf(err) {
	case 0:
		if err != nil {
			return err
		}
		is, err := toStoreIssue(r.src.Key, raw)
		if err != nil {
			return err
		}
		return r.commit(ctx, &batch{issues: []store.Issue{is}, times: []time.Time{is.UpdatedAt}}, nil)
	case http.StatusMovedPermanently:
		reason = "transferred"
		if asStatus(err, &se) && se.Location != "" {
			if to := movedTo(se.Location); to != "" {
				reason = "transferred to " + to
			}
		}
	case http.StatusGone:
		reason = "deleted"
	case http.StatusNotFound:
		reason = "not found (deleted, or no access)"
	default:
		return err
	}
	r.sum.Gone++
	r.s.log.Info("issue gone", "source", r.src.String(), "number", n, "reason", reason)
	return r.s.st.IssueMarkGone(ctx, r.src.Key, n, reason)
}

func asStatus(err error, se **StatusError) bool {
	return err != nil && errors.As(err, se)
}

// movedTo turns .../repos/o/r/issues/N into "o/r#N".
func movedTo(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return ""
	}
	repo := repoFromAPIURL(u.Path)
	n := issueNumberFromURL(u.Path)
	if repo == "" || n == 0 {
		return ""
	}
	return repo + "#" + strconv.Itoa(n)
}

// repairComments lists an issue's comments again, stores them, and deletes
// the stored ones GitHub no longer has.
func (r *run) repairComments(ctx context.Context, n int) error {
	u, err := repoPath(r.src.Key, fmt.Sprintf("issues/%d/comments?per_page=%d", n, r.s.opt.PerPage))
	if err != nil {
		return err
	}
	var keep []int64
	for u != "" {
		if r.stopped() {
			return ErrStopped
		}
		p, raws, err := r.listFetch(ctx, u, "")
		if err != nil {
			return err
		}
		r.pages++
		b, err := r.commentBatch(r.src.Key, raws)
		if err != nil {
			return err
		}
		for _, c := range b.comments {
			if c.GitHubID != nil {
				keep = append(keep, *c.GitHubID)
			}
		}
		if err := r.commit(ctx, b, nil); err != nil {
			return err
		}
		u = p.Next
	}
	if keep == nil {
		keep = []int64{}
	}
	if _, err := r.s.st.CommentDeleteMissing(ctx, r.src.Key, n, keep); err != nil {
		return err
	}
	r.sum.Repaired++
	return nil
}
