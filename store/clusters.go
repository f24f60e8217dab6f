package store

// Store methods for classification: the issues to classify, signatures,
// clusters, members, fingerprints, redirects and daily counts. The classify
// package drives them; every write takes the caller's transaction so a
// classify run commits or rolls back as a whole.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/errata-tool/errata/store/internal/dbsqlc"
)

// classifyLockKey serializes classify runs (advisory transaction lock).
const classifyLockKey = 0x6572726174610004

// ClassifyLock takes the classify advisory lock for the transaction; a
// second run waits for the first to commit. A classify run takes it in
// its assignment transaction, which stays open from the run's start to
// its end.
func (s *Store) ClassifyLock(ctx context.Context, tx pgx.Tx) error {
	if err := s.q.ClassifyLock(ctx, tx, classifyLockKey); err != nil {
		return fmt.Errorf("take classify lock: %w", err)
	}
	return nil
}

// ClassifyIssue is an issue as classification reads it.
type ClassifyIssue struct {
	ID             int64
	Repository     string
	Number         int
	Title, Body    string
	Labels         []string
	HTMLURL        string
	CreatedAt      time.Time
	ReactionsTotal int
	Comments       []ClassifyComment
	// PrevHash and PrevRules are the content hash and rules version of the
	// last classification, "" when the issue was never classified.
	PrevHash, PrevRules string
}

// ClassifyComment is a comment as classification reads it.
type ClassifyComment struct {
	Body      string
	CreatedAt time.Time
}

// ClassifyPendingParams selects issues to classify.
type ClassifyPendingParams struct {
	RulesVersion string
	// All selects every issue (a rebuild); otherwise only issues never
	// classified, classified under other rules, or changed since (issue
	// or comments synced after the classification).
	All bool
}

// ClassifyPendingIDs returns the ids of issues to classify, ordered by
// created_at then id. Pull requests and issues gone from GitHub are left out.
//
// An incremental selection does not scan every issue: the watermark is the
// start of the last classify run (the largest classified_at; a run records
// its transaction's start time), and only issues or comments synced after
// it can be new or changed since; issues classified under other rules are
// found through their rules version. Issues synced during a run get a
// last_synced_at after that run's start, so the next run still sees them;
// the watermark is moved back 2 minutes so that a sync or import
// transaction (one page or batch; last_synced_at is its start time) that
// began before a run and committed during it is still seen.
//
// Its cost follows the change, not the store: the watermark and the rules
// versions present are index probes (ClassifyWatermark,
// ClassifyRulesVersions), the candidates come from index ranges
// (ClassifyPendingCandidates), and only the candidates are looked up
// (ClassifyPendingFilter, planned knowing how many there are).
func (s *Store) ClassifyPendingIDs(ctx context.Context, tx pgx.Tx, p ClassifyPendingParams) ([]int64, error) {
	all := p.All
	if !all {
		// Nothing classified yet (a first classify): every issue is
		// pending; the plain list is cheaper than finding that out from
		// the candidates (every issue and comment of the store).
		some, err := s.q.ClassifiedAny(ctx, tx)
		if err != nil {
			return nil, fmt.Errorf("list issues to classify: %w", err)
		}
		all = !some
	}
	// JIT compiling these plans costs more than running them. Hand-written:
	// a setting, not a query, around the generated statements.
	if err := setLocal(ctx, tx, "jit = off"); err != nil {
		return nil, fmt.Errorf("list issues to classify: %w", err)
	}
	var ids []int64
	var err error
	if all {
		ids, err = s.q.ClassifyPendingAll(ctx, tx)
	} else {
		ids, err = s.classifyPendingDelta(ctx, tx, p.RulesVersion)
	}
	if err != nil {
		return nil, fmt.Errorf("list issues to classify: %w", err)
	}
	if ids == nil {
		ids = []int64{} // as before: empty, not nil
	}
	if err := resetSettings(ctx, tx, "jit"); err != nil {
		return nil, fmt.Errorf("list issues to classify: %w", err)
	}
	return ids, nil
}

