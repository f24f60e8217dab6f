package llm

import (
	"context"
	"strings"
	"testing"

	"github.com/errata-tool/errata/llm/llmfake"
	"github.com/errata-tool/errata/store/storetest"
)

// BenchmarkSanitize measures cleaning one model-written claim.
func BenchmarkSanitize(b *testing.B) {
	claim := "Reporters fixed it by running `chown widget /var/spool/widget` <b>after</b> the upgrade; see [docs](https://example.com/x) [1]. " +
		strings.Repeat("The daemon now runs as its own user. ", 5)
	b.ReportAllocs()
	for b.Loop() {
		_ = Sanitize(claim, maxClaimLen)
	}
}

// BenchmarkPageProseCached measures a page's prose on a rerun: building
// the prompt, hashing it, reading the answer from PostgreSQL and validating
// it (no model call).
func BenchmarkPageProseCached(b *testing.B) {
	s := storetest.New(b)
	fake := llmfake.New(b)
	c, err := New(Config{Enabled: true, BaseURL: fake.BaseURL(), Model: llmfake.Model, APIKey: llmfake.Key}, s, nil)
	if err != nil {
		b.Fatal(err)
	}
	ev := testEvidence("bench")
	for i := 0; i < 10; i++ {
		ev.Sources = append(ev.Sources, Source{N: 4 + i, Kind: "comment", Repository: "acme/widgetd", Number: 10, Text: strings.Repeat("A longer comment about the spool. ", 40)})
	}
	ctx := context.Background()
	if p, err := c.PageProse(ctx, ev); err != nil || p == nil {
		b.Fatalf("warm-up: %v %v", p, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if p, err := c.PageProse(ctx, ev); err != nil || p == nil {
			b.Fatal(err)
		}
	}
	if fake.Calls() != 1 {
		b.Fatalf("%d calls", fake.Calls())
	}
}
