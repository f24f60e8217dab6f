package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/errata-tool/errata/store/internal/dbsqlc"
)

// SyncSource is one repository or search query that `errata sync` pulls,
// with the ingest package's state (per-stream cursors) as JSON.
type SyncSource struct {
	ID        int64
	Kind      string // repo | search
	Key       string // "owner/name" or the query
	State     json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SyncSourceEnsure returns the source (kind, key), creating it when new.
// Repository keys match case-insensitively.
func (s *Store) SyncSourceEnsure(ctx context.Context, kind, key string) (*SyncSource, error) {
	var row dbsqlc.SyncSource
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if kind == "repo" {
			row, err = s.q.SyncSourceFindRepo(ctx, tx, key)
		} else {
			row, err = s.q.SyncSourceFind(ctx, tx, dbsqlc.SyncSourceFindParams{Kind: kind, Key: key})
		}
		if err == nil || !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		row, err = s.q.SyncSourceCreate(ctx, tx, dbsqlc.SyncSourceCreateParams{Kind: kind, Key: key})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ensure sync source %s %q: %w", kind, key, err)
	}
	src := syncSource(row)
	return &src, nil
}

// syncSource converts a generated row, in UTC.
func syncSource(r dbsqlc.SyncSource) SyncSource {
	return SyncSource{ID: r.ID, Kind: r.Kind, Key: r.Key, State: r.State, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// SyncSourceGet returns a source by id.
func (s *Store) SyncSourceGet(ctx context.Context, id int64) (*SyncSource, error) {
	row, err := s.q.SyncSourceGet(ctx, s.pool, id)
	if err != nil {
		return nil, fmt.Errorf("get sync source %d: %w", id, translate(err))
	}
	src := syncSource(row)
	return &src, nil
}

// SyncSourceList returns every source, repositories first, by key.
func (s *Store) SyncSourceList(ctx context.Context) ([]SyncSource, error) {
	rows, err := s.q.SyncSourceList(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("list sync sources: %w", err)
	}
	var out []SyncSource
	for _, r := range rows {
		out = append(out, syncSource(r))
	}
	return out, nil
}

// syncLockClass is the first key of errata's sync advisory locks ("ESYN").
const syncLockClass = 0x4553594e

// SyncLock is a held per-source advisory lock.
type SyncLock struct {
	conn *pgxpool.Conn
	id   int64
	q    *dbsqlc.Queries
}

// SyncLockTry takes the session advisory lock of a source without waiting.
// It returns nil (and no error) when another session holds it: one sync per
// source at a time, across processes. The lock lives on a dedicated
// connection and also ends if the process dies.
func (s *Store) SyncLockTry(ctx context.Context, sourceID int64) (*SyncLock, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock sync source %d: %w", sourceID, err)
	}
	ok, err := s.q.SyncLockTry(ctx, conn, dbsqlc.SyncLockTryParams{Class: syncLockClass, ID: int32(sourceID)})
	if err != nil {
		conn.Release()
		return nil, fmt.Errorf("lock sync source %d: %w", sourceID, err)
	}
	if !ok {
		conn.Release()
		return nil, nil
	}
	return &SyncLock{conn: conn, id: sourceID, q: s.q}, nil
}

// Release drops the lock. It is safe to call twice.
func (l *SyncLock) Release() {
	if l == nil || l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.q.SyncUnlock(ctx, l.conn, dbsqlc.SyncUnlockParams{Class: syncLockClass, ID: int32(l.id)}); err != nil {
		// The session may be broken: close it so the lock dies with it.
		_ = l.conn.Conn().Close(ctx)
	}
	l.conn.Release()
	l.conn = nil
}

// Validator is a conditional-request validator kept per request URL.
type Validator struct {
	URL          string
	ETag         string
	LastModified string
}

// ValidatorGet returns the validator stored for url, or ErrNotFound.
func (s *Store) ValidatorGet(ctx context.Context, url string) (Validator, error) {
	v := Validator{URL: url}
	r, err := s.q.ValidatorGet(ctx, s.pool, url)
	if err != nil {
		return v, translate(err)
	}
	v.ETag, v.LastModified = deref(r.Etag), deref(r.LastModified)
	return v, nil
}

// SyncPage is what one page of a sync commits at once: the data, the
// source's new state (cursors) and validators. Nil State leaves it as is.
type SyncPage struct {
	SourceID   int64
	State      json.RawMessage
	Issues     []Issue
	Comments   []Comment
	Validators []Validator
}

// SyncPageResult counts what a page changed.
type SyncPageResult struct {
	Issues, Comments UpsertResult
}

// SyncPageCommit writes a page's issues, then its comments, validators and
// the source state in one transaction: a sync killed at any point resumes
// from a state that matches the data.
//
// The transaction commits with synchronous_commit off: it does not wait
// for its WAL to reach disk, which makes a page commit several times
// cheaper. A crash of the database server can lose the last fraction of a
// second of pages, but data and cursor are lost together (the commit is
// still atomic), and the next sync fetches those pages again from the
// older cursor; nothing is ever half-written or skipped.
func (s *Store) SyncPageCommit(ctx context.Context, p SyncPage) (SyncPageResult, error) {
	var res SyncPageResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// One round trip for the whole page: the statements run in order
		// in the transaction, each seeing the ones before.
		batch := &pgx.Batch{}
		batch.Queue(`SET LOCAL synchronous_commit TO OFF`)
		readIssues := queueIssues(batch, p.Issues)
		readComments := queueComments(batch, p.Comments)
		nv := 0
		for _, v := range p.Validators {
			if v.ETag == "" && v.LastModified == "" {
				continue
			}
			nv++
			batch.Queue(`INSERT INTO http_validators (url, etag, last_modified, updated_at)
				VALUES ($1, $2, $3, now())
				ON CONFLICT (url) DO UPDATE SET etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified, updated_at = now()`,
				v.URL, nullText(v.ETag), nullText(v.LastModified))
		}
		if p.State != nil {
			batch.Queue(`UPDATE sync_sources SET state = $2, updated_at = now() WHERE id = $1`, p.SourceID, string(p.State))
		}
		br := tx.SendBatch(ctx, batch)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("set synchronous_commit: %w", err)
		}
		var err error
		if res.Issues, err = readIssues(br); err != nil {
			return err
		}
		if res.Comments, err = readComments(br); err != nil {
			return err
		}
		for i := 0; i < nv; i++ {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("save validator: %w", err)
			}
		}
		if p.State != nil {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("save sync state: %w", err)
			}
		}
		return br.Close()
	})
	if err != nil {
		return SyncPageResult{}, fmt.Errorf("commit sync page: %w", err)
	}
	return res, nil
}

