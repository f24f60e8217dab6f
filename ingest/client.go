package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v66/github"
)

// DefaultAPIURL is github.com's REST API.
const DefaultAPIURL = "https://api.github.com/"

// ClientOptions configure NewClient.
type ClientOptions struct {
	// APIURL is the REST API base. Empty means api.github.com. A URL with a
	// path (https://ghe.example/api/v3/, http://127.0.0.1:8080/gh/) is used
	// exactly as given; a bare host (https://ghe.example) gets GitHub
	// Enterprise Server's /api/v3/ appended, as go-github does.
	APIURL string
	// Token is sent as a bearer token; empty means unauthenticated.
	Token  string
	Limits Limits
	// Breaker, when set, is shared with the other clients of the run, so
	// that a dead API host stops every source's requests (see Breaker);
	// nil gives the client its own.
	Breaker *Breaker
	OnWait  Waiter
	// Transport is the underlying RoundTripper (default a clone of
	// http.DefaultTransport).
	Transport http.RoundTripper
	UserAgent string
}

// Client is errata's GitHub client: go-github v66 over a transport that
// owns rate limits, retries and authentication.
type Client struct {
	gh    *github.Client
	tr    *transport
	Count *Counters
	base  *url.URL
}

// ResolveAPIURL applies the APIURL rules of ClientOptions.
func ResolveAPIURL(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		raw = DefaultAPIURL
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("github api url %q: want an http(s) URL", raw)
	}
	u.User = nil
	if u.Path == "" || u.Path == "/" {
		host := u.Hostname()
		if host != "api.github.com" && !strings.HasPrefix(host, "api.") && !strings.Contains(host, ".api.") &&
			host != "127.0.0.1" && host != "localhost" && host != "::1" {
			u.Path = "/api/v3/"
		} else {
			u.Path = "/"
		}
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

// NewClient builds a client.
func NewClient(o ClientOptions) (*Client, error) {
	base, err := ResolveAPIURL(o.APIURL)
	if err != nil {
		return nil, err
	}
	rt := o.Transport
	if rt == nil {
		rt = http.DefaultTransport.(*http.Transport).Clone()
	}
	count := &Counters{}
	count.RateRemaining.Store(-1)
	lim := o.Limits.withDefaults()
	br := o.Breaker
	if br == nil {
		br = NewBreaker(lim.BreakerThreshold)
	} else if br.threshold <= 0 {
		br.mu.Lock()
		br.threshold = lim.BreakerThreshold
		br.mu.Unlock()
	}
	tr := &transport{base: rt, token: o.Token, lim: lim, onWait: o.OnWait,
		count: count, rates: map[string]rateState{}, sleepFn: sleepCtx, breaker: br, host: base.Host}
	hc := &http.Client{
		Transport: tr,
		// Redirects are followed by Client.get itself, so that a reconcile
		// can see a 301 and lists still work after a rename.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	gh := github.NewClient(hc)
	gh.BaseURL = base
	gh.UploadURL = base
	if o.UserAgent != "" {
		gh.UserAgent = o.UserAgent
	} else {
		gh.UserAgent = "errata (+https://github.com/errata-tool/errata)"
	}
	return &Client{gh: gh, tr: tr, Count: count, base: base}, nil
}

// Unreachable returns a *CircuitOpenError when the client's breaker has
// given up on the API host, else nil.
func (c *Client) Unreachable() error { return c.tr.breaker.openError(c.tr.host) }

// BaseURL is the resolved API base.
func (c *Client) BaseURL() *url.URL { u := *c.base; return &u }

// StatusError is a non-2xx answer that is not a rate limit.
type StatusError struct {
	Status   int
	URL      string
	Message  string
	Location string // for 301
}

func (e *StatusError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("GET %s: %d %s", e.URL, e.Status, msg)
}

// StatusOf returns the HTTP status of a *StatusError in err's chain, or 0.
func StatusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

// page is one answer.
type page struct {
	Status       int // 200 or 304
	URL          string
	ETag         string
	LastModified string
	Next         string // Link rel="next", absolute
	LastPage     int    // page number of Link rel="last", 0 when absent
	// capped is set on the last reachable page of a search whose
	// total_count is beyond the 1,000-result cap.
	capped bool
	total  int // search total_count
}

// get fetches rawURL (absolute, or relative to the API base) into v. A
// non-empty etag makes the request conditional; a 304 leaves v untouched.
// Redirects (301, 302, 307, 308) are followed up to three times unless
// noRedirect is set, in which case a 301 comes back as a *StatusError with
// its Location.
func (c *Client) get(ctx context.Context, rawURL, etag string, v any, noRedirect bool) (*page, error) {
	u := rawURL
	for hops := 0; ; hops++ {
		req, err := c.gh.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			return nil, fmt.Errorf("build request %s: %w", u, err)
		}
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := c.gh.Do(ctx, req, v)
		var er *github.ErrorResponse
		if err != nil && errors.As(err, &er) && er.Response != nil {
			code := er.Response.StatusCode
			switch {
			case code == http.StatusNotModified:
				return &page{Status: code, URL: req.URL.String(), ETag: etag}, nil
			case code == http.StatusMovedPermanently || code == http.StatusFound ||
				code == http.StatusTemporaryRedirect || code == http.StatusPermanentRedirect:
				loc := er.Response.Header.Get("Location")
				if noRedirect || loc == "" || hops >= 3 {
					return nil, &StatusError{Status: code, URL: req.URL.String(), Message: er.Message, Location: loc}
				}
				nu, perr := req.URL.Parse(loc)
				if perr != nil {
					return nil, &StatusError{Status: code, URL: req.URL.String(), Message: "bad Location", Location: loc}
				}
				u = nu.String()
				continue
			default:
				return nil, &StatusError{Status: code, URL: req.URL.String(), Message: er.Message}
			}
		}
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) && ue.Err != nil {
				err = ue.Err // keep the typed cause (WaitTooLongError, ErrStopped ...)
			}
			return nil, fmt.Errorf("GET %s: %w", redactURL(req.URL.String()), err)
		}
		p := &page{Status: resp.StatusCode, URL: req.URL.String(), ETag: resp.Header.Get("ETag"),
			LastModified: resp.Header.Get("Last-Modified")}
		p.Next, p.LastPage = parseLink(resp.Header.Get("Link"))
		return p, nil
	}
}

var linkRe = regexp.MustCompile(`<([^>]*)>\s*;\s*rel="?([a-z]+)"?`)

// parseLink returns the rel="next" URL and the page number of rel="last".
func parseLink(h string) (next string, last int) {
	for _, m := range linkRe.FindAllStringSubmatch(h, -1) {
		switch m[2] {
		case "next":
			next = m[1]
		case "last":
			if u, err := url.Parse(m[1]); err == nil {
				last, _ = strconv.Atoi(u.Query().Get("page"))
			}
		}
	}
	return next, last
}

// searchResult is the body of GET /search/issues.
type searchResult struct {
	TotalCount        int               `json:"total_count"`
	IncompleteResults bool              `json:"incomplete_results"`
	Items             []json.RawMessage `json:"items"`
}

// since formats a cursor for the since parameter.
func sinceParam(t time.Time) string { return t.UTC().Format(time.RFC3339) }
