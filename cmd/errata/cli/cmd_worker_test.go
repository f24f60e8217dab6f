package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/errata-tool/errata/cmd/errata/cli"
	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/store/storetest"
)

// lockedBuffer is a bytes.Buffer safe for the worker's goroutines; a test
// can wait until some text has been written to it (an event the command
// logs) instead of sleeping.
type lockedBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // closed and replaced at each write
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.written != nil {
		close(l.written)
		l.written = nil
	}
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// waitFor blocks until the buffer contains s, and reports whether it did
// before timeout (a bound for a hung command, not a wait for the event).
func (l *lockedBuffer) waitFor(s string, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		if strings.Contains(l.b.String(), s) {
			l.mu.Unlock()
			return true
		}
		if l.written == nil {
			l.written = make(chan struct{})
		}
		ch := l.written
		l.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return false
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestWorkerCommand runs `errata worker` in-process with JSON logs: it
// syncs the configured repository, classifies, writes pages, serves
// /metrics and /healthz, and exits 0 when its context ends (as on SIGTERM).
func TestWorkerCommand(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	for i := 0; i < 5; i++ {
		fake.AddIssue("acme/svc", githubfake.NewIssue{Title: "deploy fails: x509: certificate signed by unknown authority",
			Body: "```\nx509: certificate signed by unknown authority\n```"})
		fake.Advance(time.Minute)
	}
	db := storetest.URL(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "errata.yaml")
	site := filepath.Join(dir, "site")
	y := "sources:\n  repositories:\n    - repo: acme/svc\n      interval: 1s\ngithub:\n  api_url: " + fake.APIURL() +
		"\n  token_envs: [TOKEN_ONE, TOKEN_TWO]\noutput:\n  dir: " + site + "\n"
	if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	var out, errb lockedBuffer
	env := &cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		return map[string]string{"TOKEN_ONE": "tok_one_secret", "TOKEN_TWO": "tok_two_secret"}[k]
	}}
	ctx, cancel := context.WithCancel(context.Background())
	codeCh := make(chan int, 1)
	go func() {
		codeCh <- cli.Run(ctx, env, []string{"errata", "--database-url", db, "--config", cfg, "--log-format", "json",
			"worker", "--metrics-addr", addr, "--poll-interval", "100ms"})
	}()
	// Wait for the events the assertions below need, not for a time: the
	// pages written, and the metrics showing the synced issues and both
	// tokens (which takes a re-sync, tokens being used in turn). The
	// deadline only bounds a worker that never gets there; then the
	// assertions fail on the last scrape.
	want := []string{
		`errata_issues_synced_total{kind="new",source="repo acme/svc"} 5`,
		`errata_github_rate_limit_remaining{token="TOKEN_ONE"}`,
		`errata_github_rate_limit_remaining{token="TOKEN_TWO"}`,
	}
	var body []byte
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		_, statErr := os.Stat(filepath.Join(site, "trends.json"))
		if statErr == nil && containsAll(string(body), want) {
			break
		}
		time.Sleep(50 * time.Millisecond) // poll interval, bounded by the deadline
	}
	if body == nil {
		cancel()
		t.Fatalf("metrics never answered\n%s", errb.String())
	}
	cancel()
	var code int
	select {
	case code = <-codeCh:
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not exit after its context ended")
	}
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if _, err := os.Stat(filepath.Join(site, "trends.json")); err != nil {
		t.Errorf("no pages written: %v", err)
	}
	m := string(body)
	if !strings.Contains(m, `errata_issues_synced_total{kind="new",source="repo acme/svc"} 5`) {
		t.Errorf("metrics do not show the 5 synced issues:\n%s", m)
	}
	// Both tokens were used in turn, named by their variables.
	if !strings.Contains(m, `errata_github_rate_limit_remaining{token="TOKEN_ONE"}`) || !strings.Contains(m, `errata_github_rate_limit_remaining{token="TOKEN_TWO"}`) {
		t.Errorf("metrics do not show both tokens used")
	}
	logs := errb.String()
	if strings.Contains(logs+m, "tok_one_secret") || strings.Contains(logs+m, "tok_two_secret") {
		t.Errorf("a token value leaked into logs or metrics")
	}
	// Every log line is a JSON object.
	sc := bufio.NewScanner(strings.NewReader(logs))
	lines := 0
	for sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Errorf("log line is not JSON: %s", sc.Text())
			continue
		}
		lines++
	}
	if lines == 0 || !strings.Contains(logs, `"msg":"worker stopped"`) {
		t.Errorf("no structured logs or no clean stop:\n%s", logs)
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
