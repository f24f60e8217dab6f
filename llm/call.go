package llm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/errata-tool/errata/classify/redact"
	"github.com/errata-tool/errata/internal/backoff"
	"github.com/errata-tool/errata/store"
)

// promptVersion is part of every prompt hash: bump it when prompts or
// validation change in a way that should invalidate cached answers.
const promptVersion = "errata-llm-1"

// formatMode is how the output schema is conveyed to the server. Servers
// that reject json_schema are retried with json_object, then with nothing
// (the schema is always in the instructions too).
type formatMode int

const (
	formatSchema formatMode = iota
	formatObject
	formatNone
)

func (f formatMode) String() string {
	switch f {
	case formatSchema:
		return "json_schema"
	case formatObject:
		return "json_object"
	}
	return "prompt only"
}

// request is one model question.
type request struct {
	kind       string // cache kind and schema name
	key        string // cluster key, for logs
	schema     map[string]any
	system     string
	user       string
	maxTokens  int
	noCache    bool
	noBudgetOK bool // check: spend even with no budget left
	// validate checks an answer; only valid answers are cached, and cached
	// answers are checked again on use.
	validate func(content string) error
}

// errInvalid wraps validation failures.
var errInvalid = errors.New("llm answer rejected")

// answer is a completed model reply.
type answer struct {
	content string
	cached  bool
	tokens  int
	format  formatMode
}

func (r request) hash(model string) string {
	b, _ := json.Marshal(struct {
		V      string         `json:"v"`
		Model  string         `json:"model"`
		Kind   string         `json:"kind"`
		Schema map[string]any `json:"schema"`
		System string         `json:"system"`
		User   string         `json:"user"`
		Max    int            `json:"max"`
	}{promptVersion, model, r.kind, r.schema, r.system, r.user, r.maxTokens})
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// estimateTokens is a cautious prompt + completion estimate used to reserve
// budget before a call (about 3 bytes per token, plus the completion cap).
func (r request) estimateTokens() int {
	return (len(r.system)+len(r.user))/3 + r.maxTokens + 16
}

// callError describes a failed call for logs (never holds the key).
type callError struct {
	status int
	msg    string
	retry  bool
	fatal  bool // the same call will fail the same way every time (401, 404, quota)
	dial   bool // could not connect at all: retried once, then the endpoint counts as down
	wait   time.Duration
}

func (e *callError) Error() string {
	if e.status > 0 {
		return fmt.Sprintf("llm endpoint answered %d: %s", e.status, e.msg)
	}
	return "llm call: " + e.msg
}

var errTimeout = errors.New("llm call timed out")

// complete returns the model's answer to r, from the cache when it can.
func (c *Client) complete(ctx context.Context, r request) (answer, error) {
	h := r.hash(c.cfg.Model)
	if !r.noCache {
		if content, ok := c.cacheGet(ctx, h); ok && (r.validate == nil || r.validate(content) == nil) {
			c.mu.Lock()
			c.stats.CacheHits++
			c.mu.Unlock()
			return answer{content: content, cached: true}, nil
		}
	}
	est := r.estimateTokens()
	if err := c.reserve(est, r.noBudgetOK); err != nil {
		return answer{}, err
	}
	defer func() {
		c.mu.Lock()
		c.reserved -= est
		c.mu.Unlock()
	}()
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return answer{}, ctx.Err()
	}
	defer func() { <-c.sem }()

	a, err := c.attempts(ctx, r, est)
	c.mu.Lock()
	if err != nil && ctx.Err() == nil {
		c.consecFails++
		var ce *callError
		if c.consecFails >= breakerThreshold || (errors.As(err, &ce) && ce.fatal) {
			c.stats.Broken = true
		}
	} else if err == nil {
		c.consecFails = 0
	}
	c.mu.Unlock()
	if err != nil {
		return answer{}, err
	}
	if r.validate != nil {
		if verr := r.validate(a.content); verr != nil {
			c.mu.Lock()
			c.stats.Invalid++
			c.mu.Unlock()
			return answer{}, fmt.Errorf("%w: %w", errInvalid, verr)
		}
	}
	if !r.noCache {
		c.cachePut(ctx, store.LLMCacheEntry{Model: c.cfg.Model, PromptHash: h, Kind: r.kind, Content: a.content, PromptTokens: a.tokens})
	}
	return a, nil
}

