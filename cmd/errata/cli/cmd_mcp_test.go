package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/errata-tool/errata/cmd/errata/cli"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// errataBinary builds cmd/errata into the test's temporary directory
// (removed with it; the build cache makes the second build a link).
func errataBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "errata")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/errata-tool/errata/cmd/errata").CombinedOutput()
	if err != nil {
		t.Fatalf("build errata: %v\n%s", err, out)
	}
	return bin
}

// mcpDatabase returns the URL of a database holding the hand-written
// corpus of cmd_classify_test.go, imported and classified by the CLI.
func mcpDatabase(t *testing.T) string {
	t.Helper()
	u := storetest.URL(t)
	dir := writeCorpus(t)
	if code, _, stderr := run(t, nil, "", "--database-url", u, "import", filepath.Join(dir, "issues.jsonl")); code != cli.ExitOK {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, nil, "", "--database-url", u, "classify"); code != cli.ExitOK {
		t.Fatalf("classify: exit %d: %s", code, stderr)
	}
	return u
}

func TestMCPUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"public address without token", nil, []string{"mcp", "--http", "0.0.0.0:8765"}, "not a loopback address"},
		{"all interfaces without token", nil, []string{"mcp", "--http", ":8765"}, "not a loopback address"},
		{"token variable unset", nil, []string{"mcp", "--http", "0.0.0.0:8765", "--token-env", "NO_SUCH_VAR"}, "is empty or unset"},
		{"token given instead of a name", nil, []string{"mcp", "--http", "0.0.0.0:8765", "--token-env", "s3cr3t-t0ken!"}, "not the token itself"},
		{"token without http", map[string]string{"TOK": "x"}, []string{"mcp", "--token-env", "TOK"}, "--http only"},
		{"bad address", nil, []string{"mcp", "--http", "nowhere"}, "want host:port"},
		{"bad site url", nil, []string{"mcp", "--site-url", "ftp://x"}, "http or https"},
		{"argument", nil, []string{"mcp", "extra"}, "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := run(t, tc.vars, "", append([]string{"--database-url", "postgres://x@127.0.0.1:1/x"}, tc.args...)...)
			if code != cli.ExitUsage || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d with %q", code, stderr, cli.ExitUsage, tc.want)
			}
			if strings.Contains(stderr, "s3cr3t-t0ken") {
				t.Fatalf("the token was echoed: %s", stderr)
			}
		})
	}
}

// exerciseTools calls every tool and the resource template over a
// connected session, as a client configured by the README would.
func exerciseTools(t *testing.T, cs *mcp.ClientSession) {
	t.Helper()
	ctx := context.Background()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools.Tools) != 4 {
		t.Fatalf("%d tools", len(tools.Tools))
	}
	call := func(name string, args map[string]any) map[string]any {
		t.Helper()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.IsError {
			t.Fatalf("%s: tool error: %+v", name, res.Content)
		}
		raw, _ := json.Marshal(res.StructuredContent)
		var out map[string]any
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	m := call("match_error", map[string]any{"text": "Error: listen EADDRINUSE: address already in use :::9090"})
	matches, _ := m["matches"].([]any)
	if len(matches) == 0 {
		t.Fatalf("match_error found nothing: %v", m)
	}
	cluster := matches[0].(map[string]any)["cluster"].(map[string]any)
	slug, _ := cluster["slug"].(string)
	if !strings.Contains(slug, "eaddrinuse") && !strings.Contains(strings.ToLower(cluster["title"].(string)), "eaddrinuse") {
		t.Fatalf("best match %v", cluster)
	}
	g := call("get_error_guide", map[string]any{"slug": slug})
	if md, _ := g["markdown"].(string); !strings.Contains(md, "EADDRINUSE") {
		t.Fatalf("guide: %v", g)
	}
	tr := call("trending_errors", map[string]any{"as_of": "2025-04-30", "window": "28d", "by": "topic"})
	if tr["as_of"] != "2025-04-30" {
		t.Fatalf("trending_errors: %v", tr)
	}
	s := call("search_errors", map[string]any{"query": "quota"})
	if res, _ := s["results"].([]any); len(res) == 0 {
		t.Fatalf("search_errors: %v", s)
	}
	bad, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "trending_errors", Arguments: map[string]any{"window": "banana"}})
	if err != nil || !bad.IsError {
		t.Fatalf("window banana: %v %+v", err, bad)
	}
	rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "errata://clusters/" + slug})
	if err != nil || len(rr.Contents) != 1 || !strings.Contains(rr.Contents[0].Text, "EADDRINUSE") {
		t.Fatalf("resource: %v %+v", err, rr)
	}
}

