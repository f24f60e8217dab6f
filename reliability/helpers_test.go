package reliability_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/cmd/errata/cli"
)

var long = flag.Bool("long", false, "run the long variants of the reliability checks")

// result is one in-process run of the errata app.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) all() string { return r.stdout + "\n" + r.stderr }

// runApp runs the real errata app in-process with an environment holding
// only vars (nothing leaks in from the test process's environment).
func runApp(t *testing.T, ctx context.Context, vars map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cli.Env{
		Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(stdin),
		Getenv: func(k string) string { return vars[k] },
	}
	code := cli.Run(ctx, env, append([]string{"errata"}, args...))
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// connect opens a plain connection to the database at url, closed at the
// end of the test.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

var (
	figMu   sync.Mutex
	figures = map[string]int{}
)

// recordFigure adds n to a named figure; TestMain prints them all, and
// docs/reliability.md quotes them.
func recordFigure(name string, n int) {
	figMu.Lock()
	figures[name] += n
	figMu.Unlock()
}

func TestMain(m *testing.M) {
	switch os.Getenv(childMode) {
	case "sync":
		os.Exit(runChild())
	case "app":
		os.Exit(runChildApp())
	}
	flag.Parse()
	code := m.Run()
	figMu.Lock()
	keys := make([]string, 0, len(figures))
	for k := range figures {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("reliability figure: %s = %d\n", k, figures[k])
	}
	figMu.Unlock()
	os.Exit(code)
}
