package ingest

import (
	"context"
	"errors"
)

// SourceKind is what a source names: a repository or a search query.
type SourceKind string

// The kinds of source. The values are stored in sync_sources.kind and
// shown by `errata status`.
const (
	KindRepo   SourceKind = "repo"   // Key is "owner/name"
	KindSearch SourceKind = "search" // Key is a GitHub issue search query
)

// Status is how one source's sync ended. The values are stored in
// sync_runs.status and printed by `errata sync`.
type Status string

// The outcomes of a source's sync.
const (
	StatusOK Status = "ok"
	// StatusPartial: stopped early with everything so far committed; the
	// next run resumes (a rate-limit wait beyond MaxWait, or a search
	// window GitHub answered incompletely). Summary.Err says which.
	StatusPartial Status = "partial"
	StatusFailed  Status = "failed"
	// StatusInterrupted: a stop (WithStop) or a cancelled context ended
	// the sync after the page in hand.
	StatusInterrupted Status = "interrupted"
	// StatusSkipped: nothing was synced. Summary.Err says why:
	// ErrSourceBusy, ErrStopped (the run was stopped before the source
	// began), a *CircuitOpenError (the API host is down), or the caller's
	// own reason (every token rate limited).
	StatusSkipped Status = "skipped"
)

// ErrSourceBusy: another errata process holds the source's sync lock
// right now; there is nothing to do.
var ErrSourceBusy = errors.New("another errata sync is syncing this source")

type stopKey struct{}

// WithStop returns ctx carrying stop. When stop is closed (the first
// SIGINT or SIGTERM), a sync under ctx ends after the page in hand with
// that page committed (ErrStopped), and a rate-limit or backoff wait ends at
// once without sending its request. Cancelling ctx itself (the second
// signal) abandons the request in hand. The stop travels in the context so
// that one long-lived client per token can serve runs with different stops.
func WithStop(ctx context.Context, stop <-chan struct{}) context.Context {
	if stop == nil {
		return ctx
	}
	return context.WithValue(ctx, stopKey{}, stop)
}

// StopOf returns the stop channel WithStop put in ctx, or nil.
func StopOf(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(stopKey{}).(<-chan struct{})
	return ch
}

// Stopped reports whether the stop carried by ctx has been closed.
func Stopped(ctx context.Context) bool {
	ch := StopOf(ctx)
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

type countersKey struct{}

// withCounters returns ctx under which the transport also counts into c:
// one source's share of a client that several syncs use at once.
func withCounters(ctx context.Context, c *Counters) context.Context {
	return context.WithValue(ctx, countersKey{}, c)
}

// add applies f to the client's counters and to those of the sync in
// hand, if any.
func (t *transport) add(ctx context.Context, f func(*Counters)) {
	f(t.count)
	if c, ok := ctx.Value(countersKey{}).(*Counters); ok && c != nil {
		f(c)
	}
}
