package mcpserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/mcpserver"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type harness struct {
	st      *store.Store
	cs      *mcp.ClientSession
	logs    *syncBuffer
	schemas map[string]*jsonschema.Resolved
}

// connect serves st in-process and connects the SDK's client to it over
// an in-memory transport; the server logs at debug level into logs.
func connect(t *testing.T, st *store.Store, site string) *harness {
	t.Helper()
	ctx := context.Background()
	logs := &syncBuffer{}
	srv := mcpserver.New(mcpserver.Options{Store: st, SiteURL: site, Now: func() time.Time { return fixtureNow },
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ct, stt := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, stt, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	client := mcp.NewClient(&mcp.Implementation{Name: "errata-test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	h := &harness{st: st, cs: cs, logs: logs, schemas: map[string]*jsonschema.Resolved{}}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools.Tools {
		if tool.OutputSchema == nil {
			t.Fatalf("tool %s has no output schema", tool.Name)
		}
		raw, _ := json.Marshal(tool.OutputSchema)
		var sch jsonschema.Schema
		if err := json.Unmarshal(raw, &sch); err != nil {
			t.Fatalf("tool %s: output schema: %v", tool.Name, err)
		}
		res, err := sch.Resolve(nil)
		if err != nil {
			t.Fatalf("tool %s: resolve output schema: %v", tool.Name, err)
		}
		h.schemas[tool.Name] = res
	}
	return h
}

// call calls a tool and, for a successful call, validates its structured
// content against the tool's output schema (as the client received it)
// and decodes it into out.
func (h *harness) call(t *testing.T, tool string, args map[string]any, out any) *mcp.CallToolResult {
	t.Helper()
	res, err := h.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error: %v", tool, err)
	}
	if res.IsError {
		return res
	}
	if len(res.Content) == 0 {
		t.Fatalf("%s: no text rendering", tool)
	}
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var inst any
	if err := json.Unmarshal(raw, &inst); err != nil {
		t.Fatal(err)
	}
	if err := h.schemas[tool].Validate(inst); err != nil {
		t.Fatalf("%s: structured content does not match the output schema: %v\n%s", tool, err, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s: decode: %v", tool, err)
		}
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// wantToolError checks that a call fails as a tool error whose message
// contains want.
func (h *harness) wantToolError(t *testing.T, tool string, args map[string]any, want string) {
	t.Helper()
	res := h.call(t, tool, args, nil)
	if !res.IsError {
		t.Fatalf("%s(%v): want a tool error containing %q, got success: %s", tool, short(args), want, text(res))
	}
	if got := text(res); !strings.Contains(got, want) {
		t.Fatalf("%s(%v): tool error %q does not contain %q", tool, short(args), got, want)
	}
}

func short(args map[string]any) string {
	b, _ := json.Marshal(args)
	if len(b) > 120 {
		return string(b[:120]) + "..."
	}
	return string(b)
}

func TestToolsAreListedReadOnlyWithSchemas(t *testing.T) {
	t.Parallel()
	h := connect(t, setup(t), "")
	tools, err := h.cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"match_error": true, "get_error_guide": true, "trending_errors": true, "search_errors": true}
	for _, tool := range tools.Tools {
		if !want[tool.Name] {
			t.Errorf("unexpected tool %s", tool.Name)
			continue
		}
		delete(want, tool.Name)
		if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
			t.Errorf("%s is not marked read-only", tool.Name)
		}
		if tool.InputSchema == nil || tool.Description == "" {
			t.Errorf("%s has no input schema or description", tool.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing tools: %v", want)
	}
	tmpl, err := h.cs.ListResourceTemplates(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tmpl.ResourceTemplates) != 1 || tmpl.ResourceTemplates[0].URITemplate != "errata://clusters/{slug}" {
		t.Fatalf("resource templates: %+v", tmpl.ResourceTemplates)
	}
}

func TestMatchError(t *testing.T) {
	t.Parallel()
	st := setup(t)
	h := connect(t, st, "https://errors.example.org/")
	wantID, wantSlug := clusterOf(t, st, "acme/widget", 101)

	pasted := "$ widget sync\nError: connect ECONNREFUSED 127.0.0.1:7499\n    at TCPConnectWrap.afterConnect (node:net:1555:16)\nAuthorization: Bearer " + plantedSecret
	var out mcpserver.MatchOutput
	res := h.call(t, "match_error", map[string]any{"text": pasted}, &out)
	if res.IsError {
		t.Fatalf("match_error failed: %s", text(res))
	}
	if len(out.Matches) == 0 {
		t.Fatalf("no match for a known error: %s", text(res))
	}
	m := out.Matches[0]
	if m.Cluster.ID != wantID || m.Cluster.Slug != wantSlug {
		t.Fatalf("best match is cluster %d %s, want %d %s", m.Cluster.ID, m.Cluster.Slug, wantID, wantSlug)
	}
	if m.Score <= 0 || m.Why == "" || out.Signature == "" {
		t.Errorf("score %v why %q signature %q", m.Score, m.Why, out.Signature)
	}
	c := m.Cluster
	if c.Reports != 4 || c.Repositories != 3 {
		t.Errorf("reports %d in %d repositories, want 4 in 3", c.Reports, c.Repositories)
	}
	if c.FirstSeen[:10] != "2026-03-19" || c.LastSeen[:10] != "2026-03-29" {
		t.Errorf("first seen %s, last seen %s", c.FirstSeen, c.LastSeen)
	}
	if c.Trend == nil || c.Trend.State != "New" || c.Trend.Count != 4 {
		t.Errorf("trend %+v, want New with 4 reports (all in the last 28 days)", c.Trend)
	}
	if c.PagePath == "" || c.PagePublished || c.PageURL != "https://errors.example.org/"+c.PagePath+"/" {
		t.Errorf("page path %q published %v url %q", c.PagePath, c.PagePublished, c.PageURL)
	}
	if c.Resource != "errata://clusters/"+wantSlug {
		t.Errorf("resource %q", c.Resource)
	}
	var fixed, workaround bool
	for _, f := range m.Fixes {
		if strings.HasPrefix(f.Kind, "Fix, fixed in") && f.Version == "v2.3.1" && f.Source == "acme/widget#101" && strings.Contains(f.URL, "issuecomment") {
			fixed = true
		}
		if strings.HasPrefix(f.Kind, "Workaround") && strings.Contains(f.Text, "WIDGET_DAEMON_WAIT") && f.Source == "acme/widget#117" {
			workaround = true
		}
	}
	if !fixed || !workaround {
		t.Errorf("fixes %+v: want the v2.3.1 fix and the WIDGET_DAEMON_WAIT workaround with their sources", m.Fixes)
	}
	if len(m.Causes) == 0 || m.Causes[0].URL == "" {
		t.Errorf("causes %+v: want the stated cause with its source", m.Causes)
	}
	txt := text(res)
	for _, want := range []string{wantSlug, "v2.3.1", "https://github.com/acme/widget/issues/101#issuecomment-9000"} {
		if !strings.Contains(txt, want) {
			t.Errorf("text rendering lacks %q:\n%s", want, txt)
		}
	}
	raw, _ := json.Marshal(res)
	if strings.Contains(string(raw), plantedSecret) || strings.Contains(h.logs.String(), plantedSecret) {
		t.Errorf("the planted secret reached the answer or the logs")
	}
	if !strings.Contains(h.logs.String(), "tool=match_error") {
		t.Errorf("the call was not logged:\n%s", h.logs.String())
	}

	// Limit, and a text with no known error.
	var one mcpserver.MatchOutput
	h.call(t, "match_error", map[string]any{"text": "Error: connect ECONNREFUSED 127.0.0.1:1", "limit": 1}, &one)
	if len(one.Matches) != 1 {
		t.Errorf("limit 1 gave %d matches", len(one.Matches))
	}
	var none mcpserver.MatchOutput
	res = h.call(t, "match_error", map[string]any{"text": "QuasarFluxError: the hyperdrive capacitor overheated at stage 3"}, &none)
	if res.IsError || len(none.Matches) != 0 || !strings.Contains(text(res), "No known error") {
		t.Errorf("unknown error: %+v %s", none, text(res))
	}
}

func TestMatchErrorBadInput(t *testing.T) {
	t.Parallel()
	h := connect(t, setup(t), "")
	h.wantToolError(t, "match_error", map[string]any{"text": ""}, "text is empty")
	h.wantToolError(t, "match_error", map[string]any{"text": " \n\t "}, "text is empty")
	h.wantToolError(t, "match_error", map[string]any{"text": strings.Repeat("Error: x ", 5<<20/9)}, "the limit is 65536 bytes")
	h.wantToolError(t, "match_error", map[string]any{"text": "Error: boom", "limit": 50}, "limit 50")
	h.wantToolError(t, "match_error", map[string]any{}, "text")
	// The session survives all of that.
	var out mcpserver.MatchOutput
	if res := h.call(t, "match_error", map[string]any{"text": "TokenRefreshError: refresh token for account 12 has expired, sign in again"}, &out); res.IsError || len(out.Matches) == 0 {
		t.Fatalf("after bad input: %s", text(res))
	}
}

func TestGetErrorGuide(t *testing.T) {
	t.Parallel()
	st := setup(t)
	h := connect(t, st, "")
	id, slug := clusterOf(t, st, "acme/widget", 101)
	var byID, bySlug mcpserver.GuideOutput
	res := h.call(t, "get_error_guide", map[string]any{"id": id}, &byID)
	if res.IsError {
		t.Fatalf("get_error_guide: %s", text(res))
	}
	h.call(t, "get_error_guide", map[string]any{"slug": slug}, &bySlug)
	if byID.Cluster.ID != id || bySlug.Cluster.ID != id || byID.Markdown != bySlug.Markdown {
		t.Fatalf("by id %d and by slug %d differ", byID.Cluster.ID, bySlug.Cluster.ID)
	}
	md := byID.Markdown
	for _, want := range []string{"## Summary", "## Quick fixes and workarounds", "v2.3.1", "https://github.com/acme/widget/issues/101#issuecomment-9000"} {
		if !strings.Contains(md, want) {
			t.Errorf("guide lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, plantedSecret) {
		t.Errorf("the guide shows the planted secret")
	}
	if len(byID.Fixes) < 2 || byID.Summary == "" || byID.MergedFrom != 0 {
		t.Errorf("fixes %d summary %q merged_from %d", len(byID.Fixes), byID.Summary, byID.MergedFrom)
	}
	if text(res) != md {
		t.Errorf("the text rendering of a guide is its Markdown")
	}

	// A merged cluster answers with its survivor.
	mergedID, mergedSlug := clusterOf(t, st, "beta/widget-plugin", 12)
	if _, err := storetest.Pool(st).Exec(context.Background(), `UPDATE clusters SET status = 'merged', merged_into = $2 WHERE id = $1`, mergedID, id); err != nil {
		t.Fatal(err)
	}
	var merged mcpserver.GuideOutput
	res = h.call(t, "get_error_guide", map[string]any{"slug": mergedSlug}, &merged)
	if res.IsError || merged.Cluster.ID != id || merged.MergedFrom != mergedID || !strings.Contains(text(res), "was merged into") {
		t.Fatalf("merged cluster: %+v %s", merged.Cluster, text(res))
	}

	h.wantToolError(t, "get_error_guide", map[string]any{"slug": "no-such-error"}, `no cluster with slug "no-such-error"`)
	h.wantToolError(t, "get_error_guide", map[string]any{"id": 987654}, "no cluster with id 987654")
	h.wantToolError(t, "get_error_guide", map[string]any{}, "give id or slug")
	h.wantToolError(t, "get_error_guide", map[string]any{"id": id, "slug": slug}, "not both")
	h.wantToolError(t, "get_error_guide", map[string]any{"slug": strings.Repeat("a", 5000)}, "the limit is 1024 bytes")

	if _, err := storetest.Pool(st).Exec(context.Background(), `UPDATE clusters SET status = 'dissolved', merged_into = NULL WHERE id = $1`, mergedID); err != nil {
		t.Fatal(err)
	}
	h.wantToolError(t, "get_error_guide", map[string]any{"id": mergedID}, "was dissolved")
}

func TestGuideResource(t *testing.T) {
	t.Parallel()
	st := setup(t)
	h := connect(t, st, "")
	_, slug := clusterOf(t, st, "acme/widget", 130)
	res, err := h.cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "errata://clusters/" + slug})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Contents) != 1 || res.Contents[0].MIMEType != "text/markdown" || !strings.Contains(res.Contents[0].Text, "TokenRefreshError") {
		t.Fatalf("resource: %+v", res.Contents)
	}
	if _, err := h.cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "errata://clusters/no-such-error"}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("unknown slug: %v", err)
	}
}

func TestTrendingErrors(t *testing.T) {
	t.Parallel()
	st := setup(t)
	h := connect(t, st, "https://errors.example.org")
	id, slug := clusterOf(t, st, "acme/widget", 101)
	var out mcpserver.TrendingOutput
	res := h.call(t, "trending_errors", map[string]any{"window": "4w", "as_of": "2026-03-31", "top": 5}, &out)
	if res.IsError {
		t.Fatalf("trending_errors: %s", text(res))
	}
	if out.WindowDays != 28 || out.AsOf != "2026-03-31" || out.Current != "2026-03-04..2026-03-31" || out.By != "cluster" {
		t.Errorf("query echoed as %+v", out)
	}
	var row *mcpserver.TrendRow
	for i := range out.Rows {
		if out.Rows[i].ClusterID == id {
			row = &out.Rows[i]
		}
	}
	if row == nil || row.Key != slug || row.State != "New" || row.Count != 4 || row.Reason == "" ||
		row.PageURL == "" || !strings.HasPrefix(row.PageURL, "https://errors.example.org/") {
		t.Fatalf("row of the growing error: %+v (rows %+v)", row, out.Rows)
	}
	if !strings.Contains(text(res), "New") {
		t.Errorf("text rendering: %s", text(res))
	}

	var byRepo mcpserver.TrendingOutput
	h.call(t, "trending_errors", map[string]any{"by": "repo", "as_of": "2026-03-31", "window": "28d"}, &byRepo)
	found := false
	for _, r := range byRepo.Rows {
		// acme/widget#101, #117, #141 and #150 fall in the window; #130
		// (March 3) is before it.
		if r.Key == "acme/widget" && r.Count == 4 {
			found = true
		}
	}
	if !found {
		t.Errorf("by repo: want acme/widget with 4 reports in the window, got %+v", byRepo.Rows)
	}
	var oneRepo mcpserver.TrendingOutput
	res = h.call(t, "trending_errors", map[string]any{"repo": "gamma/widget-action", "as_of": "2026-03-31", "by": "repo"}, &oneRepo)
	if res.IsError || oneRepo.RepoFilter != "gamma/widget-action" || len(oneRepo.Rows) > 1 {
		t.Errorf("repo filter: %s %+v", text(res), oneRepo)
	}

	h.wantToolError(t, "trending_errors", map[string]any{"window": "banana"}, `window "banana"`)
	h.wantToolError(t, "trending_errors", map[string]any{"by": "planet"}, `group by "planet"`)
	h.wantToolError(t, "trending_errors", map[string]any{"as_of": "yesterday"}, `as_of "yesterday"`)
	h.wantToolError(t, "trending_errors", map[string]any{"top": 1000}, "top 1000")
	h.wantToolError(t, "trending_errors", map[string]any{"repo": "nobody/nothing"}, `repo "nobody/nothing"`)
}

func TestSearchErrors(t *testing.T) {
	t.Parallel()
	st := setup(t)
	h := connect(t, st, "")
	id, _ := clusterOf(t, st, "acme/widget", 130)
	var out mcpserver.SearchOutput
	res := h.call(t, "search_errors", map[string]any{"query": "refresh token expired"}, &out)
	if res.IsError || len(out.Results) == 0 || out.Results[0].Cluster.ID != id {
		t.Fatalf("search: %+v %s", out.Results, text(res))
	}
	c := out.Results[0].Cluster
	if c.Reports != 3 || c.Repositories != 2 || c.PagePath == "" {
		t.Errorf("search hit summary %+v", c)
	}
	var prefix mcpserver.SearchOutput
	h.call(t, "search_errors", map[string]any{"query": "ManifestPars"}, &prefix)
	if len(prefix.Results) != 1 {
		t.Errorf("prefix search: %+v", prefix.Results)
	}
	var none mcpserver.SearchOutput
	res = h.call(t, "search_errors", map[string]any{"query": "refresh token", "topic": "no-such-topic"}, &none)
	if res.IsError || len(none.Results) != 0 {
		t.Errorf("topic filter: %+v", none.Results)
	}
	h.wantToolError(t, "search_errors", map[string]any{"query": "  "}, "query is empty")
	h.wantToolError(t, "search_errors", map[string]any{"query": "!!! ???"}, "no words to search for")
	h.wantToolError(t, "search_errors", map[string]any{"query": strings.Repeat("word ", 1000)}, "the limit is 1024 bytes")
	h.wantToolError(t, "search_errors", map[string]any{"query": "token", "limit": 500}, "limit 500")
}

// TestMatchCacheFollowsClassify: a new report classified into a matched
// cluster shows in the next answer (the cluster cache is dropped when the
// clusters change), with and without the background warm-up.
func TestMatchCacheFollowsClassify(t *testing.T) {
	t.Parallel()
	for _, warm := range []bool{false, true} {
		t.Run(fmt.Sprintf("warm=%v", warm), func(t *testing.T) {
			t.Parallel()
			st := setup(t)
			ctx := context.Background()
			srv := mcpserver.New(mcpserver.Options{Store: st, Now: func() time.Time { return fixtureNow }, Warm: warm})
			if warm {
				if err := srv.Warm(ctx); err != nil {
					t.Fatal(err)
				}
			}
			ct, stt := mcp.NewInMemoryTransports()
			ss, err := srv.MCP().Connect(ctx, stt, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ss.Close()
			cs, err := mcp.NewClient(&mcp.Implementation{Name: "t"}, nil).Connect(ctx, ct, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer cs.Close()
			reports := func() int {
				t.Helper()
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "match_error", Arguments: map[string]any{"text": "TokenRefreshError: refresh token for account 5 has expired, sign in again"}})
				if err != nil || res.IsError {
					t.Fatalf("match_error: %v %+v", err, res)
				}
				raw, _ := json.Marshal(res.StructuredContent)
				var out mcpserver.MatchOutput
				if err := json.Unmarshal(raw, &out); err != nil || len(out.Matches) == 0 {
					t.Fatalf("no match: %s", raw)
				}
				return out.Matches[0].Cluster.Reports
			}
			if n := reports(); n != 3 {
				t.Fatalf("reports before: %d, want 3", n)
			}
			at := fxDay(29)
			if _, err := st.IssueUpsertMany(ctx, nil, []store.Issue{{Repository: "epsilon/widget-cli", Number: 3, State: "open",
				Title: "Logged out again", Body: "```\nTokenRefreshError: refresh token for account 31337 has expired, sign in again\n```",
				HTMLURL: "https://github.com/epsilon/widget-cli/issues/3", CreatedAt: at, UpdatedAt: at, Raw: []byte(`{}`)}}); err != nil {
				t.Fatal(err)
			}
			if _, err := classify.Run(ctx, st, classify.RunOptions{}); err != nil {
				t.Fatal(err)
			}
			if n := reports(); n != 4 {
				t.Fatalf("reports after classify: %d, want 4", n)
			}
		})
	}
}