// SyncRun is one source's part of an `errata sync` run.
type SyncRun struct {
	ID              int64
	SourceID        int64
	StartedAt       time.Time
	FinishedAt      *time.Time
	Status          string // running | ok | partial | failed | interrupted
	Requests        int
	NotModified     int
	WaitedMS        int64
	Errors          int
	IssuesNew       int
	IssuesUpdated   int
	CommentsNew     int
	CommentsUpdated int
	Message         string
}

// SyncRunStart records a run as running and returns its id. Call it while
// holding the source's lock: runs of the source still marked running
// belong to a process that died, and are marked interrupted.
func (s *Store) SyncRunStart(ctx context.Context, sourceID int64, started time.Time) (int64, error) {
	if err := s.q.SyncRunInterruptStale(ctx, s.pool, sourceID); err != nil {
		return 0, fmt.Errorf("close stale sync runs: %w", err)
	}
	id, err := s.q.SyncRunCreate(ctx, s.pool, dbsqlc.SyncRunCreateParams{SourceID: sourceID, StartedAt: started.UTC()})
	if err != nil {
		return 0, fmt.Errorf("start sync run: %w", err)
	}
	return id, nil
}

// SyncRunFinish stores a run's outcome and counters.
func (s *Store) SyncRunFinish(ctx context.Context, r SyncRun) error {
	fin := time.Now().UTC()
	if r.FinishedAt != nil {
		fin = r.FinishedAt.UTC()
	}
	err := s.q.SyncRunFinish(ctx, s.pool, dbsqlc.SyncRunFinishParams{ID: r.ID, FinishedAt: &fin, Status: r.Status,
		Requests: int32(r.Requests), NotModified: int32(r.NotModified), WaitedMs: r.WaitedMS, Errors: int32(r.Errors),
		IssuesNew: int32(r.IssuesNew), IssuesUpdated: int32(r.IssuesUpdated), CommentsNew: int32(r.CommentsNew),
		CommentsUpdated: int32(r.CommentsUpdated), Message: strPtr(r.Message)})
	if err != nil {
		return fmt.Errorf("finish sync run %d: %w", r.ID, err)
	}
	return nil
}