// classifyPendingDelta is the incremental selection of ClassifyPendingIDs.
func (s *Store) classifyPendingDelta(ctx context.Context, tx pgx.Tx, version string) ([]int64, error) {
	mark, err := s.q.ClassifyWatermark(ctx, tx)
	if err != nil {
		return nil, err
	}
	versions, err := s.q.ClassifyRulesVersions(ctx, tx)
	if err != nil {
		return nil, err
	}
	others := make([]string, 0, len(versions))
	for _, v := range versions {
		if v != version {
			others = append(others, v)
		}
	}
	cands, err := s.q.ClassifyPendingCandidates(ctx, tx, dbsqlc.ClassifyPendingCandidatesParams{Mark: mark, Versions: others})
	if err != nil {
		return nil, err
	}
	if len(cands) == 0 {
		return nil, nil
	}
	return s.q.ClassifyPendingFilter(ctx, tx, dbsqlc.ClassifyPendingFilterParams{Ids: cands, RulesVersion: version})
}

// ClassifyIssuesGet loads issues with their comments, in the order of ids.
func (s *Store) ClassifyIssuesGet(ctx context.Context, ids []int64) ([]ClassifyIssue, error) {
	return classifyIssuesGet(ctx, s.pool, ids)
}

// classifyIssuesGet is ClassifyIssuesGet on db (the pool, or a batch's
// transaction so that extracting a batch holds one connection).
func classifyIssuesGet(ctx context.Context, db dbsqlc.DBTX, ids []int64) ([]ClassifyIssue, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := dbsqlc.New().ClassifyIssuesGet(ctx, db, ids)
	if err != nil {
		return nil, fmt.Errorf("load issues to classify: %w", err)
	}
	byID := make(map[int64]*ClassifyIssue, len(ids))
	out := make([]ClassifyIssue, 0, len(ids))
	for _, r := range rows {
		out = append(out, ClassifyIssue{ID: r.ID, Repository: r.FullName, Number: int(r.Number), Title: r.Title, Body: r.Body,
			Labels: r.Labels, HTMLURL: r.HtmlUrl, CreatedAt: r.CreatedAt.UTC(), ReactionsTotal: int(r.ReactionsTotal),
			PrevHash: r.PrevHash, PrevRules: r.PrevRules})
	}
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	crows, err := dbsqlc.New().ClassifyCommentsGet(ctx, db, ids)
	if err != nil {
		return nil, fmt.Errorf("load comments to classify: %w", err)
	}
	for _, c := range crows {
		if is := byID[c.IssueID]; is != nil {
			is.Comments = append(is.Comments, ClassifyComment{Body: c.Body, CreatedAt: c.CreatedAt.UTC()})
		}
	}
	// restore the order of ids
	pos := make(map[int64]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	sorted := make([]ClassifyIssue, len(ids))
	n := 0
	for _, is := range out {
		if p, ok := pos[is.ID]; ok {
			sorted[p] = is
			n++
		}
	}
	res := sorted[:0]
	for _, is := range sorted {
		if is.ID != 0 {
			res = append(res, is)
		}
	}
	return res, nil
}

// SignatureRow is one ranked error signature of an issue.
type SignatureRow struct {
	IssueID     int64
	Rank        int
	Raw         string
	Normalized  string
	Fingerprint string
	Source      string
	Score       float32
}

// ClassificationRow records that an issue was classified.
type ClassificationRow struct {
	IssueID      int64
	ContentHash  string
	RulesVersion string
}

// SignatureReplaceMany replaces the signatures of the issues in marks with
// rows, and records their classification (content hash, rules version) as
// made at at (the start of the classify run).
// Hand-written: the COPY, and the classification marks' multi-argument
// unnest (sqlc cannot type it); the delete is generated.
func (s *Store) SignatureReplaceMany(ctx context.Context, tx pgx.Tx, marks []ClassificationRow, rows []SignatureRow, at time.Time) error {
	if len(marks) == 0 {
		return nil
	}
	ids := make([]int64, len(marks))
	hashes := make([]string, len(marks))
	versions := make([]string, len(marks))
	for i, m := range marks {
		ids[i], hashes[i], versions[i] = m.IssueID, m.ContentHash, m.RulesVersion
	}
	// issue_signatures is keyed by (issue_id, rank), so without statistics
	// (none yet after the large classify that wrote it) the planner takes
	// a batch's ids for most of the table and reads all of it: 0.6 s per
	// batch on the 1M store. A batch's ids are a few thousand probes of
	// the key whatever the statistics say. Settings, not queries.
	if err := setLocal(ctx, tx, "enable_seqscan = off", "jit = off"); err != nil {
		return fmt.Errorf("delete signatures: %w", err)
	}
	if err := s.q.SignaturesDelete(ctx, tx, ids); err != nil {
		return fmt.Errorf("delete signatures: %w", err)
	}
	if err := resetSettings(ctx, tx, "enable_seqscan", "jit"); err != nil {
		return fmt.Errorf("delete signatures: %w", err)
	}
	if len(rows) > 0 {
		data := make([][]any, len(rows))
		for i, r := range rows {
			data[i] = []any{r.IssueID, int32(r.Rank), CleanText(r.Raw), CleanText(r.Normalized), r.Fingerprint, r.Source, r.Score}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"issue_signatures"},
			[]string{"issue_id", "rank", "raw", "normalized", "fingerprint", "source", "score"}, pgx.CopyFromRows(data)); err != nil {
			return fmt.Errorf("write signatures: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO issue_classification (issue_id, content_hash, rules_version, classified_at)
		SELECT * , $4::timestamptz FROM unnest($1::bigint[], $2::text[], $3::text[])
		ON CONFLICT (issue_id) DO UPDATE SET content_hash = EXCLUDED.content_hash,
			rules_version = EXCLUDED.rules_version, classified_at = EXCLUDED.classified_at`, ids, hashes, versions, at); err != nil {
		return fmt.Errorf("record classification: %w", err)
	}
	return nil
}

// ClassificationTouchMany marks issues as classified at at without
// changing their signatures (their content hash did not change).
func (s *Store) ClassificationTouchMany(ctx context.Context, tx pgx.Tx, ids []int64, rulesVersion string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.q.ClassificationTouchMany(ctx, tx, dbsqlc.ClassificationTouchManyParams{Ids: ids, RulesVersion: rulesVersion, ClassifiedAt: at}); err != nil {
		return fmt.Errorf("touch classification: %w", err)
	}
	return nil
}

// ClusterState is what the clusterer needs of a stored cluster.
type ClusterState struct {
	ID          int64
	Slug        string
	Key         string
	Concept     string
	Signature   string
	Fingerprint string
	WeakCodes   []string
	Size        int
	Profile     []string // distinct member templates (classify v2)
}

// ClusterStateList returns the active clusters, oldest first.
func (s *Store) ClusterStateList(ctx context.Context, tx pgx.Tx) ([]ClusterState, error) {
	rows, err := s.q.ClusterStateList(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("list cluster state: %w", err)
	}
	out := make([]ClusterState, len(rows))
	for i, r := range rows {
		out[i] = ClusterState{ID: r.ID, Slug: r.Slug, Key: r.Key, Concept: r.Concept, Signature: r.Signature,
			Fingerprint: r.Fingerprint, WeakCodes: r.WeakCodes, Size: int(r.Size), Profile: r.Profile}
	}
	return out, nil
}

// ClusterSlugsList returns every slug ever given (slugs are never reused).
func (s *Store) ClusterSlugsList(ctx context.Context, tx pgx.Tx) (map[string]bool, error) {
	slugs, err := s.q.ClusterSlugsList(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("list slugs: %w", err)
	}
	out := make(map[string]bool, len(slugs))
	for _, s := range slugs {
		out[s] = true
	}
	return out, nil
}

// ClusterFingerprintsGet maps the given fingerprints to the clusters that
// have seen them.
func (s *Store) ClusterFingerprintsGet(ctx context.Context, tx pgx.Tx, fps []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(fps) == 0 {
		return out, nil
	}
	rows, err := s.q.ClusterFingerprintsGet(ctx, tx, fps)
	if err != nil {
		return nil, fmt.Errorf("look up fingerprints: %w", err)
	}
	for _, r := range rows {
		out[r.Fingerprint] = r.ClusterID
	}
	return out, nil
}

// ClusterFingerprintSetMany records fingerprints seen in clusters; a
// fingerprint moves to the cluster given last.
func (s *Store) ClusterFingerprintSetMany(ctx context.Context, tx pgx.Tx, fps map[string]int64) error {
	if len(fps) == 0 {
		return nil
	}
	keys := make([]string, 0, len(fps))
	ids := make([]int64, 0, len(fps))
	for fp, id := range fps {
		keys = append(keys, fp)
		ids = append(ids, id)
	}
	if err := s.q.ClusterFingerprintSetMany(ctx, tx, dbsqlc.ClusterFingerprintSetManyParams{Fingerprints: keys, ClusterIds: ids}); err != nil {
		return fmt.Errorf("record fingerprints: %w", err)
	}
	return nil
}

// ClusterNew is a cluster to create.
type ClusterNew struct {
	Slug        string
	Title       string
	Key         string
	Concept     string
	Signature   string
	Fingerprint string
	WeakCodes   []string
}

// ClusterCreateMany inserts clusters and returns their ids in order.
// Hand-written: a multi-argument unnest, which sqlc cannot type.
func (s *Store) ClusterCreateMany(ctx context.Context, tx pgx.Tx, cs []ClusterNew) ([]int64, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(cs))
	const chunk = 5000
	for start := 0; start < len(cs); start += chunk {
		end := min(start+chunk, len(cs))
		part := cs[start:end]
		var slugs, titles, keys, concepts, sigs, fps, weak []string
		for _, c := range part {
			slugs = append(slugs, c.Slug)
			titles = append(titles, CleanText(c.Title))
			keys = append(keys, c.Key)
			concepts = append(concepts, c.Concept)
			sigs = append(sigs, CleanText(c.Signature))
			fps = append(fps, c.Fingerprint)
			weak = append(weak, strings.Join(c.WeakCodes, ","))
		}
		rows, err := tx.Query(ctx, `
			INSERT INTO clusters (slug, title, key, concept, signature, fingerprint, weak_codes)
			SELECT s, t, k, c, sg, f, CASE WHEN w = '' THEN '{}'::text[] ELSE string_to_array(w, ',') END
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
			     WITH ORDINALITY AS x(s, t, k, c, sg, f, w, n)
			ORDER BY n
			RETURNING id, slug`, slugs, titles, keys, concepts, sigs, fps, weak)
		if err != nil {
			return nil, fmt.Errorf("create clusters: %w", err)
		}
		bySlug := make(map[string]int64, len(part))
		for rows.Next() {
			var id int64
			var slug string
			if err := rows.Scan(&id, &slug); err != nil {
				rows.Close()
				return nil, fmt.Errorf("create clusters: %w", err)
			}
			bySlug[slug] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("create clusters: %w", err)
		}
		for _, c := range part {
			id, ok := bySlug[c.Slug]
			if !ok {
				return nil, fmt.Errorf("create clusters: no id for slug %q", c.Slug)
			}
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// ClusterDefine updates what a kept cluster groups on (after a rebuild
// matched it to a recomputed group). Its slug never changes.
func (s *Store) ClusterDefine(ctx context.Context, tx pgx.Tx, id int64, c ClusterNew) error {
	err := s.q.ClusterDefine(ctx, tx, dbsqlc.ClusterDefineParams{ID: id, Key: c.Key, Concept: c.Concept,
		Signature: CleanText(c.Signature), Fingerprint: c.Fingerprint, WeakCodes: nonNil(c.WeakCodes)})
	if err != nil {
		return fmt.Errorf("update cluster %d: %w", id, err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// MemberRow puts an issue in a cluster.
type MemberRow struct {
	IssueID   int64
	ClusterID int64
	Score     float32
	Reason    string
}

// MemberCurrent returns the current cluster of each given issue that has one.
func (s *Store) MemberCurrent(ctx context.Context, tx pgx.Tx, issueIDs []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(issueIDs) == 0 {
		return out, nil
	}
	rows, err := s.q.MemberCurrent(ctx, tx, issueIDs)
	if err != nil {
		return nil, fmt.Errorf("read members: %w", err)
	}
	for _, r := range rows {
		out[r.IssueID] = r.ClusterID
	}
	return out, nil
}

// MemberAll returns the cluster of every clustered issue.
func (s *Store) MemberAll(ctx context.Context, tx pgx.Tx) (map[int64]int64, error) {
	rows, err := s.q.MemberAll(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("read members: %w", err)
	}
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		out[r.IssueID] = r.ClusterID
	}
	return out, nil
}

// MemberSetMany writes memberships (replacing an issue's previous one) and
// removes the membership of the issues in remove.
// Hand-written: the stage's CREATE TEMP TABLE and DROP TABLE and the COPY
// into it (sqlc has none of them); the merge from the stage (sqlc reads
// the stage's DDL, stages/member_stage.sql) and the removal are generated.
func (s *Store) MemberSetMany(ctx context.Context, tx pgx.Tx, rows []MemberRow, remove []int64) error {
	if len(remove) > 0 {
		if err := s.q.MembersRemove(ctx, tx, remove); err != nil {
			return fmt.Errorf("remove members: %w", err)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, memberStage); err != nil {
		return fmt.Errorf("stage members: %w", err)
	}
	// Copy in chunks so that a million memberships never sit in memory as
	// driver rows at once.
	const chunk = 50000
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		data := make([][]any, len(part))
		for i, r := range part {
			data[i] = []any{r.IssueID, r.ClusterID, r.Score, r.Reason}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"member_stage"}, []string{"issue_id", "cluster_id", "score", "reason"}, pgx.CopyFromRows(data)); err != nil {
			return fmt.Errorf("stage members: %w", err)
		}
	}
	if err := s.q.MembersMergeStage(ctx, tx); err != nil {
		return fmt.Errorf("write members: %w", err)
	}
	if _, err := tx.Exec(ctx, `DROP TABLE member_stage`); err != nil {
		return fmt.Errorf("drop member stage: %w", err)
	}
	return nil
}

// ClusterRedirect records that a cluster's reports went to another one.
type ClusterRedirect struct {
	OldID, NewID int64
	Kind         string // merge | split
}

// ClusterRedirectAddMany records redirects. A merged cluster gets status
// 'merged' and merged_into; a split one whose reports all left gets status
// 'dissolved' (its redirects list where they went).
func (s *Store) ClusterRedirectAddMany(ctx context.Context, tx pgx.Tx, rs []ClusterRedirect) error {
	for _, r := range rs {
		if r.OldID == r.NewID {
			continue
		}
		if err := s.q.ClusterRedirectAdd(ctx, tx, dbsqlc.ClusterRedirectAddParams{OldID: r.OldID, NewID: r.NewID, Kind: r.Kind}); err != nil {
			return fmt.Errorf("record redirect %d -> %d: %w", r.OldID, r.NewID, err)
		}
		if r.Kind == "merge" {
			if err := s.q.ClusterMarkMerged(ctx, tx, dbsqlc.ClusterMarkMergedParams{OldID: r.OldID, NewID: r.NewID}); err != nil {
				return fmt.Errorf("mark cluster %d merged: %w", r.OldID, err)
			}
			// Chains: clusters merged into the old one now point at the new one.
			if err := s.q.ClusterMergeChainFollow(ctx, tx, dbsqlc.ClusterMergeChainFollowParams{OldID: r.OldID, NewID: r.NewID}); err != nil {
				return fmt.Errorf("follow merges into %d: %w", r.OldID, err)
			}
		}
	}
	return nil
}

// ClusterFingerprintsClear forgets every recorded fingerprint (a rebuild
// records them again).
func (s *Store) ClusterFingerprintsClear(ctx context.Context, tx pgx.Tx) error {
	if err := s.q.ClusterFingerprintsClear(ctx, tx); err != nil {
		return fmt.Errorf("clear fingerprints: %w", err)
	}
	return nil
}

// ClusterSizes returns the size of the given clusters.
func (s *Store) ClusterSizes(ctx context.Context, tx pgx.Tx, ids []int64) (map[int64]int, error) {
	out := map[int64]int{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.q.ClusterSizes(ctx, tx, ids)
	if err != nil {
		return nil, fmt.Errorf("read cluster sizes: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = int(r.Size)
	}
	return out, nil
}

// ClusterRefresh recomputes size, first_seen and last_seen and the daily
// counts of the given clusters from their members. Clusters left without
// members and not merged become 'dissolved'.
//
// Daily counts: reports are the members' issues per UTC day of created_at,
// comments the members' comments per UTC day of their created_at, and
// reactions the members' issue reactions counted on the issue's day.
func (s *Store) ClusterRefresh(ctx context.Context, tx pgx.Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	// The memberships were just written in this transaction: the planner's
	// statistics still describe cluster_members as it was before (empty on
	// a first classify), so it planned the joins below for a few thousand
	// members, and with a million they spilled whole issue and comment rows
	// to disk (docs/benchmarks.md, "first classify of a large store").
	// ANALYZE counts this transaction's own rows. Hand-written: a
	// maintenance command before the generated statements, not a query.
	if _, err := tx.Exec(ctx, `ANALYZE cluster_members`); err != nil {
		return fmt.Errorf("refresh clusters: analyze members: %w", err)
	}
	if err := s.q.ClusterRefreshSizes(ctx, tx, ids); err != nil {
		return fmt.Errorf("refresh clusters: %w", err)
	}
	if err := s.q.ClusterDailyCountsClear(ctx, tx, ids); err != nil {
		return fmt.Errorf("clear daily counts: %w", err)
	}
	if err := s.q.ClusterDailyCountsWrite(ctx, tx, ids); err != nil {
		return fmt.Errorf("write daily counts: %w", err)
	}
	return nil
}

// MemberFact is what labeling reads from one member of a cluster.
type MemberFact struct {
	Repository string
	Labels     []string
	Title      string
	Text       string // primary signature raw text
	HTMLURL    string
}

// ClusterMemberFacts returns up to perCluster members (the most recently
// stored) of each given cluster.
func (s *Store) ClusterMemberFacts(ctx context.Context, tx pgx.Tx, ids []int64, perCluster int) (map[int64][]MemberFact, error) {
	out := map[int64][]MemberFact{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.q.ClusterMemberFacts(ctx, tx, dbsqlc.ClusterMemberFactsParams{Ids: ids, PerCluster: int32(min(perCluster, math.MaxInt32))})
	if err != nil {
		return nil, fmt.Errorf("read member facts: %w", err)
	}
	for _, r := range rows {
		out[r.ClusterID] = append(out[r.ClusterID], MemberFact{
			Repository: r.FullName, Labels: r.Labels, Title: r.Title, Text: r.Text, HTMLURL: r.HtmlUrl})
	}
	return out, nil
}

// ClusterLabels is the topic, category and tools of a cluster with why.
type ClusterLabels struct {
	ID             int64
	Title          string // "" keeps the current title
	Topic          string
	TopicReason    string
	Category       string
	CategoryReason string
	Tools          []string
	ToolsReason    string
}

// ClusterLabelsSetMany writes topics, categories and tools.
// Hand-written: one pgx batch of updates (sqlc methods cannot join a batch).
func (s *Store) ClusterLabelsSetMany(ctx context.Context, tx pgx.Tx, ls []ClusterLabels) error {
	if len(ls) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, l := range ls {
		b.Queue(`UPDATE clusters SET topic = nullif($2, ''), topic_reason = $3, category = nullif($4, ''),
			category_reason = $5, tools = $6, tools_reason = $7,
			title = CASE WHEN $8 = '' THEN title ELSE $8 END
			WHERE id = $1`, l.ID, l.Topic, l.TopicReason, l.Category, l.CategoryReason, nonNil(l.Tools), l.ToolsReason, CleanText(l.Title))
	}
	br := tx.SendBatch(ctx, b)
	for range ls {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("write cluster labels: %w", err)
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("write cluster labels: %w", err)
	}
	return nil
}

// ClusterInfo is a cluster as listed.
type ClusterInfo struct {
	ID             int64
	Slug           string
	Title          string
	Signature      string
	Fingerprint    string
	Concept        string
	Topic          string
	TopicReason    string
	Category       string
	CategoryReason string
	Tools          []string
	ToolsReason    string
	Status         string
	MergedInto     *int64
	Size           int
	FirstSeen      *time.Time
	LastSeen       *time.Time
}

// ClusterListParams filters ClusterList.
type ClusterListParams struct {
	Topic    string // topic id; "" for all
	Category string // category id; "" for all
	MinSize  int
	Limit    int // 0 for no limit
}

// clusterInfo converts a generated cluster row (ClusterGet's has the same
// shape), in UTC.
func clusterInfo(r dbsqlc.ClusterListRow) ClusterInfo {
	return ClusterInfo{ID: r.ID, Slug: r.Slug, Title: r.Title, Signature: r.Signature, Fingerprint: r.Fingerprint,
		Concept: r.Concept, Topic: r.Topic, TopicReason: r.TopicReason, Category: r.Category, CategoryReason: r.CategoryReason,
		Tools: r.Tools, ToolsReason: r.ToolsReason, Status: r.Status, MergedInto: r.MergedInto, Size: int(r.Size),
		FirstSeen: utcPtr(r.FirstSeen), LastSeen: utcPtr(r.LastSeen)}
}

// ClusterList returns active clusters, largest first.
func (s *Store) ClusterList(ctx context.Context, p ClusterListParams) ([]ClusterInfo, error) {
	arg := dbsqlc.ClusterListParams{MinSize: int32(max(p.MinSize, 1)), Topic: p.Topic, Category: p.Category}
	if p.Limit > 0 {
		n := int32(p.Limit)
		arg.MaxRows = &n
	}
	rows, err := s.q.ClusterList(ctx, s.pool, arg)
	if err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	out := make([]ClusterInfo, len(rows))
	for i, r := range rows {
		out[i] = clusterInfo(r)
	}
	return out, nil
}

// ClusterGet finds a cluster by id (decimal) or slug, whatever its status.
func (s *Store) ClusterGet(ctx context.Context, idOrSlug string) (*ClusterInfo, error) {
	id, _ := strconv.ParseInt(idOrSlug, 10, 64)
	r, err := s.q.ClusterGet(ctx, s.pool, dbsqlc.ClusterGetParams{ID: id, Slug: idOrSlug})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get cluster: %w", err)
	}
	c := clusterInfo(dbsqlc.ClusterListRow(r))
	return &c, nil
}

// ClusterDetail is what listings show of a cluster's members.
type ClusterDetail struct {
	Examples     []string // distinct raw primary error texts, newest first
	Members      []string // html_urls, oldest first
	Repositories []string // distinct, sorted
}

// ClusterDetailsGet returns members, repositories and up to maxExamples
// example error texts of each cluster.
func (s *Store) ClusterDetailsGet(ctx context.Context, ids []int64, maxExamples int) (map[int64]*ClusterDetail, error) {
	out := map[int64]*ClusterDetail{}
	if len(ids) == 0 {
		return out, nil
	}
	for _, id := range ids {
		out[id] = &ClusterDetail{Examples: []string{}, Members: []string{}, Repositories: []string{}}
	}
	rows, err := s.q.ClusterMemberDetails(ctx, s.pool, ids)
	if err != nil {
		return nil, fmt.Errorf("read cluster members: %w", err)
	}
	seenRepo := map[int64]map[string]bool{}
	seenEx := map[int64]map[string]bool{}
	for _, row := range rows {
		id, url, repo, raw := row.ClusterID, row.HtmlUrl, row.FullName, row.Error
		d := out[id]
		d.Members = append(d.Members, url)
		if seenRepo[id] == nil {
			seenRepo[id], seenEx[id] = map[string]bool{}, map[string]bool{}
		}
		if !seenRepo[id][repo] {
			seenRepo[id][repo] = true
			d.Repositories = append(d.Repositories, repo)
		}
		if raw != "" && !seenEx[id][raw] && len(d.Examples) < maxExamples {
			seenEx[id][raw] = true
			d.Examples = append(d.Examples, raw)
		}
	}
	for _, d := range out {
		sortStrings(d.Repositories)
	}
	return out, nil
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && strings.ToLower(s[j]) < strings.ToLower(s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// ClusterRedirectsList returns every redirect, oldest first.
func (s *Store) ClusterRedirectsList(ctx context.Context) ([]ClusterRedirect, error) {
	rows, err := s.q.ClusterRedirectsList(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("list redirects: %w", err)
	}
	out := make([]ClusterRedirect, len(rows))
	for i, r := range rows {
		out[i] = ClusterRedirect{OldID: r.OldID, NewID: r.NewID, Kind: r.Kind}
	}
	return out, nil
}

// ClusterDailyCount is one day of a cluster's activity.
type ClusterDailyCount struct {
	Day                          time.Time
	Reports, Comments, Reactions int
}

// ClusterDailyCountsGet returns a cluster's daily counts, by day.
func (s *Store) ClusterDailyCountsGet(ctx context.Context, id int64) ([]ClusterDailyCount, error) {
	rows, err := s.q.ClusterDailyCountsGet(ctx, s.pool, id)
	if err != nil {
		return nil, fmt.Errorf("read daily counts: %w", err)
	}
	out := make([]ClusterDailyCount, len(rows))
	for i, r := range rows {
		out[i] = ClusterDailyCount{Day: r.Day.UTC(), Reports: int(r.Reports), Comments: int(r.Comments), Reactions: int(r.Reactions)}
	}
	return out, nil
}

// ClusterRefreshDelta is the incremental form of ClusterRefresh, for runs
// that changed few issues: sizes move by sizeDelta (members gained minus
// members lost, per cluster), first/last seen widened by
// the changed issues (and fully recomputed for clusters in shrunk, which
// lost members), and daily counts recomputed only for the given UTC days
// (the days of the changed issues and of their comments) of the given
// clusters. Work is proportional to the change, not to the clusters' size.
// Hand-written: the size update's multi-argument unnest, which sqlc
// cannot type; the other statements are generated.
func (s *Store) ClusterRefreshDelta(ctx context.Context, tx pgx.Tx, ids, changedIssues, shrunk []int64, sizeDelta map[int64]int, days []time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	dids := make([]int64, 0, len(sizeDelta))
	deltas := make([]int32, 0, len(sizeDelta))
	for id, d := range sizeDelta {
		dids = append(dids, id)
		deltas = append(deltas, int32(d))
	}
	if _, err := tx.Exec(ctx, `
		UPDATE clusters c SET size = c.size + d.delta, updated_at = now()
		FROM unnest($1::bigint[], $2::int[]) AS d(id, delta)
		WHERE c.id = d.id`, dids, deltas); err != nil {
		return fmt.Errorf("refresh cluster sizes: %w", err)
	}
	if err := s.q.ClusterDatesWiden(ctx, tx, changedIssues); err != nil {
		return fmt.Errorf("refresh cluster dates: %w", err)
	}
	if len(shrunk) > 0 {
		if err := s.q.ClusterDatesRecompute(ctx, tx, dbsqlc.ClusterDatesRecomputeParams{Ids: shrunk, LeftIssues: changedIssues}); err != nil {
			return fmt.Errorf("refresh cluster dates: %w", err)
		}
	}
	if err := s.q.ClusterDissolveEmpty(ctx, tx, ids); err != nil {
		return fmt.Errorf("dissolve empty clusters: %w", err)
	}
	utcDays := make([]pgtype.Date, len(days))
	for i, d := range days {
		utcDays[i] = pgtype.Date{Time: dateOnly(d), Valid: true}
	}
	if err := s.q.ClusterDailyCountsClearDays(ctx, tx, dbsqlc.ClusterDailyCountsClearDaysParams{Ids: ids, Days: utcDays}); err != nil {
		return fmt.Errorf("clear daily counts: %w", err)
	}
	// JIT would cost more than the statement (a setting, not a query).
	if err := setLocal(ctx, tx, "jit = off"); err != nil {
		return fmt.Errorf("write daily counts: %w", err)
	}
	if err := s.q.ClusterDailyCountsWriteDays(ctx, tx, dbsqlc.ClusterDailyCountsWriteDaysParams{Ids: ids, Days: utcDays}); err != nil {
		return fmt.Errorf("write daily counts: %w", err)
	}
	if err := resetSettings(ctx, tx, "jit"); err != nil {
		return fmt.Errorf("write daily counts: %w", err)
	}
	return nil
}

// ClusterMemberURLList maps each clustered issue's html_url to its
// cluster's id (for scoring clusters against labelled data).
func (s *Store) ClusterMemberURLList(ctx context.Context) (map[string]int64, error) {
	rows, err := s.q.ClusterMemberURLList(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("read cluster members: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.HtmlUrl] = r.ClusterID
	}
	return out, nil
}

// ClusterConcept is the concept and signature of a cluster (what labeling
// reads besides its members).
type ClusterConcept struct {
	Concept   string
	Signature string
}

// ClusterConceptsGet returns the concept and signature of the given
// clusters.
func (s *Store) ClusterConceptsGet(ctx context.Context, tx pgx.Tx, ids []int64) (map[int64]ClusterConcept, error) {
	out := map[int64]ClusterConcept{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.q.ClusterConceptsGet(ctx, tx, ids)
	if err != nil {
		return nil, fmt.Errorf("read cluster concepts: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = ClusterConcept{Concept: r.Concept, Signature: r.Signature}
	}
	return out, nil
}

// planSettings are the statements behind the planner settings classify's
// statements change for themselves (setLocal and resetSettings take their
// names; constant text).
var planSettings = map[string]string{
	"jit = off":            `SET LOCAL jit = off`,
	"enable_seqscan = off": `SET LOCAL enable_seqscan = off`,
	"jit":                  `RESET jit`,
	"enable_seqscan":       `RESET enable_seqscan`,
}

// setLocal sets planner settings for the rest of the transaction (until
// resetSettings). Hand-written: settings, not queries.
func setLocal(ctx context.Context, tx pgx.Tx, settings ...string) error {
	return execSettings(ctx, tx, settings)
}

// resetSettings puts planner settings back to the session's values.
func resetSettings(ctx context.Context, tx pgx.Tx, names ...string) error {
	return execSettings(ctx, tx, names)
}

func execSettings(ctx context.Context, tx pgx.Tx, names []string) error {
	for _, name := range names {
		q, ok := planSettings[name]
		if !ok {
			return fmt.Errorf("unknown planner setting %q", name)
		}
		if _, err := tx.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
