package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/store"
)

// IngestSyncer is the Syncer over package ingest: one client per sync,
// with the token the pipeline chose.
type IngestSyncer struct {
	Store  *store.Store
	APIURL string
	Limits ingest.Limits
	Logger *slog.Logger
	// Breaker, when set, is shared by the syncs of every source (one per
	// `errata run`), so that a dead API host fails the run's sources after
	// a few connection attempts in all; nil: one per source.
	Breaker *ingest.Breaker
}

// Sync syncs one source; "another sync holds it" becomes ErrSourceBusy.
func (s *IngestSyncer) Sync(ctx context.Context, src Source, token string, stop <-chan struct{}) (SyncResult, error) {
	res := SyncResult{RateRemaining: -1, RateLimit: -1}
	cl, err := ingest.NewClient(ingest.ClientOptions{APIURL: s.APIURL, Token: token, Limits: s.Limits, Stop: stop, Breaker: s.Breaker})
	if err != nil {
		return res, err
	}
	isrc := ingest.Source{Kind: src.Kind, Key: src.Key}
	if src.Repo != nil {
		isrc.Since = src.Repo.Since.Time
		isrc.IncludePullRequests = src.Repo.IncludePullRequests
	}
	if src.Search != nil {
		isrc.Since = src.Search.Since.Time
	}
	sums := ingest.NewSyncer(cl, s.Store, ingest.Options{Logger: s.Logger, Stop: stop}).Run(ctx, []ingest.Source{isrc})
	if len(sums) == 0 {
		return res, fmt.Errorf("sync %s: no result", src)
	}
	sum := sums[0]
	res.Requests, res.NotModified = sum.Requests, sum.NotModified
	res.IssuesNew, res.IssuesUpdated = sum.Issues.Inserted, sum.Issues.Updated
	res.CommentsNew, res.CommentsUpdated = sum.Comments.Inserted, sum.Comments.Updated
	res.RateRemaining, res.RateLimit = cl.Count.RateRemaining.Load(), cl.Count.RateLimit.Load()
	var open *ingest.CircuitOpenError
	switch {
	case errors.As(sum.Err, &open):
		return res, sum.Err
	case sum.Status == "skipped":
		return res, ErrSourceBusy
	case sum.Err != nil:
		return res, sum.Err
	case sum.Status != "ok":
		return res, fmt.Errorf("%s: %s", sum.Status, sum.Message)
	}
	return res, nil
}