// SyncRunLast returns the latest run of a source, or ErrNotFound.
func (s *Store) SyncRunLast(ctx context.Context, sourceID int64) (*SyncRun, error) {
	row, err := s.q.SyncRunLast(ctx, s.pool, sourceID)
	if err != nil {
		return nil, fmt.Errorf("last sync run of source %d: %w", sourceID, translate(err))
	}
	r := SyncRun{ID: row.ID, StartedAt: row.StartedAt.UTC(), FinishedAt: utcPtr(row.FinishedAt), Status: row.Status,
		Requests: int(row.Requests), NotModified: int(row.NotModified), WaitedMS: row.WaitedMs, Errors: int(row.Errors),
		IssuesNew: int(row.IssuesNew), IssuesUpdated: int(row.IssuesUpdated), CommentsNew: int(row.CommentsNew),
		CommentsUpdated: int(row.CommentsUpdated), Message: deref(row.Message)}
	if row.SourceID != nil {
		r.SourceID = *row.SourceID
	}
	return &r, nil
}

// IssueUpdatedAt returns, for the given numbers of a repository, the
// updated_at of those errata stores.
func (s *Store) IssueUpdatedAt(ctx context.Context, repo string, numbers []int) (map[int]time.Time, error) {
	out := map[int]time.Time{}
	if len(numbers) == 0 {
		return out, nil
	}
	rows, err := s.q.IssueUpdatedAtList(ctx, s.pool, dbsqlc.IssueUpdatedAtListParams{Repo: repo, Numbers: int32s(numbers)})
	if err != nil {
		return nil, fmt.Errorf("read issue times of %s: %w", repo, err)
	}
	for _, r := range rows {
		out[int(r.Number)] = r.UpdatedAt.UTC()
	}
	return out, nil
}

func int32s(in []int) []int32 {
	out := make([]int32, len(in))
	for i, n := range in {
		out[i] = int32(n)
	}
	return out
}

// IssueCommentCount is an issue's comment count as GitHub last reported
// it, and how many comments errata holds for it.
type IssueCommentCount struct {
	Number   int
	Reported int // issues.comment_count
	Stored   int
	Gone     bool
}

// IssueCommentCounts lists the issues of a repository with both counts.
func (s *Store) IssueCommentCounts(ctx context.Context, repo string) ([]IssueCommentCount, error) {
	rows, err := s.q.IssueCommentCounts(ctx, s.pool, repo)
	if err != nil {
		return nil, fmt.Errorf("count comments of %s: %w", repo, err)
	}
	var out []IssueCommentCount
	for _, r := range rows {
		out = append(out, IssueCommentCount{Number: int(r.Number), Reported: int(r.CommentCount), Stored: int(r.Stored), Gone: r.Gone})
	}
	return out, nil
}

// IssueMarkGone records that an issue was transferred, deleted or became
// unreachable (reason says which). An issue seen again clears it.
func (s *Store) IssueMarkGone(ctx context.Context, repo string, number int, reason string) error {
	err := s.q.IssueMarkGone(ctx, s.pool, dbsqlc.IssueMarkGoneParams{Repo: repo, Number: int32(number), Reason: CleanText(reason)})
	if err != nil {
		return fmt.Errorf("mark %s#%d gone: %w", repo, number, err)
	}
	return nil
}

// IssueClearGone clears gone_at for issues of a repository seen again.
func (s *Store) IssueClearGone(ctx context.Context, repo string, numbers []int) error {
	if len(numbers) == 0 {
		return nil
	}
	if err := s.q.IssueClearGone(ctx, s.pool, dbsqlc.IssueClearGoneParams{Repo: repo, Numbers: int32s(numbers)}); err != nil {
		return fmt.Errorf("clear gone issues of %s: %w", repo, err)
	}
	return nil
}

// CommentDeleteMissing deletes the stored comments of an issue whose
// GitHub ids are not in keep (comments deleted on GitHub), and returns how
// many it deleted. Comments without a GitHub id (imported threads) stay.
func (s *Store) CommentDeleteMissing(ctx context.Context, repo string, number int, keep []int64) (int, error) {
	n, err := s.q.CommentDeleteMissing(ctx, s.pool, dbsqlc.CommentDeleteMissingParams{Repo: repo, Number: int32(number), Keep: keep})
	if err != nil {
		return 0, fmt.Errorf("delete missing comments of %s#%d: %w", repo, number, err)
	}
	return int(n), nil
}

// RepoCounts is what errata holds for one repository.
type RepoCounts struct {
	Issues, PullRequests, Comments, Gone int64
}