// reserve books est tokens of the budget, or says it is spent.
func (c *Client) reserve(est int, force bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stats.Broken && !force {
		return errBroken
	}
	if !force && c.cfg.TokenBudget > 0 && c.stats.Tokens+c.reserved+est > c.cfg.TokenBudget {
		if !c.stats.BudgetSpent {
			c.stats.BudgetSpent = true
			c.logger.Warn("llm token budget spent; the rest of this run uses deterministic text",
				"budget", c.cfg.TokenBudget, "spent", c.stats.Tokens)
		}
		return ErrBudget
	}
	c.reserved += est
	return nil
}

func (c *Client) attempts(ctx context.Context, r request, est int) (answer, error) {
	var last error
	for attempt := 0; ; attempt++ {
		c.mu.Lock()
		format := c.format
		c.stats.Attempts++
		c.mu.Unlock()
		a, err := c.once(ctx, r, format)
		if err == nil {
			tokens := a.tokens
			if tokens <= 0 {
				tokens = est
			}
			c.mu.Lock()
			c.stats.Calls++
			c.stats.Tokens += tokens
			c.mu.Unlock()
			a.tokens = tokens
			return a, nil
		}
		if ctx.Err() != nil {
			return answer{}, ctx.Err()
		}
		var ce *callError
		if errors.As(err, &ce) && ce.status == http.StatusBadRequest && format < formatNone && mentionsFormat(ce.msg) {
			// The server does not take this response_format: use a weaker
			// one from now on, without counting a retry.
			c.mu.Lock()
			if c.format == format {
				c.format = format + 1
				c.logger.Info("llm endpoint refused response_format; using a weaker one", "refused", format.String(), "now", (format + 1).String())
			}
			c.mu.Unlock()
			attempt--
			continue
		}
		last = err
		if errors.As(err, &ce) && ce.dial && attempt >= 1 {
			ce.fatal = true // nothing listens there: stop calling for this run
			return answer{}, last
		}
		if !errors.As(err, &ce) || !ce.retry || attempt >= c.cfg.MaxRetries {
			return answer{}, last
		}
		wait := ce.wait
		if wait <= 0 {
			// BackoffBase doubled per attempt, at most 30 s, ±25%.
			wait = backoff.Policy{Base: c.cfg.BackoffBase, Max: 30 * time.Second, Low: 0.75, High: 1.25}.Wait(attempt)
		}
		if wait > c.cfg.MaxRetryWait {
			return answer{}, fmt.Errorf("%w (server asked to wait %s, more than %s)", last, wait.Round(time.Second), c.cfg.MaxRetryWait)
		}
		c.logger.Debug("llm call failed; retrying", "kind", r.kind, "cluster", r.key, "error", err, "wait", wait)
		if err := c.sleep(ctx, wait); err != nil {
			return answer{}, err
		}
	}
}

func mentionsFormat(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "response_format") || strings.Contains(m, "json_schema") ||
		strings.Contains(m, "response format") || strings.Contains(m, "json_object") || strings.Contains(m, "structured output")
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// once makes one HTTP attempt.
func (c *Client) once(ctx context.Context, r request, format formatMode) (answer, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req := openai.ChatCompletionRequest{
		Model: c.cfg.Model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: r.system},
			{Role: openai.ChatMessageRoleUser, Content: r.user},
		},
	}
	if reasoningModel(c.cfg.Model) {
		req.MaxCompletionTokens = r.maxTokens * 4 // reasoning tokens count against it
	} else {
		req.MaxTokens = r.maxTokens //nolint:staticcheck // SA1019: max_tokens is what OpenAI-compatible servers (Ollama, vLLM, llama.cpp) read; OpenAI's newer field is set above for its reasoning models
		req.Temperature = 0.1
	}
	switch format {
	case formatSchema:
		req.ResponseFormat = &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name: r.kind, Schema: schemaJSON(r.schema), Strict: true,
			},
		}
	case formatObject:
		req.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject}
	}
	resp, err := c.oa.CreateChatCompletion(actx, req)
	if err != nil {
		if ctx.Err() != nil {
			return answer{}, ctx.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) || actx.Err() != nil {
			return answer{}, fmt.Errorf("%w after %s", errTimeout, c.cfg.Timeout)
		}
		return answer{}, classifyErr(err, resp.Header())
	}
	if len(resp.Choices) == 0 {
		return answer{}, &callError{status: 200, msg: "answer has no choices", retry: true}
	}
	ch := resp.Choices[0]
	if ch.Message.Refusal != "" {
		return answer{}, &callError{status: 200, msg: "model refused: " + clip(redact.String(ch.Message.Refusal), 200)}
	}
	if ch.FinishReason == openai.FinishReasonLength {
		return answer{}, &callError{status: 200, msg: "answer cut off at the token limit"}
	}
	if ch.FinishReason == openai.FinishReasonContentFilter {
		return answer{}, &callError{status: 200, msg: "answer stopped by the content filter"}
	}
	return answer{content: ch.Message.Content, tokens: resp.Usage.PromptTokens + resp.Usage.CompletionTokens, format: format}, nil
}

