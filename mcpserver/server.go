// Package mcpserver serves errata's knowledge over the Model Context
// Protocol (github.com/modelcontextprotocol/go-sdk), so an AI coding tool
// can paste the error it just saw and get errata's answer: which known
// error it is, how many people hit it where, whether it is growing, and
// the fixes found in the threads, each with its source.
//
// Tools (all read-only, each with input and output schemas, structured
// content and a text rendering): match_error, get_error_guide,
// trending_errors and search_errors. Resources: each cluster's guide at
// errata://clusters/{slug} (a resource template).
//
// Decisions:
//
//   - Read-only: the server never changes errata's data. cmd_mcp opens the
//     database for matching, guides and search with
//     default_transaction_read_only, so PostgreSQL itself refuses writes.
//     trending_errors computes what `errata trends` computes, which brings
//     the derived trend rollups up to date first; it gets its own handle
//     (Options.TrendStore) for that.
//   - Bounds: error text is at most MaxTextBytes (64 KiB), queries, slugs
//     and other strings MaxFieldBytes; longer input gets a tool error that
//     says so. Over HTTP the body is bounded by MaxRequestBytes (8 MiB,
//     413 beyond), above MaxTextBytes so that a long paste still reaches
//     the tool and gets the explanatory tool error.
//   - Secrets: pasted text is never logged; what is logged of a call (its
//     size and, at debug level, a short preview) goes through
//     classify/redact first. Text quoted back to the client comes from
//     errata's own redacted evidence.
//   - Trend states in match_error and get_error_guide come from one
//     `errata trends --by cluster --window 28d` report (all clusters,
//     as of today, UTC), cached. The cache is rebuilt when the clusters
//     change (store.ClusterDataVersion, checked on every use), when the
//     UTC day changes, and at the latest TrendCacheTTL after it was built
//     (new comments change counts without touching a cluster).
package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/errata-tool/errata/classify/redact"
	"github.com/errata-tool/errata/reports/trends"
	"github.com/errata-tool/errata/store"
)

// Limits on input.
const (
	MaxTextBytes    = 64 << 10 // error text for match_error
	MaxFieldBytes   = 1 << 10  // queries, slugs, filters
	MaxRequestBytes = 8 << 20  // one HTTP request body
	MaxMatches      = 10
	MaxTop          = 100
)

// TrendCacheTTL is how long the trend states shown next to clusters are
// reused before they are recomputed (sooner when the clusters change):
// the same bound as the cluster cache's, so an answer's parts are equally
// fresh.
const TrendCacheTTL = BriefCacheTTL

// Options configure New.
type Options struct {
	// Store answers match_error, get_error_guide, search_errors and the
	// resources; it can (and in errata mcp does) refuse writes.
	Store *store.Store
	// TrendStore answers trending_errors and the trend states, which may
	// refresh the trend rollups; nil means Store.
	TrendStore *store.Store
	// SiteURL, when set, is where the pages of `errata pages` are served
	// (hugo or mkdocs layout): answers add page_url = SiteURL/category/slug/.
	SiteURL string
	Logger  *slog.Logger
	Version string
	// Now is the clock for trend windows; nil means time.Now.
	Now func() time.Time
	// Warm fills the cluster cache in the background when the server
	// starts and whenever the clusters change (see cache.go); errata mcp
	// sets it. Without it the cache fills as clusters are asked for.
	Warm bool
	// Context bounds background work (the warm-up); nil means
	// context.Background().
	Context context.Context
}

// Server is errata's MCP server.
type Server struct {
	opts Options
	mcp  *mcp.Server
	log  *slog.Logger

	baseCtx context.Context
	cache   briefCache

	trendMu    sync.Mutex
	trendRep   *trends.Report
	trendCache map[int64]*trends.Row
	trendVer   string
	trendDay   trends.Day
	trendAt    time.Time
}

// New builds the server with its tools and resource template.
func New(opts Options) *Server {
	if opts.TrendStore == nil {
		opts.TrendStore = opts.Store
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	opts.SiteURL = strings.TrimRight(opts.SiteURL, "/")
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	s := &Server{opts: opts, log: opts.Logger, baseCtx: opts.Context}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: "errata", Title: "errata error guide", Version: opts.Version}, &mcp.ServerOptions{
		Instructions: "errata knows the errors people report in GitHub issues, grouped into clusters with evidence. " +
			"When you hit an error, call match_error with the error text you saw; then get_error_guide for the full guide " +
			"of a match. trending_errors lists what is growing; search_errors finds clusters by words.",
	})
	s.mcp.AddReceivingMiddleware(s.logCalls)
	s.addTools()
	s.addResources()
	if opts.Warm {
		go func() {
			ver, err := s.version(s.baseCtx)
			if err != nil {
				if s.baseCtx.Err() == nil {
					s.log.Warn("mcp: cache warm-up not started", "err", redact.String(err.Error()))
				}
				return
			}
			s.cache.mu.Lock()
			s.cache.reset(ver, s.opts.Now())
			s.startWarm(ver)
			s.cache.mu.Unlock()
		}()
	}
	return s
}

