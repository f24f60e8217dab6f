package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
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

// repositoryIDs returns the ids of the named repositories, creating the
// missing ones. Names match case-insensitively, as on GitHub.
func repositoryIDs(ctx context.Context, tx pgx.Tx, names []string) (map[string]int64, error) {
	uniq := map[string]bool{}
	var list []string
	for _, n := range names {
		if !uniq[strings.ToLower(n)] {
			uniq[strings.ToLower(n)] = true
			list = append(list, n)
		}
	}
	sort.Strings(list) // a stable order keeps concurrent inserts from deadlocking
	q := dbsqlc.New()
	if err := q.RepositoriesInsert(ctx, tx, list); err != nil {
		return nil, fmt.Errorf("insert repositories: %w", err)
	}
	rows, err := q.RepositoryIDsGet(ctx, tx, lowerAll(list))
	if err != nil {
		return nil, fmt.Errorf("read repositories: %w", err)
	}
	ids := make(map[string]int64, len(rows))
	for _, r := range rows {
		ids[r.Name] = r.ID
	}
	return ids, nil
}

func lowerAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.ToLower(s)
	}
	return out
}

// IssueUpsertMany inserts or updates issues in one batch (COPY into the
// staging table, then the one issue upsert, upsert.go). A stored issue is only
// replaced by one with a newer updated_at, or the same updated_at and
// different content; an older copy never overwrites a newer one. With a
// nil tx the batch runs in its own transaction.
func (s *Store) IssueUpsertMany(ctx context.Context, tx pgx.Tx, issues []Issue) (UpsertResult, error) {
	var res UpsertResult
	if len(issues) == 0 {
		return res, nil
	}
	issues = dedupeIssues(issues)
	err := s.inTx(ctx, tx, func(tx pgx.Tx) error {
		names := make([]string, len(issues))
		for i, is := range issues {
			names[i] = is.Repository
		}
		repos, err := repositoryIDs(ctx, tx, names)
		if err != nil {
			return err
		}
		if err := ensureStages(ctx, tx); err != nil {
			return err
		}
		rows := make([][]any, len(issues))
		for i, is := range issues {
			labels := make([]string, len(is.Labels))
			for j, l := range is.Labels {
				labels[j] = CleanText(l)
			}
			var reactions any
			if len(is.Reactions) > 0 && string(is.Reactions) != "null" {
				reactions = string(CleanJSON(is.Reactions))
			}
			raw := is.Raw
			if len(raw) == 0 {
				raw = json.RawMessage("{}")
			}
			rows[i] = []any{repos[strings.ToLower(is.Repository)], is.Number, is.GitHubID, nullText(is.NodeID), is.IsPullRequest,
				CleanText(is.State), nullText(is.StateReason), CleanText(is.Title), CleanText(is.Body), nullText(is.Author),
				nullText(is.AuthorAssociation), labels, reactions, is.ReactionsTotal, is.CommentCount,
				CleanText(is.HTMLURL), is.CreatedAt.UTC(), is.UpdatedAt.UTC(), utcPtr(is.ClosedAt), string(CleanJSON(raw))}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"issue_stage"}, issueCols, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("copy issues: %w", err)
		}
		ins, upd, err := upsertCounts(tx.QueryRow(ctx, issueStageUpsertSQL))
		if err != nil {
			return fmt.Errorf("upsert issues: %w", err)
		}
		res.Inserted, res.Updated = ins, upd
		res.Unchanged = len(issues) - ins - upd
		return nil
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

// CommentUpsertMany inserts or updates comments, finding each one's issue
// by IssueID or else by Repository and IssueNumber. Comments whose issue is
// not stored are counted as Skipped. As for issues, an older copy never
// overwrites a newer one.
func (s *Store) CommentUpsertMany(ctx context.Context, tx pgx.Tx, comments []Comment) (UpsertResult, error) {
	var res UpsertResult
	if len(comments) == 0 {
		return res, nil
	}
	err := s.inTx(ctx, tx, func(tx pgx.Tx) error {
		// Resolve issue ids for comments that name their issue by number.
		type key struct {
			repo string
			num  int
		}
		need := map[key]int64{}
		var repos []string
		var nums []int32
		for _, c := range comments {
			if c.IssueID == 0 {
				k := key{strings.ToLower(c.Repository), c.IssueNumber}
				if _, ok := need[k]; !ok {
					need[k] = 0
					repos = append(repos, k.repo)
					nums = append(nums, int32(k.num))
				}
			}
		}
		if len(need) > 0 {
			rows, err := tx.Query(ctx, `SELECT i.id, lower(r.full_name), i.number
				FROM unnest($1::text[], $2::int[]) AS k(repo, num)
				JOIN repositories r ON lower(r.full_name) = k.repo
				JOIN issues i ON i.repository_id = r.id AND i.number = k.num`, repos, nums)
			if err != nil {
				return fmt.Errorf("find comment issues: %w", err)
			}
			for rows.Next() {
				var id int64
				var k key
				if err := rows.Scan(&id, &k.repo, &k.num); err != nil {
					rows.Close()
					return err
				}
				need[k] = id
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("find comment issues: %w", err)
			}
		}
		seen := map[string]int{}
		var stage [][]any
		for _, c := range comments {
			id := c.IssueID
			if id == 0 {
				id = need[key{strings.ToLower(c.Repository), c.IssueNumber}]
			}
			if id == 0 {
				res.Skipped++
				continue
			}
			raw := c.Raw
			if len(raw) == 0 {
				raw = json.RawMessage("{}")
			}
			row := []any{id, c.SourceKey, c.GitHubID, nullText(c.Author), nullText(c.AuthorAssociation), CleanText(c.Body),
				c.ReactionsTotal, nullText(c.HTMLURL), c.CreatedAt.UTC(), c.UpdatedAt.UTC(), string(CleanJSON(raw))}
			k := fmt.Sprint(id) + "/" + c.SourceKey
			if j, ok := seen[k]; ok { // same comment twice in a batch: keep the newer
				if !c.UpdatedAt.Before(stage[j][9].(time.Time)) {
					stage[j] = row
				}
				res.Unchanged++
				continue
			}
			seen[k] = len(stage)
			stage = append(stage, row)
		}
		if len(stage) == 0 {
			return nil
		}
		if err := ensureStages(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"comment_stage"}, commentCols, pgx.CopyFromRows(stage)); err != nil {
			return fmt.Errorf("copy comments: %w", err)
		}
		ins, upd, err := upsertCounts(tx.QueryRow(ctx, commentStageUpsertSQL))
		if err != nil {
			return fmt.Errorf("upsert comments: %w", err)
		}
		res.Inserted, res.Updated = ins, upd
		res.Unchanged += len(stage) - ins - upd
		return nil
	})
	if err != nil {
		return UpsertResult{}, err
	}
	return res, nil
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