func TestMCPOverStdio(t *testing.T) {
	t.Parallel()
	bin := errataBinary(t)
	u := mcpDatabase(t)
	cmd := exec.Command(bin, "--database-url", u, "mcp")
	cmd.Env = []string{"HOME=" + t.TempDir()}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "errata-stdio-test", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, stderr.String())
	}
	exerciseTools(t, cs)
	if err := cs.Close(); err != nil {
		t.Fatalf("close: %v\n%s", err, stderr.String())
	}
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func TestMCPOverHTTP(t *testing.T) {
	t.Parallel()
	bin := errataBinary(t)
	u := mcpDatabase(t)
	const token = "test-token-7d1c0b5e9a"
	cmd := exec.Command(bin, "--database-url", u, "mcp", "--http", "127.0.0.1:0", "--token-env", "ERRATA_MCP_TOKEN")
	cmd.Env = []string{"HOME=" + t.TempDir(), "ERRATA_MCP_TOKEN=" + token}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	var logs strings.Builder
	var logMu sync.Mutex
	urlCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errPipe)
		re := regexp.MustCompile(`url=(http://\S+)`)
		for sc.Scan() {
			logMu.Lock()
			logs.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urlCh <- m[1]:
				default:
				}
			}
		}
		exited <- cmd.Wait()
	}()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("errata mcp exited with %v", err)
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("errata mcp did not stop on SIGTERM")
		}
		logMu.Lock()
		defer logMu.Unlock()
		if strings.Contains(logs.String(), token) {
			t.Errorf("the token appears in the logs")
		}
	}()
	var endpoint string
	select {
	case endpoint = <-urlCh:
	case err := <-exited:
		t.Fatalf("errata mcp exited early: %v\n%s", err, logs.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("errata mcp did not report its address")
	}

	// Without the token, or with a wrong one: 401.
	body := `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	for _, auth := range []string{"", "Bearer wrong-token", "Bearer " + token + "x"} {
		req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("authorization %q: status %d, want 401", auth, resp.StatusCode)
		}
	}

	// A body over the 8 MiB bound: 413, with the token.
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"`+strings.Repeat("x", 9<<20)+`"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("9 MiB body: status %d, want 413", resp.StatusCode)
	}

	client := mcp.NewClient(&mcp.Implementation{Name: "errata-http-test", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint,
		HTTPClient: &http.Client{Transport: bearer{token, http.DefaultTransport}}}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	exerciseTools(t, cs)

	// A 5 MB paste is answered with a tool error, not a dropped session.
	big, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "match_error", Arguments: map[string]any{"text": strings.Repeat("E", 5<<20)}})
	if err != nil || !big.IsError {
		t.Fatalf("5 MB text: %v %+v", err, big)
	}
	if err := cs.Ping(ctx, nil); err != nil {
		t.Fatalf("session after a 5 MB paste: %v", err)
	}
	cs.Close()
}

// TestMCPStoreIsReadOnly: the connections errata mcp reads through refuse
// writes.
func TestMCPStoreIsReadOnly(t *testing.T) {
	t.Parallel()
	u := storetest.URL(t)
	ctx := context.Background()
	st, err := cli.OpenReadOnly(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	_, err = st.IssueUpsertMany(ctx, nil, []store.Issue{{Repository: "a/b", Number: 1, State: "open", Title: "t",
		HTMLURL: "https://github.com/a/b/issues/1", CreatedAt: now, UpdatedAt: now}})
	if err == nil || !strings.Contains(err.Error(), "read-only transaction") {
		t.Fatalf("write through the read-only store: %v", err)
	}
	if _, err := st.CountsGet(ctx); err != nil {
		t.Fatalf("read: %v", err)
	}
}
