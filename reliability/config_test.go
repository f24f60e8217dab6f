package reliability_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/store/storetest"
)

// TestConfigPermissionWarning: a config file with an llm section that
// other users can read gets a warning; a private one, or one without an
// llm section, does not.
func TestConfigPermissionWarning(t *testing.T) {
	t.Parallel()
	url := storetest.URL(t)
	withLLM := "llm:\n  base_url: http://127.0.0.1:1/v1\n  model: m\n  api_key_env: RELIABILITY_KEY\n"
	without := "output:\n  dir: site\n"
	cases := []struct {
		name string
		body string
		mode os.FileMode
		warn bool
	}{
		{"world-readable with llm", withLLM, 0o644, true},
		{"group-readable with llm", withLLM, 0o640, true},
		{"world-writable with llm", withLLM, 0o606, true},
		{"private with llm", withLLM, 0o600, false},
		{"owner read-only with llm", withLLM, 0o400, false},
		{"world-readable without llm", without, 0o644, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "errata.yaml")
			if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tc.mode); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"--config", p, "status"}, {"--config", p, "pages", "--out", filepath.Join(t.TempDir(), "s")}} {
				res := runApp(t, context.Background(), map[string]string{"RELIABILITY_KEY": "k"}, "", append([]string{"--database-url", url}, args...)...)
				warned := strings.Contains(res.stderr, "readable by other users")
				if warned != tc.warn {
					t.Errorf("errata %s: warned=%v, want %v; stderr: %s", args[2], warned, tc.warn, res.stderr)
				}
			}
		})
	}
	recordFigure("security.config_modes_checked", len(cases))
}

// TestSecretsPutInTheConfigAreNotEchoed: people paste the token or key
// itself where errata wants the name of the variable holding it, or add a
// key errata does not know. errata must refuse without repeating the value.
func TestSecretsPutInTheConfigAreNotEchoed(t *testing.T) {
	t.Parallel()
	url := storetest.URL(t)
	gh := githubfake.New(githubfake.Options{})
	t.Cleanup(gh.Close) // the subtests run after this function returns
	cases := []struct {
		name, body string
		args       []string
	}{
		{"token as token_env", "github:\n  api_url: " + gh.APIURL() + "\n  token_env: " + plantGitHubToken + "\n", []string{"sync", "--repo", "o/r"}},
		{"token as token_envs", "github:\n  api_url: " + gh.APIURL() + "\n  token_envs: [" + plantGitHubToken + "]\n", []string{"sync", "--repo", "o/r"}},
		{"token under unknown key", "github:\n  token: " + plantGitHubToken + "\n", []string{"status"}},
		{"key as api_key_env", "llm:\n  base_url: http://127.0.0.1:1/v1\n  model: m\n  api_key_env: " + plantLLMKey + "\n", []string{"classify", "--llm"}},
		{"key under unknown key", "llm:\n  base_url: http://127.0.0.1:1/v1\n  api_key: " + plantLLMKey + "\n", []string{"classify"}},
		{"key as a bad value", "llm:\n  max_concurrency: " + plantLLMKey + "\n", []string{"classify"}},
		{"key in a bad duration", "llm:\n  timeout: " + plantLLMKey + "\n", []string{"classify"}},
		{"token as a repo", "sources:\n  repositories:\n    - " + plantGitHubToken + "\n", []string{"status"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "errata.yaml")
			if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			res := runApp(t, context.Background(), nil, "", append([]string{"--database-url", url, "--config", p}, tc.args...)...)
			for _, sec := range []string{plantGitHubToken, plantLLMKey} {
				if strings.Contains(res.all(), sec[len(sec)-12:]) {
					t.Errorf("BUG: errata %s with the config %q repeats the secret: %s", tc.args[0], tc.name, strings.ReplaceAll(strings.ReplaceAll(res.all(), plantGitHubToken, "<TOKEN>"), plantLLMKey, "<KEY>"))
				}
			}
			if res.code == 0 && tc.args[0] != "status" {
				t.Logf("errata %s accepted the config %q", tc.args[0], tc.name)
			}
		})
	}
	recordFigure("security.misplaced_config_secrets", len(cases))
	_ = fmt.Sprint()
}
