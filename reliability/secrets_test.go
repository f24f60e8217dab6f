package reliability_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/llm/llmfake"
	"github.com/errata-tool/errata/store/storetest"
)

// Planted secrets. The configuration secrets are valid-looking values of
// each kind; the issue secrets are what users paste into issues. None may
// appear in any output errata writes (the database keeps issue text as
// given; that is not output).
var (
	plantGitHubToken = "ghp_" + "R3l1ab1l1tyT0kenAbCdEfGhIjKlMnOpQrSt"                     // 36 chars after ghp_
	plantLLMKey      = "sk-proj-" + "Rel1abilityKeyAbCdEfGhIjKlMnOpQrStUvWxYz0123456789ab" // OpenAI project key
	plantDBPassword  = "Db-Pa55w0rd-Reliab1lity"
	plantAWSKey      = "AKIA" + "RELIABILITY2TEST"
	plantAWSSecret   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYRELIABILITYkey"

	issueToken    = "ghp_" + "IssueP4stedT0kenZyXwVuTsRqPoNmLkJiHgFe"
	issueOpenAI   = "sk-" + "IssuePastedOpenAIKeyQwErTyUiOpAsDfGhJkL1234"
	issueAWS      = "AKIA" + "ISSUEPASTED2KEYS"
	issueDBPass   = "hunter2-IssuePasted-pw"
	issueSlack    = "xoxb-" + "123456789012-IssuePastedSlack"
	issueBearer   = "Zm9vYmFyYmF6cXV4SXNzdWVCZWFyZXJUb2tlbg"
	issueJWT      = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyZWxpYWJpbGl0eSJ9.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	issueSecrets  = []string{issueToken, issueOpenAI, issueAWS, issueDBPass, issueSlack, issueBearer, issueJWT}
	configSecrets = []string{plantGitHubToken, plantLLMKey, plantDBPassword, plantAWSKey, plantAWSSecret}
)

// secretIssueBodies are issue texts that carry both an error (so that the
// issues cluster and get pages) and pasted secrets.
func secretIssueBodies(i int) (title, body string) {
	errs := []struct{ title, trace string }{
		{"Error: connect ECONNREFUSED 127.0.0.1:5432 when starting", "Error: connect ECONNREFUSED 127.0.0.1:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)"},
		{"panic: runtime error: invalid memory address or nil pointer dereference", "panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a2b3c]\n\ngoroutine 1 [running]:\nmain.run()\n\t/src/main.go:42 +0x1d"},
		{"ModuleNotFoundError: No module named 'requestz'", "Traceback (most recent call last):\n  File \"app.py\", line 1, in <module>\n    import requestz\nModuleNotFoundError: No module named 'requestz'"},
	}
	e := errs[i%len(errs)]
	paste := []string{
		"My config:\n```\nexport GITHUB_TOKEN=" + issueToken + "\nOPENAI_API_KEY=" + issueOpenAI + "\n```",
		"aws_access_key_id = " + issueAWS + "\nDATABASE_URL=postgres://admin:" + issueDBPass + "@db.internal:5432/prod",
		"curl -H 'Authorization: Bearer " + issueBearer + "' https://api.example.com\nslack: " + issueSlack,
		"cookie: session=" + issueJWT + "\nclone: https://" + issueToken + "@github.com/o/r.git",
	}
	title = e.title
	if i%5 == 0 {
		title += " (token " + issueToken + ")"
	}
	body = fmt.Sprintf("Steps to reproduce %d.\n\n```\n%s\n```\n\n%s\n", i, e.trace, paste[i%len(paste)])
	return title, body
}

