package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	urfavecli "github.com/urfave/cli/v2"

	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/runner"
	"github.com/errata-tool/errata/store"
)

// statusCommand is `errata status`: the database (password hidden), the
// GitHub API and whether a token is set (never the token), every sync
// source with its cursors, last run and counts, and configured sources
// that were never synced.
func statusCommand(env *Env) *urfavecli.Command {
	return &urfavecli.Command{
		Name:  "status",
		Usage: "show sync sources, cursors, last runs and counts",
		Flags: []urfavecli.Flag{
			&urfavecli.BoolFlag{Name: "json", Usage: "print as JSON"},
			&urfavecli.StringFlag{Name: "github-api-url", Usage: "GitHub API base to report"},
		},
		Action: func(c *urfavecli.Context) error { return runStatus(c, env) },
	}
}

type statusSource struct {
	Kind     string            `json:"kind"`
	Key      string            `json:"key"`
	State    *ingest.StateView `json:"state,omitempty"`
	LastRun  *statusRun        `json:"last_run,omitempty"`
	Counts   *store.RepoCounts `json:"counts,omitempty"`
	InConfig bool              `json:"in_config"`
}

type statusRun struct {
	Status          string     `json:"status"`
	StartedAt       time.Time  `json:"started_at"`
	FinishedAt      *time.Time `json:"finished_at,omitempty"`
	Requests        int        `json:"requests"`
	NotModified     int        `json:"not_modified"`
	WaitedMS        int64      `json:"waited_ms"`
	IssuesNew       int        `json:"issues_new"`
	IssuesUpdated   int        `json:"issues_updated"`
	CommentsNew     int        `json:"comments_new"`
	CommentsUpdated int        `json:"comments_updated"`
	Message         string     `json:"message,omitempty"`
}

type statusReport struct {
	Database  string         `json:"database"`
	GitHubAPI string         `json:"github_api"`
	Token     string         `json:"token"`
	Totals    store.Counts   `json:"totals"`
	Sources   []statusSource `json:"sources"`
}

