package ingest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/errata-tool/errata/internal/backoff"
)

// Limits tune how the client waits and retries. Zero fields take the
// defaults documented on each field.
type Limits struct {
	// MaxWait is the longest single wait errata accepts for a rate limit
	// (primary reset, secondary Retry-After or backoff). A longer wait
	// stops the sync cleanly with everything saved so far (a
	// *WaitTooLongError). Default 15 minutes.
	MaxWait time.Duration
	// SecondaryBase is the first wait after a secondary limit answered
	// without Retry-After; it doubles on every further one. GitHub asks for
	// at least a minute, so the default is 60 s; tests set milliseconds.
	SecondaryBase time.Duration
	// SecondaryRetries bounds retries of one request on secondary limits.
	// Default 5.
	SecondaryRetries int
	// RetryBase is the first backoff for 5xx, timeouts and dropped
	// connections; it doubles each time, with full jitter. Default 1 s.
	RetryBase time.Duration
	// Retries bounds retries of one request on 5xx and network errors.
	// Default 5.
	Retries int
	// RequestTimeout bounds one attempt, body included. Default 60 s. An
	// answer that began but did not finish in time is a slow big page:
	// it is retried, then asked for in smaller pages.
	RequestTimeout time.Duration
	// NoAnswerTimeout bounds the wait for the first byte of an answer
	// (the response headers). A server that accepted the connection but
	// says nothing for this long counts as unreachable, like a refused
	// connection (see Breaker), and smaller pages are not tried. GitHub
	// answers within 10 s or fails with a 502 itself. Default half of
	// RequestTimeout (30 s).
	NoAnswerTimeout time.Duration
	// BreakerThreshold is how many connection failures in a row (refused,
	// DNS, TLS, no answer) open the circuit breaker of an API host, after
	// which no more requests are sent to it. Default 4.
	BreakerThreshold int
}

func (l Limits) withDefaults() Limits {
	if l.MaxWait == 0 {
		l.MaxWait = 15 * time.Minute
	}
	if l.SecondaryBase == 0 {
		l.SecondaryBase = 60 * time.Second
	}
	if l.SecondaryRetries == 0 {
		l.SecondaryRetries = 5
	}
	if l.RetryBase == 0 {
		l.RetryBase = time.Second
	}
	if l.Retries == 0 {
		l.Retries = 5
	}
	if l.RequestTimeout == 0 {
		l.RequestTimeout = 60 * time.Second
	}
	if l.NoAnswerTimeout == 0 || l.NoAnswerTimeout > l.RequestTimeout {
		l.NoAnswerTimeout = l.RequestTimeout / 2
	}
	if l.BreakerThreshold <= 0 {
		l.BreakerThreshold = 4
	}
	return l
}

// WaitTooLongError reports a rate-limit wait longer than Limits.MaxWait:
// the sync stops cleanly and the next run resumes.
type WaitTooLongError struct {
	Reason string // "primary rate limit", "secondary rate limit"
	Wait   time.Duration
	Until  time.Time
}

func (e *WaitTooLongError) Error() string {
	return fmt.Sprintf("%s: would wait %s (until %s), longer than --max-wait", e.Reason,
		e.Wait.Round(time.Second), e.Until.UTC().Format(time.RFC3339))
}

// ErrStopped is returned when a graceful stop (Ctrl-C, SIGTERM) interrupts
// a wait; the request was not sent.
var ErrStopped = errors.New("sync stopped")

// RetriesExhaustedError is returned after the bounded number of retries.
type RetriesExhaustedError struct {
	URL      string
	Attempts int
	Last     string
	// Connection is set when the last failure was a connection failure
	// (refused, DNS, TLS, no answer): smaller pages would not help.
	Connection bool
}

func (e *RetriesExhaustedError) Error() string {
	return fmt.Sprintf("giving up after %d attempts: %s", e.Attempts, e.Last)
}

// Counters are what the transport did, safe for concurrent reads.
type Counters struct {
	Requests      atomic.Int64 // requests sent (attempts)
	NotModified   atomic.Int64 // 304 answers
	Retries       atomic.Int64
	WaitedNanos   atomic.Int64
	RateRemaining atomic.Int64 // last X-RateLimit-Remaining seen (core), -1 unknown
	RateLimit     atomic.Int64
}

// Waiter is told about every wait, for progress display.
type Waiter func(reason string, d time.Duration)

type rateState struct {
	remaining int
	reset     time.Time
	known     bool
}

