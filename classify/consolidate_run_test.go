package classify_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// TestRunConsolidatesStoredClusters: two stored clusters that looked apart
// under the first run's word weights come close once later reports show
// that the words telling them apart are common; the incremental run that
// adds a report to one of them merges them (the larger keeps its id, the
// other gets a merge redirect), and --rebuild agrees. Messages written for
// the test.
func TestRunConsolidatesStoredClusters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t)
	a1 := issue("acme/mill", 1, "Error: quartz relay spindle jammed", "", t0)
	a2 := issue("beta/mill", 2, "Error: quartz relay spindle jammed", "", t0.Add(time.Hour))
	b1 := issue("gamma/mill", 3, "Error: quartz relay spindle jammed, timeout twice in feed loop", "", t0.Add(2*time.Hour))
	upsert(t, st, a1, a2, b1)
	run(t, st, false)
	ca, cb := clusterOf(t, st, a1.HTMLURL), clusterOf(t, st, b1.HTMLURL)
	if ca == nil || cb == nil || ca.ID == cb.ID {
		t.Fatalf("first run: want two clusters, got %+v / %+v", ca, cb)
	}
	// many other errors also say "timeout twice in feed loop"
	var more []store.Issue
	for i, w := range []string{"arbor", "basalt", "cobalt", "dynamo", "ember", "fjord", "garnet", "harbor", "indigo", "juniper",
		"kelp", "lumen", "marble", "nectar", "onyx", "pylon", "quill", "rivet", "sorrel", "tundra"} {
		more = append(more, issue("delta/mill", 10+i, fmt.Sprintf("Error: %s feeder timeout twice in feed loop", w), "", t0.Add(time.Duration(3+i)*time.Hour)))
	}
	a3 := issue("epsilon/mill", 40, "Error: quartz relay spindle jammed", "", t0.Add(30*time.Hour))
	upsert(t, st, append(more, a3)...)
	sum := run(t, st, false)
	if sum.Merged == 0 {
		t.Fatalf("no merge: %+v", sum)
	}
	na, nb := clusterOf(t, st, a1.HTMLURL), clusterOf(t, st, b1.HTMLURL)
	if na == nil || nb == nil || na.ID != nb.ID || na.ID != ca.ID {
		t.Fatalf("after the second run: %+v / %+v (want both in %d)", na, nb, ca.ID)
	}
	rs, err := st.ClusterRedirectsList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rs {
		found = found || r.OldID == cb.ID && r.NewID == ca.ID && r.Kind == "merge"
	}
	if !found {
		t.Errorf("no merge redirect %d -> %d in %+v", cb.ID, ca.ID, rs)
	}
	old, err := st.ClusterGet(ctx, fmt.Sprint(cb.ID))
	if err != nil {
		t.Fatal(err)
	}
	if old.Status != "merged" {
		t.Errorf("merged cluster status %q", old.Status)
	}
	if na.Size != 4 {
		t.Errorf("survivor size %d, want 4", na.Size)
	}
	// a rebuild converges on the same grouping and keeps the id
	run(t, st, true)
	ra, rb := clusterOf(t, st, a1.HTMLURL), clusterOf(t, st, b1.HTMLURL)
	if ra == nil || rb == nil || ra.ID != rb.ID || ra.ID != ca.ID {
		t.Fatalf("after --rebuild: %+v / %+v (want both in %d)", ra, rb, ca.ID)
	}
	// errata match compares as classify does: a decorated paste finds it
	_, res, err := classify.MatchText(ctx, st, "[ERROR] mill.ctl:run:12 - quartz relay spindle jammed (attempt 2/5)", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) == 0 || res[0].Cluster.ID != ca.ID || res[0].Score < 1 {
		t.Errorf("match: %+v", res)
	}
	for _, m := range more[:3] {
		if c := clusterOf(t, st, m.HTMLURL); c == nil || c.ID == ca.ID {
			t.Errorf("%s: %+v", m.Title, c)
		}
	}
}
