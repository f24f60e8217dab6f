package cli

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	urfavecli "github.com/urfave/cli/v2"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/config"
	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/llm"
	"github.com/errata-tool/errata/runner"
	"github.com/errata-tool/errata/store"
)

// runCommand is `errata run`: the whole pipeline once, for cron. Exit
// codes are runner's (0 ok, 1 failure before any stage, 2 usage, 3 sync,
// 4 classify, 5 pages, 6 trends, 7 stopped by a signal, 8 aborted by a
// second signal, 75 another run holds the lock).
func runCommand(env *Env) *urfavecli.Command {
	return &urfavecli.Command{
		Name:  "run",
		Usage: "sync, classify, write pages and the trends report: the main job, safe to start from cron every few minutes",
		Description: `Runs every stage once under a database lock. A run that overlaps another exits
at once with code 75. A run that finds nothing new skips classify and pages.
Exit codes: 0 ok, 1 failure before any stage, 2 usage, 3 a source failed to
sync (the later stages still ran), 4 classify failed, 5 pages failed,
6 the trends report failed, 7 stopped by a first SIGINT or SIGTERM after the
work in hand (later stages skipped; the next run picks up), 8 aborted by a
second signal, 75 another errata run is in progress.`,
		Flags: append(pipelineFlags(),
			&urfavecli.StringSliceFlag{Name: "repo", Usage: "also sync repository `owner/name` (repeatable), besides the config's sources"},
			&urfavecli.GenericFlag{Name: "search", Value: &queryList{}, Usage: "also sync a GitHub issue search query (repeatable), besides the config's sources"},
			&urfavecli.BoolFlag{Name: "force", Usage: "classify and write pages even when nothing changed"},
			&urfavecli.BoolFlag{Name: "no-sync", Usage: "skip the sync stage"},
			&urfavecli.DurationFlag{Name: "max-wait", Value: 10 * time.Minute, Usage: "longest rate-limit wait; a longer one stops the sync with progress saved (the next run resumes)"},
			&urfavecli.StringFlag{Name: "metrics-textfile", Usage: "write Prometheus metrics of this run to `FILE` (for node_exporter's textfile collector)"},
			&urfavecli.BoolFlag{Name: "json", Usage: "print the run report as JSON"},
		),
		Action: func(c *urfavecli.Context) error {
			if c.NArg() > 0 {
				return usageError("run: unexpected argument %q", c.Args().First())
			}
			// The run holds a connection for its lock, and one for the
			// stage lock, beside the stage's own work: leave room.
			u, err := env.DatabaseURL(c)
			if err != nil {
				return err
			}
			env.dbURL = withPoolSize(u, 8)
			metrics := runner.NewMetrics()
			p, err := buildPipeline(c, env, metrics, c.Duration("max-wait"))
			if err != nil {
				return err
			}
			ctx, stop, done := gracefulStop(c.Context, env.logger(), "the work in hand (the sync page, the classify batch or the page files being written); the later stages are skipped")
			defer done()
			rep, err := p.Run(ctx, runner.RunOptions{Force: c.Bool("force"), SkipSync: c.Bool("no-sync"), Stop: stop})
			if f := c.String("metrics-textfile"); f != "" {
				if werr := metrics.WriteTextfile(f); werr != nil {
					env.logger().Error("could not write metrics", "error", werr)
				}
			}
			if err != nil {
				code := runner.ExitCodeFor(err)
				if code == runner.ExitLocked {
					return urfavecli.Exit(fmt.Sprintf("run: %v; nothing done (exit %d)", err, code), code)
				}
				if rep != nil {
					printReport(env, c.Bool("json"), rep)
				}
				if code == runner.ExitStopped || code == runner.ExitAborted {
					return urfavecli.Exit(fmt.Sprintf("run: %v (exit %d)", err, code), code)
				}
				return fmt.Errorf("run: %w", err)
			}
			printReport(env, c.Bool("json"), rep)
			if rep.ExitCode != runner.ExitOK {
				return urfavecli.Exit(fmt.Sprintf("run: %s (exit %d)", failedStages(rep), rep.ExitCode), rep.ExitCode)
			}
			return nil
		},
	}
}

// pipelineFlags are shared by run and worker.
func pipelineFlags() []urfavecli.Flag {
	return append([]urfavecli.Flag{
		&urfavecli.StringFlag{Name: "out", Usage: "pages output `DIR` (default: output.dir of the config, else ./site)"},
		&urfavecli.StringFlag{Name: "github-api-url", Usage: "GitHub REST API base (env: GITHUB_API_URL; default: github.api_url of the config, else api.github.com)"},
	}, llm.Flags()...)
}

