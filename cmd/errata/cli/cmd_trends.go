package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	urfavecli "github.com/urfave/cli/v2"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/reports/trends"
)

func trendsCommand(env *Env) *urfavecli.Command {
	return &urfavecli.Command{
		Name:  "trends",
		Usage: "which error clusters, topics, categories, tools or repositories get more reports than before",
		Description: `Compares the reports of the current window (the --window days ending with
--as-of, UTC) with the --baselines windows before it, per group, with an
exact Poisson rate test corrected for testing many groups (Benjamini-Hochberg),
and labels each group New, Regressed, Escalating, Rising, Stable or Declining
with the reason. Counts come from the daily counts classify keeps.`,
		Flags: []urfavecli.Flag{
			&urfavecli.StringFlag{Name: "window", Value: "28d", Usage: "length of the current window and of each baseline window: Nd, Nw or a duration in whole days"},
			&urfavecli.IntFlag{Name: "baselines", Value: trends.DefaultBaselines, Usage: "number of windows before the current one that form the baseline"},
			&urfavecli.StringFlag{Name: "as-of", Usage: "last day of the current window, YYYY-MM-DD (UTC; default today), for reproducible reports"},
			&urfavecli.StringFlag{Name: "by", Value: string(trends.ByCluster), Usage: "cluster, topic, category, tool or repo"},
			&urfavecli.StringFlag{Name: "signal", Value: string(trends.SignalReports), Usage: "reports, comments, reactions or activity (all three)"},
			&urfavecli.IntFlag{Name: "top", Value: 20, Usage: "show the first N groups (0: all)"},
			&urfavecli.IntFlag{Name: "min-count", Value: trends.DefaultMinCount, Usage: "list groups with at least this many in the current window or per baseline window (0: every group, clusters without reports included); New, Rising and Escalating need it in the current window"},
			&urfavecli.Float64Flag{Name: "alpha", Value: trends.DefaultAlpha, Usage: "false discovery rate for the adjusted tests"},
			&urfavecli.StringFlag{Name: "topic", Usage: "only clusters with this topic"},
			&urfavecli.StringFlag{Name: "category", Usage: "only clusters with this category"},
			&urfavecli.StringFlag{Name: "repo", Usage: "only reports from this repository (owner/name)"},
			&urfavecli.StringFlag{Name: "tool", Usage: "only clusters about this tool"},
			&urfavecli.StringFlag{Name: "format", Value: trends.FormatTable, Usage: "table, markdown, json or csv"},
		},
		Action: func(c *urfavecli.Context) error {
			if c.NArg() > 0 {
				return usageError("trends: unexpected argument %q", c.Args().First())
			}
			q, format, err := trendsQuery(c, time.Now())
			if err != nil {
				return err
			}
			s, err := env.Store(c)
			if err != nil {
				return err
			}
			rep, err := trends.Compute(c.Context, s, q)
			if err != nil {
				return fmt.Errorf("trends: %w", err)
			}
			if q.By == trends.ByTopic || q.By == trends.ByCategory {
				rules, err := classifyRules(env, c)
				if err != nil {
					return err
				}
				nameRows(rep, rules)
			}
			if err := trends.Render(env.Stdout, rep, format); err != nil {
				return err
			}
			if !c.IsSet("as-of") && emptyWindow(rep) {
				if end, err := s.TrendDataEnd(c.Context); err == nil && trends.DayOf(end) < rep.Windows.Current.From {
					d := trends.DayOf(end)
					fmt.Fprintf(env.Stderr, "errata trends: no reports in the window %s..%s; the newest is from %s: for a report on that data try --as-of %s\n",
						rep.Windows.Current.From, rep.Windows.Current.To, d, d)
				}
			}
			return nil
		},
	}
}

// trendsQuery turns the flags into a normalized query; bad flags are usage
// errors.
func trendsQuery(c *urfavecli.Context, now time.Time) (trends.Query, string, error) {
	days, err := parseWindowDays(c.String("window"))
	if err != nil {
		return trends.Query{}, "", usageError("trends: --window: %v", err)
	}
	q := trends.Query{
		WindowDays: days,
		Baselines:  c.Int("baselines"),
		By:         trends.Grouping(c.String("by")),
		Signal:     trends.Signal(c.String("signal")),
		Top:        c.Int("top"),
		MinCount:   c.Int("min-count"),
		Alpha:      c.Float64("alpha"),
		Topic:      c.String("topic"),
		Category:   c.String("category"),
		Repo:       c.String("repo"),
		Tool:       c.String("tool"),
	}
	if c.IsSet("min-count") && q.MinCount == 0 {
		q.MinCount = -1 // 0 means "list everything" on the command line
	}
	if v := c.String("as-of"); v != "" {
		d, err := trends.ParseDay(v)
		if err != nil {
			t, terr := time.Parse(time.RFC3339, v)
			if terr != nil {
				return q, "", usageError("trends: --as-of %q: want YYYY-MM-DD", v)
			}
			d = trends.DayOf(t)
		}
		q.AsOf = d.Time()
	}
	if c.IsSet("baselines") && q.Baselines == 0 {
		return q, "", usageError("trends: --baselines must be at least 1")
	}
	if c.IsSet("alpha") && q.Alpha == 0 {
		return q, "", usageError("trends: --alpha must be between 0 and 1")
	}
	q, err = q.Normalize(now)
	if err != nil {
		return q, "", usageError("trends: %v", err)
	}
	format := c.String("format")
	switch format {
	case trends.FormatTable, trends.FormatMarkdown, trends.FormatJSON, trends.FormatCSV:
	default:
		return q, "", usageError("trends: --format %q: want table, markdown, json or csv", format)
	}
	return q, format, nil
}

// parseWindowDays reads "28d", "4w" or a Go duration of whole days
// ("672h").
func parseWindowDays(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty window")
	}
	mult := 0
	switch {
	case strings.HasSuffix(s, "d"):
		mult = 1
	case strings.HasSuffix(s, "w"):
		mult = 7
	}
	if mult > 0 {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(s, "d"), "w"))
		if err != nil || n < 1 {
			return 0, fmt.Errorf("%q: want a positive number of days (28d) or weeks (4w)", s)
		}
		return n * mult, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d%(24*time.Hour) != 0 {
		return 0, fmt.Errorf("%q: want Nd, Nw or a duration of whole days", s)
	}
	return int(d / (24 * time.Hour)), nil
}

// emptyWindow reports whether no listed group has anything in the current
// window (or nothing is listed).
func emptyWindow(rep *trends.Report) bool {
	for _, r := range rep.Rows {
		if r.Count > 0 {
			return false
		}
	}
	return true
}

// nameRows labels topic and category rows with their names from the
// rules (rules.yaml and the config's additions), where the rows carry ids.
func nameRows(rep *trends.Report, rules *classify.Rules) {
	names := map[string]string{}
	if rep.Query.By == trends.ByTopic {
		for _, t := range rules.Topics {
			names[t.ID] = t.Name
		}
	} else {
		for _, c := range rules.Categories {
			names[c.ID] = c.Name
		}
	}
	for i := range rep.Rows {
		if n := names[rep.Rows[i].Key]; n != "" {
			rep.Rows[i].Label = n
		}
	}
}
