package ingest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// benchSize is the number of issues (each with four comments) the sync
// benchmark serves; ERRATA_BENCH_ISSUES overrides the default 50,000.
func benchSize() int {
	if v, err := strconv.Atoi(os.Getenv("ERRATA_BENCH_ISSUES")); err == nil && v > 0 {
		return v
	}
	return 50000
}

func seedBench(fake *githubfake.Server, repo string, n int) {
	for i := 0; i < n; i++ {
		is := fake.AddIssue(repo, githubfake.NewIssue{
			Title:  fmt.Sprintf("build fails with error E%04d after upgrading", i%997),
			Body:   "Steps to reproduce:\n1. upgrade\n2. run the build\n\n```\nerror: something went wrong in module " + strconv.Itoa(i) + "\n```\n",
			Labels: []string{"bug", "needs-triage"}, Closed: i%3 == 0})
		for j := 0; j < 4; j++ {
			fake.Advance(time.Second)
			fake.AddComment(repo, is.Number, "", fmt.Sprintf("Same here on version 1.%d; workaround: pin the old release.", j), time.Time{})
		}
		fake.Advance(5 * time.Second)
	}
}

// processCPU is this process's user+system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU sums the CPU time of the PostgreSQL backends serving the
// benchmark's database (fresh per run, so only errata's own), read from
// /proc when the server runs on this machine; -1 when it cannot be read.
func backendCPU(ctx context.Context, st *store.Store) time.Duration {
	rows, err := storetest.Pool(st).Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return -1
	}
	var pids []int
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			pids = append(pids, pid)
		}
	}
	rows.Close()
	var total time.Duration
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return -1
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		if len(f) < 13 {
			return -1
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		stt, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(ut+stt) * 10 * time.Millisecond // USER_HZ = 100
	}
	return total
}

// BenchmarkSync syncs benchSize() issues with four comments each from the
// local fake into a fresh database, then re-syncs with nothing changed.
// Reported: issues/s over the whole sync (wall clock), errata-issues/s
// over errata's own time (wall time minus the fake server's handler time),
// cpu-issues/s over the CPU errata used (this process less the fake's
// handler time, plus the database backends' CPU: a figure that holds on a
// busy machine), the requests of the first sync, and the requests and
// 304s of the no-change re-sync.
func BenchmarkSync(b *testing.B) {
	n := benchSize()
	fake := githubfake.New(githubfake.Options{CoreLimit: 1 << 30})
	defer fake.Close()
	seedBench(fake, "bench/big", n)
	ctx := context.Background()
	src := []Source{{Kind: "repo", Key: "bench/big"}}
	var wall, own, cpu, dbCPU time.Duration
	var reqs, resyncReqs, resync304 int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := storetest.New(b)
		c, err := NewClient(ClientOptions{APIURL: fake.APIURL(), Token: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		fake.ResetStats()
		db0 := backendCPU(ctx, st)
		b.StartTimer()
		start, cpu0 := time.Now(), processCPU()
		sums := NewSyncer(c, st, Options{}).runAll(ctx, src)
		el, cpu1 := time.Since(start), processCPU()
		b.StopTimer()
		db1 := backendCPU(ctx, st)
		cpu += cpu1 - cpu0 - fake.Stats().ServeTime + db1 - max(db0, 0)
		dbCPU += db1 - max(db0, 0)
		if sums[0].Status != "ok" || sums[0].Issues.Inserted != n || sums[0].Comments.Inserted != 4*n {
			b.Fatalf("sync: %s %s: issues %+v comments %+v", sums[0].Status, sums[0].Message, sums[0].Issues, sums[0].Comments)
		}
		wall += el
		own += el - fake.Stats().ServeTime
		reqs += sums[0].Requests
		c2, _ := NewClient(ClientOptions{APIURL: fake.APIURL(), Token: "bench"})
		sums = NewSyncer(c2, st, Options{}).runAll(ctx, src)
		resyncReqs += sums[0].Requests
		resync304 += sums[0].NotModified
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/wall.Seconds(), "issues/s")
	b.ReportMetric(float64(n)*float64(b.N)/own.Seconds(), "errata-issues/s")
	b.ReportMetric(float64(n)*float64(b.N)/cpu.Seconds(), "cpu-issues/s")
	b.ReportMetric((cpu-dbCPU).Seconds()/float64(b.N), "client-cpu-s")
	b.ReportMetric(dbCPU.Seconds()/float64(b.N), "db-cpu-s")
	b.ReportMetric(float64(reqs)/float64(b.N), "requests/sync")
	b.ReportMetric(float64(resyncReqs)/float64(b.N), "requests/resync")
	b.ReportMetric(float64(resync304)/float64(b.N), "304s/resync")
}
