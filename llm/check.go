package llm

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CheckResult describes a successful endpoint check.
type CheckResult struct {
	BaseURL string
	Model   string
	// Format is how structured output is requested from this server:
	// "json_schema", "json_object" or "prompt only".
	Format  string
	Tokens  int
	Elapsed time.Duration
}

var checkSchema = obj(map[string]any{"ok": map[string]any{"type": "boolean"}}, "ok")

// Check verifies the endpoint, key and model with one small uncached call
// (two when the server refuses json_schema output). It ignores the token
// budget and the failure breaker, and does not retry on 429 or 5xx beyond
// the configured retries. Errors say what to fix and never hold the key.
func (c *Client) Check(ctx context.Context) (CheckResult, error) {
	if !c.Enabled() {
		return CheckResult{}, ErrDisabled
	}
	start := time.Now()
	r := request{
		kind: KindCheck, schema: checkSchema, noCache: true, noBudgetOK: true,
		system:    `Answer with the JSON object {"ok": true} and nothing else. JSON schema: {"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"],"additionalProperties":false}`,
		user:      "Are you there?",
		maxTokens: 20,
		validate: func(s string) error {
			var a struct {
				OK *bool `json:"ok"`
			}
			if err := decodeJSON(s, &a); err != nil {
				return err
			}
			if a.OK == nil {
				return errors.New(`answer lacks "ok"`)
			}
			return nil
		},
	}
	a, err := c.complete(ctx, r)
	if err != nil {
		return CheckResult{}, c.explain(err)
	}
	return CheckResult{BaseURL: c.cfg.BaseURL, Model: c.cfg.Model, Format: a.format.String(), Tokens: a.tokens, Elapsed: time.Since(start)}, nil
}

// explain turns a call error into advice.
func (c *Client) explain(err error) error {
	var ce *callError
	where := fmt.Sprintf("%s (model %s)", c.cfg.BaseURL, c.cfg.Model)
	switch {
	case errors.Is(err, errTimeout):
		return fmt.Errorf("%s did not answer within %s: %w", where, c.cfg.Timeout, err)
	case errors.Is(err, errInvalid):
		return fmt.Errorf("%s answered, but not with the JSON asked for; errata will fall back to deterministic text with this model: %w", where, err)
	case errors.As(err, &ce):
		switch ce.status {
		case 401, 403:
			return fmt.Errorf("%s refused the API key from %s (%d): %s", where, c.cfg.APIKeyEnv, ce.status, ce.msg)
		case 404:
			return fmt.Errorf("%s: model %q or the chat-completions path not found (404): %s", c.cfg.BaseURL, c.cfg.Model, ce.msg)
		case 0:
			return fmt.Errorf("cannot reach %s: %s", c.cfg.BaseURL, ce.msg)
		}
		return fmt.Errorf("%s: %w", where, err)
	}
	return fmt.Errorf("%s: %w", where, err)
}
