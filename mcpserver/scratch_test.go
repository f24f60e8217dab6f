package mcpserver_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/reports/pages"
	"github.com/errata-tool/errata/store"
)

func BenchmarkScratch(b *testing.B) {
	ctx := context.Background()
	st, _ := store.Open(ctx, os.Getenv("ERRATA_BENCH_DATABASE_URL"))
	r := rand.New(rand.NewSource(1))
	var tm, tg []time.Duration
	for i := 0; i < 100; i++ {
		text := fmt.Sprintf(benchTemplate(r.Intn(benchFamilies)), r.Intn(90000))
		t0 := time.Now()
		_, res, err := classify.MatchText(ctx, st, text, 3)
		if err != nil {
			b.Fatal(err)
		}
		tm = append(tm, time.Since(t0))
		var ids []int64
		for _, a := range res {
			ids = append(ids, a.Cluster.ID)
		}
		t0 = time.Now()
		if _, err := pages.Briefs(ctx, st, ids, 10); err != nil {
			b.Fatal(err)
		}
		tg = append(tg, time.Since(t0))
	}
	p := func(d []time.Duration) string {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return fmt.Sprint(d[50], " ", d[95])
	}
	b.Logf("match %s briefs %s", p(tm), p(tg))
}
