package ingest

import (
	"context"
	"testing"
	"time"

	"github.com/errata-tool/errata/store/storetest"
)

// BenchmarkDeadEndpoint syncs 100 repository sources, with errata's
// default limits (no test shortcuts: 1 s retry backoff, 60 s request
// timeout, 30 s for the first byte), against a closed port and against a
// server that accepts connections and never answers. Targets (issue 19):
// within 30 s and within 3 minutes. Run with -benchtime 1x; the second
// case takes about two minutes by design.
func BenchmarkDeadEndpoint(b *testing.B) {
	for _, bc := range []struct {
		name   string
		addr   func(testing.TB) string
		target time.Duration
	}{
		{"closed_port", closedPort, 30 * time.Second},
		{"never_answers", silentServer, 3 * time.Minute},
	} {
		b.Run(bc.name, func(b *testing.B) {
			st := storetest.New(b)
			for i := 0; i < b.N; i++ {
				c, err := NewClient(ClientOptions{APIURL: "http://" + bc.addr(b) + "/"})
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				sums := NewSyncer(c, st, Options{}).runAll(context.Background(), manySources(100))
				took := time.Since(t0)
				skipped := 0
				for _, s := range sums {
					if s.Status == "skipped" {
						skipped++
					}
				}
				b.ReportMetric(took.Seconds(), "s/100-sources")
				b.ReportMetric(float64(c.Count.Requests.Load()), "attempts")
				b.ReportMetric(float64(skipped), "skipped")
				if took > bc.target {
					b.Errorf("%s: 100 sources took %s, target %s", bc.name, took.Round(time.Second), bc.target)
				}
			}
		})
	}
}
