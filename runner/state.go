package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// stageState is one row of pipeline_state.
type stageState struct {
	StartedAt  time.Time
	FinishedAt time.Time
	Detail     map[string]any
}

func (p *Pipeline) getState(ctx context.Context, stage string) (*stageState, error) {
	var st stageState
	var raw []byte
	err := p.Store.Pool().QueryRow(ctx, `SELECT started_at, finished_at, detail FROM pipeline_state WHERE stage = $1`, stage).
		Scan(&st.StartedAt, &st.FinishedAt, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read pipeline state %s: %w", stage, err)
	}
	if err := json.Unmarshal(raw, &st.Detail); err != nil {
		return nil, fmt.Errorf("read pipeline state %s: %w", stage, err)
	}
	return &st, nil
}

func (p *Pipeline) setState(ctx context.Context, stage string, started time.Time, detail map[string]any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	_, err = p.Store.Pool().Exec(ctx, `
		INSERT INTO pipeline_state (stage, started_at, finished_at, detail) VALUES ($1, $2, $3, $4)
		ON CONFLICT (stage) DO UPDATE SET started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, detail = EXCLUDED.detail`,
		stage, started, time.Now().UTC(), b)
	if err != nil {
		return fmt.Errorf("record pipeline state %s: %w", stage, err)
	}
	return nil
}

// watermark is the database time from which a stage that starts now is
// sure to see every committed change: the start of the oldest transaction
// still open in the database (last_synced_at is a transaction's now(), so a
// sync page committed after this moment can carry an earlier time), else
// now(). Taking it early costs at most one extra, cheap, classify.
func (p *Pipeline) watermark(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := p.Store.Pool().QueryRow(ctx, `
		SELECT least(now(), coalesce((SELECT min(xact_start) FROM pg_stat_activity
			WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid()), now()))`).Scan(&t)
	if err != nil {
		return time.Time{}, fmt.Errorf("read database clock: %w", err)
	}
	return t.UTC(), nil
}

// DataChangedAt is when issues or comments last changed in the store
// (their largest last_synced_at, which moves only on a real change), or the
// zero time for an empty store. Two index probes.
func (p *Pipeline) DataChangedAt(ctx context.Context) (time.Time, error) {
	var t *time.Time
	err := p.Store.Pool().QueryRow(ctx, `SELECT greatest((SELECT max(last_synced_at) FROM issues), (SELECT max(last_synced_at) FROM comments))`).Scan(&t)
	if err != nil {
		return time.Time{}, fmt.Errorf("read data watermark: %w", err)
	}
	if t == nil {
		return time.Time{}, nil
	}
	return t.UTC(), nil
}

// ClassifyPending reports whether classify has work: data changed after
// the last classify started, the rules changed, or classify never ran on a
// store that has issues.
func (p *Pipeline) ClassifyPending(ctx context.Context) (bool, error) {
	changed, err := p.DataChangedAt(ctx)
	if err != nil {
		return false, err
	}
	st, err := p.getState(ctx, "classify")
	if err != nil {
		return false, err
	}
	if st == nil {
		return !changed.IsZero(), nil
	}
	if rules, _ := st.Detail["rules"].(string); rules != p.RulesHash {
		return true, nil
	}
	return changed.After(st.StartedAt), nil
}

// PagesPending reports whether pages and the trends report need writing,
// and why: never written, written elsewhere, the directory is gone, or data
// or classification changed after the last pages run started.
func (p *Pipeline) PagesPending(ctx context.Context) (bool, string, error) {
	st, err := p.getState(ctx, "pages")
	if err != nil {
		return false, "", err
	}
	if st == nil {
		return true, "never written", nil
	}
	if dir, _ := st.Detail["dir"].(string); dir != p.OutDir {
		return true, "output dir changed", nil
	}
	if !dirExists(p.OutDir) {
		return true, "output dir is missing", nil
	}
	changed, err := p.DataChangedAt(ctx)
	if err != nil {
		return false, "", err
	}
	if changed.After(st.StartedAt) {
		return true, "issues or comments changed", nil
	}
	cl, err := p.getState(ctx, "classify")
	if err != nil {
		return false, "", err
	}
	if cl != nil && cl.FinishedAt.After(st.StartedAt) {
		if ch, _ := cl.Detail["changed"].(bool); ch {
			return true, "clusters changed", nil
		}
	}
	return false, "", nil
}

// ClassifyLag is how long the oldest change not yet classified has been
// waiting (0 when nothing waits), and how many issues changed since the
// last classify started.
func (p *Pipeline) ClassifyLag(ctx context.Context) (time.Duration, int64, error) {
	st, err := p.getState(ctx, "classify")
	if err != nil {
		return 0, 0, err
	}
	since := time.Time{}
	if st != nil {
		since = st.StartedAt
	}
	var oldest *time.Time
	var n int64
	err = p.Store.Pool().QueryRow(ctx, `
		SELECT least((SELECT min(last_synced_at) FROM issues WHERE last_synced_at > $1),
		             (SELECT min(last_synced_at) FROM comments WHERE last_synced_at > $1)),
		       (SELECT count(*) FROM (SELECT 1 FROM issues WHERE last_synced_at > $1 LIMIT 100000) x)`, since).Scan(&oldest, &n)
	if err != nil {
		return 0, 0, fmt.Errorf("read classify lag: %w", err)
	}
	if oldest == nil {
		return 0, n, nil
	}
	return p.now().Sub(oldest.UTC()), n, nil
}

// UpdateClassifyLag refreshes the classify lag gauges.
func (p *Pipeline) UpdateClassifyLag(ctx context.Context) error {
	lag, n, err := p.ClassifyLag(ctx)
	if err != nil {
		return err
	}
	p.Metrics.setClassifyLag(lag)
	p.Metrics.setClassifyPending(n)
	return nil
}
