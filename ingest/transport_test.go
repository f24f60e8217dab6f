package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/errata-tool/errata/ingest/githubfake"
)

func fastLimits() Limits {
	return Limits{MaxWait: 5 * time.Second, SecondaryBase: 5 * time.Millisecond, RetryBase: 2 * time.Millisecond,
		RequestTimeout: 2 * time.Second}
}

func newTestClient(t *testing.T, fake *githubfake.Server, lim Limits) *Client {
	t.Helper()
	c, err := NewClient(ClientOptions{APIURL: fake.APIURL(), Token: "test-token", Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func seedRepo(fake *githubfake.Server, repo string, n int) {
	for i := 0; i < n; i++ {
		fake.AddIssue(repo, githubfake.NewIssue{Title: "crash on start", Body: "panic: boom", IsPR: i%5 == 4})
		fake.Advance(time.Minute)
	}
}

func TestTransportFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		fault   githubfake.Fault
		lim     func(Limits) Limits
		wantErr func(error) bool
		retries int64
		minWait time.Duration
	}{
		{name: "secondary 403 with Retry-After", fault: githubfake.Fault{Status: 403, Secondary: true, RetryAfter: 1}, retries: 1, minWait: time.Second},
		{name: "secondary 403 without Retry-After", fault: githubfake.Fault{Status: 403, Secondary: true, Count: 2}, retries: 2},
		{name: "secondary 429 with Retry-After", fault: githubfake.Fault{Status: 429, RetryAfter: 1}, retries: 1, minWait: time.Second},
		{name: "secondary 429 without Retry-After", fault: githubfake.Fault{Status: 429, Count: 3}, retries: 3},
		{name: "502 then success", fault: githubfake.Fault{Status: 502, Count: 2}, retries: 2},
		{name: "503 with Retry-After", fault: githubfake.Fault{Status: 503, RetryAfter: 1}, retries: 1, minWait: time.Second},
		{name: "dropped connection", fault: githubfake.Fault{Drop: true, Count: 2}, retries: 2},
		{name: "timeout", fault: githubfake.Fault{Delay: 3 * time.Second}, retries: 1,
			lim: func(l Limits) Limits { l.RequestTimeout = 200 * time.Millisecond; return l }},
		{name: "primary exhausted waits for reset", fault: githubfake.Fault{Status: 403, Primary: true, ResetIn: time.Second}, minWait: 500 * time.Millisecond},
		{name: "primary exhausted 429", fault: githubfake.Fault{Status: 429, Primary: true, ResetIn: time.Second}, minWait: 500 * time.Millisecond},
		{name: "primary with a reset in the past backs off, bounded", fault: githubfake.Fault{Status: 403, Primary: true, ResetIn: -time.Hour, Count: 50},
			wantErr: func(err error) bool { var r *RetriesExhaustedError; return errors.As(err, &r) }},
		{name: "primary beyond max wait stops", fault: githubfake.Fault{Status: 403, Primary: true, ResetIn: time.Hour},
			wantErr: func(err error) bool { var w *WaitTooLongError; return errors.As(err, &w) }},
		{name: "secondary retries bounded", fault: githubfake.Fault{Status: 403, Secondary: true, Count: 50},
			wantErr: func(err error) bool { var r *RetriesExhaustedError; return errors.As(err, &r) }},
		{name: "5xx retries bounded", fault: githubfake.Fault{Status: 500, Count: 50},
			wantErr: func(err error) bool { var r *RetriesExhaustedError; return errors.As(err, &r) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := githubfake.New(githubfake.Options{Prefix: "/api/v3"})
			defer fake.Close()
			seedRepo(fake, "o/r", 3)
			lim := fastLimits()
			if tc.lim != nil {
				lim = tc.lim(lim)
			}
			c := newTestClient(t, fake, lim)
			fake.Inject(tc.fault)
			var raws []json.RawMessage
			start := time.Now()
			p, err := c.get(context.Background(), "repos/o/r/issues?state=all&per_page=100", "", &raws, false)
			if tc.wantErr != nil {
				if err == nil || !tc.wantErr(err) {
					t.Fatalf("err = %v, want the expected kind", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Status != 200 || len(raws) != 3 {
				t.Fatalf("status %d, %d items; want 200 and 3", p.Status, len(raws))
			}
			if got := c.Count.Retries.Load(); got != tc.retries {
				t.Errorf("retries = %d, want %d", got, tc.retries)
			}
			if el := time.Since(start); el < tc.minWait {
				t.Errorf("took %s, want at least %s", el, tc.minWait)
			}
		})
	}
}

func TestConditionalRequestIsFree(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedRepo(fake, "o/r", 2)
	c := newTestClient(t, fake, fastLimits())
	var raws []json.RawMessage
	p, err := c.get(context.Background(), "repos/o/r/issues?state=all", "", &raws, false)
	if err != nil || p.ETag == "" {
		t.Fatalf("first get: %v, etag %q", err, p.ETag)
	}
	before := c.Count.RateRemaining.Load()
	raws = nil
	p2, err := c.get(context.Background(), "repos/o/r/issues?state=all", p.ETag, &raws, false)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Status != http.StatusNotModified || len(raws) != 0 {
		t.Fatalf("second get: status %d, %d items; want 304 and none", p2.Status, len(raws))
	}
	if after := c.Count.RateRemaining.Load(); after != before {
		t.Errorf("rate remaining %d -> %d: a 304 must not count", before, after)
	}
	if c.Count.NotModified.Load() != 1 {
		t.Errorf("not modified = %d, want 1", c.Count.NotModified.Load())
	}
	// A change makes the same validator miss.
	fake.AddIssue("o/r", githubfake.NewIssue{Title: "new"})
	p3, err := c.get(context.Background(), "repos/o/r/issues?state=all", p.ETag, &raws, false)
	if err != nil || p3.Status != 200 || len(raws) != 3 {
		t.Fatalf("after a change: %v status %d items %d; want 200 with 3", err, p3.Status, len(raws))
	}
}

func TestSingleIssueStatuses(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedRepo(fake, "o/r", 4)
	fake.TransferIssue("o/r", 1, "o/other")
	fake.DeleteIssue("o/r", 2)
	fake.SetRepoStatus("o/private", 403)
	c := newTestClient(t, fake, fastLimits())
	ctx := context.Background()
	var v json.RawMessage
	cases := []struct {
		path   string
		status int
		loc    bool
	}{
		{"repos/o/r/issues/1", 301, true},
		{"repos/o/r/issues/2", 410, false},
		{"repos/o/r/issues/99", 404, false},
		{"repos/o/private/issues", 403, false},
		{"repos/o/gone/issues", 404, false},
	}
	for _, tc := range cases {
		_, err := c.get(ctx, tc.path, "", &v, true)
		var se *StatusError
		if !errors.As(err, &se) || se.Status != tc.status {
			t.Errorf("%s: err %v, want status %d", tc.path, err, tc.status)
			continue
		}
		if tc.loc && se.Location == "" {
			t.Errorf("%s: no Location", tc.path)
		}
	}
	// Without noRedirect the 301 is followed to the issue's new home.
	var is struct {
		Number        int    `json:"number"`
		RepositoryURL string `json:"repository_url"`
	}
	if _, err := c.get(ctx, "repos/o/r/issues/1", "", &is, false); err != nil {
		t.Fatal(err)
	}
	if is.Number != 1 || is.RepositoryURL != fake.URL+"/repos/o/other" {
		t.Errorf("followed redirect to %+v", is)
	}
}

func TestLinkPagination(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{Prefix: "/gh"})
	defer fake.Close()
	seedRepo(fake, "o/r", 7)
	c := newTestClient(t, fake, fastLimits())
	u := "repos/o/r/issues?state=all&sort=updated&direction=asc&per_page=3"
	var numbers []int
	pages := 0
	for u != "" {
		var items []struct {
			Number int `json:"number"`
		}
		p, err := c.get(context.Background(), u, "", &items, false)
		if err != nil {
			t.Fatal(err)
		}
		if pages == 0 && p.LastPage != 3 {
			t.Errorf("last page = %d, want 3", p.LastPage)
		}
		for _, it := range items {
			numbers = append(numbers, it.Number)
		}
		u = p.Next
		pages++
	}
	if pages != 3 || len(numbers) != 7 || numbers[0] != 1 || numbers[6] != 7 {
		t.Errorf("pages %d numbers %v", pages, numbers)
	}
}

func TestResolveAPIURL(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"":                               "https://api.github.com/",
		"https://api.github.com":         "https://api.github.com/",
		"https://ghe.example.com":        "https://ghe.example.com/api/v3/",
		"https://ghe.example.com/":       "https://ghe.example.com/api/v3/",
		"https://ghe.example.com/api/v3": "https://ghe.example.com/api/v3/",
		"http://127.0.0.1:8080/gh":       "http://127.0.0.1:8080/gh/",
		"http://localhost:9000":          "http://localhost:9000/",
		"https://api.ghe.example":        "https://api.ghe.example/",
	}
	for in, want := range cases {
		u, err := ResolveAPIURL(in)
		if err != nil || u.String() != want {
			t.Errorf("ResolveAPIURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	if _, err := ResolveAPIURL("ftp://x"); err == nil {
		t.Error("ftp URL accepted")
	}
}

func TestStopInterruptsWait(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedRepo(fake, "o/r", 1)
	stop := make(chan struct{})
	lim := fastLimits()
	lim.SecondaryBase = time.Minute
	lim.MaxWait = time.Hour
	// The stop comes once the client has begun its minute-long wait.
	c, err := NewClient(ClientOptions{APIURL: fake.APIURL(), Limits: lim, OnWait: func(string, time.Duration) { close(stop) }})
	if err != nil {
		t.Fatal(err)
	}
	fake.Inject(githubfake.Fault{Status: 429})
	var raws []json.RawMessage
	_, err = c.get(WithStop(context.Background(), stop), "repos/o/r/issues", "", &raws, false)
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("err = %v, want ErrStopped", err)
	}
}

// TestLastRequestOfTheHour: an answer with X-RateLimit-Remaining: 0 must
// not make go-github refuse the next call on its own; the transport waits
// for the reset itself and the call goes through.
func TestLastRequestOfTheHour(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedRepo(fake, "o/r", 2)
	fake.SetLimits(1, 30, 1500*time.Millisecond, time.Minute)
	c := newTestClient(t, fake, fastLimits())
	var raws []json.RawMessage
	if _, err := c.get(context.Background(), "repos/o/r/issues", "", &raws, false); err != nil {
		t.Fatal(err)
	}
	if got := c.Count.RateRemaining.Load(); got != 0 {
		t.Fatalf("remaining = %d, want 0", got)
	}
	start := time.Now()
	if _, err := c.get(context.Background(), "repos/o/r/issues?state=closed", "", &raws, false); err != nil {
		t.Fatalf("second call: %v", err)
	}
	if time.Since(start) < 500*time.Millisecond {
		t.Error("did not wait for the reset")
	}
	if fs := fake.Stats(); fs.Status[403] != 0 {
		t.Errorf("%d requests hit the exhausted limit; the wait should come first", fs.Status[403])
	}
}

func TestTopLevelString(t *testing.T) {
	t.Parallel()
	cases := []struct {
		raw  string
		want string
		ok   bool
	}{
		{`{"id":1,"issue_url":"https://api.example/repos/o/r/issues/7","body":"x"}`, "https://api.example/repos/o/r/issues/7", true},
		{`{"body":"see \"issue_url\":\"https://evil/repos/x/y/issues/1\"","issue_url":"https://api.example/repos/o/r/issues/2"}`, "https://api.example/repos/o/r/issues/2", true},
		{`{"id":1}`, "", false},
		{`{"issue_url":"a\"b"}`, "", false},
	}
	for _, tc := range cases {
		got, ok := topLevelString([]byte(tc.raw), "issue_url")
		if got != tc.want || ok != tc.ok {
			t.Errorf("topLevelString(%s) = %q, %v; want %q, %v", tc.raw, got, ok, tc.want, tc.ok)
		}
	}
}
