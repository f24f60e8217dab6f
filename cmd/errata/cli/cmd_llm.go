package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	urfavecli "github.com/urfave/cli/v2"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/config"
	"github.com/errata-tool/errata/llm"
	"github.com/errata-tool/errata/runner"
	"github.com/errata-tool/errata/store"
)

// llmCommand is `errata llm check` (and `errata llm cache prune`).
func llmCommand(env *Env) *urfavecli.Command {
	return &urfavecli.Command{
		Name:  "llm",
		Usage: "the optional language model: check the endpoint, manage cached answers",
		Subcommands: []*urfavecli.Command{
			{
				Name: "check",
				Usage: "verify the endpoint, API key and model with one small call " +
					"(uses the config's llm: section, else OPENAI_BASE_URL and OPENAI_API_KEY)",
				Flags: []urfavecli.Flag{
					&urfavecli.StringFlag{Name: llm.FlagLLMModel, Usage: "model to check (env: ERRATA_LLM_MODEL; overrides llm.model)"},
					&urfavecli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
				},
				Action: func(c *urfavecli.Context) error {
					cfg, err := env.Config(c)
					if err != nil {
						return err
					}
					lc, err := llmCheckConfig(c, cfg, env.Getenv)
					if err != nil {
						return usageError("llm check: %v", err)
					}
					client, err := llm.New(lc, nil, env.logger())
					if err != nil {
						return usageError("llm check: %v", err)
					}
					res, err := client.Check(c.Context)
					if err != nil {
						return urfavecli.Exit("llm check: "+err.Error(), ExitFailure)
					}
					if c.Bool("json") {
						enc := json.NewEncoder(env.Stdout)
						enc.SetIndent("", "  ")
						return enc.Encode(map[string]any{
							"ok": true, "base_url": res.BaseURL, "model": res.Model,
							"structured_output": res.Format, "tokens": res.Tokens,
							"elapsed_ms": res.Elapsed.Milliseconds(),
						})
					}
					fmt.Fprintf(env.Stdout, "ok: model %s at %s answered in %s (structured output: %s; %d tokens)\n",
						res.Model, res.BaseURL, res.Elapsed.Round(time.Millisecond), res.Format, res.Tokens)
					return nil
				},
			},
			{
				Name:  "cache",
				Usage: "cached model answers",
				Subcommands: []*urfavecli.Command{
					{
						Name:  "prune",
						Usage: "delete cached answers not used for a while",
						Flags: []urfavecli.Flag{
							&urfavecli.StringFlag{Name: "older-than", Value: "90d", Usage: "age of the last use, e.g. 30d or 720h"},
						},
						Action: func(c *urfavecli.Context) error {
							d, err := config.ParseDuration(c.String("older-than"))
							if err != nil {
								return usageError("llm cache prune: --older-than: %v", err)
							}
							s, err := env.Store(c)
							if err != nil {
								return err
							}
							n, err := s.LLMCachePrune(c.Context, time.Now().Add(-d))
							if err != nil {
								return err
							}
							fmt.Fprintf(env.Stdout, "deleted %d cached answers unused for %s\n", n, c.String("older-than"))
							return nil
						},
					},
				},
			},
		},
	}
}

// llmCheckConfig resolves the configuration as --llm would: the config's
// llm: section (even with enabled: false: checking is what one does before
// enabling it), else the environment.
func llmCheckConfig(c *urfavecli.Context, cfg *config.Config, getenv func(string) string) (llm.Config, error) {
	cp := *cfg
	if cp.LLM != nil {
		sec := *cp.LLM
		sec.Enabled = nil
		cp.LLM = &sec
	} else {
		cp.LLM = &config.LLM{}
	}
	lc, err := llm.ConfigFrom(c, &cp, getenv)
	if err != nil {
		return lc, err
	}
	if cfg.LLM == nil {
		lc.Source = "environment"
	}
	lc.MaxRetries = -1 // one call: a check reports what happens, it does not wait it out
	return lc, nil
}

// llmClient resolves --llm, --no-llm and --llm-model (see llm.Flags) and
// the config's llm: section into a client for one run. When the model is
// off it returns a disabled client, whose uses all fall back. st may be
// nil (answers are then not cached across runs).
func llmClient(c *urfavecli.Context, env *Env, st *store.Store) (*llm.Client, error) {
	cfg, err := env.Config(c)
	if err != nil {
		return nil, err
	}
	lc, err := llm.ConfigFrom(c, cfg, env.Getenv)
	if err != nil {
		return nil, usageError("%s: %v", c.Command.Name, err)
	}
	client, err := llm.New(lc, st, env.logger())
	if err != nil {
		return nil, usageError("%s: %v", c.Command.Name, err)
	}
	if client.Enabled() {
		env.logger().Info("using a language model", "model", lc.Model, "base_url", lc.BaseURL, "from", lc.Source)
	}
	return client, nil
}