// TestSecretsNeverLeak runs the whole pipeline — import, sync, classify
// with an LLM, clusters, match, pages, trends, status, db url, and a
// failing command — with secrets planted in the environment, the config
// file, the database URL and issue text, at debug log level, and greps
// every output: stdout, stderr, every written file and every prompt sent
// to the LLM.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Database URL with a password (the test servers trust local
	// connections, so any password works).
	u, err := url.Parse(storetest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), plantDBPassword)
	dbURL := u.String()
	badURL := *u
	badURL.Host, badURL.RawQuery = "127.0.0.1:1", "connect_timeout=2"

	gh, sawToken := secretsGitHub(t)
	dir := t.TempDir()
	importFile := secretsImportFile(t, dir)
	// An LLM that records every prompt.
	model := llmfake.New(t)
	model.APIKey = plantLLMKey
	cfgPath := secretsConfig(t, dir, gh, model)
	vars := map[string]string{
		"RELIABILITY_GH_TOKEN":  plantGitHubToken,
		"GITHUB_TOKEN":          plantGitHubToken,
		"GH_TOKEN":              plantGitHubToken,
		"RELIABILITY_LLM_KEY":   plantLLMKey,
		"OPENAI_API_KEY":        plantLLMKey,
		"AWS_ACCESS_KEY_ID":     plantAWSKey,
		"AWS_SECRET_ACCESS_KEY": plantAWSSecret,
		"ERRATA_CONFIG":         cfgPath,
		"DATABASE_URL":          dbURL,
		"ERRATA_LOG_LEVEL":      "debug",
		"HOME":                  dir,
	}
	steps := [][]string{
		{"import", importFile},
		{"sync"},
		{"sync", "--json"},
		{"classify", "--llm"},
		{"classify", "--rebuild", "--json", "--llm"},
		{"clusters"},
		{"clusters", "--json"},
		{"match", "Error: connect ECONNREFUSED 127.0.0.1:5432 with token " + issueToken},
		{"match", "--json", "panic: runtime error: invalid memory address or nil pointer dereference"},
		{"trends"},
		{"pages"},
		{"run", "--force", "--llm", "--metrics-textfile", filepath.Join(dir, "site", "metrics.prom")},
		{"run", "--json", "--force"},
		{"status"},
		{"status", "--json"},
		{"db", "url"},
		{"--database-url", dbURL, "db", "url"},
		{"llm", "check"},
		{"--log-format", "json", "status"},
		{"--database-url", badURL.String(), "status"},
		{"--database-url", "postgres://errata:" + plantDBPassword + "@127.0.0.1:1/x?connect_timeout=2", "migrate"},
		{"--database-url", "host=127.0.0.1 port=1 user=errata password=" + plantDBPassword + " connect_timeout=2", "status"},
		{"--database-url", "postgres://errata:" + plantDBPassword + "@[::1", "status"},
	}
	outputs := runSecretSteps(t, ctx, vars, steps)
	files, fileOutputs := siteFiles(filepath.Join(dir, "site"))
	if len(files) == 0 {
		t.Errorf("errata pages wrote no files to check")
	}
	outputs = append(outputs, fileOutputs...)
	prompts := model.Requests()
	for _, r := range prompts {
		outputs = append(outputs, "prompt\n"+string(r.Raw))
	}
	if len(prompts) == 0 {
		t.Logf("note: classify --llm sent no prompt (nothing needed the model)")
	}

	for _, tc := range []struct {
		kind    string
		secrets []string
	}{{"configuration", configSecrets}, {"issue-pasted", issueSecrets}} {
		for _, sec := range tc.secrets {
			if where := leak(sec, outputs); where != "" {
				t.Errorf("%s secret %.10s… appears in %s", tc.kind, sec, where)
			}
		}
	}
	if !sawToken.Load() {
		t.Errorf("errata sync did not use the planted token: the check did not exercise it")
	}
	recordFigure("security.outputs_checked", len(outputs))
	recordFigure("security.commands_run", len(steps))
	recordFigure("security.pages_checked", len(files))
	recordFigure("security.prompts_checked", len(prompts))
	recordFigure("security.secrets_planted", len(configSecrets)+len(issueSecrets))
}

// secretsGitHub is a GitHub with issues holding secrets in titles, bodies
// and comments; the flag records whether a request carried the planted
// token.
func secretsGitHub(t *testing.T) (*githubfake.Server, *atomic.Bool) {
	t.Helper()
	gh := githubfake.New(githubfake.Options{})
	t.Cleanup(gh.Close)
	sawToken := new(atomic.Bool)
	gh.OnRequest(func(r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer "+plantGitHubToken {
			sawToken.Store(true)
		}
	})
	for i := 0; i < 12; i++ {
		title, body := secretIssueBodies(i)
		is := gh.AddIssue("rel/secrets", githubfake.NewIssue{Title: title, Body: body, Labels: []string{"bug"}})
		gh.AddComment("rel/secrets", is.Number, "", "same, my key is "+issueOpenAI+" and password="+issueDBPass, time.Time{})
		gh.Advance(time.Minute)
	}
	return gh, sawToken
}

