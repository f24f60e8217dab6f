package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/errata-tool/errata/cmd/errata/cli"
)

func TestBuildInfo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		bi    *debug.BuildInfo
		want  cli.BuildInfo
		short string
	}{
		{"no build info", nil, cli.BuildInfo{Version: "devel"}, "devel"},
		{"go run", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}},
			cli.BuildInfo{Version: "devel", GoVersion: "go1.26.0"}, "devel"},
		{"go install @v1.2.3", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"}},
			cli.BuildInfo{Version: "v1.2.3", GoVersion: "go1.26.0"}, "v1.2.3"},
		{"build from a checkout", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.4-0.20261206202209-b3b24457f6b3+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "b3b24457f6b37c4c9b4b00b0618128b25216b758"},
				{Key: "vcs.time", Value: "2026-12-06T20:22:09Z"}, {Key: "vcs.modified", Value: "true"}}},
			cli.BuildInfo{Version: "v1.2.4-0.20261206202209-b3b24457f6b3+dirty", Revision: "b3b24457f6b37c4c9b4b00b0618128b25216b758",
				Time: "2026-12-06T20:22:09Z", Modified: true, GoVersion: "go1.26.0"},
			"v1.2.4-0.20261206202209-b3b24457f6b3+dirty (commit b3b24457f6b3+modified, 2026-12-06T20:22:09Z)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := cli.BuildInfoFrom(tc.bi)
			if tc.want.GoVersion == "" {
				tc.want.GoVersion = runtime.Version()
			}
			tc.want.Platform = runtime.GOOS + "/" + runtime.GOARCH
			if got != tc.want {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
			if s := got.Short(); s != tc.short {
				t.Fatalf("short %q, want %q", s, tc.short)
			}
		})
	}
}

func TestVersionHelpAndSuggestions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"--version", []string{"--version"}, cli.ExitOK, "errata version ", ""},
		{"version", []string{"version"}, cli.ExitOK, "go:          " + runtime.Version(), ""},
		{"version --json", []string{"version", "--json"}, cli.ExitOK, `"go_version": "` + runtime.Version(), ""},
		{"help", []string{"help"}, cli.ExitOK, "COMMANDS:", ""},
		{"help sync", []string{"help", "sync"}, cli.ExitOK, "errata sync", ""},
		{"typo in a command", []string{"snyc"}, cli.ExitUsage, "", `unknown command "snyc" (did you mean "sync"?)`},
		{"typo in a subcommand", []string{"db", "stpo"}, cli.ExitUsage, "", `unknown command "stpo" (did you mean "stop"?)`}, //nolint:misspell // a deliberate typo
		{"typo in a global flag", []string{"--databse-url", "x", "db", "url"}, cli.ExitUsage, "", "(did you mean --database-url?)"},
		{"typo in a command flag", []string{"trends", "--min-cont", "3"}, cli.ExitUsage, "", "(did you mean --min-count?)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, stderr := run(t, nil, "", tc.args...)
			if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(stderr, tc.err) {
				t.Fatalf("exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", code, tc.code, out, tc.out, stderr, tc.err)
			}
		})
	}
	// An unrelated word gets no suggestion.
	if _, _, stderr := run(t, nil, "", "frobnicate"); strings.Contains(stderr, "did you mean") {
		t.Fatalf("suggestion for an unrelated word: %s", stderr)
	}
}

func TestCompletionAndMan(t *testing.T) {
	t.Parallel()
	// urfave/cli answers the scripts' --generate-bash-completion requests.
	out := errataExec(t, "--generate-bash-completion")
	for _, want := range []string{"sync\n", "trends\n", "completion\n"} {
		if !strings.Contains(out, want) {
			t.Fatalf("command candidates lack %q:\n%s", want, out)
		}
	}
	out = errataExec(t, "db", "--generate-bash-completion")
	if !strings.Contains(out, "stop\n") || strings.Contains(out, "trends") {
		t.Fatalf("db candidates:\n%s", out)
	}
	out = errataExec(t, "trends", "--min", "--generate-bash-completion")
	if out != "--min-count\n" {
		t.Fatalf("trends --min candidates: %q", out)
	}

	dir := t.TempDir()
	for shell, want := range map[string]string{"bash": "complete -o bashdefault", "zsh": "compdef _errata_zsh_autocomplete errata", "fish": "complete -c errata"} {
		code, out, stderr := run(t, nil, "", "completion", shell)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("completion %s: exit %d, stderr %s, script lacks %q:\n%s", shell, code, stderr, want, out)
		}
		if shell == "bash" {
			// The script must at least parse.
			file := filepath.Join(dir, "errata.bash")
			if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
				t.Fatal(err)
			}
			if b, err := exec.Command("bash", "-n", file).CombinedOutput(); err != nil {
				t.Fatalf("bash -n: %v: %s", err, b)
			}
		}
	}
	if code, _, stderr := run(t, nil, "", "completion", "tcsh"); code != cli.ExitUsage || !strings.Contains(stderr, "bash, zsh or fish") {
		t.Fatalf("unknown shell: exit %d, %s", code, stderr)
	}

	code, out, _ := run(t, nil, "", "man")
	if code != 0 || !strings.HasPrefix(out, ".nh\n.TH errata 1") || !strings.Contains(out, "trends") || !strings.Contains(out, "database-url") {
		t.Fatalf("man: exit %d:\n%.400s", code, out)
	}
}

func TestHelpCommand(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, nil, "", "help", "db", "stop")
	if code != 0 || !strings.Contains(out, "errata db stop") {
		t.Fatalf("help db stop: exit %d:\n%s", code, out)
	}
	code, _, stderr := run(t, nil, "", "help", "tredns")
	if code != cli.ExitUsage || !strings.Contains(stderr, `did you mean "trends"?`) {
		t.Fatalf("help with a typo: exit %d: %s", code, stderr)
	}
}
