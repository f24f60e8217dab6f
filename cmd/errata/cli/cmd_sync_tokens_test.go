package cli_test

import (
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

// TestSyncCommandRotatesTokens: `errata sync` uses every token of
// github.token_envs in turn, one per source, and once a token's sync stops
// on its rate limit (a reset beyond --max-wait), the later sources use the
// others; no source is left unsynced while a token is usable.
func TestSyncCommandRotatesTokens(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	repos := []string{"acme/one", "acme/two", "acme/three"}
	for _, r := range repos {
		seedFake(fake, r, 3)
	}
	// Which token each repository's requests carried, in order.
	var mu sync.Mutex
	seen := map[string][]string{}
	limited := false
	fake.OnRequest(func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		if len(parts) < 3 || parts[0] != "repos" {
			return
		}
		repo, tok := parts[1]+"/"+parts[2], strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		seen[repo] = append(seen[repo], tok)
		if repo == "acme/one" && !limited {
			// The first token's first answer: its hour is spent.
			limited = true
			fake.Inject(githubfake.Fault{Status: http.StatusForbidden, Primary: true, ResetIn: time.Hour})
		}
	})
	cfg := filepath.Join(t.TempDir(), "errata.yaml")
	if err := os.WriteFile(cfg, []byte("github:\n  token_envs: [TOK_A, TOK_B]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"TOK_A": "token-aaa", "TOK_B": "token-bbb"}
	args := []string{"--database-url", storetest.URL(t), "--config", cfg, "sync", "--github-api-url", fake.APIURL(),
		"--max-wait", "5s", "--progress", "log"}
	for _, r := range repos {
		args = append(args, "--repo", r)
	}
	code, out, errOut := run(t, vars, "", args...)
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]string{"acme/one": "token-aaa", "acme/two": "token-bbb", "acme/three": "token-bbb"}
	for _, r := range repos {
		if len(seen[r]) == 0 {
			t.Errorf("%s: no request", r)
		}
		for _, tok := range seen[r] {
			if tok != want[r] {
				t.Errorf("%s: a request with %q, want every one with %q (requests: %v)", r, tok, want[r], seen[r])
				break
			}
		}
	}
	if !strings.Contains(out, "acme/one: partial:") || !strings.Contains(out, "acme/two: ok:") || !strings.Contains(out, "acme/three: ok:") {
		t.Errorf("summary:\n%s", out)
	}
	for _, secret := range []string{"token-aaa", "token-bbb"} {
		if strings.Contains(out+errOut, secret) {
			t.Errorf("output shows the token %q", secret)
		}
	}
}
