package cli

import (
	"os"
	"path/filepath"

	urfavecli "github.com/urfave/cli/v2"

	"github.com/errata-tool/errata/reports/pages"
	"github.com/errata-tool/errata/reports/pages/pageeval"
	"github.com/errata-tool/errata/store"
)

// evalPagesFlags are the flags errata eval gets for --pages, new for each
// app: urfave writes to a flag when it applies it, so two apps running at
// once (the in-process tests) must not share one.
func evalPagesFlags() []urfavecli.Flag {
	return []urfavecli.Flag{
		&urfavecli.BoolFlag{Name: "pages", Usage: "measure the pages' causes and fixes against sentence labels instead of the clustering"},
		&urfavecli.StringSliceFlag{Name: "labels", Usage: "with --pages: label TSV files to use instead of the ones shipped with errata"},
		&urfavecli.BoolFlag{Name: "verbose", Usage: "with --pages: list each wrong bullet and missed confirmed fix by URL, post and hash"},
	}
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
		var ps []pages.ClusterAdvice
		err = withClassifiedCorpora(c.Context, base, "errata_evalpages_", []string{dir}, rules, env, func(st *store.Store) error {
			var err error
			ps, err = pages.PageAdvice(c.Context, st, 0)
			return err
		})
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