// llmRefine runs the model's pass over the clusters after classify: titles
// and descriptions, and topics and categories no rule decided. It never
// fails the command: a failed pass leaves the deterministic text, says so
// in the log, and the next run tries again.
func llmRefine(c *urfavecli.Context, env *Env, client *llm.Client, st *store.Store, rules *classify.Rules) {
	if !client.Enabled() {
		return
	}
	var opts llm.RefineOptions
	for _, t := range rules.Topics {
		opts.Topics = append(opts.Topics, t.ID)
	}
	for _, cat := range rules.Categories {
		opts.Categories = append(opts.Categories, cat.ID)
	}
	sum, err := client.RefineClusters(c.Context, st, opts)
	st2 := client.Stats()
	if err != nil {
		env.logger().Warn("language model pass stopped; clusters keep their deterministic text", "error", err)
	}
	env.logger().Info("language model pass", "model", client.Model(), "clusters", sum.Clusters, "unchanged", sum.Unchanged,
		"titled", sum.Titled, "classified", sum.Classified, "fallbacks", sum.Fallbacks,
		"calls", st2.Calls, "cache_hits", st2.CacheHits, "tokens", st2.Tokens, "budget_spent", st2.BudgetSpent)
}

// llmClassifier runs the model's cluster pass (llm.RefineClusters) after
// each classify of `errata run` and of every worker job, with a fresh
// client (so a fresh token budget) per run, which the run's pages then use
// too (current). A failed pass never fails the stage. When the pass wrote
// new model text, the stage reports a change so that the pages are
// rewritten.
type llmClassifier struct {
	runner.Classifier
	cfg   llm.Config
	st    *store.Store
	rules *classify.Rules
	log   *slog.Logger

	mu     sync.Mutex
	client *llm.Client
}

// current is the client of the current run (a new one when classify did
// not run before the pages).
func (l *llmClassifier) current() *llm.Client {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.client == nil {
		c, err := llm.New(l.cfg, l.st, l.log)
		if err != nil {
			l.log.Warn("language model not used", "error", err)
			return nil
		}
		l.client = c
	}
	return l.client
}

func (l *llmClassifier) Classify(ctx context.Context) (runner.ClassifyResult, error) {
	r, err := l.Classifier.Classify(ctx)
	if err != nil {
		return r, err
	}
	l.mu.Lock()
	l.client = nil // a new run: a new budget
	l.mu.Unlock()
	client := l.current()
	if client == nil {
		return r, nil
	}
	var opts llm.RefineOptions
	for _, t := range l.rules.Topics {
		opts.Topics = append(opts.Topics, t.ID)
	}
	for _, cat := range l.rules.Categories {
		opts.Categories = append(opts.Categories, cat.ID)
	}
	sum, err := client.RefineClusters(ctx, l.st, opts)
	if err != nil {
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		l.log.Warn("language model pass stopped; clusters keep their deterministic text", "error", err)
	}
	st := client.Stats()
	r.Summary += fmt.Sprintf("; model %s: %d clusters titled, %d classified, %d fell back (%d calls, %d cached, %d tokens)",
		client.Model(), sum.Titled, sum.Classified, sum.Fallbacks, st.Calls, st.CacheHits, st.Tokens)
	if sum.Updated > 0 {
		r.Changed = true
	}
	return r, nil
}

// withLLM wraps a run's classifier with the model's cluster pass when
// --llm or the config's llm: section asks for it (and --no-llm does not),
// and gives the run's pages the same client. Configuration errors are
// usage errors, found before anything runs.
func withLLM(c *urfavecli.Context, env *Env, st *store.Store, cfg *config.Config, cl runner.Classifier, pub runner.Publisher) (runner.Classifier, error) {
	lc, err := llm.ConfigFrom(c, cfg, env.Getenv)
	if err != nil {
		return nil, usageError("%s: %v", c.Command.Name, err)
	}
	if !lc.Enabled {
		return cl, nil
	}
	rules, err := classify.LoadRules(cfg.Rules, cfg.Path)
	if err != nil {
		return nil, err
	}
	env.logger().Info("using a language model", "model", lc.Model, "base_url", lc.BaseURL, "from", lc.Source)
	lcl := &llmClassifier{Classifier: cl, cfg: lc, st: st, rules: rules, log: env.logger()}
	if ps, ok := pub.(*runner.PublishStage); ok {
		ps.LLM = lcl.current
	}
	return lcl, nil
}
