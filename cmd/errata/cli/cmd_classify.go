package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	urfavecli "github.com/urfave/cli/v2"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/llm"
	"github.com/errata-tool/errata/store"
)

func classifyRules(env *Env, c *urfavecli.Context) (*classify.Rules, error) {
	cfg, err := env.Config(c)
	if err != nil {
		return nil, err
	}
	return classify.LoadRules(cfg.Rules, cfg.Path)
}

func classifyCommand(env *Env) *urfavecli.Command {
	return &urfavecli.Command{
		Name:  "classify",
		Usage: "find error signatures in stored issues and group them into clusters (incremental)",
		Description: "Only new issues, changed issues and issues classified under other rules are\n" +
			"classified again; cluster ids and slugs stay stable. --rebuild recomputes every\n" +
			"cluster from scratch, keeping the ids of clusters that hold mostly the same\n" +
			"reports and recording merges and splits so pages can redirect.",
		Flags: append([]urfavecli.Flag{
			&urfavecli.BoolFlag{Name: "rebuild", Usage: "recompute all clusters from scratch"},
			&urfavecli.BoolFlag{Name: "json", Usage: "print the run summary as JSON"},
		}, llm.Flags()...),
		Action: func(c *urfavecli.Context) error {
			if c.NArg() > 0 {
				return usageError("classify: unexpected argument %q", c.Args().First())
			}
			rules, err := classifyRules(env, c)
			if err != nil {
				return err
			}
			st, err := env.Store(c)
			if err != nil {
				return err
			}
			model, err := llmClient(c, env, st)
			if err != nil {
				return err
			}
			sum, err := classify.Run(c.Context, st, classify.RunOptions{Rules: rules, Rebuild: c.Bool("rebuild"), Logger: env.logger()})
			if err != nil {
				return err
			}
			llmRefine(c, env, model, st, rules) // model titles and topics; falls back silently
			if c.Bool("json") {
				return writeJSON(env.Stdout, sum)
			}
			fmt.Fprintf(env.Stdout, "classified %d issues (%d unchanged skipped): %d clustered, %d without error text; %d new clusters, %d clusters updated, %d merged, %d split, %d dissolved in %s\n",
				sum.Classified, sum.Unchanged, sum.Clustered, sum.Unclustered, sum.NewClusters, sum.Touched, sum.Merged, sum.Split, sum.Dissolved, sum.Duration.Round(time.Millisecond))
			return nil
		},
	}
}

// clusterJSON is one element of `errata clusters --json`.
type clusterJSON struct {
	ID             int64      `json:"id"`
	Slug           string     `json:"slug"`
	Title          string     `json:"title"`
	Topic          string     `json:"topic"`
	TopicReason    string     `json:"topic_reason"`
	Category       string     `json:"category"`
	CategoryReason string     `json:"category_reason"`
	Tools          []string   `json:"tools"`
	ToolsReason    string     `json:"tools_reason"`
	Code           string     `json:"code,omitempty"`
	Signature      string     `json:"signature"`
	Fingerprint    string     `json:"fingerprint"`
	Size           int        `json:"size"`
	Examples       []string   `json:"examples"`
	Members        []string   `json:"members"`
	Repositories   []string   `json:"repositories"`
	FirstSeen      *time.Time `json:"first_seen"`
	LastSeen       *time.Time `json:"last_seen"`
}

