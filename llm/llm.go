// Package llm is errata's optional language model: better cluster titles,
// page prose grounded in a cluster's evidence, topics for clusters no rule
// decides, and a second opinion on borderline merges. errata works fully
// without it; every method here returns a deterministic fallback (or "no
// answer") whenever the model is off, unreachable, out of budget, too slow
// or answers something unusable, so callers never fail because of it.
//
// It talks to any OpenAI-compatible chat-completions endpoint (OpenAI, Azure
// OpenAI, Ollama, vLLM, LiteLLM) through github.com/sashabaranov/go-openai.
//
// Callers hand it plain data (ClusterEvidence) and never import it the other
// way round: classify and reports/pages import llm, llm imports neither.
//
// # Guardrails
//
//   - Every answer is JSON checked against the use's schema before use (the
//     schema is sent as response_format json_schema when the server accepts
//     it, else json_object, else only described in the prompt; the answer is
//     validated in every case).
//   - A prose claim citing a source number that is not one of the cluster's
//     sources is dropped, as is a claim citing nothing.
//   - All text sent is passed through classify/redact first.
//   - Issue text is untrusted data: it is sent JSON-encoded inside a
//     delimited block that the instructions tell the model to treat as data,
//     never as instructions; answers are sanitized (no HTML, no links, no
//     Markdown structure, one line) exactly as if they were evidence.
//   - Every result carries the model that wrote it.
//
// # Cost and resilience
//
// Answers are cached in PostgreSQL (table llm_cache) keyed by model and the
// SHA-256 of the whole request, so a rerun over unchanged evidence makes no
// calls and only clusters whose evidence changed are sent. A token budget per
// Client (one run) stops calls cleanly when spent; 429 (honouring
// Retry-After) and 5xx are retried with exponential backoff; each attempt
// has a timeout; after several consecutive failed calls the client stops
// calling for the rest of the run (the endpoint is down).
package llm

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/errata-tool/errata/store"
)

// Defaults for Config fields left zero.
const (
	DefaultBaseURL        = "https://api.openai.com/v1"
	DefaultModel          = "gpt-4o-mini" // only used with DefaultBaseURL
	DefaultTimeout        = 60 * time.Second
	DefaultMaxConcurrency = 4
	// DefaultTokenBudget bounds one run when the configuration sets no
	// budget: an unbounded default could cost real money on a large corpus.
	DefaultTokenBudget = 500_000
	DefaultMaxRetries  = 4
	// DefaultMaxRetryWait is the longest errata waits before one retry; a
	// Retry-After beyond it ends the call (and falls back) instead.
	DefaultMaxRetryWait = 60 * time.Second
	// breakerThreshold consecutive failed calls stop calling for the run.
	breakerThreshold = 3
)

// Config is a resolved LLM configuration (see ConfigFrom).
type Config struct {
	// Enabled is false unless the config file has an llm: section (without
	// enabled: false) or --llm was given, and --no-llm was not.
	Enabled bool
	// BaseURL of the OpenAI-compatible API, e.g. https://api.openai.com/v1
	// or http://localhost:11434/v1. An *.openai.azure.com URL selects Azure
	// OpenAI (the model is then the deployment name).
	BaseURL string
	Model   string
	// APIKey is sent as a bearer token. Never logged or printed. Empty is
	// allowed for local servers that need none.
	APIKey string
	// APIKeyEnv names the variable the key came from, for messages.
	APIKeyEnv      string
	MaxConcurrency int
	// Timeout bounds one HTTP attempt.
	Timeout time.Duration
	// TokenBudget is the most tokens (prompt + completion, as the server
	// reports them) one Client spends; 0 means DefaultTokenBudget, a
	// negative value means unlimited.
	TokenBudget int
	// MaxRetries is how many times a 429/5xx/network failure is retried
	// (0 = DefaultMaxRetries, negative = never).
	MaxRetries int
	// BackoffBase is the first retry delay, doubled each retry (with
	// jitter) when the server gives no Retry-After (0 = 500ms).
	BackoffBase  time.Duration
	MaxRetryWait time.Duration
	// HTTPClient, when set, is used for requests (tests, proxies).
	HTTPClient *http.Client
	// Source says where the configuration came from ("config", "--llm"),
	// for messages.
	Source string
}

// Source is one numbered piece of evidence: an issue or a comment. Its
// number N is what the model cites and what the page shows in its list of
// sources, so callers must number sources the way their pages do.
type Source struct {
	N          int    // 1-based citation number; 0 means "position in the slice + 1"
	Kind       string // "issue" or "comment"
	Repository string // owner/name
	Number     int    // issue number
	URL        string
	Title      string // issue title (empty for comments)
	Text       string // body or an excerpt of it (untrusted)
	State      string // open | closed, when known
	CreatedAt  time.Time
}