// transport is the RoundTripper under go-github: it authenticates, adds
// advanced_search=true to issue searches, and owns every rate-limit and
// retry decision, so go-github only ever sees a final answer. It reads each
// body fully inside the attempt, which makes a connection dropped mid-body
// retryable too.
type transport struct {
	base    http.RoundTripper
	breaker *Breaker
	host    string // the API host, the breaker's key
	token   string
	lim     Limits
	onWait  Waiter
	count   *Counters
	mu      sync.Mutex
	rates   map[string]rateState
	sleepFn func(ctx context.Context, d time.Duration) error
}

func resourceOf(path string) string {
	if strings.HasSuffix(path, "/search/issues") || strings.Contains(path, "/search/") {
		return "search"
	}
	return "core"
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	res := resourceOf(req.URL.Path)
	secondary, failures := 0, 0
	for {
		// Pre-emptive wait when the bucket is known to be empty.
		t.mu.Lock()
		st := t.rates[res]
		t.mu.Unlock()
		if st.known && st.remaining <= 0 && time.Now().Before(st.reset) {
			if err := t.wait(ctx, time.Until(st.reset)+time.Second, res+" primary rate limit", st.reset); err != nil {
				return nil, err
			}
			t.mu.Lock()
			t.rates[res] = rateState{}
			t.mu.Unlock()
		}
		if err := t.breaker.openError(t.host); err != nil {
			return nil, err
		}
		resp, body, err := t.attempt(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			conn := connectionFailure(err)
			if conn {
				if oerr := t.breaker.failure(t.host, err); oerr != nil {
					return nil, oerr
				}
			}
			if !retryableNetErr(err) || failures >= t.lim.Retries {
				if failures > 0 {
					return nil, &RetriesExhaustedError{URL: redactURL(req.URL.String()), Attempts: failures + 1, Last: err.Error(), Connection: conn}
				}
				return nil, err
			}
			failures++
			t.add(ctx, func(c *Counters) { c.Retries.Add(1) })
			if err := t.wait(ctx, t.backoff(failures), "network error", time.Time{}); err != nil {
				return nil, err
			}
			continue
		}
		t.breaker.success(t.host) // an answer, whatever it says
		t.observe(res, resp)
		switch code := resp.StatusCode; {
		case code == http.StatusNotModified:
			t.add(ctx, func(c *Counters) { c.NotModified.Add(1) })
			return pass(resp), nil
		case code == http.StatusForbidden || code == http.StatusTooManyRequests:
			kind, wait, until := classifyLimit(resp, body)
			if kind == "" {
				return pass(resp), nil // a plain 403: no access
			}
			if kind == "primary" && wait <= time.Second {
				// The reset is already past by our clock (skew, or a server
				// that keeps saying so): back off as for a secondary limit,
				// which is bounded, rather than spin.
				kind, wait = "secondary", 0
			}
			if kind == "primary" {
				// Waiting until reset is the documented answer; it is not
				// a retry of a failure, so it is not bounded by count.
				if err := t.wait(ctx, wait, res+" primary rate limit", until); err != nil {
					return nil, err
				}
				t.mu.Lock()
				t.rates[res] = rateState{}
				t.mu.Unlock()
				continue
			}
			if secondary >= t.lim.SecondaryRetries {
				return nil, &RetriesExhaustedError{URL: redactURL(req.URL.String()), Attempts: secondary + 1, Last: fmt.Sprintf("%d secondary rate limit", code)}
			}
			if wait == 0 {
				// SecondaryBase doubled each time, with up to 10% jitter
				// (a wait beyond MaxWait stops the sync, so no cap).
				wait = backoff.Policy{Base: t.lim.SecondaryBase, Max: 24 * time.Hour, Low: 1, High: 1.1}.Wait(secondary)
			}
			secondary++
			t.add(ctx, func(c *Counters) { c.Retries.Add(1) })
			if err := t.wait(ctx, wait, "secondary rate limit", time.Now().Add(wait)); err != nil {
				return nil, err
			}
			continue
		case code >= 500 && code <= 599:
			if failures >= t.lim.Retries {
				return nil, &RetriesExhaustedError{URL: redactURL(req.URL.String()), Attempts: failures + 1, Last: resp.Status}
			}
			failures++
			t.add(ctx, func(c *Counters) { c.Retries.Add(1) })
			wait := t.backoff(failures)
			if ra := retryAfter(resp); ra > 0 {
				wait = ra
			}
			if err := t.wait(ctx, wait, fmt.Sprintf("server error %d", code), time.Time{}); err != nil {
				return nil, err
			}
			continue
		default:
			return pass(resp), nil
		}
	}
}

