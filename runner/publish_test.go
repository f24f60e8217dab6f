package runner_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/errata-tool/errata/reports/trends"
	"github.com/errata-tool/errata/runner"
)

// TestPublishSharesTrends: one publish computes the trends once; the JSON
// report is the one the trends page lists, as of the newest evidence in
// the store (not the clock).
func TestPublishSharesTrends(t *testing.T) {
	t.Parallel()
	p, s, out := stopSetup(t)
	rep, err := p.Run(context.Background(), runner.RunOptions{})
	if err != nil || rep.ExitCode != runner.ExitOK {
		t.Fatalf("run: %v, exit %d, stages %s", err, rep.ExitCode, stageList(rep))
	}
	b, err := os.ReadFile(filepath.Join(out, runner.TrendsFile))
	if err != nil {
		t.Fatal(err)
	}
	var got trends.Report
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("trends.json: %v", err)
	}
	asOf, err := s.PageAsOf(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if trends.DayOf(got.Query.AsOf) != trends.DayOf(asOf) {
		t.Errorf("trends.json is as of %s, want the newest evidence's day %s", trends.DayOf(got.Query.AsOf), trends.DayOf(asOf))
	}
	page, err := os.ReadFile(filepath.Join(out, "trends.md"))
	if err != nil {
		t.Fatal(err)
	}
	want := "Reports from " + got.Windows.Current.From.String() + " to " + got.Windows.Current.To.String()
	if !strings.Contains(string(page), want) {
		t.Errorf("trends.md does not cover the windows of trends.json (%q):\n%s", want, page)
	}
	if rows := strings.Count(string(page), "\n| ") - 2; len(got.Rows) > 0 && rows != min(len(got.Rows), 30) {
		t.Errorf("trends.md lists %d rows, trends.json %d", rows, len(got.Rows))
	}
}