// secretsImportFile writes the same kind of issues as an import file in
// dir and returns its path.
func secretsImportFile(t *testing.T, dir string) string {
	t.Helper()
	var imp strings.Builder
	for i := 0; i < 12; i++ {
		title, body := secretIssueBodies(i + 1)
		rec := map[string]any{"repository": "rel/imported", "number": i + 1, "title": title, "body": body,
			"created_at": "2024-03-01T00:00:00Z", "updated_at": fmt.Sprintf("2024-03-%02dT00:00:00Z", i+1),
			"comments": []map[string]any{{"id": 5000 + i, "body": "token " + issueToken, "created_at": "2024-03-02T00:00:00Z"}}}
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		imp.Write(b)
		imp.WriteByte('\n')
	}
	path := filepath.Join(dir, "issues.jsonl")
	if err := os.WriteFile(path, []byte(imp.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// secretsConfig writes a config readable by everyone, with an llm section
// (errata must warn about it), and returns its path.
func secretsConfig(t *testing.T, dir string, gh *githubfake.Server, model *llmfake.Server) string {
	t.Helper()
	cfgPath := filepath.Join(dir, "errata.yaml")
	cfg := fmt.Sprintf(`sources:
  repositories:
    - repo: rel/secrets
github:
  api_url: %s
  token_env: RELIABILITY_GH_TOKEN
llm:
  base_url: %s
  model: %s
  api_key_env: RELIABILITY_LLM_KEY
output:
  dir: %s
  min_size: 1
`, gh.APIURL(), model.BaseURL(), llmfake.Model, filepath.Join(dir, "site"))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cfgPath, 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath
}

// runSecretSteps runs each command line in-process and returns every
// output, each headed by the (redacted) command that wrote it. It fails
// the test on a panic and when no step warned about the world-readable
// config.
func runSecretSteps(t *testing.T, ctx context.Context, vars map[string]string, steps [][]string) []string {
	t.Helper()
	var outputs []string
	warned := false
	for _, args := range steps {
		res := runApp(t, ctx, vars, "", args...)
		name := strings.Join(args, " ")
		if strings.Contains(res.stderr, "internal error") || strings.Contains(res.stderr, "panic") {
			t.Errorf("errata %s panicked: %s", redactForLog(name), redactForLog(res.stderr))
		}
		if strings.Contains(res.stderr, "readable by other users") {
			warned = true
		}
		t.Logf("errata %s: exit %d, %d+%d bytes of output", redactForLog(name), res.code, len(res.stdout), len(res.stderr))
		outputs = append(outputs, "output of errata "+redactForLog(name)+"\n"+res.all())
	}
	if !warned {
		t.Errorf("no warning about the world-readable config holding an llm section")
	}
	return outputs
}

// siteFiles reads every file under site: their paths, and their contents
// each headed by "file PATH".
func siteFiles(site string) (files, outputs []string) {
	_ = filepath.WalkDir(site, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, rerr := os.ReadFile(p); rerr == nil {
				files = append(files, p)
				outputs = append(outputs, "file "+p+"\n"+string(b))
			}
		}
		return nil
	})
	return files, outputs
}

// leak reports where secret appears in outputs (the output's first line
// and the text around it), or "" when it appears nowhere. It looks for
// the whole value and for its distinctive tail: a partial mask would
// still leak.
func leak(secret string, outputs []string) string {
	tail := secret[len(secret)-12:]
	for _, o := range outputs {
		if strings.Contains(o, secret) || strings.Contains(o, tail) {
			head, _, _ := strings.Cut(o, "\n")
			i := strings.Index(o, tail)
			return fmt.Sprintf("%s: …%s…", head, redactForLog(o[max(0, i-80):min(len(o), i+40)]))
		}
	}
	return ""
}

// redactForLog keeps the test's own log free of the planted values.
func redactForLog(s string) string {
	for _, sec := range append(append([]string{}, configSecrets...), issueSecrets...) {
		s = strings.ReplaceAll(s, sec, "<planted>")
	}
	return s
}

// TestLeakFindsWholeAndTail checks the leak check itself: it must find a
// secret whole and by its tail alone, and nothing in clean output.
func TestLeakFindsWholeAndTail(t *testing.T) {
	t.Parallel()
	sec := issueToken
	for _, tc := range []struct {
		name, output string
		found        bool
	}{
		{"whole", "output of errata x\ntoken " + sec + " here", true},
		{"tail only", "file a.md\nghp_****" + sec[len(sec)-12:], true},
		{"masked", "output of errata x\ntoken ghp_**** here", false},
		{"clean", "output of errata x\nnothing", false},
	} {
		where := leak(sec, []string{tc.output})
		if (where != "") != tc.found {
			t.Errorf("%s: leak = %q, want found=%v", tc.name, where, tc.found)
		}
		if tc.found && strings.Contains(where, sec) {
			t.Errorf("%s: the report repeats the whole secret: %q", tc.name, where)
		}
	}
}
