package pages

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

func TestWeeklyChartIsDeterministic(t *testing.T) {
	t.Parallel()
	asOf := time.Date(2026, 4, 20, 12, 0, 0, 0, time.UTC)
	weeks := []store.PageCount{{Name: "2026-03-02", Count: 2}, {Name: "2026-04-13", Count: 4}, {Name: "2024-01-01", Count: 9}}
	a := WeeklyChart("connect ECONNREFUSED", weeks, asOf)
	b := WeeklyChart("connect ECONNREFUSED", weeks, asOf)
	if len(a) == 0 || !bytes.HasPrefix(bytes.TrimSpace(a), []byte("<?xml")) && !bytes.Contains(a, []byte("<svg")) {
		t.Fatalf("no SVG: %.80q", a)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("two charts of the same data differ")
	}
	// Weeks outside the chart's half year do not count: too few reports.
	if c := WeeklyChart("x", []store.PageCount{{Name: "2026-04-13", Count: 1}, {Name: "2024-01-01", Count: 9}}, asOf); c != nil {
		t.Fatalf("chart drawn for 1 report in the window")
	}
	// The key changes with the data, the title and the week of the as-of
	// day (the chart's last bar), and only with them: a copy of the same
	// weeks, or another day of the same week, keys the same.
	key := chartKey("t", weeks, asOf)
	for _, other := range []string{chartKey("t", weeks[:2], asOf), chartKey("u", weeks, asOf), chartKey("t", weeks, asOf.AddDate(0, 0, 7))} {
		if other == key {
			t.Fatalf("chart key does not follow the data")
		}
	}
	if chartKey("t", append([]store.PageCount(nil), weeks...), asOf) != key {
		t.Fatalf("chart key of the same data differs")
	}
	if chartKey("t", weeks, asOf.AddDate(0, 0, 1)) != key { // 2026-04-20 is a Monday
		t.Fatalf("chart key changes within the week")
	}
}

func TestPagesGetChartsThatSurviveReruns(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ids := loadFixture(t, s)
	ctx := context.Background()
	var more []store.Issue
	for i := 0; i < 4; i++ {
		more = append(more, store.Issue{Repository: "acme/fastcli", Number: 100 + i, Title: "HTTP 429 Too Many Requests again", State: "open",
			HTMLURL: fmt.Sprintf("https://github.com/acme/fastcli/issues/%d", 100+i), CreatedAt: day0(41 + i), UpdatedAt: day0(41 + i), Raw: json.RawMessage(`{}`)})
	}
	if _, err := s.IssueUpsertMany(ctx, nil, more); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, `INSERT INTO cluster_members (issue_id, cluster_id, score, reason)
		SELECT i.id, $1, 1, 'exact fingerprint' FROM issues i WHERE i.number >= 100`, ids[2])
	out := t.TempDir()
	first := generate(t, s, Hugo, out)
	tree := readTree(t, out)
	page := tree["rate-limits/http-429-too-many-requests.md"]
	var chart string
	for name := range tree {
		if strings.HasPrefix(name, "rate-limits/http-429-too-many-requests-weekly-") && strings.HasSuffix(name, ".svg") {
			chart = name
		}
	}
	if chart == "" || !strings.Contains(page, "![Reports per week](../"+strings.TrimPrefix(chart, "rate-limits/")+")") {
		t.Fatalf("no chart (%q) or the page does not show it", chart)
	}
	again := generate(t, s, Hugo, out)
	if again.Written != 0 || again.Unchanged != first.Written {
		t.Fatalf("rerun wrote %d files, %d unchanged (first wrote %d)", again.Written, again.Unchanged, first.Written)
	}
}