func printReport(env *Env, asJSON bool, rep *runner.Report) {
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
		return
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	for _, s := range rep.Stages {
		name := s.Stage
		if s.Source != "" {
			name += " " + s.Source
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, s.Status, s.Duration.Round(time.Millisecond), s.Detail)
	}
	_ = tw.Flush()
}

func failedStages(rep *runner.Report) string {
	var f []string
	for _, s := range rep.Stages {
		if s.Status == "failed" {
			name := s.Stage
			if s.Source != "" {
				name += " " + s.Source
			}
			f = append(f, name)
		}
	}
	if len(f) == 0 {
		return "failed"
	}
	return "failed: " + strings.Join(f, ", ")
}

// buildPipeline wires the runner to the stage packages.
func buildPipeline(c *urfavecli.Context, env *Env, metrics *runner.Metrics, maxWait time.Duration) (*runner.Pipeline, error) {
	cfg, err := env.Config(c)
	if err != nil {
		return nil, err
	}
	s, err := env.Store(c)
	if err != nil {
		return nil, err
	}
	out := c.String("out")
	if out == "" {
		out = cfg.Output.Dir
	}
	if out == "" {
		out = "site"
	}
	apiURL := c.String("github-api-url")
	if apiURL == "" {
		apiURL = cfg.GitHub.APIURL
	}
	if _, err := ingest.ResolveAPIURL(apiURL); err != nil {
		return nil, usageError("--github-api-url: %v", err)
	}
	log := env.logger()
	tokens := runner.TokensFromConfig(cfg.GitHub, env.Getenv)
	for _, n := range cfg.GitHub.TokenEnvs {
		if env.Getenv(n) == "" {
			log.Warn("token variable from github.token_envs is empty or unset", "variable", n)
		}
	}
	if err := addFlagSources(c, cfg); err != nil {
		return nil, err
	}
	sources := runner.SourcesFromConfig(cfg)
	if len(sources) > 0 && len(tokens) == 0 {
		log.Warn("no GitHub token (GITHUB_TOKEN, GH_TOKEN or github.token_envs): syncing at the unauthenticated limit of 60 requests an hour")
	}
	p := &runner.Pipeline{
		Store:   s,
		Sources: sources,
		Tokens:  runner.NewTokenPool(tokens),
		Syncer:  &runner.IngestSyncer{Store: s, APIURL: apiURL, Logger: log, Limits: ingest.Limits{MaxWait: maxWait}},
		OutDir:  out,
		Metrics: metrics,
		Logger:  log,
	}
	if p.Classifier, p.Publisher, err = stageImpls(s, cfg, log); err != nil {
		return nil, err
	}
	// The classification a run would do: errata's algorithm and the rules
	// in effect, so that a changed rules: section or an upgraded errata
	// classifies again even when no issue changed.
	if cs, ok := p.Classifier.(*runner.ClassifyStage); ok && cs.Rules != nil {
		p.RulesHash = cs.Rules.Version()
	}
	if p.Classifier, err = withLLM(c, env, s, cfg, p.Classifier, p.Publisher); err != nil {
		return nil, err
	}
	return p, nil
}

// addFlagSources adds the --repo and --search sources of `errata run` to
// the config's, so that one command can run the whole job without a
// config file.
func addFlagSources(c *urfavecli.Context, cfg *config.Config) error {
	have := map[string]bool{}
	for _, r := range cfg.Sources.Repositories {
		have[strings.ToLower(r.Repo)] = true
	}
	for _, name := range c.StringSlice("repo") {
		name = strings.TrimSpace(name)
		if !config.ValidRepo(name) {
			return usageError("--repo: want owner/name (letters, digits, '-', '_', '.'), got %q", name)
		}
		if !have[strings.ToLower(name)] {
			have[strings.ToLower(name)] = true
			cfg.Sources.Repositories = append(cfg.Sources.Repositories, config.Repository{Repo: name})
		}
	}
	if ql, ok := c.Generic("search").(*queryList); ok && ql != nil {
		for _, q := range ql.list {
			if strings.TrimSpace(q) == "" {
				return usageError("--search: the query must not be empty")
			}
			cfg.Sources.Searches = append(cfg.Sources.Searches, config.Search{Query: q})
		}
	}
	return nil
}

// stageImpls returns the classify and pages stages over packages classify,
// reports/pages and reports/trends.
func stageImpls(s *store.Store, cfg *config.Config, log *slog.Logger) (runner.Classifier, runner.Publisher, error) {
	rules, err := classify.LoadRules(cfg.Rules, cfg.Path)
	if err != nil {
		return nil, nil, err
	}
	return &runner.ClassifyStage{Store: s, Rules: rules, Logger: log},
		&runner.PublishStage{Store: s, Format: cfg.Output.Format, MinSize: cfg.Output.MinSize, Logger: log}, nil
}
