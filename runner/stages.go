package runner

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/internal/atomicfile"
	"github.com/errata-tool/errata/llm"
	"github.com/errata-tool/errata/reports/pages"
	"github.com/errata-tool/errata/reports/trends"
	"github.com/errata-tool/errata/store"
)

// ClassifyStage is the Classifier over package classify (incremental
// classify.Run with the configured rules).
type ClassifyStage struct {
	Store  *store.Store
	Rules  *classify.Rules // nil: the defaults
	Logger *slog.Logger
	// BatchSize is classify.RunOptions.BatchSize (0: its default).
	BatchSize int
}

// Classify runs an incremental classify. A stop channel put in ctx by
// WithStop ends it before its next batch (classify.ErrStopped); a spread
// function put in ctx by WithSpread hands its batches to other workers.
func (c *ClassifyStage) Classify(ctx context.Context) (ClassifyResult, error) {
	sum, err := classify.Run(ctx, c.Store, classify.RunOptions{Rules: c.Rules, Logger: c.Logger, Stop: StopFrom(ctx),
		Spread: SpreadFrom(ctx), BatchSize: c.BatchSize})
	if err != nil {
		return ClassifyResult{}, err
	}
	changed := sum.Classified > 0 || sum.NewClusters+sum.Touched+sum.Merged+sum.Split+sum.Dissolved > 0
	return ClassifyResult{
		Classified: sum.Classified,
		Changed:    changed,
		Summary: fmt.Sprintf("%d issues considered, %d classified, %d unchanged; %d new clusters, %d touched",
			sum.Considered, sum.Classified, sum.Unchanged, sum.NewClusters, sum.Touched),
	}, nil
}

// ExtractBatch extracts one batch of a recorded classify run with the
// stage's rules (an `errata worker`'s share of a spread classify).
func (c *ClassifyStage) ExtractBatch(ctx context.Context, runID int64, batch int) (bool, error) {
	return classify.ExtractBatch(ctx, c.Store, c.Rules, runID, batch, 0)
}

// BatchExtractor is a Classifier whose runs can be spread over workers.
type BatchExtractor interface {
	ExtractBatch(ctx context.Context, runID int64, batch int) (bool, error)
}

// SpreadFunc hands the batches of a classify run to other workers
// (classify.RunOptions.Spread).
type SpreadFunc = func(ctx context.Context, runID int64, batches []int) error

type spreadKey struct{}

// WithSpread returns ctx carrying the function a classify run gives its
// batches to (the worker's River queue).
func WithSpread(ctx context.Context, fn SpreadFunc) context.Context {
	return context.WithValue(ctx, spreadKey{}, fn)
}

// SpreadFrom returns the function WithSpread put in ctx, or nil.
func SpreadFrom(ctx context.Context) SpreadFunc {
	fn, _ := ctx.Value(spreadKey{}).(SpreadFunc)
	return fn
}

// TrendsFile is the name of the trends report `errata run` writes in the
// pages directory: JSON with every number (for dashboards and alerts), so
// it never collides with the trends page the pages generator writes.
const TrendsFile = "trends.json"

// PublishStage is the Publisher over packages reports/pages and
// reports/trends. A publish computes the trends once: Pages computes the
// report as of the newest evidence in the store (pages.TrendsReport) and
// hands it to the pages' trends page, and Trends writes that same report
// as JSON.
type PublishStage struct {
	Store   *store.Store
	Format  string // hugo | mkdocs | plain ("" = hugo)
	MinSize int
	Logger  *slog.Logger
	// Chart draws the weekly chart of a cluster page (nil: none).
	Chart func(title string, weeks []store.PageCount, asOf time.Time) []byte
	// LLM, when set, returns the language-model client of the current run
	// for the pages' prose (see pages.Options.LLM); nil or a nil client
	// means none.
	LLM func() *llm.Client

	mu     sync.Mutex
	report *trends.Report // computed by Pages, written by the next Trends
}

// Pages writes the pages into dir.
func (p *PublishStage) Pages(ctx context.Context, dir string) (string, error) {
	var model *llm.Client
	if p.LLM != nil {
		model = p.LLM()
	}
	rep, err := p.computeTrends(ctx)
	if err != nil {
		return "", err
	}
	p.mu.Lock()
	p.report = rep
	p.mu.Unlock()
	res, err := pages.Generate(ctx, p.Store, pages.Options{Out: dir, Format: pages.Format(p.Format), MinSize: p.MinSize,
		Chart: p.Chart, Logger: p.Logger, LLM: model, Trends: rep})
	if err != nil {
		return "", err
	}
	rendered := fmt.Sprintf("%d rendered", res.Rendered)
	if res.Full {
		rendered = "all rendered: " + res.FullReason
	}
	return fmt.Sprintf("%d pages (%s), %d indexes in %s: %d files written, %d unchanged, %d removed",
		res.Pages, rendered, res.Indexes, dir, res.Written, res.Unchanged, res.Removed), nil
}

// computeTrends computes the default trends report (28-day window against
// the three before it, by cluster) as of the newest evidence in the store.
func (p *PublishStage) computeTrends(ctx context.Context) (*trends.Report, error) {
	asOf, err := p.Store.PageAsOf(ctx)
	if err != nil {
		return nil, err
	}
	// The rollups first, on their own, so that the log tells the refresh
	// from the report (the report's own refresh then has nothing to do).
	t0 := time.Now()
	ref, err := p.Store.TrendRefresh(ctx)
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	rep, err := pages.TrendsReport(ctx, p.Store, asOf)
	if err != nil {
		return nil, err
	}
	if p.Logger != nil {
		p.Logger.Debug("trends report", "refresh", t1.Sub(t0).Round(time.Millisecond), "full", ref.Full,
			"clusters", ref.Clusters, "added", ref.Added, "report", time.Since(t1).Round(time.Millisecond))
	}
	return rep, nil
}

// Trends writes the default trends report (28-day window against the three
// before it, by cluster, as of the newest evidence in the store) as JSON
// into dir/TrendsFile, replacing it atomically. It is the report the
// preceding Pages computed for the trends page; without one (Pages failed
// before it), it computes it.
func (p *PublishStage) Trends(ctx context.Context, dir string) (string, error) {
	p.mu.Lock()
	rep := p.report
	p.report = nil
	p.mu.Unlock()
	if rep == nil {
		var err error
		if rep, err = p.computeTrends(ctx); err != nil {
			return "", err
		}
	}
	var buf bytes.Buffer
	if err := trends.Render(&buf, rep, "json"); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("trends report: %w", err)
	}
	path := filepath.Join(dir, TrendsFile)
	if err := atomicfile.Write(path, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("trends report: %w", err)
	}
	return fmt.Sprintf("%d groups in %s", len(rep.Rows), path), nil
}
