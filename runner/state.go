package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/errata-tool/errata/store"
)

// stageState is one row of pipeline_state.
type stageState struct {
	StartedAt  time.Time
	FinishedAt time.Time
	Detail     map[string]any
}

func (p *Pipeline) getState(ctx context.Context, stage string) (*stageState, error) {
	row, err := p.Store.PipelineStateGet(ctx, stage)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	st := stageState{StartedAt: row.StartedAt, FinishedAt: row.FinishedAt}
	if err := json.Unmarshal(row.Detail, &st.Detail); err != nil {
		return nil, fmt.Errorf("read pipeline state %s: %w", stage, err)
	}
	return &st, nil
}

func (p *Pipeline) setState(ctx context.Context, stage string, started time.Time, detail map[string]any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	return p.Store.PipelineStateSet(ctx, store.PipelineState{Stage: stage, StartedAt: started, FinishedAt: time.Now().UTC(), Detail: b})
}

// watermark is the database time from which a stage that starts now is
// sure to see every committed change: the start of the oldest transaction
// still open in the database (last_synced_at is a transaction's now(), so a
// sync page committed after this moment can carry an earlier time), else
// now(). Taking it early costs at most one extra, cheap, classify.
func (p *Pipeline) watermark(ctx context.Context) (time.Time, error) {
	return p.Store.WatermarkGet(ctx)
}

// DataChangedAt is when issues or comments last changed in the store
// (their largest last_synced_at, which moves only on a real change), or the
// zero time for an empty store. Two index probes.
func (p *Pipeline) DataChangedAt(ctx context.Context) (time.Time, error) {
	return p.Store.ChangeLatestGet(ctx)
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
	ch, err := p.Store.ChangePendingGet(ctx, since)
	if err != nil {
		return 0, 0, err
	}
	if ch.Oldest.IsZero() {
		return 0, ch.Issues, nil
	}
	return p.now().Sub(ch.Oldest), ch.Issues, nil
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
