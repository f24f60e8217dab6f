package store

import (
	"context"
	"fmt"
	"time"
)

// LLMCacheEntry is one cached language-model answer (table llm_cache).
type LLMCacheEntry struct {
	Model            string
	PromptHash       string
	Kind             string
	Content          string
	PromptTokens     int
	CompletionTokens int
	CreatedAt        time.Time
	LastUsedAt       time.Time
}

// LLMCacheGet returns the cached answer for model and prompt hash and marks
// it used, or ErrNotFound.
func (s *Store) LLMCacheGet(ctx context.Context, model, promptHash string) (*LLMCacheEntry, error) {
	var e LLMCacheEntry
	err := s.pool.QueryRow(ctx, `
		UPDATE llm_cache SET last_used_at = now()
		WHERE model = $1 AND prompt_hash = $2
		RETURNING model, prompt_hash, kind, content, prompt_tokens, completion_tokens, created_at, last_used_at`,
		model, promptHash).Scan(&e.Model, &e.PromptHash, &e.Kind, &e.Content, &e.PromptTokens, &e.CompletionTokens, &e.CreatedAt, &e.LastUsedAt)
	if err != nil {
		return nil, translate(err)
	}
	e.CreatedAt, e.LastUsedAt = e.CreatedAt.UTC(), e.LastUsedAt.UTC()
	return &e, nil
}

// LLMCachePut stores (or replaces) a cached answer.
func (s *Store) LLMCachePut(ctx context.Context, e LLMCacheEntry) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO llm_cache (model, prompt_hash, kind, content, prompt_tokens, completion_tokens)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (model, prompt_hash) DO UPDATE SET
			kind = EXCLUDED.kind, content = EXCLUDED.content,
			prompt_tokens = EXCLUDED.prompt_tokens, completion_tokens = EXCLUDED.completion_tokens,
			created_at = now(), last_used_at = now()`,
		e.Model, e.PromptHash, e.Kind, CleanText(e.Content), e.PromptTokens, e.CompletionTokens)
	if err != nil {
		return fmt.Errorf("store llm answer: %w", err)
	}
	return nil
}

// LLMCachePrune deletes answers not used since before, returning how many.
func (s *Store) LLMCachePrune(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM llm_cache WHERE last_used_at < $1`, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("prune llm answers: %w", err)
	}
	return tag.RowsAffected(), nil
}