func runStatus(c *urfavecli.Context, env *Env) error {
	cfg, err := env.Config(c)
	if err != nil {
		return err
	}
	st, err := env.Store(c)
	if err != nil {
		return err
	}
	dbURL, err := env.DatabaseURL(c)
	if err != nil {
		return err
	}
	apiURL := c.String("github-api-url")
	if apiURL == "" {
		apiURL = env.Getenv("GITHUB_API_URL")
	}
	if apiURL == "" {
		apiURL = cfg.GitHub.APIURL
	}
	rep := statusReport{Database: store.RedactURL(dbURL), Token: "none (unauthenticated: 60 requests an hour)"} //nolint:gosec // G101: says no token is set; it holds none
	if u, err := ingest.ResolveAPIURL(apiURL); err == nil {
		rep.GitHubAPI = u.String()
	} else {
		rep.GitHubAPI = "invalid: " + err.Error()
	}
	if toks := runner.TokensFromConfig(cfg.GitHub, env.Getenv); len(toks) > 0 {
		rep.Token = "set (from " + toks[0].Name + ")"
	}
	ctx := c.Context
	if rep.Totals, err = st.CountsGet(ctx); err != nil {
		return err
	}
	srcs, err := st.SyncSourceList(ctx)
	if err != nil {
		return err
	}
	inCfg := map[string]bool{}
	for _, r := range cfg.Sources.Repositories {
		inCfg["repo\x00"+strings.ToLower(r.Repo)] = true
	}
	for _, s := range cfg.Sources.Searches {
		inCfg["search\x00"+s.Query] = true
	}
	keyOf := func(kind, key string) string {
		if kind == "repo" {
			key = strings.ToLower(key)
		}
		return kind + "\x00" + key
	}
	seen := map[string]bool{}
	for _, s := range srcs {
		ss := statusSource{Kind: s.Kind, Key: s.Key, InConfig: inCfg[keyOf(s.Kind, s.Key)]}
		seen[keyOf(s.Kind, s.Key)] = true
		if v, err := ingest.DescribeState(s.State); err == nil {
			ss.State = &v
		}
		run, err := st.SyncRunLast(ctx, s.ID)
		switch {
		case err == nil:
			ss.LastRun = &statusRun{Status: run.Status, StartedAt: run.StartedAt, FinishedAt: run.FinishedAt,
				Requests: run.Requests, NotModified: run.NotModified, WaitedMS: run.WaitedMS, IssuesNew: run.IssuesNew,
				IssuesUpdated: run.IssuesUpdated, CommentsNew: run.CommentsNew, CommentsUpdated: run.CommentsUpdated,
				Message: run.Message}
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if s.Kind == "repo" {
			cnt, err := st.RepoCountsGet(ctx, s.Key)
			if err != nil {
				return err
			}
			ss.Counts = &cnt
		}
		rep.Sources = append(rep.Sources, ss)
	}
	for _, r := range cfg.Sources.Repositories {
		if !seen[keyOf("repo", r.Repo)] {
			rep.Sources = append(rep.Sources, statusSource{Kind: "repo", Key: r.Repo, InConfig: true})
		}
	}
	for _, s := range cfg.Sources.Searches {
		if !seen[keyOf("search", s.Query)] {
			rep.Sources = append(rep.Sources, statusSource{Kind: "search", Key: s.Query, InConfig: true})
		}
	}
	if c.Bool("json") {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	w := env.Stdout
	fmt.Fprintf(w, "database:   %s\n", rep.Database)
	fmt.Fprintf(w, "github api: %s\n", rep.GitHubAPI)
	fmt.Fprintf(w, "token:      %s\n", rep.Token)
	fmt.Fprintf(w, "stored:     %d repositories, %d issues, %d pull requests, %d comments\n\n",
		rep.Totals.Repositories, rep.Totals.Issues, rep.Totals.PullRequests, rep.Totals.Comments)
	if len(rep.Sources) == 0 {
		fmt.Fprintln(w, "no sync sources yet: add sources to the config file or run errata sync --repo owner/name")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tKIND\tISSUES CURSOR\tCOMMENTS CURSOR\tLAST RUN\tREQUESTS\tISSUES\tPRS\tCOMMENTS\tGONE")
	for _, s := range rep.Sources {
		ic, cc := "-", "-"
		if s.State != nil {
			ic = cursorText(s.State.IssuesCursor, s.State.IssuesBackfillDone)
			if s.Kind == "repo" {
				cc = cursorText(s.State.CommentsCursor, s.State.CommentsBackfillDone)
			} else if s.State.PendingComments > 0 {
				cc = fmt.Sprintf("%d threads pending", s.State.PendingComments)
			}
		}
		last, reqs := "never", "-"
		if s.LastRun != nil {
			last = s.LastRun.Status + " " + s.LastRun.StartedAt.Format(time.RFC3339)
			reqs = fmt.Sprintf("%d (%d 304)", s.LastRun.Requests, s.LastRun.NotModified)
		}
		issues, prs, comments, gone := "-", "-", "-", "-"
		if s.Counts != nil {
			issues, prs, comments, gone = fmt.Sprint(s.Counts.Issues), fmt.Sprint(s.Counts.PullRequests),
				fmt.Sprint(s.Counts.Comments), fmt.Sprint(s.Counts.Gone)
		}
		key := s.Key
		if s.Kind == "search" {
			key = fmt.Sprintf("%q", s.Key)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", key, s.Kind, ic, cc, last, reqs, issues, prs, comments, gone)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range rep.Sources {
		if s.LastRun != nil && s.LastRun.Message != "" && s.LastRun.Status != "ok" {
			fmt.Fprintf(w, "%s: last run %s: %s\n", s.Key, s.LastRun.Status, s.LastRun.Message)
		}
	}
	return nil
}

func cursorText(t time.Time, done bool) string {
	if t.IsZero() {
		if done {
			return "empty"
		}
		return "not started"
	}
	s := t.UTC().Format(time.RFC3339)
	if !done {
		s += " (backfilling)"
	}
	return s
}
