package githubfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// reply is what the tests read of a response: get has closed its body.
type reply struct {
	StatusCode int
	Header     http.Header
}

func get(t *testing.T, s *Server, path string, hdr map[string]string) (reply, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+s.Prefix+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{StatusCode: resp.StatusCode, Header: resp.Header}, b
}

type item struct {
	Number      int       `json:"number"`
	State       string    `json:"state"`
	UpdatedAt   time.Time `json:"updated_at"`
	PullRequest *struct{} `json:"pull_request"`
}

// TestListsFollowTheDocumentedDefaults checks the behaviours the ingester
// relies on, as GitHub documents them.
func TestListsFollowTheDocumentedDefaults(t *testing.T) {
	t.Parallel()
	s := New(Options{Prefix: "/api/v3"})
	defer s.Close()
	for i := 0; i < 5; i++ {
		s.AddIssue("o/r", NewIssue{Title: "t" + strconv.Itoa(i), IsPR: i == 2, Closed: i == 4})
		s.Advance(time.Minute)
	}
	cut := s.Issue("o/r", 3).UpdatedAt

	cases := []struct {
		path    string
		numbers []int
	}{
		{"/repos/o/r/issues", []int{4, 3, 2, 1}},                                         // state=open, sort=created, desc
		{"/repos/o/r/issues?state=all&sort=updated&direction=asc", []int{1, 2, 3, 4, 5}}, // PRs mixed in
		{"/repos/o/r/issues?state=closed", []int{5}},
		{"/repos/o/r/issues?state=all&since=" + cut.Format(time.RFC3339), []int{5, 4, 3}}, // since is inclusive
	}
	for _, tc := range cases {
		resp, body := get(t, s, tc.path, nil)
		var items []item
		if resp.StatusCode != 200 || json.Unmarshal(body, &items) != nil {
			t.Fatalf("%s: %d %s", tc.path, resp.StatusCode, body)
		}
		var got []int
		for _, it := range items {
			got = append(got, it.Number)
			if (it.Number == 3) != (it.PullRequest != nil) {
				t.Errorf("%s: item %d pull_request key wrong", tc.path, it.Number)
			}
		}
		if len(got) != len(tc.numbers) {
			t.Fatalf("%s: numbers %v, want %v", tc.path, got, tc.numbers)
		}
		for i := range got {
			if got[i] != tc.numbers[i] {
				t.Fatalf("%s: numbers %v, want %v", tc.path, got, tc.numbers)
			}
		}
	}

	// Link header: absolute URLs under the prefix; rel="last" names the page.
	resp, _ := get(t, s, "/repos/o/r/issues?state=all&per_page=2", nil)
	link := resp.Header.Get("Link")
	if !strings.Contains(link, s.URL+"/api/v3/repos/o/r/issues?") || !strings.Contains(link, `?page=3&per_page=2&state=all>; rel="last"`) {
		t.Errorf("Link = %s", link)
	}
	// ETag and a free 304.
	etag := resp.Header.Get("ETag")
	before := resp.Header.Get("X-RateLimit-Remaining")
	resp2, body := get(t, s, "/repos/o/r/issues?state=all&per_page=2", map[string]string{"If-None-Match": etag})
	if resp2.StatusCode != 304 || len(body) != 0 || resp2.Header.Get("X-RateLimit-Remaining") != before {
		t.Errorf("conditional: %d, remaining %s -> %s", resp2.StatusCode, before, resp2.Header.Get("X-RateLimit-Remaining"))
	}
}

func TestSearchCapAndLimits(t *testing.T) {
	t.Parallel()
	s := New(Options{SearchCap: 4, SearchLimit: 3, CoreLimit: 2})
	defer s.Close()
	for i := 0; i < 6; i++ {
		s.AddIssue("o/r", NewIssue{Title: "kernel panic " + strconv.Itoa(i), IsPR: i == 5})
		s.Advance(time.Second)
	}
	resp, body := get(t, s, "/search/issues?q=panic+is:issue&per_page=2&sort=updated&order=asc", nil)
	var res struct {
		Total      int    `json:"total_count"`
		Incomplete bool   `json:"incomplete_results"`
		Items      []item `json:"items"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &res) != nil || res.Total != 5 || len(res.Items) != 2 || res.Items[0].Number != 1 {
		t.Fatalf("search: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("X-RateLimit-Resource") != "search" {
		t.Errorf("resource %q", resp.Header.Get("X-RateLimit-Resource"))
	}
	if resp, _ := get(t, s, "/search/issues?q=panic&per_page=2&page=3", nil); resp.StatusCode != 422 {
		t.Errorf("beyond the cap: %d, want 422", resp.StatusCode)
	}
	// The search budget (3) is spent after one more; the core budget is
	// separate.
	if resp, _ := get(t, s, "/search/issues?q=panic", nil); resp.StatusCode != 200 || resp.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("last search of the window: %d", resp.StatusCode)
	}
	resp, _ = get(t, s, "/search/issues?q=panic", nil)
	if resp.StatusCode != 403 || resp.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("exhausted search: %d remaining %q", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"))
	}
	if resp, _ := get(t, s, "/repos/o/r/issues", nil); resp.StatusCode != 200 {
		t.Errorf("core after search exhausted: %d", resp.StatusCode)
	}
	s.Inject(Fault{Status: 429, Secondary: true})
	if resp, body := get(t, s, "/repos/o/r/issues", nil); resp.StatusCode != 429 || !strings.Contains(string(body), "secondary rate limit") || resp.Header.Get("Retry-After") != "" {
		t.Errorf("secondary without Retry-After: %d %s", resp.StatusCode, body)
	}
}