func clustersCommand(env *Env) *urfavecli.Command {
	return &urfavecli.Command{
		Name:  "clusters",
		Usage: "list clusters of the same error, largest first",
		Flags: []urfavecli.Flag{
			&urfavecli.BoolFlag{Name: "json", Usage: "print a JSON array with members and examples"},
			&urfavecli.StringFlag{Name: "topic", Usage: "only clusters of this topic id (e.g. auth, rate-limits)"},
			&urfavecli.StringFlag{Name: "category", Usage: "only clusters of this category id (e.g. ai-coding-tools)"},
			&urfavecli.IntFlag{Name: "min-size", Value: 1, Usage: "only clusters with at least this many reports"},
			&urfavecli.IntFlag{Name: "limit", Usage: "at most this many clusters (0: all)"},
		},
		Action: func(c *urfavecli.Context) error {
			if c.NArg() > 0 {
				return usageError("clusters: unexpected argument %q", c.Args().First())
			}
			if c.Int("min-size") < 0 || c.Int("limit") < 0 {
				return usageError("clusters: --min-size and --limit must not be negative")
			}
			st, err := env.Store(c)
			if err != nil {
				return err
			}
			cs, err := st.ClusterList(c.Context, store.ClusterListParams{Topic: c.String("topic"), Category: c.String("category"),
				MinSize: c.Int("min-size"), Limit: c.Int("limit")})
			if err != nil {
				return err
			}
			if !c.Bool("json") {
				rules, err := classifyRules(env, c)
				if err != nil {
					return err
				}
				names := ruleNames(rules)
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSIZE\tTOPIC\tCATEGORY\tLAST SEEN\tSLUG\tTITLE")
				for _, cl := range cs {
					last := ""
					if cl.LastSeen != nil {
						last = cl.LastSeen.Format("2006-01-02")
					}
					fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\n", cl.ID, cl.Size, dash(names.name(cl.Topic)), dash(names.name(cl.Category)), last, cl.Slug, strings.ReplaceAll(oneLine(cl.Title, 80), "\t", " "))
				}
				return tw.Flush()
			}
			out, err := clustersJSON(c.Context, st, cs)
			if err != nil {
				return err
			}
			return writeJSON(env.Stdout, out)
		},
	}
}

func clustersJSON(ctx context.Context, st *store.Store, cs []store.ClusterInfo) ([]clusterJSON, error) {
	out := make([]clusterJSON, 0, len(cs))
	const chunk = 2000
	for start := 0; start < len(cs); start += chunk {
		part := cs[start:min(start+chunk, len(cs))]
		ids := make([]int64, len(part))
		for i, cl := range part {
			ids[i] = cl.ID
		}
		det, err := st.ClusterDetailsGet(ctx, ids, 5)
		if err != nil {
			return nil, err
		}
		for _, cl := range part {
			d := det[cl.ID]
			tools := cl.Tools
			if tools == nil {
				tools = []string{}
			}
			out = append(out, clusterJSON{ID: cl.ID, Slug: cl.Slug, Title: cl.Title, Topic: cl.Topic, TopicReason: cl.TopicReason,
				Category: cl.Category, CategoryReason: cl.CategoryReason, Tools: tools, ToolsReason: cl.ToolsReason,
				Code: cl.Concept, Signature: cl.Signature, Fingerprint: cl.Fingerprint, Size: cl.Size,
				Examples: d.Examples, Members: d.Members, Repositories: d.Repositories, FirstSeen: cl.FirstSeen, LastSeen: cl.LastSeen})
		}
	}
	return out, nil
}

type matchJSON struct {
	Score        float64  `json:"score"`
	Reason       string   `json:"reason"`
	ID           int64    `json:"id"`
	Slug         string   `json:"slug"`
	Title        string   `json:"title"`
	Topic        string   `json:"topic"`
	Size         int      `json:"size"`
	Signature    string   `json:"signature"`
	Examples     []string `json:"examples"`
	Repositories []string `json:"repositories"`
}