// RepoCountsGet counts a repository's issues, pull requests, comments and
// gone issues.
func (s *Store) RepoCountsGet(ctx context.Context, repo string) (RepoCounts, error) {
	r, err := s.q.RepoCountsGet(ctx, s.pool, repo)
	if err != nil {
		return RepoCounts{}, fmt.Errorf("count %s: %w", repo, err)
	}
	return RepoCounts{Issues: r.Issues, PullRequests: r.PullRequests, Comments: r.Comments, Gone: r.Gone}, nil
}

// The page writers below send a page's rows as arrays, read back with
// unnest(...), into the same upsert statement as IssueUpsertMany and
// CommentUpsertMany (upsert.go): text sanitised the same way,
// an older copy never overwrites a newer one, the same counts.

// queueIssues queues the statements writing issues and returns the reader
// of their results.
func queueIssues(batch *pgx.Batch, issues []Issue) func(pgx.BatchResults) (UpsertResult, error) {
	if len(issues) == 0 {
		return func(pgx.BatchResults) (UpsertResult, error) { return UpsertResult{}, nil }
	}
	issues = dedupeIssues(issues)
	uniq := map[string]bool{}
	var names []string
	for _, is := range issues {
		if k := strings.ToLower(is.Repository); !uniq[k] {
			uniq[k] = true
			names = append(names, is.Repository)
		}
	}
	sort.Strings(names) // a stable order keeps concurrent inserts from deadlocking
	batch.Queue(`INSERT INTO repositories (full_name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, names)
	n := len(issues)
	var (
		repo      = make([]string, n)
		number    = make([]int32, n)
		ghID      = make([]*int64, n)
		nodeID    = make([]*string, n)
		isPR      = make([]bool, n)
		state     = make([]string, n)
		reason    = make([]*string, n)
		title     = make([]string, n)
		body      = make([]string, n)
		author    = make([]*string, n)
		assoc     = make([]*string, n)
		labels    = make([]string, n)
		reactions = make([]*string, n)
		rTotal    = make([]int32, n)
		cCount    = make([]int32, n)
		htmlURL   = make([]string, n)
		created   = make([]time.Time, n)
		updated   = make([]time.Time, n)
		closed    = make([]*time.Time, n)
		raw       = make([]string, n)
	)
	for i, is := range issues {
		repo[i] = strings.ToLower(is.Repository)
		number[i] = int32(is.Number)
		ghID[i] = is.GitHubID
		nodeID[i] = strPtr(is.NodeID)
		isPR[i] = is.IsPullRequest
		state[i] = CleanText(is.State)
		reason[i] = strPtr(is.StateReason)
		title[i] = CleanText(is.Title)
		body[i] = CleanText(is.Body)
		author[i] = strPtr(is.Author)
		assoc[i] = strPtr(is.AuthorAssociation)
		ls := make([]string, len(is.Labels))
		for j, l := range is.Labels {
			ls[j] = CleanText(l)
		}
		lb, _ := json.Marshal(ls)
		labels[i] = string(lb)
		if len(is.Reactions) > 0 && string(is.Reactions) != "null" {
			r := string(CleanJSON(is.Reactions))
			reactions[i] = &r
		}
		rTotal[i] = int32(is.ReactionsTotal)
		cCount[i] = int32(is.CommentCount)
		htmlURL[i] = CleanText(is.HTMLURL)
		created[i] = is.CreatedAt.UTC()
		updated[i] = is.UpdatedAt.UTC()
		closed[i] = utcPtr(is.ClosedAt)
		r := is.Raw
		if len(r) == 0 {
			r = json.RawMessage("{}")
		}
		raw[i] = string(CleanJSON(r))
	}
	batch.Queue(`WITH ins AS (`+issueUpsertInto+`(
		SELECT r.id AS repository_id, u.number, u.github_id, u.node_id, u.is_pull_request, u.state, u.state_reason, u.title,
			u.body, u.author, u.author_association, ARRAY(SELECT jsonb_array_elements_text(u.labels::jsonb)) AS labels,
			u.reactions::jsonb AS reactions, u.reactions_total, u.comment_count, u.html_url, u.created_at, u.updated_at,
			u.closed_at, u.raw::jsonb AS raw
		FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::bool[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::int[], $15::int[], $16::text[],
			$17::timestamptz[], $18::timestamptz[], $19::timestamptz[], $20::text[])
			AS u(repo, number, github_id, node_id, is_pull_request, state, state_reason, title, body, author,
				author_association, labels, reactions, reactions_total, comment_count, html_url, created_at, updated_at,
				closed_at, raw)
		JOIN repositories r ON lower(r.full_name) = u.repo) AS src`+issueUpsertNewer+`) `+upsertCountsSQL,
		repo, number, ghID, nodeID, isPR, state, reason, title, body, author, assoc, labels, reactions, rTotal, cCount,
		htmlURL, created, updated, closed, raw)
	return func(br pgx.BatchResults) (UpsertResult, error) {
		if _, err := br.Exec(); err != nil {
			return UpsertResult{}, fmt.Errorf("insert repositories: %w", err)
		}
		ins, upd, err := upsertCounts(br.QueryRow())
		if err != nil {
			return UpsertResult{}, fmt.Errorf("upsert issues: %w", err)
		}
		return UpsertResult{Inserted: ins, Updated: upd, Unchanged: n - ins - upd}, nil
	}
}

// queueComments queues the statement writing comments (found by
// Repository and IssueNumber; comments of issues not stored are Skipped)
// and returns the reader of its result.
func queueComments(batch *pgx.Batch, comments []Comment) func(pgx.BatchResults) (UpsertResult, error) {
	var dups int
	idx := map[string]int{}
	var stage []Comment
	for _, c := range comments {
		k := strings.ToLower(c.Repository) + "#" + strconv.Itoa(c.IssueNumber) + "/" + c.SourceKey
		if j, ok := idx[k]; ok { // same comment twice in a page: keep the newer
			if !c.UpdatedAt.Before(stage[j].UpdatedAt) {
				stage[j] = c
			}
			dups++
			continue
		}
		idx[k] = len(stage)
		stage = append(stage, c)
	}
	if len(stage) == 0 {
		return func(pgx.BatchResults) (UpsertResult, error) { return UpsertResult{}, nil }
	}
	n := len(stage)
	var (
		repo    = make([]string, n)
		number  = make([]int32, n)
		srcKey  = make([]string, n)
		ghID    = make([]*int64, n)
		author  = make([]*string, n)
		assoc   = make([]*string, n)
		body    = make([]string, n)
		rTotal  = make([]int32, n)
		htmlURL = make([]*string, n)
		created = make([]time.Time, n)
		updated = make([]time.Time, n)
		raw     = make([]string, n)
	)
	for i, c := range stage {
		repo[i] = strings.ToLower(c.Repository)
		number[i] = int32(c.IssueNumber)
		srcKey[i] = c.SourceKey
		ghID[i] = c.GitHubID
		author[i] = strPtr(c.Author)
		assoc[i] = strPtr(c.AuthorAssociation)
		body[i] = CleanText(c.Body)
		rTotal[i] = int32(c.ReactionsTotal)
		htmlURL[i] = strPtr(c.HTMLURL)
		created[i] = c.CreatedAt.UTC()
		updated[i] = c.UpdatedAt.UTC()
		rj := c.Raw
		if len(rj) == 0 {
			rj = json.RawMessage("{}")
		}
		raw[i] = string(CleanJSON(rj))
	}
	batch.Queue(`WITH src AS (
			SELECT i.id AS issue_id, u.source_key, u.github_id, u.author, u.author_association, u.body, u.reactions_total,
				u.html_url, u.created_at, u.updated_at, u.raw::jsonb AS raw
			FROM unnest($1::text[], $2::int[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::int[],
				$9::text[], $10::timestamptz[], $11::timestamptz[], $12::text[])
				AS u(repo, number, source_key, github_id, author, author_association, body, reactions_total, html_url,
					created_at, updated_at, raw)
			JOIN repositories r ON lower(r.full_name) = u.repo
			JOIN issues i ON i.repository_id = r.id AND i.number = u.number
		), ins AS (`+commentUpsertInto+`src`+commentUpsertNewer+`)
		SELECT (SELECT count(*) FROM src), count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM ins`,
		repo, number, srcKey, ghID, author, assoc, body, rTotal, htmlURL, created, updated, raw)
	return func(br pgx.BatchResults) (UpsertResult, error) {
		var matched, ins, upd int // matched: comments whose issue is stored
		if err := br.QueryRow().Scan(&matched, &ins, &upd); err != nil {
			return UpsertResult{}, fmt.Errorf("upsert comments: %w", err)
		}
		return UpsertResult{Inserted: ins, Updated: upd, Unchanged: matched - ins - upd + dups, Skipped: n - matched}, nil
	}
}

// strPtr is nullText for typed arrays: nil for "", else the cleaned text.
func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	c := CleanText(s)
	return &c
}