// ClusterEvidence is what the model may know about one cluster. Everything
// in it is treated as untrusted and redacted before it is sent.
type ClusterEvidence struct {
	// Key identifies the cluster in logs (slug or id); it is not sent.
	Key string
	// Signature is the cluster's normalized error template.
	Signature string
	// Examples are raw error texts from members (already redacted is fine).
	Examples []string
	// Title and Description are the deterministic ones: the fallback, and a
	// hint for the model.
	Title       string
	Description string
	Topic       string
	Category    string
	Tools       []string
	// Sources are the numbered issues and comments the prose may cite.
	Sources []Source
}

// Title is a cluster title and a one-line description.
type Title struct {
	Title       string
	Description string
	// Model wrote it; empty for the deterministic fallback.
	Model string
}

// Section keys of Prose, in page order.
const (
	SectionMeaning = "meaning" // what it means
	SectionWhy     = "why"     // why it happens
	SectionCauses  = "causes"  // causes
	SectionFixes   = "fixes"   // fixes and workarounds
)

// SectionKeys lists the prose sections in page order.
var SectionKeys = []string{SectionMeaning, SectionWhy, SectionCauses, SectionFixes}

// SectionHeadings are suggested headings for the prose sections.
var SectionHeadings = map[string]string{
	SectionMeaning: "What it means",
	SectionWhy:     "Why it happens",
	SectionCauses:  "Causes",
	SectionFixes:   "Fixes",
}

// Claim is one sentence of model-written prose and the source numbers it
// rests on (at least one, each one of the cluster's sources).
type Claim struct {
	Text      string
	Citations []int
}

// Section is one prose section. A section with no claims means the model
// found nothing in the evidence for it: the page uses its deterministic
// text there.
type Section struct {
	Key     string // SectionMeaning, ...
	Heading string
	Claims  []Claim
}

// Prose is model-written page prose. Text is sanitized plain inline text:
// no HTML, no links, no Markdown block syntax, no line breaks; it may hold
// `inline code`. Pages should still escape it as they escape evidence.
type Prose struct {
	Model    string
	Sections []Section
	// Dropped counts claims removed by validation (bad citations, empty).
	Dropped int
}

// Section returns the section with key, or nil.
func (p *Prose) Section(key string) *Section {
	if p == nil {
		return nil
	}
	for i := range p.Sections {
		if p.Sections[i].Key == key {
			return &p.Sections[i]
		}
	}
	return nil
}

// Classification is a topic and category chosen from the caller's lists.
// Empty fields mean the model did not decide them.
type Classification struct {
	Topic    string
	Category string
	Reason   string // the model's one-line reason, sanitized
	Model    string
}

// Verdict is the answer to "are these two clusters the same error?".
type Verdict struct {
	Same   bool
	Reason string
	Model  string
}

// Stats counts what a Client did in this run.
type Stats struct {
	Calls       int // HTTP requests that got an answer (including retries' final answers)
	Attempts    int // HTTP attempts, including failed ones
	CacheHits   int
	Failures    int // uses that fell back after trying the model
	Invalid     int // answers rejected by validation
	Tokens      int // prompt + completion tokens spent this run
	BudgetSpent bool
	Broken      bool // stopped calling after consecutive failures
}

// ErrDisabled is returned by Check when no model is configured.
var ErrDisabled = errors.New("no language model configured: add an llm: section to the config file or pass --llm")

// ErrBudget means the run's token budget is spent.
var ErrBudget = errors.New("llm token budget spent")

// errBroken means the client stopped calling after repeated failures.
var errBroken = errors.New("llm endpoint failing; stopped calling for this run")

// Client calls the model. A nil *Client, or one built from a disabled
// Config, is valid: every use returns its fallback without calling.
// A Client is safe for concurrent use; make one per run (the token budget
// and the failure breaker are per Client).
type Client struct {
	cfg    Config
	oa     *openai.Client
	store  *store.Store
	logger *slog.Logger
	sem    chan struct{}

	// sleep waits between retries; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error

	mu          sync.Mutex
	stats       Stats
	reserved    int // tokens reserved by calls in flight
	consecFails int
	format      formatMode // best response_format the server accepts
	warnedOnce  map[string]bool
	memCache    map[string]string // used when there is no store
}

// Enabled reports whether c will ever call a model.
func (c *Client) Enabled() bool { return c != nil && c.cfg.Enabled }

// Model returns the configured model name ("" when disabled).
func (c *Client) Model() string {
	if !c.Enabled() {
		return ""
	}
	return c.cfg.Model
}

// Stats returns what the client did so far.
func (c *Client) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}