func matchCommand(env *Env) *urfavecli.Command {
	return &urfavecli.Command{
		Name:      "match",
		Usage:     "find the clusters an error text belongs to, with scores and why",
		ArgsUsage: "TEXT|-",
		Flags: []urfavecli.Flag{
			&urfavecli.BoolFlag{Name: "json", Usage: "print JSON"},
			&urfavecli.IntFlag{Name: "limit", Value: 5, Usage: "at most this many clusters"},
		},
		Description: "Exit status: 0 when a cluster matches, 1 when none does (like grep), 2 for usage errors.",
		Action: func(c *urfavecli.Context) error {
			if c.NArg() != 1 {
				return usageError("match: give the error text as one argument, or - to read it from standard input")
			}
			text := c.Args().First()
			if text == "-" {
				b, err := io.ReadAll(io.LimitReader(env.Stdin, 1<<20))
				if err != nil {
					return fmt.Errorf("match: read standard input: %w", err)
				}
				text = string(b)
			}
			if strings.TrimSpace(text) == "" {
				return usageError("match: the error text is empty")
			}
			st, err := env.Store(c)
			if err != nil {
				return err
			}
			a, res, err := classify.MatchText(c.Context, st, text, c.Int("limit"))
			if err != nil {
				return err
			}
			out := make([]matchJSON, 0, len(res))
			ids := make([]int64, 0, len(res))
			for _, r := range res {
				ids = append(ids, r.Cluster.ID)
			}
			det, err := st.ClusterDetailsGet(c.Context, ids, 3)
			if err != nil {
				return err
			}
			for _, r := range res {
				info, err := st.ClusterGet(c.Context, fmt.Sprint(r.Cluster.ID))
				if err != nil {
					return err
				}
				out = append(out, matchJSON{Score: roundScore(r.Score), Reason: r.Reason, ID: info.ID, Slug: info.Slug, Title: info.Title,
					Topic: info.Topic, Size: info.Size, Signature: info.Signature, Examples: det[info.ID].Examples, Repositories: det[info.ID].Repositories})
			}
			if c.Bool("json") {
				if err := writeJSON(env.Stdout, out); err != nil {
					return err
				}
				return noMatch(len(out))
			}
			if p := a.Primary(); p != nil {
				fmt.Fprintf(env.Stdout, "signature: %s\n", oneLine(p.Normalized, 400))
				if a.Concept != "" {
					fmt.Fprintf(env.Stdout, "error code: %s\n", oneLine(a.Concept, 100))
				}
			}
			if len(out) == 0 {
				fmt.Fprintln(env.Stdout, "no matching cluster")
				return noMatch(0)
			}
			rules, err := classifyRules(env, c)
			if err != nil {
				return err
			}
			names := ruleNames(rules)
			for _, m := range out {
				fmt.Fprintf(env.Stdout, "%.2f  #%d %s (%d reports, topic %s)\n      %s\n      why: %s\n", m.Score, m.ID, m.Slug, m.Size, dash(names.name(m.Topic)), oneLine(m.Title, 100), oneLine(m.Reason, 200))
			}
			return nil
		},
	}
}

func evalCommand(env *Env) *urfavecli.Command {
	return &urfavecli.Command{
		Name:  "eval",
		Usage: "measure clustering quality on labelled corpora (issues.jsonl + truth.tsv)",
		Description: "Imports each corpus into a fresh temporary database on the same server (or the\n" +
			"embedded default), classifies it without reading the labels, then compares the\n" +
			"clusters with truth.tsv: B-cubed precision, recall and F1, pairwise F1, missed\n" +
			"reports (family members left unclustered), noise absorbed (noise-* reports in a\n" +
			"family's cluster), and the worst-split and worst-merged families. With several\n" +
			"--corpus flags it also classifies all of them together in one database and\n" +
			"scores that (combined). The temporary databases are dropped.",
		Flags: append([]urfavecli.Flag{
			&urfavecli.StringSliceFlag{Name: "corpus", Required: true, Usage: "directory holding issues.jsonl and truth.tsv (repeatable)"},
			&urfavecli.BoolFlag{Name: "json", Usage: "print the metrics as JSON"},
			&urfavecli.IntFlag{Name: "top", Value: 10, Usage: "how many worst families and clusters to list"},
		}, evalPagesFlags()...),
		Action: func(c *urfavecli.Context) error {
			dirs := c.StringSlice("corpus")
			if c.Bool("pages") {
				return evalPages(c, env, dirs)
			}
			truths := make([]map[string]string, len(dirs))
			for i, dir := range dirs {
				for _, f := range []string{"issues.jsonl", "truth.tsv"} {
					if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
						return usageError("eval: --corpus %s: %v", dir, err)
					}
				}
				t, err := classify.LoadTruth(dir)
				if err != nil {
					return fmt.Errorf("eval: %s: %w", dir, err)
				}
				truths[i] = t
			}
			rules, err := classifyRules(env, c)
			if err != nil {
				return err
			}
			base, err := env.DatabaseURL(c)
			if err != nil {
				return err
			}
			type result struct {
				Corpus string `json:"corpus"`
				classify.Metrics
			}
			var results []result
			for i, dir := range dirs {
				m, err := evalCorpus(c.Context, base, []string{dir}, rules, truths[i], env)
				if err != nil {
					return err
				}
				results = append(results, result{dir, m})
			}
			if len(dirs) > 1 {
				all := map[string]string{}
				for _, t := range truths {
					for u, f := range t {
						all[u] = f
					}
				}
				m, err := evalCorpus(c.Context, base, dirs, rules, all, env)
				if err != nil {
					return err
				}
				results = append(results, result{"combined", m})
			}
			if c.Bool("json") {
				if len(results) == 1 {
					return writeJSON(env.Stdout, results[0].Metrics)
				}
				return writeJSON(env.Stdout, results)
			}
			for i, r := range results {
				if len(results) > 1 {
					if i > 0 {
						fmt.Fprintln(env.Stdout)
					}
					if r.Corpus == "combined" {
						fmt.Fprintln(env.Stdout, "== combined: all corpora classified together in one database")
					} else {
						fmt.Fprintf(env.Stdout, "== corpus %s\n", r.Corpus)
					}
				}
				r.WriteReport(env.Stdout, c.Int("top"))
			}
			return nil
		},
	}
}

