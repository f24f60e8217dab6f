package store

// Classify runs that resume and spread (migration 0014). A run records the
// issues it selected, cut into batches; extraction commits each batch's
// result on its own (any process may extract any batch, under the batch's
// row lock), and the assignment deletes the run in the transaction that
// writes the clusters. The results are opaque to the store.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store/internal/dbsqlc"
)

// ClassifyRun is a recorded classify run.
type ClassifyRun struct {
	ID           int64
	RulesVersion string
	Rebuild      bool
	// StartedAt is when the run selected its issues: the time its
	// classifications are recorded at, so that issues synced after it are
	// selected again by the next run.
	StartedAt time.Time
	Issues    int
	Batches   int
}

// ClassifyRunGet returns the unfinished classify run, if any.
func (s *Store) ClassifyRunGet(ctx context.Context) (ClassifyRun, bool, error) {
	r, err := s.q.ClassifyRunGet(ctx, s.pool)
	if errors.Is(err, pgx.ErrNoRows) {
		return ClassifyRun{}, false, nil
	}
	if err != nil {
		return ClassifyRun{}, false, fmt.Errorf("read classify run: %w", err)
	}
	return ClassifyRun{ID: r.ID, RulesVersion: r.RulesVersion, Rebuild: r.Rebuild, StartedAt: r.StartedAt.UTC(),
		Issues: int(r.Issues), Batches: int(r.Batches)}, true, nil
}

// ClassifyRunsClear forgets unfinished classify runs (and their batches).
func (s *Store) ClassifyRunsClear(ctx context.Context) error {
	if err := s.q.ClassifyRunsClear(ctx, s.pool); err != nil {
		return fmt.Errorf("clear classify runs: %w", err)
	}
	return nil
}

// ClassifyRunCreate selects the issues to classify (ClassifyPendingIDs)
// and records a run of them cut into batches, in one transaction.
func (s *Store) ClassifyRunCreate(ctx context.Context, p ClassifyPendingParams, batches func([]int64) [][]int64) (ClassifyRun, error) {
	run := ClassifyRun{RulesVersion: p.RulesVersion, Rebuild: p.All}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		ids, err := s.ClassifyPendingIDs(ctx, tx, p)
		if err != nil {
			return err
		}
		parts := batches(ids)
		r, err := s.q.ClassifyRunCreate(ctx, tx, dbsqlc.ClassifyRunCreateParams{RulesVersion: p.RulesVersion, Rebuild: p.All,
			Issues: int32(len(ids)), Batches: int32(len(parts))})
		if err != nil {
			return err
		}
		run.ID, run.StartedAt, run.Issues, run.Batches = r.ID, r.StartedAt.UTC(), len(ids), len(parts)
		// COPY: sqlc cannot express it, and a run of a million issues
		// has hundreds of batches.
		rows := make([][]any, len(parts))
		for i, part := range parts {
			rows[i] = []any{run.ID, int32(i), part}
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"classify_batches"}, []string{"run_id", "batch", "issue_ids"}, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return ClassifyRun{}, fmt.Errorf("record classify run: %w", err)
	}
	return run, nil
}

// ClassifyRunDelete deletes a finished run in the transaction that wrote
// its clusters.
func (s *Store) ClassifyRunDelete(ctx context.Context, tx pgx.Tx, id int64) error {
	if err := s.q.ClassifyRunDelete(ctx, tx, id); err != nil {
		return fmt.Errorf("finish classify run: %w", err)
	}
	return nil
}

// ClassifyBatchesPending returns the batches of a run not yet extracted.
func (s *Store) ClassifyBatchesPending(ctx context.Context, runID int64) ([]int, error) {
	bs, err := s.q.ClassifyBatchesPending(ctx, s.pool, runID)
	if err != nil {
		return nil, fmt.Errorf("list classify batches: %w", err)
	}
	out := make([]int, len(bs))
	for i, b := range bs {
		out[i] = int(b)
	}
	return out, nil
}

// ClassifyBatch is a batch of a run as its extraction reads it.
type ClassifyBatch struct {
	RunID        int64
	Batch        int
	IssueIDs     []int64
	RulesVersion string
	Rebuild      bool
	// Issues is ClassifyIssuesGet on the batch's transaction (one
	// connection per extraction, so that extractions never wait for a
	// second connection while holding one).
	Issues func(ctx context.Context, ids []int64) ([]ClassifyIssue, error)
}

// ClassifyBatchTake returns a batch's extraction result, extracting it
// with extract when it has none: under the batch's row lock, committed
// with the result. With wait it waits while another session extracts the
// batch (and extracts it when that session died without a result);
// without, it returns busy. A batch that does not exist (its run
// finished) is busy too. extracted says whether extract ran here.
func (s *Store) ClassifyBatchTake(ctx context.Context, runID int64, batch int, wait bool,
	extract func(ClassifyBatch) ([]byte, error)) (result []byte, extracted, busy bool, err error) {
	err = s.InTx(ctx, func(tx pgx.Tx) error {
		var ids []int64
		var res []byte
		var rules string
		var rebuild bool
		var qerr error
		if wait {
			var r dbsqlc.ClassifyBatchLockRow
			r, qerr = s.q.ClassifyBatchLock(ctx, tx, dbsqlc.ClassifyBatchLockParams{RunID: runID, Batch: int32(batch)})
			ids, res, rules, rebuild = r.IssueIds, r.Result, r.RulesVersion, r.Rebuild
		} else {
			var r dbsqlc.ClassifyBatchLockSkipRow
			r, qerr = s.q.ClassifyBatchLockSkip(ctx, tx, dbsqlc.ClassifyBatchLockSkipParams{RunID: runID, Batch: int32(batch)})
			ids, res, rules, rebuild = r.IssueIds, r.Result, r.RulesVersion, r.Rebuild
		}
		if errors.Is(qerr, pgx.ErrNoRows) {
			busy = true
			return nil
		}
		if qerr != nil {
			return qerr
		}
		if res != nil {
			result = res
			return nil
		}
		read := func(ctx context.Context, ids []int64) ([]ClassifyIssue, error) {
			return classifyIssuesGet(ctx, tx, ids)
		}
		res, err := extract(ClassifyBatch{RunID: runID, Batch: batch, IssueIDs: ids, RulesVersion: rules, Rebuild: rebuild, Issues: read})
		if err != nil {
			return err
		}
		if res == nil {
			res = []byte{}
		}
		if err := s.q.ClassifyBatchSave(ctx, tx, dbsqlc.ClassifyBatchSaveParams{RunID: runID, Batch: int32(batch), Result: res}); err != nil {
			return err
		}
		result, extracted = res, true
		return nil
	})
	if err != nil {
		return nil, false, false, fmt.Errorf("classify batch %d of run %d: %w", batch, runID, err)
	}
	return result, extracted, busy, nil
}
