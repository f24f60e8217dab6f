package classify

import (
	"context"
	"sync"
	"time"

	"github.com/errata-tool/errata/store"
)

// Extraction and normalization: reading a batch of issues and analyzing
// them. It needs no cluster state, so it runs ahead of assignment (and, in
// a spread run, on other workers).

// splitBatches cuts ids into consecutive batches of at most size ids.
func splitBatches(ids []int64, size int) [][]int64 {
	if size <= 0 {
		size = 1
	}
	out := make([][]int64, 0, (len(ids)+size-1)/size)
	for start := 0; start < len(ids); start += size {
		out = append(out, ids[start:min(start+size, len(ids))])
	}
	return out
}

// extractIssues analyzes read issues with workers goroutines. Incremental
// runs (rebuild false) skip issues whose content and rules are those of
// their last classification.
func extractIssues(issues []store.ClassifyIssue, version string, rebuild bool, workers int) batchResult {
	b := batchResult{items: make([]extracted, len(issues))}
	inputs := make([]Issue, len(issues))
	skip := make([]bool, len(issues))
	for i := range issues {
		inputs[i] = toInput(&issues[i])
		h := ContentHash(&inputs[i])
		skip[i] = !rebuild && issues[i].PrevHash == h && issues[i].PrevRules == version
		b.items[i] = extracted{ID: issues[i].ID, Hash: h, Skip: skip[i], Days: issueDays(&issues[i])}
	}
	analyses := analyzeAll(inputs, skip, workers)
	for i := range analyses {
		b.items[i].Analysis = analyses[i]
	}
	return b
}

// issueReader reads issues to classify (store.ClassifyIssuesGet, or the
// same on a batch's transaction).
type issueReader func(ctx context.Context, ids []int64) ([]store.ClassifyIssue, error)

// extractBatch reads a batch of issues and analyzes them.
func extractBatch(ctx context.Context, read issueReader, ids []int64, version string, rebuild bool, workers int,
	phases map[string]time.Duration) (batchResult, error) {
	t := time.Now()
	issues, err := read(ctx, ids)
	if err != nil {
		return batchResult{}, err
	}
	phases["read"] += time.Since(t)
	t = time.Now()
	b := extractIssues(issues, version, rebuild, workers)
	phases["analyze"] += time.Since(t)
	return b, nil
}

// analyzeAll analyzes issues in parallel (results in input order).
func analyzeAll(issues []Issue, skip []bool, workers int) []Analysis {
	out := make([]Analysis, len(issues))
	var wg sync.WaitGroup
	next := make(chan int, len(issues))
	for i := range issues {
		if !skip[i] {
			next <- i
		}
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = Analyze(&issues[i])
			}
		}()
	}
	wg.Wait()
	return out
}

// produceBatches extracts the batches in order in its own goroutine (on
// pool connections), sending results in order; the error channel yields
// the first error (or nil) once the batch channel is closed. phases is
// the producer's own and may be read once the error channel yielded.
func produceBatches(ctx context.Context, st *store.Store, batches [][]int64, version string, opts RunOptions,
	phases map[string]time.Duration) (<-chan batchResult, <-chan error) {
	out := make(chan batchResult, 2)
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		for _, ids := range batches {
			if err := ctx.Err(); err != nil {
				errc <- err
				return
			}
			b, err := extractBatch(ctx, st.ClassifyIssuesGet, ids, version, opts.Rebuild, opts.Workers, phases)
			if err != nil {
				errc <- err
				return
			}
			select {
			case out <- b:
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
		}
		errc <- nil
	}()
	return out, errc
}