// attempt sends one request and reads the whole body under the per-attempt
// timeout; an answer that does not begin within NoAnswerTimeout is a
// *NoAnswerError.
func (t *transport) attempt(orig *http.Request) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(orig.Context(), t.lim.RequestTimeout)
	defer cancel()
	hctx, hcancel := context.WithCancelCause(ctx)
	defer hcancel(nil)
	noAnswer := time.AfterFunc(t.lim.NoAnswerTimeout, func() { hcancel(errNoAnswer) })
	req := orig.Clone(hctx)
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	if resourceOf(req.URL.Path) == "search" {
		q := req.URL.Query()
		if q.Get("advanced_search") == "" {
			q.Set("advanced_search", "true")
			req.URL.RawQuery = q.Encode()
		}
	}
	t.add(orig.Context(), func(c *Counters) { c.Requests.Add(1) })
	resp, err := t.base.RoundTrip(req)
	noAnswer.Stop()
	if err != nil {
		if errors.Is(context.Cause(hctx), errNoAnswer) {
			return nil, nil, &NoAnswerError{After: t.lim.NoAnswerTimeout}
		}
		return nil, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("read body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Request = orig
	return resp, body, nil
}

// backoff is the wait before the n-th retry (from 1) of a 5xx or network
// error: RetryBase doubled each time, at most 5 minutes, with equal jitter
// (between half and all of it).
func (t *transport) backoff(n int) time.Duration {
	return backoff.Policy{Base: t.lim.RetryBase, Max: 5 * time.Minute, Low: 0.5, High: 1}.Wait(n - 1)
}

// wait sleeps d unless it is longer than MaxWait, the context ends or a
// graceful stop (WithStop) is requested.
func (t *transport) wait(ctx context.Context, d time.Duration, reason string, until time.Time) error {
	if d <= 0 {
		return nil
	}
	if d > t.lim.MaxWait {
		if until.IsZero() {
			until = time.Now().Add(d)
		}
		return &WaitTooLongError{Reason: reason, Wait: d, Until: until}
	}
	if t.onWait != nil {
		t.onWait(reason, d)
	}
	start := time.Now()
	err := t.sleepFn(ctx, d)
	t.add(ctx, func(c *Counters) { c.WaitedNanos.Add(int64(time.Since(start))) })
	return err
}

// sleepCtx sleeps d unless ctx ends (its error) or its stop is closed
// (ErrStopped).
func sleepCtx(ctx context.Context, d time.Duration) error {
	stop := StopOf(ctx)
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-stop:
		return ErrStopped
	}
}

func (t *transport) observe(res string, resp *http.Response) {
	rem := resp.Header.Get("X-RateLimit-Remaining")
	reset := resp.Header.Get("X-RateLimit-Reset")
	if rem == "" || reset == "" {
		return
	}
	n, err1 := strconv.Atoi(rem)
	r, err2 := strconv.ParseInt(reset, 10, 64)
	if err1 != nil || err2 != nil {
		return
	}
	if h := resp.Header.Get("X-RateLimit-Resource"); h != "" {
		res = h
	}
	t.mu.Lock()
	t.rates[res] = rateState{remaining: n, reset: time.Unix(r, 0), known: true}
	t.mu.Unlock()
	if res == "core" {
		t.count.RateRemaining.Store(int64(n))
		if l, err := strconv.Atoi(resp.Header.Get("X-RateLimit-Limit")); err == nil {
			t.count.RateLimit.Store(int64(l))
		}
	}
}

// pass hands an answer up to go-github. go-github refuses further calls on
// its own while it believes a limit is spent (and v66 cannot be told to
// wait instead, its bypass key being unexported); this transport does the
// waiting, so the reset of an exhausted bucket is hidden from go-github.
func pass(resp *http.Response) *http.Response {
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		resp.Header.Del("X-RateLimit-Reset")
	}
	return resp
}

// classifyLimit tells a rate-limit answer from a plain 403: kind is
// "primary", "secondary" or "" (not a limit). wait is how long to wait
// (0 = unknown, back off).
func classifyLimit(resp *http.Response, body []byte) (kind string, wait time.Duration, until time.Time) {
	if ra := retryAfter(resp); ra > 0 {
		return "secondary", ra, time.Now().Add(ra)
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if r, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			until = time.Unix(r, 0)
			return "primary", time.Until(until) + time.Second, until
		}
		return "secondary", 0, time.Time{}
	}
	lb := strings.ToLower(string(body))
	if resp.StatusCode == http.StatusTooManyRequests || strings.Contains(lb, "secondary rate limit") ||
		strings.Contains(lb, "abuse") || strings.Contains(lb, "rate limit") {
		return "secondary", 0, time.Time{}
	}
	return "", 0, time.Time{}
}

