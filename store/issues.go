package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store/internal/dbsqlc"
)

// Issue is a GitHub issue or pull request as errata keeps it.
type Issue struct {
	ID                int64
	Repository        string // "owner/name"
	Number            int
	GitHubID          *int64
	NodeID            string
	IsPullRequest     bool
	State             string // open | closed
	StateReason       string
	Title             string
	Body              string
	Author            string
	AuthorAssociation string
	Labels            []string
	Reactions         json.RawMessage
	ReactionsTotal    int
	CommentCount      int
	HTMLURL           string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	ClosedAt          *time.Time
	Raw               json.RawMessage
}

// Comment is an issue comment.
type Comment struct {
	ID                int64
	IssueID           int64
	Repository        string // with IssueNumber, finds the issue on upsert
	IssueNumber       int
	SourceKey         string // GitHub id in decimal, or "pos:N" for imported threads without ids
	GitHubID          *int64
	Author            string
	AuthorAssociation string
	Body              string
	ReactionsTotal    int
	HTMLURL           string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Raw               json.RawMessage
}

// UpsertResult counts what an upsert did. Unchanged rows were already
// stored with the same or a newer updated_at; Skipped comments belong to
// issues errata does not have (pull request comments, say).
type UpsertResult struct {
	Inserted, Updated, Unchanged, Skipped int
}

// Add sums two results.
func (r *UpsertResult) Add(o UpsertResult) {
	r.Inserted += o.Inserted
	r.Updated += o.Updated
	r.Unchanged += o.Unchanged
	r.Skipped += o.Skipped
}

// inTx runs fn in tx when given, else in a transaction of its own.
func (s *Store) inTx(ctx context.Context, tx pgx.Tx, fn func(pgx.Tx) error) error {
	if tx != nil {
		return fn(tx)
	}
	return pgx.BeginFunc(ctx, s.pool, fn)
}

var issueCols = []string{"repository_id", "number", "github_id", "node_id", "is_pull_request", "state", "state_reason",
	"title", "body", "author", "author_association", "labels", "reactions", "reactions_total", "comment_count",
	"html_url", "created_at", "updated_at", "closed_at", "raw"}

// IssueUpsertMany inserts or updates issues with the one issue upsert
// (see upsert.go): a stored issue is only replaced by one with a newer
// updated_at, or the same updated_at and different content; an older copy
// never overwrites a newer one. With a nil tx the batch runs in its own
// transaction.
func (s *Store) IssueUpsertMany(ctx context.Context, tx pgx.Tx, issues []Issue) (UpsertResult, error) {
	if len(issues) == 0 {
		return UpsertResult{}, nil
	}
	batch := &pgx.Batch{}
	read := queueIssues(batch, issues)
	return sendUpsert(ctx, s, tx, batch, read)
}

// sendUpsert sends batch in tx (or a transaction of its own) and reads its
// result with read.
func sendUpsert(ctx context.Context, s *Store, tx pgx.Tx, batch *pgx.Batch, read func(pgx.BatchResults) (UpsertResult, error)) (UpsertResult, error) {
	var res UpsertResult
	err := s.inTx(ctx, tx, func(tx pgx.Tx) error {
		br := tx.SendBatch(ctx, batch)
		var err error
		if res, err = read(br); err != nil {
			_ = br.Close()
			return err
		}
		return br.Close()
	})
	if err != nil {
		return UpsertResult{}, err
	}
	return res, nil
}

// dedupeIssues keeps, of issues naming the same repository and number, the
// one updated last (a batch may not touch one row twice).
func dedupeIssues(in []Issue) []Issue {
	idx := make(map[string]int, len(in))
	out := in[:0:0]
	for _, is := range in {
		k := strings.ToLower(is.Repository) + "#" + fmt.Sprint(is.Number)
		if j, ok := idx[k]; ok {
			if !is.UpdatedAt.Before(out[j].UpdatedAt) {
				out[j] = is
			}
			continue
		}
		idx[k] = len(out)
		out = append(out, is)
	}
	return out
}

var commentCols = []string{"issue_id", "source_key", "github_id", "author", "author_association", "body",
	"reactions_total", "html_url", "created_at", "updated_at", "raw"}

// CommentUpsertMany inserts or updates comments with the one comment
// upsert (see upsert.go), finding each one's issue by IssueID or else by
// Repository and IssueNumber. Comments whose issue is not stored are
// counted as Skipped. As for issues, an older copy never overwrites a
// newer one.
func (s *Store) CommentUpsertMany(ctx context.Context, tx pgx.Tx, comments []Comment) (UpsertResult, error) {
	if len(comments) == 0 {
		return UpsertResult{}, nil
	}
	batch := &pgx.Batch{}
	read := queueComments(batch, comments)
	if batch.Len() == 0 {
		return read(nil)
	}
	return sendUpsert(ctx, s, tx, batch, read)
}

// IssueGet returns one issue by repository and number.
func (s *Store) IssueGet(ctx context.Context, repo string, number int) (*Issue, error) {
	r, err := s.q.IssueGet(ctx, s.pool, dbsqlc.IssueGetParams{Repo: repo, Number: int32(number)})
	if err != nil {
		return nil, fmt.Errorf("get issue %s#%d: %w", repo, number, translate(err))
	}
	return &Issue{ID: r.ID, Repository: r.FullName, Number: int(r.Number), GitHubID: r.GithubID, NodeID: deref(r.NodeID),
		IsPullRequest: r.IsPullRequest, State: r.State, StateReason: deref(r.StateReason), Title: r.Title, Body: r.Body,
		Author: deref(r.Author), AuthorAssociation: deref(r.AuthorAssociation), Labels: r.Labels, Reactions: r.Reactions,
		ReactionsTotal: int(r.ReactionsTotal), CommentCount: int(r.CommentCount), HTMLURL: r.HtmlUrl,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), ClosedAt: utcPtr(r.ClosedAt), Raw: r.Raw}, nil
}

// Counts is how much the store holds.
type Counts struct {
	Repositories, Issues, PullRequests, Comments int64
}

// CountsGet counts repositories, issues, pull requests and comments.
func (s *Store) CountsGet(ctx context.Context) (Counts, error) {
	r, err := s.q.CountsGet(ctx, s.pool)
	if err != nil {
		return Counts{}, fmt.Errorf("count store: %w", err)
	}
	return Counts{Repositories: r.Repositories, Issues: r.Issues, PullRequests: r.PullRequests, Comments: r.Comments}, nil
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return CleanText(s)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Tx is a database transaction, for callers that group several store
// calls so that they commit together.
type Tx = pgx.Tx

// InTx runs fn in one transaction: committed when fn returns nil, rolled
// back otherwise.
func (s *Store) InTx(ctx context.Context, fn func(Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}