// MCP returns the underlying SDK server, for transports.
func (s *Server) MCP() *mcp.Server { return s.mcp }

// logCalls logs every request's method, tool, duration and outcome. Tool
// arguments are not logged: pasted errors may hold secrets; at debug
// level a short redacted preview of match_error's text is logged.
func (s *Server) logCalls(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		t0 := time.Now()
		res, err := next(ctx, method, req)
		attrs := []any{"method", method, "duration", time.Since(t0).Round(time.Microsecond)}
		if ctr, ok := req.(*mcp.CallToolRequest); ok && ctr.Params != nil {
			attrs = append(attrs, "tool", ctr.Params.Name, "arguments_bytes", len(ctr.Params.Arguments))
			if s.log.Enabled(ctx, slog.LevelDebug) && ctr.Params.Name == "match_error" {
				attrs = append(attrs, "text_preview", preview(string(ctr.Params.Arguments)))
			}
			if r, ok := res.(*mcp.CallToolResult); ok && r != nil && r.IsError {
				attrs = append(attrs, "tool_error", true)
			}
		}
		if err != nil {
			s.log.Warn("mcp request failed", append(attrs, "err", redact.String(err.Error()))...)
		} else {
			s.log.Debug("mcp request", attrs...)
		}
		return res, err
	}
}

// preview is a short, redacted, one-line excerpt for logs.
func preview(s string) string {
	if len(s) > 160 {
		s = s[:160]
	}
	s = strings.ToValidUTF8(s, "")
	return strings.Join(strings.Fields(redact.String(s)), " ")
}

// inputError is bad tool input: it becomes a tool error that says what
// was wrong (never a protocol error, so the client's agent reads it).
type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

func badInput(format string, args ...any) error {
	return &inputError{msg: fmt.Sprintf(format, args...)}
}

// toolErr turns a failure into the error a tool returns: input errors as
// they are, internal errors logged and reported without detail beyond
// their redacted message.
func (s *Server) toolErr(tool string, err error) error {
	var ie *inputError
	if errors.As(err, &ie) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: cancelled", tool)
	}
	msg := redact.String(err.Error())
	s.log.Error("mcp tool failed", "tool", tool, "err", msg)
	return fmt.Errorf("%s: internal error: %s", tool, msg)
}

// checkField bounds a short string input.
func checkField(name, v string) error {
	if len(v) > MaxFieldBytes {
		return badInput("%s is %d bytes long; the limit is %d bytes", name, len(v), MaxFieldBytes)
	}
	if strings.ContainsRune(v, 0) {
		return badInput("%s contains a NUL character", name)
	}
	return nil
}

// trendRows returns the cached cluster trend rows by cluster id (merged
// ids map to their survivor's row); errors are logged and give nil (a
// trend state is a detail next to a match, never a reason to fail it).
func (s *Server) trendRows(ctx context.Context, ver string) map[int64]*trends.Row {
	rows, err := s.trendRowsNow(ctx, ver)
	if err != nil {
		s.log.Warn("mcp: trend states unavailable", "err", redact.String(err.Error()))
		return nil
	}
	return rows
}

func (s *Server) trendRowsNow(ctx context.Context, ver string) (map[int64]*trends.Row, error) {
	s.trendMu.Lock()
	defer s.trendMu.Unlock()
	now := s.opts.Now()
	day := trends.DayOf(now)
	if ver == "" {
		var err error
		if ver, err = s.version(ctx); err != nil {
			return nil, err
		}
	}
	if s.trendCache != nil && day == s.trendDay && ver == s.trendVer && now.Sub(s.trendAt) < TrendCacheTTL {
		return s.trendCache, nil
	}
	q, err := trends.Query{By: trends.ByCluster, MinCount: -1}.Normalize(now)
	if err != nil {
		return nil, err
	}
	rep, err := trends.Compute(ctx, s.opts.TrendStore, q)
	if err != nil {
		return nil, err
	}
	rows := make(map[int64]*trends.Row, len(rep.Rows))
	for i := range rep.Rows {
		r := &rep.Rows[i]
		rows[r.ClusterID] = r
		for _, m := range r.MergedIDs {
			rows[m] = r
		}
	}
	s.trendRep, s.trendCache, s.trendVer, s.trendDay, s.trendAt = rep, rows, ver, day, now
	return rows, nil
}

// pageURL is the page's URL under --site-url, "" without one.
func (s *Server) pageURL(path string) string {
	if s.opts.SiteURL == "" || path == "" {
		return ""
	}
	return s.opts.SiteURL + "/" + path + "/"
}
