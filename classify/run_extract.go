package classify

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sync/errgroup"

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

// analyzeAll analyzes issues in parallel, at most workers at a time
// (results in input order).
func analyzeAll(issues []Issue, skip []bool, workers int) []Analysis {
	out := make([]Analysis, len(issues))
	var g errgroup.Group
	g.SetLimit(max(workers, 1)) // 0 would block every Go call
	for i := range issues {
		if !skip[i] {
			g.Go(func() error {
				out[i] = Analyze(&issues[i])
				return nil
			})
		}
	}
	_ = g.Wait() // Analyze returns no error
	return out
}

// encodeBatch is the stored form of an extracted batch.
func encodeBatch(b *batchResult) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(b.items); err != nil {
		return nil, fmt.Errorf("encode batch: %w", err)
	}
	return buf.Bytes(), nil
}

// decodeBatch reads a stored batch.
func decodeBatch(data []byte) (batchResult, error) {
	var b batchResult
	if len(data) == 0 {
		return b, nil
	}
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&b.items); err != nil {
		return b, fmt.Errorf("decode batch: %w", err)
	}
	return b, nil
}

// ErrOtherRules is returned by ExtractBatch for a batch of a run under
// other rules than the caller's (a worker of another version or
// configuration): the run's own process extracts it.
var ErrOtherRules = errors.New("classify batch belongs to a run under other rules")

// ExtractBatch extracts one batch of the recorded classify run runID and
// commits its result, unless it is done, held by another process or its
// run has finished (then it does nothing). `errata worker` runs it for the
// batches a run spreads (RunOptions.Spread). It reports whether it
// extracted the batch.
func ExtractBatch(ctx context.Context, st *store.Store, rules *Rules, runID int64, batch, workers int) (bool, error) {
	if rules == nil {
		rules = DefaultRules()
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	version := rules.Version()
	_, did, _, err := st.ClassifyBatchTake(ctx, runID, batch, false, func(cb store.ClassifyBatch) ([]byte, error) {
		if cb.RulesVersion != version {
			return nil, ErrOtherRules
		}
		b, err := extractBatch(ctx, cb.Issues, cb.IssueIDs, cb.RulesVersion, cb.Rebuild, workers, map[string]time.Duration{})
		if err != nil {
			return nil, err
		}
		return encodeBatch(&b)
	})
	return did, err
}

// produced is a batch as the run's own extraction leaves it: extracted
// here (b), extracted before or elsewhere (data), or held by another
// process (busy).
type produced struct {
	b    *batchResult
	data []byte
	busy bool
}

// batchSource extracts the batches of a run in order, ahead of the
// assignment, in its own goroutine (on pool connections), skipping those
// another process holds; next hands them to the assignment in order.
type batchSource struct {
	st     *store.Store
	run    store.ClassifyRun
	opts   RunOptions
	out    chan produced
	errc   chan error
	done   chan struct{}
	phases map[string]time.Duration // the producer's; read after wait
}

func startBatches(ctx context.Context, st *store.Store, run store.ClassifyRun, opts RunOptions) *batchSource {
	s := &batchSource{st: st, run: run, opts: opts, out: make(chan produced, 2), errc: make(chan error, 1),
		done: make(chan struct{}), phases: map[string]time.Duration{}}
	go s.produce(ctx)
	return s
}

func (s *batchSource) produce(ctx context.Context) {
	defer close(s.done)
	defer close(s.out)
	for k := 0; k < s.run.Batches; k++ {
		if err := ctx.Err(); err != nil {
			s.errc <- err
			return
		}
		p, err := s.take(ctx, k, false)
		if err != nil {
			s.errc <- err
			return
		}
		select {
		case s.out <- p:
		case <-ctx.Done():
			s.errc <- ctx.Err()
			return
		}
	}
	s.errc <- nil
}

// take extracts batch k here, or returns its stored result, or busy.
func (s *batchSource) take(ctx context.Context, k int, wait bool) (produced, error) {
	var b batchResult
	data, did, busy, err := s.st.ClassifyBatchTake(ctx, s.run.ID, k, wait, func(cb store.ClassifyBatch) ([]byte, error) {
		var err error
		b, err = extractBatch(ctx, cb.Issues, cb.IssueIDs, s.run.RulesVersion, s.run.Rebuild, s.opts.Workers, s.phases)
		if err != nil {
			return nil, err
		}
		t := time.Now()
		defer func() { s.phases["stage"] += time.Since(t) }()
		return encodeBatch(&b)
	})
	switch {
	case err != nil:
		return produced{}, err
	case did:
		return produced{b: &b}, nil
	case busy && wait:
		return produced{}, fmt.Errorf("batch %d of run %d is missing", k, s.run.ID)
	}
	return produced{data: data, busy: busy}, nil
}

// next returns batch k (the batches are asked for in order).
func (s *batchSource) next(ctx context.Context, k int, clock runClock) (batchResult, error) {
	p, ok := <-s.out
	if !ok {
		if err := <-s.errc; err != nil {
			return batchResult{}, err
		}
		return batchResult{}, fmt.Errorf("batch %d of run %d: extraction ended early", k, s.run.ID)
	}
	t := time.Now()
	defer clock.phase("wait-and-decode", t)
	if p.busy {
		var err error
		// The assignment's own extraction (when the holder died) counts
		// in its phases, not the producer's.
		own := &batchSource{st: s.st, run: s.run, opts: s.opts, phases: clock.sum.Phases}
		if p, err = own.take(ctx, k, true); err != nil {
			return batchResult{}, err
		}
	}
	if p.b != nil {
		return *p.b, nil
	}
	clock.sum.Stored++
	return decodeBatch(p.data)
}

// wait waits for the producer to end (after its context is cancelled or
// it sent every batch).
func (s *batchSource) wait() { <-s.done }