// LLMCacheCount returns the number of cached answers.
func (s *Store) LLMCacheCount(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM llm_cache`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count llm answers: %w", err)
	}
	return n, nil
}

// LLMRefineCluster is an active cluster as the model pass reads it, with
// what the model wrote for it last time (Text is nil when nothing).
type LLMRefineCluster struct {
	ID          int64
	Slug        string
	Title       string
	Description string
	Signature   string
	Topic       string
	Category    string
	Tools       []string
	Size        int
	Text        *LLMClusterText
}

// LLMClusterText is a row of llm_cluster_text.
type LLMClusterText struct {
	ClusterID       int64
	EvidenceHash    string
	Model           string
	Title           string
	Description     string
	RuleTitle       string
	RuleDescription string
	Topic           string
	Category        string
	Reason          string
	RefinedAt       time.Time
}

const llmTextCols = `t.cluster_id, t.evidence_hash, t.model, t.title, t.description, t.rule_title, t.rule_description,
	t.topic, t.category, t.reason, t.refined_at`

// LLMRefineClusterList returns the active clusters with at least minSize
// reports, largest first (ties by id), with their llm_cluster_text rows.
func (s *Store) LLMRefineClusterList(ctx context.Context, minSize int) ([]LLMRefineCluster, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT c.id, c.slug, c.title, c.description, c.signature, coalesce(c.topic, ''), coalesce(c.category, ''), c.tools, c.size,
		       t.cluster_id IS NOT NULL, coalesce(t.evidence_hash, ''), coalesce(t.model, ''), coalesce(t.title, ''),
		       coalesce(t.description, ''), coalesce(t.rule_title, ''), coalesce(t.rule_description, ''),
		       coalesce(t.topic, ''), coalesce(t.category, ''), coalesce(t.reason, ''), coalesce(t.refined_at, 'epoch')
		FROM clusters c LEFT JOIN llm_cluster_text t ON t.cluster_id = c.id
		WHERE c.status = 'active' AND c.size >= $1
		ORDER BY c.size DESC, c.id`, max(minSize, 1))
	if err != nil {
		return nil, fmt.Errorf("list clusters for the model: %w", err)
	}
	defer rows.Close()
	var out []LLMRefineCluster
	for rows.Next() {
		var c LLMRefineCluster
		var has bool
		var t LLMClusterText
		if err := rows.Scan(&c.ID, &c.Slug, &c.Title, &c.Description, &c.Signature, &c.Topic, &c.Category, &c.Tools, &c.Size,
			&has, &t.EvidenceHash, &t.Model, &t.Title, &t.Description, &t.RuleTitle, &t.RuleDescription,
			&t.Topic, &t.Category, &t.Reason, &t.RefinedAt); err != nil {
			return nil, fmt.Errorf("list clusters for the model: %w", err)
		}
		if has {
			t.ClusterID = c.ID
			t.RefinedAt = t.RefinedAt.UTC()
			c.Text = &t
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// LLMSourceIssue is one member report of a cluster, as evidence for the
// model.
type LLMSourceIssue struct {
	Repository string
	Number     int
	Title      string
	Body       string
	State      string
	HTMLURL    string
	Error      string // the issue's primary error text (issue_signatures rank 0)
	CreatedAt  time.Time
}

// LLMClusterSources returns up to perCluster member reports of each
// cluster, oldest first (ties by id): a cluster's first reports rarely
// change, so neither does the evidence sent for it once it has perCluster
// members. Bodies are cut to maxBody characters.
func (s *Store) LLMClusterSources(ctx context.Context, ids []int64, perCluster, maxBody int) (map[int64][]LLMSourceIssue, error) {
	out := map[int64][]LLMSourceIssue{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `
		SELECT cluster_id, full_name, number, title, left(body, $3), state, html_url, coalesce(raw, ''), created_at FROM (
			SELECT m.cluster_id, r.full_name, i.number, i.title, i.body, i.state, i.html_url, sg.raw, i.created_at,
			       row_number() OVER (PARTITION BY m.cluster_id ORDER BY i.created_at, i.id) AS rn
			FROM cluster_members m
			JOIN issues i ON i.id = m.issue_id
			JOIN repositories r ON r.id = i.repository_id
			LEFT JOIN issue_signatures sg ON sg.issue_id = i.id AND sg.rank = 0
			WHERE m.cluster_id = ANY($1)
		) x WHERE rn <= $2
		ORDER BY cluster_id, rn`, ids, perCluster, maxBody)
	if err != nil {
		return nil, fmt.Errorf("read cluster evidence: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var si LLMSourceIssue
		if err := rows.Scan(&id, &si.Repository, &si.Number, &si.Title, &si.Body, &si.State, &si.HTMLURL, &si.Error, &si.CreatedAt); err != nil {
			return nil, fmt.Errorf("read cluster evidence: %w", err)
		}
		si.CreatedAt = si.CreatedAt.UTC()
		out[id] = append(out[id], si)
	}
	return out, rows.Err()
}

// LLMClusterTextApply records what the model wrote for a cluster and
// applies it: the title and description replace the cluster's when the
// cluster still shows the rules' (or the model's earlier) text; the topic
// and category fill only fields no rule decided. One transaction.
func (s *Store) LLMClusterTextApply(ctx context.Context, t LLMClusterText) error {
	return s.InTx(ctx, func(tx Tx) error {
		if _, err := tx.Exec(ctx, `
			INSERT INTO llm_cluster_text (cluster_id, evidence_hash, model, title, description, rule_title, rule_description, topic, category, reason, refined_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
			ON CONFLICT (cluster_id) DO UPDATE SET evidence_hash = EXCLUDED.evidence_hash, model = EXCLUDED.model,
				title = EXCLUDED.title, description = EXCLUDED.description, rule_title = EXCLUDED.rule_title,
				rule_description = EXCLUDED.rule_description, topic = EXCLUDED.topic, category = EXCLUDED.category,
				reason = EXCLUDED.reason, refined_at = now()`,
			t.ClusterID, t.EvidenceHash, t.Model, CleanText(t.Title), CleanText(t.Description), CleanText(t.RuleTitle),
			CleanText(t.RuleDescription), t.Topic, t.Category, CleanText(t.Reason)); err != nil {
			return fmt.Errorf("record model text for cluster %d: %w", t.ClusterID, err)
		}
		return llmApply(ctx, tx, t)
	})
}

// LLMClusterTextReapply applies a recorded row again (after classify reset
// a topic, say) without changing it.
func (s *Store) LLMClusterTextReapply(ctx context.Context, t LLMClusterText) error {
	return s.InTx(ctx, func(tx Tx) error { return llmApply(ctx, tx, t) })
}

func llmApply(ctx context.Context, tx Tx, t LLMClusterText) error {
	if t.Title != "" {
		if _, err := tx.Exec(ctx, `UPDATE clusters SET title = $2, description = $3
			WHERE id = $1 AND (title = $4 OR title = $2) AND (title <> $2 OR description <> $3)`,
			t.ClusterID, CleanText(t.Title), CleanText(t.Description), CleanText(t.RuleTitle)); err != nil {
			return fmt.Errorf("write model title for cluster %d: %w", t.ClusterID, err)
		}
	}
	reason := "llm: " + t.Model
	if t.Reason != "" {
		reason += ": " + CleanText(t.Reason)
	}
	if t.Topic != "" {
		if _, err := tx.Exec(ctx, `UPDATE clusters SET topic = $2, topic_reason = $3 WHERE id = $1 AND topic IS NULL`,
			t.ClusterID, t.Topic, reason); err != nil {
			return fmt.Errorf("write model topic for cluster %d: %w", t.ClusterID, err)
		}
	}
	if t.Category != "" {
		if _, err := tx.Exec(ctx, `UPDATE clusters SET category = $2, category_reason = $3 WHERE id = $1 AND category IS NULL`,
			t.ClusterID, t.Category, reason); err != nil {
			return fmt.Errorf("write model category for cluster %d: %w", t.ClusterID, err)
		}
	}
	return nil
}

// LLMClusterTextGet returns the model's recorded text for the given
// clusters (absent ones have none), for pages to say what a model wrote.
func (s *Store) LLMClusterTextGet(ctx context.Context, ids []int64) (map[int64]LLMClusterText, error) {
	out := map[int64]LLMClusterText{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+llmTextCols+` FROM llm_cluster_text t WHERE t.cluster_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("read model text: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t LLMClusterText
		if err := rows.Scan(&t.ClusterID, &t.EvidenceHash, &t.Model, &t.Title, &t.Description, &t.RuleTitle, &t.RuleDescription,
			&t.Topic, &t.Category, &t.Reason, &t.RefinedAt); err != nil {
			return nil, fmt.Errorf("read model text: %w", err)
		}
		t.RefinedAt = t.RefinedAt.UTC()
		out[t.ClusterID] = t
	}
	return out, rows.Err()
}
