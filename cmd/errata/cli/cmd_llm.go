package cli

import (
	"encoding/json"
	"fmt"
	"time"

	urfavecli "github.com/urfave/cli/v2"

	"github.com/errata-tool/errata/config"
	"github.com/errata-tool/errata/llm"
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
					&urfavecli.StringFlag{Name: llm.FlagLLMModel, Usage: "model to check (overrides llm.model)", EnvVars: []string{"ERRATA_LLM_MODEL"}},
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
