package cli

import (
	"fmt"

	urfavecli "github.com/urfave/cli/v2"

	"github.com/errata-tool/errata/llm"
	"github.com/errata-tool/errata/reports/pages"
)

// pagesCommand is `errata pages`: write the troubleshooting pages. Flags
// override the config's output section (dir, format, min_size); without
// either the pages go to ./site as Hugo content, like `errata run`.
func pagesCommand(env *Env) *urfavecli.Command {
	return &urfavecli.Command{
		Name:  "pages",
		Usage: "write one Markdown troubleshooting page per error cluster, with index pages, for Hugo, MkDocs or plain Markdown",
		Description: `Writes a page for every cluster with at least --min-size reports, an index
per category and topic, and a top-level index, under --out laid out as
CATEGORY/SLUG.md. A page's URL never changes once written: merged clusters
become aliases (Hugo) or redirect_maps entries (MkDocs, in redirects.yml),
and a cluster that disappears leaves a short page pointing to where its
reports went. Rerunning on the same database writes nothing. Files errata
did not write are never touched.

Rendering is incremental: errata remembers, per output directory, what
each page was rendered from, and renders again only the pages whose
cluster changed since (members, comments, issue states, merges and
redirects, the cluster's title and labels, its related pages), plus the
index, topic and trends pages. A new as-of day (the date of the newest
report or comment, which every page's trend sentence names), other
settings or another errata version render everything. --full renders
every page regardless; the files are the same either way.`,
		Flags: append([]urfavecli.Flag{
			&urfavecli.StringFlag{Name: "out", Usage: "output `DIR` (default: output.dir of the config, else ./site)"},
			&urfavecli.StringFlag{Name: "format", Usage: "hugo, mkdocs or plain (default: output.format of the config, else hugo)"},
			&urfavecli.IntFlag{Name: "min-size", Usage: "reports a cluster needs for a new page (default: output.min_size of the config, else 2)"},
			&urfavecli.BoolFlag{Name: "no-charts", Usage: "leave out the weekly report charts"},
			&urfavecli.BoolFlag{Name: "full", Usage: "render every page, not only those whose inputs changed since the last render of --out"},
		}, llm.Flags()...),
		Action: func(c *urfavecli.Context) error {
			if c.NArg() > 0 {
				return usageError("pages: unexpected argument %q", c.Args().First())
			}
			cfg, err := env.Config(c)
			if err != nil {
				return err
			}
			out := cfg.Output.Dir
			if c.IsSet("out") {
				out = c.String("out")
			}
			if out == "" {
				out = "site"
			}
			format := cfg.Output.Format
			if c.IsSet("format") {
				format = c.String("format")
			}
			switch format {
			case "":
				format = "hugo"
			case "hugo", "mkdocs", "plain":
			default:
				return usageError("pages: --format: want hugo, mkdocs or plain, got %q", format)
			}
			minSize := cfg.Output.MinSize
			if c.IsSet("min-size") {
				minSize = c.Int("min-size")
				if minSize < 1 {
					return usageError("pages: --min-size: want 1 or more, got %d", minSize)
				}
			}
			s, err := env.Store(c)
			if err != nil {
				return err
			}
			model, err := llmClient(c, env, s)
			if err != nil {
				return err
			}
			res, err := pages.Generate(c.Context, s, pages.Options{Out: out, Format: pages.Format(format), MinSize: minSize,
				NoCharts: c.Bool("no-charts"), Logger: env.logger(), LLM: model, Full: c.Bool("full")})
			if err != nil {
				return err
			}
			rendered := fmt.Sprintf("%d rendered, the rest unchanged since the last render", res.Rendered)
			if res.Full {
				rendered = "all rendered: " + res.FullReason
			}
			fmt.Fprintf(env.Stdout, "%d pages (%s), %d index pages, %d redirects, %d short pages for gone clusters in %s (%s): %d files written, %d unchanged, %d removed\n",
				res.Pages, rendered, res.Indexes, res.Redirects, res.Tombstones, out, format, res.Written, res.Unchanged, res.Removed)
			return nil
		},
	}
}
