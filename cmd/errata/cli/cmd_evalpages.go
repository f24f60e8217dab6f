package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	urfavecli "github.com/urfave/cli/v2"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/reports/pages"
	"github.com/errata-tool/errata/reports/pages/pageeval"
	"github.com/errata-tool/errata/store"
)

// evalPagesFlags are the flags errata eval gets for --pages.
var evalPagesFlags = []urfavecli.Flag{
	&urfavecli.BoolFlag{Name: "pages", Usage: "measure the pages' causes and fixes against sentence labels instead of the clustering"},
	&urfavecli.StringSliceFlag{Name: "labels", Usage: "with --pages: label TSV files to use instead of the ones shipped with errata"},
	&urfavecli.BoolFlag{Name: "verbose", Usage: "with --pages: list each wrong bullet and missed confirmed fix by URL, post and hash"},
}

// evalPages runs errata eval --pages on each --corpus directory: the corpus
// is imported into a temporary database, classified, and every page's
// advice, as the page generator mines it, is scored against the labels.
func evalPages(c *urfavecli.Context, env *Env, dirs []string) error {
	var ls pageeval.Labels
	if files := c.StringSlice("labels"); len(files) > 0 {
		ls = pageeval.Labels{}
		for _, f := range files {
			if err := ls.LoadLabels(f); err != nil {
				return usageError("eval: --labels: %v", err)
			}
		}
	} else {
		var err error
		if ls, err = pageeval.DefaultLabels(); err != nil {
			return err
		}
	}
	rules, err := classifyRules(env, c)
	if err != nil {
		return err
	}
	base, err := env.DatabaseURL(c)
	if err != nil {
		return err
	}
	var all []pageeval.Metrics
	for _, dir := range dirs {
		path := filepath.Join(dir, "issues.jsonl")
		if _, err := os.Stat(path); err != nil {
			return usageError("eval: --corpus %s: %v", dir, err)
		}
		threads, err := pageeval.LoadThreads(path)
		if err != nil {
			return err
		}
		ps, err := corpusAdvice(c.Context, base, path, rules, env)
		if err != nil {
			return err
		}
		m := pageeval.Evaluate(ps, threads, ls)
		all = append(all, m)
		if !c.Bool("json") {
			m.WriteReport(env.Stdout, dir, c.Bool("verbose"))
		}
	}
	if c.Bool("json") {
		return writeJSON(env.Stdout, all)
	}
	return nil
}

// corpusAdvice imports a corpus file into a temporary database next to
// base, classifies it and returns the advice of its pages; the database is
// dropped.
func corpusAdvice(ctx context.Context, base, path string, rules *classify.Rules, env *Env) ([]pages.ClusterAdvice, error) {
	u, drop, err := store.TempDatabase(ctx, store.TempDatabaseParams{ServerURL: base, Prefix: "errata_evalpages_"})
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := drop(dctx); err != nil {
			env.logger().Warn("eval: could not drop temporary database", "error", err)
		}
	}()
	st, err := store.Open(ctx, u)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	sum, err := ingest.Import(ctx, st, f, path)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("eval: import corpus: %w", err)
	}
	if len(sum.Bad) > 0 {
		env.logger().Warn("eval: skipped bad corpus records", "count", len(sum.Bad))
	}
	if _, err := classify.Run(ctx, st, classify.RunOptions{Rules: rules, Logger: env.logger()}); err != nil {
		return nil, err
	}
	return pages.PageAdvice(ctx, st, 0)
}