// evalCorpus imports the corpora into one temporary database created next
// to base, classifies them and scores the clusters against truth.
func evalCorpus(ctx context.Context, base string, dirs []string, rules *classify.Rules, truth map[string]string, env *Env) (classify.Metrics, error) {
	var m classify.Metrics
	err := withClassifiedCorpora(ctx, base, "errata_eval_", dirs, rules, env, func(st *store.Store) error {
		pred, err := memberLabels(ctx, st)
		if err != nil {
			return err
		}
		m = classify.Evaluate(pred, truth)
		return nil
	})
	return m, err
}

// withClassifiedCorpora imports the corpora (directories holding
// issues.jsonl) into a temporary database created next to base, classifies
// them with rules, and hands the store to fn; the database is dropped
// afterwards. Both evaluations (clusters and pages) start this way.
func withClassifiedCorpora(ctx context.Context, base, prefix string, dirs []string, rules *classify.Rules, env *Env, fn func(*store.Store) error) error {
	u, drop, err := store.TempDatabase(ctx, store.TempDatabaseParams{ServerURL: base, Prefix: prefix})
	if err != nil {
		return fmt.Errorf("eval: %w", err)
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
		return err
	}
	defer st.Close()
	for _, dir := range dirs {
		path := filepath.Join(dir, "issues.jsonl")
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		sum, err := ingest.Import(ctx, st, f, path)
		f.Close()
		if err != nil {
			return fmt.Errorf("eval: import corpus %s: %w", dir, err)
		}
		if len(sum.Bad) > 0 {
			env.logger().Warn("eval: skipped bad corpus records", "corpus", dir, "count", len(sum.Bad))
		}
	}
	if _, err := classify.Run(ctx, st, classify.RunOptions{Rules: rules, Logger: env.logger()}); err != nil {
		return err
	}
	return fn(st)
}

// memberLabels maps each clustered issue's html_url to its cluster id.
func memberLabels(ctx context.Context, st *store.Store) (map[string]string, error) {
	members, err := st.ClusterMemberURLList(ctx)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	out := make(map[string]string, len(members))
	for u, id := range members {
		out[u] = fmt.Sprint(id)
	}
	return out, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine makes text from issues safe and short for a terminal line:
// control sequences removed, whitespace collapsed, cut to n bytes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(classify.CleanText(s)), " ")
	if len(s) > n {
		cut := n
		for cut > 0 && (s[cut]&0xC0) == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func roundScore(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }

// idNames maps topic and category ids to the names people read in
// rules.yaml (and the config's additions); an id without a name maps to
// itself. Text output shows names; JSON keeps the ids, which the
// --topic and --category filters take.
type idNames map[string]string

func ruleNames(rules *classify.Rules) idNames {
	m := idNames{}
	for _, t := range rules.Topics {
		m[t.ID] = t.Name
	}
	for _, c := range rules.Categories {
		if _, ok := m[c.ID]; !ok {
			m[c.ID] = c.Name
		}
	}
	return m
}

// name returns id's name, or id itself when it has none.
func (m idNames) name(id string) string {
	if n := m[id]; n != "" {
		return n
	}
	return id
}
