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
