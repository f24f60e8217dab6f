package cli_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/errata-tool/errata/cmd/errata/cli"
)

// TestTrendsTellsWhatTheUserSees covers what a first look at past data
// shows: a window with nothing in it points at --as-of with the newest
// day, --min-count 0 is printed as given, and topics show their names
// from rules.yaml.
func TestTrendsTellsWhatTheUserSees(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": trendsDB(t)} // newest report 2026-09-14
	tests := []struct {
		name        string
		args        []string
		out, notOut string
		err, notErr string
	}{
		{"window after the data", []string{"trends"}, "", "", "the newest is from 2026-09-14: for a report on that data try --as-of 2026-09-14", ""},
		{"window after the data, json", []string{"trends", "--format", "json"}, `"rows"`, "as-of", "try --as-of 2026-09-14", ""},
		{"window with data", []string{"trends", "--as-of", "2026-10-01"}, "tls-timeout", "", "", "--as-of"},
		{"min count 0", []string{"trends", "--as-of", "2026-10-01", "--min-count", "0"}, "min count 0,", "min count -1", "", ""},
		{"topic names", []string{"trends", "--as-of", "2026-10-01", "--by", "topic"}, "Network, TLS and proxy", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, stderr := run(t, vars, "", tc.args...)
			if code != cli.ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(out, tc.out) || (tc.notOut != "" && strings.Contains(out, tc.notOut)) {
				t.Errorf("stdout %q: want %q, not %q", out, tc.out, tc.notOut)
			}
			if !strings.Contains(stderr, tc.err) || (tc.notErr != "" && strings.Contains(stderr, tc.notErr)) {
				t.Errorf("stderr %q: want %q, not %q", stderr, tc.err, tc.notErr)
			}
		})
	}
}

func TestRoundSecondsHasNoFloatNoise(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{1118 * time.Millisecond, "1.118"},
		{1128 * time.Millisecond, "1.128"},
		{1128*time.Millisecond + 400*time.Microsecond, "1.128"},
		{90 * time.Second, "90"},
		{0, "0"},
	} {
		if got := strconv.FormatFloat(cli.RoundSeconds(tc.d), 'g', -1, 64); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.d, got, tc.want)
		}
	}
}
