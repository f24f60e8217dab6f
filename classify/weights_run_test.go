package classify_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// TestRunRecountsWeightsOnNewVersion: the first incremental run under a
// new rules or algorithm version classifies every issue again, so it must
// count the word frequencies from zero (as --rebuild does), not add every
// issue a second time; a later incremental run under the same version adds
// only its new issues. Messages written for the test.
func TestRunRecountsWeightsOnNewVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("tools:\n  - name: Quarry Tool\n    keywords: [quarry]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	other, err := classify.LoadRules(doc.Content[0], "errata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if other.Version() == classify.DefaultRules().Version() {
		t.Fatal("the extended rules keep the default version")
	}
	st := storetest.New(t)
	upsert(t, st,
		issue("acme/mill", 1, "Error: quartz relay spindle jammed", "", t0),
		issue("acme/mill", 2, "Error: quartz relay spindle jammed on boot", "", t0.Add(time.Hour)),
		issue("beta/mill", 3, "Error: basalt hopper overflow detected", "", t0.Add(2*time.Hour)),
		issue("beta/mill", 4, "How do I change the theme?", "", t0.Add(3*time.Hour)),
	)
	counts := func() (map[string]int, int) {
		t.Helper()
		var df map[string]int
		var n int
		if err := st.InTx(ctx, func(tx pgx.Tx) error {
			var err error
			df, n, err = st.TokenDFList(ctx, tx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return df, n
	}
	classifyWith := func(r *classify.Rules, rebuild bool) {
		t.Helper()
		if _, err := classify.Run(ctx, st, classify.RunOptions{Rules: r, Rebuild: rebuild, BatchSize: 2}); err != nil {
			t.Fatal(err)
		}
	}
	classifyWith(nil, false)
	df1, n1 := counts()
	if n1 != 3 || df1["quartz"] != 2 || df1["basalt"] != 1 {
		t.Fatalf("first run: n %d, quartz %d, basalt %d (want 3, 2, 1)", n1, df1["quartz"], df1["basalt"])
	}
	tests := []struct {
		name    string
		rules   *classify.Rules
		rebuild bool
		add     []store.Issue
		wantN   int
	}{
		{"new version, incremental", other, false, nil, 3},
		{"same version, nothing new", other, false, nil, 3},
		{"same version, one new issue", other, false, []store.Issue{
			issue("gamma/mill", 5, "Error: quartz relay spindle jammed twice", "", t0.Add(4*time.Hour))}, 4},
		{"back to the default version", nil, false, nil, 4},
		{"rebuild", nil, true, nil, 4},
	}
	for _, tt := range tests { // in order: each step builds on the last
		upsert(t, st, tt.add...)
		classifyWith(tt.rules, tt.rebuild)
		df, n := counts()
		if n != tt.wantN {
			t.Errorf("%s: %d issues counted, want %d", tt.name, n, tt.wantN)
		}
		want := maps.Clone(df1)
		if tt.wantN == 4 {
			for _, w := range []string{"quartz", "relay", "spindle", "jam"} {
				if want[w] > 0 {
					want[w]++
				}
			}
		}
		for _, w := range []string{"quartz", "relay", "basalt", "hopper"} {
			if df[w] != want[w] {
				t.Errorf("%s: df[%s] = %d, want %d", tt.name, w, df[w], want[w])
			}
		}
	}
}
