package ingest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/store/storetest"
)

// benchIssues is the import benchmark's size; ERRATA_BENCH_ISSUES changes it.
func benchIssues() int {
	if v, err := strconv.Atoi(os.Getenv("ERRATA_BENCH_ISSUES")); err == nil && v > 0 {
		return v
	}
	return 100_000
}

var words = strings.Fields(`the a when after request server client token config install update retry timeout
connection model provider proxy cache build plugin extension session login file path version release
agent tool command output error failed cannot unable unexpected invalid missing denied refused reset`)

// writeBenchIssues writes n generated issues (about 3 KB bodies with a log
// block and a stack trace, 5 comments each) as JSON lines.
func writeBenchIssues(tb testing.TB, path string, n int) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewSource(1))
	sentence := func(k int) string {
		parts := make([]string, k)
		for i := range parts {
			parts[i] = words[rng.Intn(len(words))]
		}
		return strings.Join(parts, " ")
	}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	enc := json.NewEncoder(w)
	for i := 0; i < n; i++ {
		var body strings.Builder
		for body.Len() < 2200 {
			body.WriteString(sentence(12) + ".\n")
		}
		fmt.Fprintf(&body, "\n```\n2025-03-%02dT10:00:00Z ERROR request %d failed: connect ECONNREFUSED 127.0.0.1:%d\n    at Socket.connect (node:net:%d:10)\n    at process.tick (node:internal/process:%d:5)\n```\n",
			1+i%28, i, 1000+i%5000, i%900, i%300)
		for body.Len() < 3000 {
			body.WriteString(sentence(8) + "\n")
		}
		created := base.Add(time.Duration(i) * time.Minute)
		comments := make([]map[string]any, 5)
		for j := range comments {
			comments[j] = map[string]any{
				"id": i*10 + j, "user": map[string]any{"login": "user" + strconv.Itoa(rng.Intn(5000))},
				"created_at": created.Add(time.Duration(j+1) * time.Hour), "updated_at": created.Add(time.Duration(j+1) * time.Hour),
				"body": sentence(40), "author_association": "NONE",
			}
		}
		rec := map[string]any{
			"id": 1_000_000 + i, "node_id": "I_" + strconv.Itoa(i), "number": i%20000 + 1,
			"repository": "bench/repo" + strconv.Itoa(i/20000), "title": sentence(8), "body": body.String(),
			"state": []string{"open", "closed"}[i%2], "user": map[string]any{"login": "author" + strconv.Itoa(i%777)},
			"labels": []map[string]any{{"name": "bug"}}, "reactions": map[string]any{"total_count": i % 7},
			"created_at": created, "updated_at": created.Add(6 * time.Hour), "comments": comments,
			"html_url": fmt.Sprintf("https://github.com/bench/repo%d/issues/%d", i/20000, i%20000+1),
		}
		if err := enc.Encode(rec); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	fi, _ := f.Stat()
	f.Close()
	return fi.Size()
}

// BenchmarkImport imports benchIssues() generated issues with 5 comments
// each into a fresh database per iteration, and reports issues per second
// and the process's peak resident memory.
func BenchmarkImport(b *testing.B) {
	n := benchIssues()
	path := filepath.Join(b.TempDir(), "issues.jsonl")
	size := writeBenchIssues(b, path, n)
	b.SetBytes(size)
	b.ResetTimer()
	var total, cpu, dbCPU time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := storetest.New(b)
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		db0 := ingest.BackendCPU(context.Background(), s)
		b.StartTimer()
		start, cpu0 := time.Now(), ingest.ProcessCPU()
		sum, err := ingest.Import(context.Background(), s, f, path)
		total += time.Since(start)
		cpu1 := ingest.ProcessCPU()
		b.StopTimer()
		db1 := ingest.BackendCPU(context.Background(), s)
		cpu += cpu1 - cpu0 + db1 - max(db0, 0)
		dbCPU += db1 - max(db0, 0)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if sum.Issues.Inserted != n || sum.Comments.Inserted != 5*n {
			b.Fatalf("imported %+v / %+v, want %d issues and %d comments", sum.Issues, sum.Comments, n, 5*n)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "issues/s")
	// The CPU figures (this process plus the database backends serving
	// the benchmark's database, as in BenchmarkSync) hold on a shared
	// machine, where the wall clock follows the other load.
	b.ReportMetric(float64(n*b.N)/cpu.Seconds(), "cpu-issues/s")
	b.ReportMetric((cpu-dbCPU).Seconds()/float64(b.N), "client-cpu-s")
	b.ReportMetric(dbCPU.Seconds()/float64(b.N), "db-cpu-s")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-MB")
}

// peakRSS is the process's peak resident set size in bytes (VmHWM).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
