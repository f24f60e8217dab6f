package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store/internal/dbsqlc"
)

// PipelineState is one stage's row of pipeline_state: when the stage last
// started and finished, and what it ran with (JSON).
type PipelineState struct {
	Stage      string
	StartedAt  time.Time
	FinishedAt time.Time
	Detail     json.RawMessage
}

// PipelineStateGet returns the state of stage, or ErrNotFound when the
// stage never ran.
func (s *Store) PipelineStateGet(ctx context.Context, stage string) (*PipelineState, error) {
	r, err := s.q.PipelineStateGet(ctx, s.pool, stage)
	if err != nil {
		return nil, fmt.Errorf("read pipeline state %s: %w", stage, translate(err))
	}
	return &PipelineState{Stage: stage, StartedAt: r.StartedAt.UTC(), FinishedAt: r.FinishedAt.UTC(), Detail: r.Detail}, nil
}

// PipelineStateSet records a stage's state, replacing the previous one.
func (s *Store) PipelineStateSet(ctx context.Context, st PipelineState) error {
	detail := []byte(st.Detail)
	if len(detail) == 0 {
		detail = []byte("{}")
	}
	err := s.q.PipelineStateSet(ctx, s.pool, dbsqlc.PipelineStateSetParams{
		Stage: st.Stage, StartedAt: st.StartedAt.UTC(), FinishedAt: st.FinishedAt.UTC(), Detail: detail,
	})
	if err != nil {
		return fmt.Errorf("record pipeline state %s: %w", st.Stage, err)
	}
	return nil
}

// PipelineRunCreate records the start of a pipeline run (trigger "run")
// and returns its id.
func (s *Store) PipelineRunCreate(ctx context.Context, trigger string, started time.Time) (int64, error) {
	id, err := s.q.PipelineRunCreate(ctx, s.pool, dbsqlc.PipelineRunCreateParams{Trigger: trigger, StartedAt: started.UTC()})
	if err != nil {
		return 0, fmt.Errorf("record run: %w", err)
	}
	return id, nil
}

// PipelineRunFinish is the outcome of a pipeline run.
type PipelineRunFinish struct {
	ID         int64
	FinishedAt time.Time
	ExitCode   int
	Stages     json.RawMessage // the run's stage reports
}

// PipelineRunFinish records a run's outcome.
func (s *Store) PipelineRunFinish(ctx context.Context, r PipelineRunFinish) error {
	fin := r.FinishedAt.UTC()
	code := int32(r.ExitCode)
	stages := []byte(r.Stages)
	if len(stages) == 0 || string(stages) == "null" {
		stages = []byte("[]")
	}
	err := s.q.PipelineRunFinish(ctx, s.pool, dbsqlc.PipelineRunFinishParams{ID: r.ID, FinishedAt: &fin, ExitCode: &code, Stages: stages})
	if err != nil {
		return fmt.Errorf("record run %d: %w", r.ID, err)
	}
	return nil
}

// WatermarkGet is the database time from which a stage that starts now is
// sure to see every committed change: the start of the oldest transaction
// still open in the database (last_synced_at is a transaction's now(), so
// a change committed after this moment can carry an earlier time), else
// the database's now().
//
// Hand-written: sqlc's catalog has no pg_stat_activity.
func (s *Store) WatermarkGet(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := s.pool.QueryRow(ctx, `
		SELECT least(now(), coalesce((SELECT min(xact_start) FROM pg_stat_activity
			WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid()), now()))`).Scan(&t)
	if err != nil {
		return time.Time{}, fmt.Errorf("read database clock: %w", err)
	}
	return t.UTC(), nil
}

// ChangeLatestGet is when issues or comments last changed (their largest
// last_synced_at, which moves only on a real change), or the zero time for
// an empty store. Two index probes.
func (s *Store) ChangeLatestGet(ctx context.Context) (time.Time, error) {
	t, err := s.q.ChangeLatestGet(ctx, s.pool)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read data watermark: %w", err)
	}
	return t.UTC(), nil
}

// ChangePending describes the changes after a moment.
type ChangePending struct {
	Oldest time.Time // the oldest issue or comment change after it; zero when none
	Issues int64     // issues changed after it, counted up to 100,000
}

// ChangePendingGet describes the changes to issues and comments after since.
func (s *Store) ChangePendingGet(ctx context.Context, since time.Time) (ChangePending, error) {
	var out ChangePending
	oldest, err := s.q.ChangeOldestAfterGet(ctx, s.pool, since.UTC())
	switch {
	case err == nil:
		out.Oldest = oldest.UTC()
	case !errors.Is(err, pgx.ErrNoRows):
		return ChangePending{}, fmt.Errorf("read classify lag: %w", err)
	}
	if out.Issues, err = s.q.IssueChangedCount(ctx, s.pool, since.UTC()); err != nil {
		return ChangePending{}, fmt.Errorf("read classify lag: %w", err)
	}
	return out, nil
}