// retryAfter is the wait the answer asks for with Retry-After (0: none).
func retryAfter(resp *http.Response) time.Duration {
	return backoff.RetryAfter(resp.Header, time.Now())
}

func retryableNetErr(err error) bool {
	if errors.Is(err, errNoAnswer) {
		return true
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return false // a wrong host name does not heal
	}
	if badCertificate(err) {
		return false // nor does a certificate that does not verify
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true // timeouts and other transient network errors
	}
	s := err.Error()
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, context.DeadlineExceeded) ||
		strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe") ||
		strings.Contains(s, "EOF") || strings.Contains(s, "connection refused")
}

// redactURL drops the query's access_token / client_secret, if any.
func redactURL(u string) string {
	if i := strings.Index(u, "access_token="); i >= 0 {
		return u[:i] + "access_token=REDACTED"
	}
	return u
}

// errNoAnswer is the cause of an attempt cancelled for want of an answer.
var errNoAnswer = errors.New("no answer")

// NoAnswerError: the server accepted the connection but sent nothing
// within Limits.NoAnswerTimeout. It counts as a connection failure.
type NoAnswerError struct{ After time.Duration }

func (e *NoAnswerError) Error() string {
	return fmt.Sprintf("no answer within %s", e.After.Round(time.Second))
}

func (e *NoAnswerError) Unwrap() error { return errNoAnswer }

// connectionFailure reports whether err means the API host could not be
// reached or did not answer at all: the connection was refused or timed
// out, the name did not resolve, TLS failed, or nothing came back. These
// feed the circuit breaker and are never answered with smaller pages.
// A connection dropped after the server began to answer is not one.
func connectionFailure(err error) bool {
	if errors.Is(err, errNoAnswer) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect") {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) || badCertificate(err) {
		return true
	}
	return strings.Contains(err.Error(), "tls: ") // handshake failures
}

// badCertificate reports a certificate that does not verify.
func badCertificate(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

// Breaker is a circuit breaker per API host, shared by every client of a
// run (ClientOptions.Breaker) so that a dead endpoint costs a few attempts
// in all, not a few per source: after BreakerThreshold connection failures
// in a row (see connectionFailure) with no answer in between, it opens and
// every further request to that host fails at once with a
// *CircuitOpenError. It stays open for the rest of the run; the next run
// tries again.
type Breaker struct {
	threshold int
	mu        sync.Mutex
	hosts     map[string]*hostState
}

type hostState struct {
	fails int
	open  bool
	last  string
}

// NewBreaker returns a breaker that opens after threshold connection
// failures in a row (0: the default of Limits.BreakerThreshold).
func NewBreaker(threshold int) *Breaker {
	return &Breaker{threshold: threshold, hosts: map[string]*hostState{}}
}

// CircuitOpenError: the API host failed to connect too many times in a
// row, so errata sends it nothing more in this run.
type CircuitOpenError struct {
	Host     string
	Failures int
	Last     string
}

func (e *CircuitOpenError) Error() string {
	return fmt.Sprintf("GitHub API at %s unreachable: %d connection failures in a row (last: %s); nothing more is sent to it in this run", e.Host, e.Failures, e.Last)
}

func (b *Breaker) state(host string) *hostState {
	h := b.hosts[host]
	if h == nil {
		h = &hostState{}
		b.hosts[host] = h
	}
	return h
}

// OpenError returns a *CircuitOpenError when host's circuit is open, else
// nil.
func (b *Breaker) OpenError(host string) error { return b.openError(host) }

func (b *Breaker) openError(host string) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.state(host)
	if !h.open {
		return nil
	}
	return &CircuitOpenError{Host: host, Failures: h.fails, Last: h.last}
}

// failure records a connection failure; it returns the *CircuitOpenError
// when this one opens the circuit.
func (b *Breaker) failure(host string, err error) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.state(host)
	h.fails++
	h.last = err.Error()
	if h.fails >= b.threshold {
		h.open = true
	}
	if h.open {
		return &CircuitOpenError{Host: host, Failures: h.fails, Last: h.last}
	}
	return nil
}

// Reset closes the circuit of every host and forgets their failures: the
// next request tries again. A nil Breaker does nothing.
func (b *Breaker) Reset() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.hosts)
}

// success records an answer: the failures so far were not in a row.
func (b *Breaker) success(host string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if h := b.state(host); !h.open {
		h.fails = 0
	}
}