func reasoningModel(m string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5", "gpt-6"} {
		if strings.HasPrefix(m, p) {
			return true
		}
	}
	return false
}

type rawSchema []byte

func (s rawSchema) MarshalJSON() ([]byte, error) { return s, nil }

func schemaJSON(m map[string]any) json.Marshaler {
	b, _ := json.Marshal(m)
	return rawSchema(b)
}

// classifyErr turns a go-openai error into a callError saying whether to
// retry and for how long to wait.
func classifyErr(err error, h http.Header) error {
	var (
		apiErr *openai.APIError
		reqErr *openai.RequestError
		status int
		msg    string
		code   string
	)
	switch {
	case errors.As(err, &apiErr):
		status, msg = apiErr.HTTPStatusCode, apiErr.Message
		if apiErr.Code != nil {
			code = fmt.Sprint(apiErr.Code)
		}
		if apiErr.Type != "" && code == "" {
			code = apiErr.Type
		}
	case errors.As(err, &reqErr):
		status = reqErr.HTTPStatusCode
		msg = strings.TrimSpace(string(reqErr.Body))
		if msg == "" {
			msg = reqErr.HTTPStatus
		}
	default:
		var ue *url.Error
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		if errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF) {
			// A 200 whose body is not a chat completion (a proxy's page,
			// a cut connection): worth another try.
			return &callError{status: 200, msg: "answer is not a chat completion: " + redact.String(err.Error()), retry: true}
		}
		if !errors.As(err, &ue) {
			// Not a transport failure: the client library refused the
			// request (say, a parameter this model does not take). It
			// will refuse every request the same way.
			return &callError{msg: redact.String(err.Error()), fatal: true}
		}
		// Network failure: connection refused, reset, DNS...
		var ne net.Error
		var oe *net.OpError
		var dnsErr *net.DNSError
		ce := &callError{msg: redact.String(err.Error()), retry: true}
		if errors.As(err, &ne) && ne.Timeout() {
			ce.msg = "timeout: " + ce.msg
		}
		if (errors.As(err, &oe) && oe.Op == "dial") || errors.As(err, &dnsErr) {
			ce.dial = true
		}
		return ce
	}
	ce := &callError{status: status, msg: clip(redact.String(msg), 300)}
	switch {
	case status == http.StatusTooManyRequests:
		if code == "insufficient_quota" || strings.Contains(strings.ToLower(msg), "quota") && strings.Contains(strings.ToLower(msg), "exceeded your current quota") {
			ce.fatal = true // billing, not rate: waiting will not help
			return ce
		}
		ce.retry = true
	case status == http.StatusRequestTimeout, status == http.StatusConflict, status >= 500:
		ce.retry = true
	case status == http.StatusUnauthorized, status == http.StatusForbidden, status == http.StatusNotFound:
		ce.fatal = true
	}
	if ce.retry {
		ce.wait = backoff.RetryAfter(h, time.Now())
	}
	return ce
}

func (c *Client) cacheGet(ctx context.Context, h string) (string, bool) {
	if c.store == nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		v, ok := c.memCache[h]
		return v, ok
	}
	e, err := c.store.LLMCacheGet(ctx, c.cfg.Model, h)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			c.warnOnce("cache-read", "llm cache unreadable; asking the model", "error", err)
		}
		return "", false
	}
	return e.Content, true
}

func (c *Client) cachePut(ctx context.Context, e store.LLMCacheEntry) {
	if c.store == nil {
		c.mu.Lock()
		c.memCache[e.PromptHash] = e.Content
		c.mu.Unlock()
		return
	}
	if err := c.store.LLMCachePut(ctx, e); err != nil {
		c.warnOnce("cache-write", "llm cache not written; the next run will ask again", "error", err)
	}
}

func (c *Client) warnOnce(key, msg string, args ...any) {
	c.mu.Lock()
	seen := c.warnedOnce[key]
	c.warnedOnce[key] = true
	c.mu.Unlock()
	if !seen {
		c.logger.Warn(msg, args...)
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
