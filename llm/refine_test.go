package llm

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/errata-tool/errata/llm/llmfake"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// seedClusters writes issues and clusters made up for this test: cluster
// "spool" (3 reports, no topic), "queue" (2 reports, topic decided by a
// rule) and "lonely" (1 report). It returns the cluster ids by slug.
func seedClusters(t *testing.T, s *store.Store) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	day := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	var issues []store.Issue
	add := func(n int, title, body string) {
		issues = append(issues, store.Issue{Repository: "acme/widgetd", Number: n, State: "open", Title: title, Body: body,
			HTMLURL: fmt.Sprintf("https://github.com/acme/widgetd/issues/%d", n), CreatedAt: day.AddDate(0, 0, n), UpdatedAt: day.AddDate(0, 0, n)})
	}
	add(1, "spool permission denied", "widgetd: cannot open spool /var/spool/w1: permission denied. chown fixed it.")
	add(2, "cannot open spool", "widgetd: cannot open spool /var/spool/w2: permission denied")
	add(3, "spool error on boot", "widgetd: cannot open spool /srv/w: permission denied, SELinux relabel fixed it")
	add(4, "queue full", "widgetd: queue full (size 100)")
	add(5, "queue full again", "widgetd: queue full (size 250)")
	add(6, "odd crash", "widgetd: segfault in frob()")
	if _, err := s.IssueUpsertMany(ctx, nil, issues); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	err := s.InTx(ctx, func(tx store.Tx) error {
		news := []store.ClusterNew{
			{Slug: "spool", Title: "widgetd: cannot open spool: permission denied", Signature: "widgetd: cannot open spool <path>: permission denied", Fingerprint: "v1:spool"},
			{Slug: "queue", Title: "widgetd: queue full", Signature: "widgetd: queue full (size <n>)", Fingerprint: "v1:queue"},
			{Slug: "lonely", Title: "widgetd: segfault", Signature: "widgetd: segfault in <fn>", Fingerprint: "v1:lonely"},
		}
		cids, err := s.ClusterCreateMany(ctx, tx, news)
		if err != nil {
			return err
		}
		for i, n := range news {
			ids[n.Slug] = cids[i]
		}
		var issueIDs []int64
		if err := tx.QueryRow(ctx, `SELECT array_agg(id ORDER BY number) FROM issues`).Scan(&issueIDs); err != nil {
			return err
		}
		rows := []store.MemberRow{}
		for i, id := range issueIDs {
			cl := ids["spool"]
			switch {
			case i >= 5:
				cl = ids["lonely"]
			case i >= 3:
				cl = ids["queue"]
			}
			rows = append(rows, store.MemberRow{IssueID: id, ClusterID: cl, Score: 1, Reason: "test"})
		}
		if err := s.MemberSetMany(ctx, tx, rows, nil); err != nil {
			return err
		}
		if err := s.ClusterRefresh(ctx, tx, cids); err != nil {
			return err
		}
		return s.ClusterLabelsSetMany(ctx, tx, []store.ClusterLabels{{ID: ids["queue"], Topic: "capacity", TopicReason: "rule: keywords"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

type clusterRow struct{ title, description, topic, topicReason, category string }

func readCluster(t *testing.T, s *store.Store, id int64) clusterRow {
	t.Helper()
	var r clusterRow
	err := storetest.Pool(s).QueryRow(context.Background(), `SELECT title, description, coalesce(topic, ''), topic_reason, coalesce(category, '') FROM clusters WHERE id = $1`, id).
		Scan(&r.title, &r.description, &r.topic, &r.topicReason, &r.category)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRefineClusters(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ids := seedClusters(t, s)
	fake := llmfake.New(t)
	opts := RefineOptions{Topics: []string{"capacity", "permissions"}, Categories: []string{"daemons"}}
	ctx := context.Background()

	c1, _, _ := newTestClient(t, fake, s, nil)
	sum, err := c1.RefineClusters(ctx, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	// spool: title + classify (topic and category); queue: title + classify
	// (category only, the rule decided the topic); lonely: too small.
	if want := (RefineSummary{Clusters: 2, Titled: 2, Classified: 2, Updated: 2}); sum != want {
		t.Errorf("first run %+v, want %+v", sum, want)
	}
	if fake.Calls() != 4 {
		t.Errorf("first run made %d calls, want 4", fake.Calls())
	}
	spool := readCluster(t, s, ids["spool"])
	if !strings.HasPrefix(spool.title, "Model title: ") || !strings.HasPrefix(spool.description, "Model description") {
		t.Errorf("spool title not the model's: %+v", spool)
	}
	if spool.topic != "capacity" || spool.category != "daemons" || !strings.HasPrefix(spool.topicReason, "llm: "+llmfake.Model) {
		t.Errorf("spool not classified by the model: %+v", spool)
	}
	queue := readCluster(t, s, ids["queue"])
	if queue.topic != "capacity" || queue.topicReason != "rule: keywords" || queue.category != "daemons" {
		t.Errorf("queue: the rule's topic must stay, the category is the model's: %+v", queue)
	}
	for _, r := range fake.Requests() {
		if r.Kind() == KindClassify && strings.Contains(r.User(), "queue full") {
			if !strings.Contains(string(r.ResponseFormat.JSONSchema.Schema), `"topic":{"enum":["none"]`) {
				t.Errorf("queue's topic was asked although a rule decided it: %s", r.ResponseFormat.JSONSchema.Schema)
			}
		}
	}
	if lonely := readCluster(t, s, ids["lonely"]); lonely.title != "widgetd: segfault" {
		t.Errorf("a cluster below MinSize was retitled: %+v", lonely)
	}
	texts, err := s.LLMClusterTextGet(ctx, []int64{ids["spool"]})
	if err != nil || texts[ids["spool"]].RuleTitle != "widgetd: cannot open spool: permission denied" || texts[ids["spool"]].Model != llmfake.Model {
		t.Errorf("provenance not recorded: %+v %v", texts, err)
	}

	// Second run, nothing changed: no calls, not even cache lookups.
	c2, _, _ := newTestClient(t, fake, s, nil)
	sum, err = c2.RefineClusters(ctx, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if fake.Calls() != 4 || sum.Unchanged != 2 || c2.Stats().CacheHits != 0 {
		t.Errorf("second run: %d new calls, summary %+v, stats %+v; want no calls", fake.Calls()-4, sum, c2.Stats())
	}

	// classify relabels spool (topic reset) and a report joins queue: spool
	// gets its topic back without a call, queue is asked again.
	err = s.InTx(ctx, func(tx store.Tx) error {
		if err := s.ClusterLabelsSetMany(ctx, tx, []store.ClusterLabels{{ID: ids["spool"]}}); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE issues SET body = body || ' (seen on v3)' WHERE number = 4`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c3, _, _ := newTestClient(t, fake, s, nil)
	if _, err := c3.RefineClusters(ctx, s, opts); err != nil {
		t.Fatal(err)
	}
	if got := fake.Calls() - 4; got != 2 {
		t.Errorf("third run made %d calls, want 2 (queue's title and category)", got)
	}
	if spool := readCluster(t, s, ids["spool"]); spool.topic != "capacity" || !strings.HasPrefix(spool.title, "Model title") {
		t.Errorf("spool's model topic not re-applied: %+v", spool)
	}
}

func TestRefineClustersEndpointDown(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ids := seedClusters(t, s)
	fake := llmfake.New(t)
	fake.Default = func(llmfake.Request) llmfake.Reply { return llmfake.ServerError() }
	c, _, _ := newTestClient(t, fake, s, func(cfg *Config) { cfg.MaxRetries = 1 })
	sum, err := c.RefineClusters(context.Background(), s, RefineOptions{Topics: []string{"permissions"}})
	if err != nil {
		t.Fatalf("RefineClusters failed the run: %v", err)
	}
	if sum.Fallbacks != 2 || sum.Titled != 0 {
		t.Errorf("summary %+v, want 2 fallbacks", sum)
	}
	if r := readCluster(t, s, ids["spool"]); r.title != "widgetd: cannot open spool: permission denied" || r.topic != "" {
		t.Errorf("deterministic text not kept: %+v", r)
	}
	// Once it works again, the clusters are asked.
	fake.Default = nil
	c2, _, _ := newTestClient(t, fake, s, nil)
	sum, err = c2.RefineClusters(context.Background(), s, RefineOptions{Topics: []string{"permissions"}})
	if err != nil || sum.Titled != 2 {
		t.Errorf("after recovery: %+v %v", sum, err)
	}
}

func TestRefineClustersDisabled(t *testing.T) {
	t.Parallel()
	var c *Client
	sum, err := c.RefineClusters(context.Background(), nil, RefineOptions{})
	if err != nil || sum != (RefineSummary{}) {
		t.Errorf("nil client: %+v %v", sum, err)
	}
}
