package store

import (
	"context"
	"fmt"
	"time"

	"github.com/errata-tool/errata/store/internal/dbsqlc"
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
	r, err := s.q.LLMCacheGet(ctx, s.pool, dbsqlc.LLMCacheGetParams{Model: model, PromptHash: promptHash})
	if err != nil {
		return nil, translate(err)
	}
	return &LLMCacheEntry{Model: r.Model, PromptHash: r.PromptHash, Kind: r.Kind, Content: r.Content,
		PromptTokens: int(r.PromptTokens), CompletionTokens: int(r.CompletionTokens),
		CreatedAt: r.CreatedAt.UTC(), LastUsedAt: r.LastUsedAt.UTC()}, nil
}

// LLMCachePut stores (or replaces) a cached answer.
func (s *Store) LLMCachePut(ctx context.Context, e LLMCacheEntry) error {
	err := s.q.LLMCachePut(ctx, s.pool, dbsqlc.LLMCachePutParams{Model: e.Model, PromptHash: e.PromptHash, Kind: e.Kind,
		Content: CleanText(e.Content), PromptTokens: int32(e.PromptTokens), CompletionTokens: int32(e.CompletionTokens)})
	if err != nil {
		return fmt.Errorf("store llm answer: %w", err)
	}
	return nil
}

// LLMCachePrune deletes answers not used since before, returning how many.
func (s *Store) LLMCachePrune(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.q.LLMCachePrune(ctx, s.pool, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("prune llm answers: %w", err)
	}
	return n, nil
}

// LLMCacheCount returns the number of cached answers.
func (s *Store) LLMCacheCount(ctx context.Context) (int64, error) {
	n, err := s.q.LLMCacheCount(ctx, s.pool)
	if err != nil {
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

// LLMRefineClusterList returns the active clusters with at least minSize
// reports, largest first (ties by id), with their llm_cluster_text rows.
func (s *Store) LLMRefineClusterList(ctx context.Context, minSize int) ([]LLMRefineCluster, error) {
	rows, err := s.q.LLMRefineClusterList(ctx, s.pool, int32(max(minSize, 1)))
	if err != nil {
		return nil, fmt.Errorf("list clusters for the model: %w", err)
	}
	out := make([]LLMRefineCluster, 0, len(rows))
	for _, r := range rows {
		c := LLMRefineCluster{ID: r.ID, Slug: r.Slug, Title: r.Title, Description: r.Description, Signature: r.Signature,
			Topic: r.Topic, Category: r.Category, Tools: r.Tools, Size: int(r.Size)}
		if r.HasText {
			c.Text = &LLMClusterText{ClusterID: r.ID, EvidenceHash: r.TextEvidenceHash, Model: r.TextModel, Title: r.TextTitle,
				Description: r.TextDescription, RuleTitle: r.TextRuleTitle, RuleDescription: r.TextRuleDescription,
				Topic: r.TextTopic, Category: r.TextCategory, Reason: r.TextReason, RefinedAt: r.TextRefinedAt.UTC()}
		}
		out = append(out, c)
	}
	return out, nil
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
	rows, err := s.q.LLMClusterSources(ctx, s.pool, dbsqlc.LLMClusterSourcesParams{Ids: ids, PerCluster: int32(perCluster), MaxBody: int32(maxBody)})
	if err != nil {
		return nil, fmt.Errorf("read cluster evidence: %w", err)
	}
	for _, r := range rows {
		out[r.ClusterID] = append(out[r.ClusterID], LLMSourceIssue{Repository: r.FullName, Number: int(r.Number), Title: r.Title,
			Body: r.Body, State: r.State, HTMLURL: r.HtmlUrl, Error: r.Error, CreatedAt: r.CreatedAt.UTC()})
	}
	return out, nil
}

// LLMClusterTextApply records what the model wrote for a cluster and
// applies it: the title and description replace the cluster's when the
// cluster still shows the rules' (or the model's earlier) text; the topic
// and category fill only fields no rule decided. One transaction.
func (s *Store) LLMClusterTextApply(ctx context.Context, t LLMClusterText) error {
	return s.InTx(ctx, func(tx Tx) error {
		err := s.q.LLMClusterTextPut(ctx, tx, dbsqlc.LLMClusterTextPutParams{ClusterID: t.ClusterID, EvidenceHash: t.EvidenceHash,
			Model: t.Model, Title: CleanText(t.Title), Description: CleanText(t.Description), RuleTitle: CleanText(t.RuleTitle),
			RuleDescription: CleanText(t.RuleDescription), Topic: t.Topic, Category: t.Category, Reason: CleanText(t.Reason)})
		if err != nil {
			return fmt.Errorf("record model text for cluster %d: %w", t.ClusterID, err)
		}
		return s.llmApply(ctx, tx, t)
	})
}

// LLMClusterTextReapply applies a recorded row again (after classify reset
// a topic, say) without changing it.
func (s *Store) LLMClusterTextReapply(ctx context.Context, t LLMClusterText) error {
	return s.InTx(ctx, func(tx Tx) error { return s.llmApply(ctx, tx, t) })
}

func (s *Store) llmApply(ctx context.Context, tx Tx, t LLMClusterText) error {
	if t.Title != "" {
		err := s.q.LLMClusterTitleApply(ctx, tx, dbsqlc.LLMClusterTitleApplyParams{ID: t.ClusterID, Title: CleanText(t.Title),
			Description: CleanText(t.Description), RuleTitle: CleanText(t.RuleTitle)})
		if err != nil {
			return fmt.Errorf("write model title for cluster %d: %w", t.ClusterID, err)
		}
	}
	reason := "llm: " + t.Model
	if t.Reason != "" {
		reason += ": " + CleanText(t.Reason)
	}
	if t.Topic != "" {
		if err := s.q.LLMClusterTopicApply(ctx, tx, dbsqlc.LLMClusterTopicApplyParams{ID: t.ClusterID, Topic: t.Topic, Reason: reason}); err != nil {
			return fmt.Errorf("write model topic for cluster %d: %w", t.ClusterID, err)
		}
	}
	if t.Category != "" {
		if err := s.q.LLMClusterCategoryApply(ctx, tx, dbsqlc.LLMClusterCategoryApplyParams{ID: t.ClusterID, Category: t.Category, Reason: reason}); err != nil {
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
	rows, err := s.q.LLMClusterTextList(ctx, s.pool, ids)
	if err != nil {
		return nil, fmt.Errorf("read model text: %w", err)
	}
	for _, r := range rows {
		out[r.ClusterID] = LLMClusterText{ClusterID: r.ClusterID, EvidenceHash: r.EvidenceHash, Model: r.Model, Title: r.Title,
			Description: r.Description, RuleTitle: r.RuleTitle, RuleDescription: r.RuleDescription, Topic: r.Topic,
			Category: r.Category, Reason: r.Reason, RefinedAt: r.RefinedAt.UTC()}
	}
	return out, nil
}
