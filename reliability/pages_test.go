package reliability_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/errata-tool/errata/cmd/errata/cli"
	"github.com/errata-tool/errata/store/storetest"
)

// familyIssues writes an import file of n issues per error family, with
// updated_at on day `day` (a later day makes them newer) and a marker in
// titles and bodies so that two versions differ.
func familyIssues(t *testing.T, path string, perFamily, day int, marker string) {
	t.Helper()
	fams := []string{
		"Error: connect ECONNREFUSED 127.0.0.1:5432",
		"panic: runtime error: invalid memory address or nil pointer dereference",
		"ModuleNotFoundError: No module named 'requestz'",
		"fatal: unable to access 'https://example.com/r.git/': SSL certificate problem: unable to get local issuer certificate",
		"java.lang.OutOfMemoryError: Java heap space",
	}
	var b strings.Builder
	n := 0
	for f, e := range fams {
		for i := 0; i < perFamily; i++ {
			n++
			body := fmt.Sprintf("%s: happens on run %d\n\n```\n%s\n    at step %d\n```\n\nI tried restarting; %s. <script>alert(%d)</script> | --- |\n",
				marker, i, e, i, strings.Repeat("More context about the environment and what was tried. ", 20+i*5), n)
			rec := map[string]any{"repository": fmt.Sprintf("rel/pages%d", f%2), "number": n, "title": e + " (" + marker + ")",
				"body": body, "created_at": "2024-04-01T00:00:00Z", "updated_at": fmt.Sprintf("2024-04-%02dT00:00:00Z", day),
				"comments": []map[string]any{{"id": 70000 + n, "body": "Fixed by upgrading to 2.3.4 " + marker, "created_at": "2024-04-02T00:00:00Z"}}}
			line, _ := json.Marshal(rec)
			b.Write(line)
			b.WriteByte('\n')
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// readTree returns every regular file under dir (relative path ->
// content) and fails on anything that is not a file or directory.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if !d.Type().IsRegular() {
			out[rel] = "<not a regular file>"
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runChildApp is the child of TestPagesDiskFull: it limits the size of
// any file it writes (RLIMIT_FSIZE, so a write past it fails with EFBIG,
// as on a full disk) and runs the errata app with the given arguments.
func runChildApp() int {
	if os.Getenv(childLimit) == "" {
		return runChildMain()
	}
	limit, err := strconv.ParseUint(os.Getenv(childLimit), 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: bad limit:", err)
		return 3
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		fmt.Fprintln(os.Stderr, "child: setrlimit:", err)
		return 3
	}
	return runChildMain()
}

const (
	childLimit = "ERRATA_RELIABILITY_FSIZE"
	childArgs  = "ERRATA_RELIABILITY_ARGS"
	childVars  = "ERRATA_RELIABILITY_ENV"
)

// TestPagesDiskFull: pages are rewritten while the disk fills up (every
// write past a size limit fails). No good page may be replaced by a
// half-written one, no temporary file may be left, errata must fail with
// a clear message, and the next run (disk free again) must produce exactly
// the pages of an undisturbed run.
func TestPagesDiskFull(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.URL(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "site")
	ref := filepath.Join(dir, "ref")
	v1, v2 := filepath.Join(dir, "v1.jsonl"), filepath.Join(dir, "v2.jsonl")
	familyIssues(t, v1, 4, 5, "first version")
	familyIssues(t, v2, 6, 9, "second version, with a longer text")

	must := func(args ...string) {
		t.Helper()
		res := runApp(t, ctx, nil, "", append([]string{"--database-url", url}, args...)...)
		if res.code != 0 {
			t.Fatalf("errata %s: exit %d: %s", strings.Join(args, " "), res.code, res.all())
		}
	}
	must("import", v1)
	must("classify")
	must("pages", "--out", out, "--min-size", "2")
	before := readTree(t, out)
	if len(before) < 3 {
		t.Fatalf("only %d files written by the first run", len(before))
	}
	must("import", v2)
	must("classify")
	must("pages", "--out", ref, "--min-size", "2")
	want := readTree(t, ref)

	// A limit below the largest changed page and above the smallest.
	var sizes []int
	for p, c := range want {
		if before[p] != c {
			sizes = append(sizes, len(c))
		}
	}
	if len(sizes) < 2 {
		t.Fatalf("the second version changes %d files; the check needs more", len(sizes))
	}
	sort.Ints(sizes)
	limit := sizes[len(sizes)/2]
	args, _ := json.Marshal([]string{"--database-url", url, "pages", "--out", out, "--min-size", "2"})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childMode+"=app", childLimit+"="+strconv.Itoa(limit), childArgs+"="+string(args))
	o, err := cmd.CombinedOutput()
	t.Logf("pages with a %d-byte file limit: %v: %s", limit, err, o)
	if m := regexp.MustCompile(`write (\S+): write `).FindString(string(o)); m != "" {
		t.Errorf("the write error repeats the path (%q): %s", m, o)
	}
	if err == nil {
		t.Errorf("errata pages succeeded although writes of more than %d bytes fail", limit)
	}
	if strings.Contains(string(o), "panic") || !strings.Contains(string(o), "file too large") {
		t.Errorf("unclear failure: %s", o)
	}

	after := readTree(t, out)
	replaced, kept := 0, 0
	for p, c := range after {
		if strings.Contains(filepath.Base(p), "errata-tmp") {
			t.Errorf("temporary file %s left behind", p)
			continue
		}
		switch {
		case c == want[p]:
			replaced++
		case c == before[p]:
			kept++
		default:
			t.Errorf("BUG: %s is neither the old page (%d bytes) nor the new one (%d bytes): %d bytes, half-written", p, len(before[p]), len(want[p]), len(c))
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("good page %s removed by the failed run", p)
		}
	}
	t.Logf("after the failed run: %d files new, %d kept old", replaced, kept)

	must("pages", "--out", out, "--min-size", "2")
	final := readTree(t, out)
	for p, c := range want {
		if final[p] != c {
			t.Errorf("after the disk frees up, %s differs from an undisturbed run", p)
		}
	}
	for p := range final {
		if _, ok := want[p]; !ok && !strings.HasPrefix(filepath.Base(p), ".errata-pages") {
			t.Errorf("after the disk frees up, extra file %s", p)
		}
	}
	recordFigure("faults.disk_full_runs", 1)
	recordFigure("faults.disk_full_pages_kept_intact", kept+replaced)
}

// runChildMain runs the errata app as cmd/errata's main does (a context
// cancelled by SIGINT/SIGTERM), with the arguments and environment the
// parent passed in ERRATA_RELIABILITY_ARGS and ERRATA_RELIABILITY_ENV.
func runChildMain() int {
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv(childArgs)), &args); err != nil {
		fmt.Fprintln(os.Stderr, "child: bad args:", err)
		return 3
	}
	vars := map[string]string{}
	if e := os.Getenv(childVars); e != "" {
		if err := json.Unmarshal([]byte(e), &vars); err != nil {
			fmt.Fprintln(os.Stderr, "child: bad env:", err)
			return 3
		}
	}
	// As cmd/errata/main.go: signals are left to the commands.
	env := &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: func(k string) string { return vars[k] }}
	return cli.Run(context.Background(), env, append([]string{"errata"}, args...))
}

// childCommand prepares the test binary to run the errata app as a child
// process with args and vars.
func childCommand(t *testing.T, vars map[string]string, args ...string) *exec.Cmd {
	t.Helper()
	a, _ := json.Marshal(args)
	v, _ := json.Marshal(vars)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childMode+"=app", childArgs+"="+string(a), childVars+"="+string(v))
	return cmd
}
