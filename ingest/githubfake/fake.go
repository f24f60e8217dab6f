// Package githubfake is an in-memory GitHub REST API for tests and
// benchmarks, served by net/http/httptest. It follows the documented
// behaviour of the endpoints errata's ingester uses:
//
//   - GET /repos/{o}/{r}/issues (state, sort, direction, since, per_page,
//     page) with pull requests mixed in (they carry a "pull_request" key),
//     and Link headers (first/prev/next/last) with absolute URLs;
//   - GET /repos/{o}/{r}/issues/comments (repository-wide; sort, direction,
//     since) and GET /repos/{o}/{r}/issues/{n}/comments (since);
//   - GET /repos/{o}/{r}/issues/{n}: 200, 301 for a transferred issue
//     (Location is the new API URL), 410 for a deleted one, 404 otherwise;
//   - GET /search/issues (q with repo:, is:issue, is:pr, updated: and free
//     words; sort=updated, order; total_count, incomplete_results, and the
//     1,000-result cap answered with 422);
//   - ETag on every 200 and 304 on a matching If-None-Match, which does not
//     count against the rate limit;
//   - X-RateLimit-Limit/Remaining/Used/Reset/Resource headers with separate
//     core and search buckets; an exhausted bucket answers 403 (or 429)
//     with X-RateLimit-Remaining: 0;
//   - injected faults: secondary limits (403 or 429, with or without
//     Retry-After), 5xx, dropped connections, slow responses and
//     incomplete search results.
//
// The fake keeps its own clock (Now/Advance) so tests control updated_at
// values; timestamps have GitHub's one-second resolution.
package githubfake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Issue is one issue or pull request held by the fake.
type Issue struct {
	ID          int64
	Number      int
	Title       string
	Body        string
	User        string
	State       string // open | closed
	StateReason string
	Labels      []string
	IsPR        bool
	Reactions   int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ClosedAt    *time.Time
	// Comments is the comment count (read-only; set by the fake).
	Comments int

	repo     *Repo
	comments int
	json     []byte // cached rendering, nil when stale
}

// Comment is one issue comment held by the fake.
type Comment struct {
	ID        int64
	Issue     int // issue number
	User      string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time

	repo *Repo
	json []byte
}

// Repo is one repository held by the fake.
type Repo struct {
	Owner, Name string
	ID          int64
	// Status, when non-zero, is answered to every request for the
	// repository (404 gone, 403 forbidden, 451 blocked).
	Status int

	issues   map[int]*Issue
	comments map[int64]*Comment
	// Sorted views, rebuilt lazily after a change.
	byUpdated  []*Issue
	cByUpdated []*Comment
	cByID      []*Comment
	dirty      bool
	// gone issues: number -> 301 target ("owner/name#n") or "" for 410.
	moved   map[int]string
	deleted map[int]bool
}

// FullName is "owner/name".
func (r *Repo) FullName() string { return r.Owner + "/" + r.Name }

// Fault is a scripted failure applied to the next Count requests whose
// path contains PathContains (all requests when empty).
type Fault struct {
	PathContains string
	Count        int
	// Status is the HTTP status to answer (403, 429, 500, 502, 503 ...).
	Status int
	// RetryAfter, when > 0, is sent as the Retry-After header (seconds).
	RetryAfter int
	// Secondary marks a 403/429 as a secondary rate limit (message and
	// documentation_url say so).
	Secondary bool
	// Primary answers as an exhausted primary limit (remaining 0) with a
	// reset ResetIn from now (real time).
	Primary bool
	ResetIn time.Duration
	// Drop closes the connection without an answer.
	Drop bool
	// Delay sleeps before answering (to provoke client timeouts).
	Delay time.Duration
	// Incomplete sets incomplete_results on a search answer.
	Incomplete bool
}

type bucket struct {
	limit, remaining int
	reset            time.Time
	window           time.Duration
}

// Stats counts what the fake answered.
type Stats struct {
	Requests    int // every request that reached a handler
	NotModified int
	Status      map[int]int
	Paths       []string // request URIs in order, when RecordPaths is on
	// ServeTime is the time spent in the fake's handler (rendering and
	// writing answers), so benchmarks can tell the client's own time.
	ServeTime time.Duration
}

// Server is the fake GitHub.
type Server struct {
	*httptest.Server
	// Prefix is the path the API lives under ("" or e.g. "/api/v3").
	Prefix string

	mu      sync.Mutex
	now     time.Time
	repos   map[string]*Repo
	nextID  int64
	faults  []*Fault
	core    bucket
	search  bucket
	stats   Stats
	record  bool
	status  int // status for an exhausted primary limit: 403 or 429
	onReq   func(r *http.Request)
	pageCap int
}

// Options configure New.
type Options struct {
	// Prefix serves the API under a path, like GHES's /api/v3.
	Prefix string
	// Start is the fake clock's initial time (default 2024-01-01T00:00:00Z).
	Start time.Time
	// CoreLimit and SearchLimit are the per-window request budgets
	// (default 5000 per hour and 30 per minute).
	CoreLimit, SearchLimit   int
	CoreWindow, SearchWindow time.Duration
	// PrimaryStatus is 403 (default) or 429 for an exhausted primary limit.
	PrimaryStatus int
	// SearchCap is how many results a search makes reachable (default
	// 1000, as on GitHub); tests lower it.
	SearchCap int
}

// New starts a fake GitHub; close it with Close.
func New(o Options) *Server {
	if o.Start.IsZero() {
		o.Start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if o.CoreLimit == 0 {
		o.CoreLimit = 5000
	}
	if o.SearchLimit == 0 {
		o.SearchLimit = 30
	}
	if o.CoreWindow == 0 {
		o.CoreWindow = time.Hour
	}
	if o.SearchWindow == 0 {
		o.SearchWindow = time.Minute
	}
	if o.SearchCap == 0 {
		o.SearchCap = 1000
	}
	if o.PrimaryStatus == 0 {
		o.PrimaryStatus = http.StatusForbidden
	}
	s := &Server{
		Prefix:  strings.TrimRight(o.Prefix, "/"),
		now:     o.Start.UTC().Truncate(time.Second),
		repos:   map[string]*Repo{},
		nextID:  1000,
		core:    bucket{limit: o.CoreLimit, remaining: o.CoreLimit, window: o.CoreWindow},
		search:  bucket{limit: o.SearchLimit, remaining: o.SearchLimit, window: o.SearchWindow},
		status:  o.PrimaryStatus,
		stats:   Stats{Status: map[int]int{}},
		pageCap: o.SearchCap,
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// APIURL is the base URL a client should use (with a trailing slash).
func (s *Server) APIURL() string { return s.URL + s.Prefix + "/" }

// Now returns the fake clock.
func (s *Server) Now() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.now }

// Advance moves the fake clock forward.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	s.now = s.now.Add(d).Truncate(time.Second)
	s.mu.Unlock()
}

// SetLimits resets the core and search budgets (remaining = limit) with a
// new window; the windows start now (real time).
func (s *Server) SetLimits(core, search int, coreWindow, searchWindow time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.core = bucket{limit: core, remaining: core, window: coreWindow}
	s.search = bucket{limit: search, remaining: search, window: searchWindow}
}

// Inject queues a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Count == 0 {
		f.Count = 1
	}
	s.faults = append(s.faults, &f)
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() { s.mu.Lock(); s.faults = nil; s.mu.Unlock() }

// OnRequest installs a hook called (without the fake's lock) for every
// request before it is answered; tests use it to cancel a client mid-run.
func (s *Server) OnRequest(fn func(r *http.Request)) { s.mu.Lock(); s.onReq = fn; s.mu.Unlock() }

// RecordPaths turns request-URI recording on or off.
func (s *Server) RecordPaths(on bool) { s.mu.Lock(); s.record = on; s.mu.Unlock() }

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.stats
	c.Status = map[int]int{}
	for k, v := range s.stats.Status {
		c.Status[k] = v
	}
	c.Paths = append([]string(nil), s.stats.Paths...)
	return c
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() {
	s.mu.Lock()
	s.stats = Stats{Status: map[int]int{}}
	s.mu.Unlock()
}

// AddRepo creates a repository "owner/name".
func (s *Server) AddRepo(fullName string) *Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addRepoLocked(fullName)
}

func (s *Server) addRepoLocked(fullName string) *Repo {
	if r, ok := s.repos[strings.ToLower(fullName)]; ok {
		return r
	}
	owner, name, _ := strings.Cut(fullName, "/")
	s.nextID++
	r := &Repo{Owner: owner, Name: name, ID: s.nextID, issues: map[int]*Issue{},
		comments: map[int64]*Comment{}, moved: map[int]string{}, deleted: map[int]bool{}}
	s.repos[strings.ToLower(fullName)] = r
	return r
}

// SetRepoStatus makes every request for the repository answer status
// (0 restores it).
func (s *Server) SetRepoStatus(fullName string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addRepoLocked(fullName).Status = status
}

// NewIssue describes an issue to add.
type NewIssue struct {
	Title, Body, User string
	IsPR              bool
	Closed            bool
	Labels            []string
	// At sets created_at/updated_at; zero means the fake clock.
	At time.Time
}

// AddIssue adds an issue (or PR) with the next number and returns it.
func (s *Server) AddIssue(repo string, n NewIssue) *Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.addRepoLocked(repo)
	at := n.At
	if at.IsZero() {
		at = s.now
	}
	at = at.UTC().Truncate(time.Second)
	s.nextID++
	num := len(r.issues) + len(r.moved) + len(r.deleted) + 1
	if n.User == "" {
		n.User = "octocat"
	}
	is := &Issue{ID: s.nextID, Number: num, Title: n.Title, Body: n.Body, User: n.User, State: "open",
		Labels: n.Labels, IsPR: n.IsPR, CreatedAt: at, UpdatedAt: at, repo: r}
	if n.Closed {
		is.State, is.StateReason = "closed", "completed"
		c := at
		is.ClosedAt = &c
	}
	r.issues[num] = is
	r.dirty = true
	return is
}

// UpdateIssue applies fn to issue n and bumps its updated_at to the clock.
func (s *Server) UpdateIssue(repo string, n int, fn func(*Issue)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(repo)]
	is := r.issues[n]
	if fn != nil {
		fn(is)
	}
	is.UpdatedAt = s.now
	is.json = nil
	r.dirty = true
}

// AddComment adds a comment to issue n (bumping the issue's updated_at and
// comment count, as GitHub does) and returns it. At zero means the clock.
func (s *Server) AddComment(repo string, n int, user, body string, at time.Time) *Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(repo)]
	if at.IsZero() {
		at = s.now
	}
	at = at.UTC().Truncate(time.Second)
	s.nextID++
	if user == "" {
		user = "hubot"
	}
	c := &Comment{ID: s.nextID, Issue: n, User: user, Body: body, CreatedAt: at, UpdatedAt: at, repo: r}
	r.comments[c.ID] = c
	is := r.issues[n]
	is.comments++
	if at.After(is.UpdatedAt) {
		is.UpdatedAt = at
	}
	is.json = nil
	r.dirty = true
	return c
}

// EditComment changes a comment's body and bumps its updated_at.
func (s *Server) EditComment(repo string, id int64, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(repo)]
	c := r.comments[id]
	c.Body, c.UpdatedAt, c.json = body, s.now, nil
	r.dirty = true
}

// DeleteComment removes a comment; lists never show deletions, only the
// issue's comment count changes (and GitHub does not bump updated_at).
func (s *Server) DeleteComment(repo string, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(repo)]
	c := r.comments[id]
	delete(r.comments, id)
	if is := r.issues[c.Issue]; is != nil {
		is.comments--
		is.json = nil
	}
	r.dirty = true
}

// DeleteIssue removes an issue: GET answers 410 from now on.
func (s *Server) DeleteIssue(repo string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(repo)]
	s.dropIssueLocked(r, n)
	r.deleted[n] = true
}

// TransferIssue moves issue n to repository to: GET on the old URL answers
// 301 to the new one. It returns the new number.
func (s *Server) TransferIssue(repo string, n int, to string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(repo)]
	is := r.issues[n]
	dst := s.addRepoLocked(to)
	cs := s.dropIssueLocked(r, n)
	num := len(dst.issues) + len(dst.moved) + len(dst.deleted) + 1
	is.Number, is.repo, is.UpdatedAt, is.json = num, dst, s.now, nil
	dst.issues[num] = is
	for _, c := range cs {
		c.Issue, c.repo, c.json = num, dst, nil
		dst.comments[c.ID] = c
	}
	dst.dirty = true
	r.moved[n] = fmt.Sprintf("%s#%d", dst.FullName(), num)
	return num
}

func (s *Server) dropIssueLocked(r *Repo, n int) []*Comment {
	delete(r.issues, n)
	var cs []*Comment
	for id, c := range r.comments {
		if c.Issue == n {
			cs = append(cs, c)
			delete(r.comments, id)
		}
	}
	r.dirty = true
	return cs
}

// Issue returns a copy of issue n (nil when absent).
func (s *Server) Issue(repo string, n int) *Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(repo)]
	if r == nil || r.issues[n] == nil {
		return nil
	}
	c := *r.issues[n]
	return &c
}

// Issues returns copies of a repository's issues (PRs included), by
// number.
func (s *Server) Issues(repo string) []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(repo)]
	if r == nil {
		return nil
	}
	out := make([]Issue, 0, len(r.issues))
	for _, is := range r.issues {
		c := *is
		c.json = nil
		c.Comments = is.comments
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

// Comments returns copies of a repository's comments, by id.
func (s *Server) Comments(repo string) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(repo)]
	if r == nil {
		return nil
	}
	out := make([]Comment, 0, len(r.comments))
	for _, c := range r.comments {
		cc := *c
		cc.json = nil
		out = append(out, cc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Counts returns how many issues (PRs included), PRs and comments a
// repository holds.
func (s *Server) Counts(repo string) (issues, prs, comments int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(repo)]
	if r == nil {
		return 0, 0, 0
	}
	for _, is := range r.issues {
		if is.IsPR {
			prs++
		} else {
			issues++
		}
	}
	return len(r.issues) - prs, prs, len(r.comments)
}

// ---------------------------------------------------------------------------
// HTTP

func (r *Repo) sortLocked() {
	if !r.dirty && r.byUpdated != nil {
		return
	}
	r.byUpdated = r.byUpdated[:0]
	for _, is := range r.issues {
		r.byUpdated = append(r.byUpdated, is)
	}
	sort.Slice(r.byUpdated, func(i, j int) bool {
		a, b := r.byUpdated[i], r.byUpdated[j]
		if !a.UpdatedAt.Equal(b.UpdatedAt) {
			return a.UpdatedAt.Before(b.UpdatedAt)
		}
		return a.ID < b.ID
	})
	r.cByUpdated = r.cByUpdated[:0]
	r.cByID = r.cByID[:0]
	for _, c := range r.comments {
		r.cByUpdated = append(r.cByUpdated, c)
		r.cByID = append(r.cByID, c)
	}
	sort.Slice(r.cByUpdated, func(i, j int) bool {
		a, b := r.cByUpdated[i], r.cByUpdated[j]
		if !a.UpdatedAt.Equal(b.UpdatedAt) {
			return a.UpdatedAt.Before(b.UpdatedAt)
		}
		return a.ID < b.ID
	})
	sort.Slice(r.cByID, func(i, j int) bool { return r.cByID[i].ID < r.cByID[j].ID })
	r.dirty = false
}

type apiError struct {
	Message          string `json:"message"`
	DocumentationURL string `json:"documentation_url"`
	Status           string `json:"status,omitempty"`
}

func (s *Server) writeError(w http.ResponseWriter, status int, msg, doc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if doc == "" {
		doc = "https://docs.github.com/rest"
	}
	_ = json.NewEncoder(w).Encode(apiError{Message: msg, DocumentationURL: doc, Status: strconv.Itoa(status)})
	s.stats.Status[status]++
}

func (s *Server) serve(w http.ResponseWriter, req *http.Request) {
	start := time.Now()
	defer func() {
		d := time.Since(start)
		s.mu.Lock()
		s.stats.ServeTime += d
		s.mu.Unlock()
	}()
	s.mu.Lock()
	hook := s.onReq
	s.mu.Unlock()
	if hook != nil {
		hook(req)
	}
	s.mu.Lock()
	s.stats.Requests++
	if s.record {
		s.stats.Paths = append(s.stats.Paths, req.URL.RequestURI())
	}
	// Faults first.
	if s.serveFault(w, req) {
		return
	}
	defer s.mu.Unlock()

	path := req.URL.Path
	if s.Prefix != "" {
		if !strings.HasPrefix(path, s.Prefix+"/") {
			s.writeError(w, http.StatusNotFound, "Not Found", "")
			return
		}
		path = strings.TrimPrefix(path, s.Prefix)
	}
	if req.Method != http.MethodGet {
		s.writeError(w, http.StatusMethodNotAllowed, "method not allowed", "")
		return
	}
	b := s.bucketFor(path)
	now := time.Now()
	if !b.reset.IsZero() && now.After(b.reset) {
		b.remaining, b.reset = b.limit, time.Time{}
	}
	if b.reset.IsZero() {
		b.reset = now.Add(b.window)
	}
	if b.remaining <= 0 {
		s.rateHeaders(w, b, path)
		s.writeError(w, s.status, "API rate limit exceeded for user ID 1.",
			"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting")
		return
	}
	if path == "/rate_limit" {
		s.rateHeaders(w, b, path)
		s.writeJSON(w, req, b, path, []byte(fmt.Sprintf(`{"resources":{"core":{"limit":%d,"remaining":%d,"reset":%d},"search":{"limit":%d,"remaining":%d,"reset":%d}}}`,
			s.core.limit, s.core.remaining, s.core.reset.Unix(), s.search.limit, s.search.remaining, s.search.reset.Unix())), nil, false)
		return
	}
	if path == "/search/issues" {
		s.serveSearch(w, req, b)
		return
	}
	s.serveRepo(w, req, b, path)
}

// serveRepo answers the /repos/{owner}/{repo}/issues... paths; it is
// called with s.mu held.
func (s *Server) serveRepo(w http.ResponseWriter, req *http.Request, b *bucket, path string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 4 || parts[0] != "repos" || parts[3] != "issues" {
		s.rateHeaders(w, b, path)
		s.writeError(w, http.StatusNotFound, "Not Found", "")
		return
	}
	r := s.repos[strings.ToLower(parts[1]+"/"+parts[2])]
	if r == nil || r.Status == http.StatusNotFound {
		b.remaining--
		s.rateHeaders(w, b, path)
		s.writeError(w, http.StatusNotFound, "Not Found", "")
		return
	}
	if r.Status != 0 {
		b.remaining--
		s.rateHeaders(w, b, path)
		msg := "Resource not accessible by integration"
		if r.Status == http.StatusUnavailableForLegalReasons {
			msg = "Repository access blocked"
		}
		s.writeError(w, r.Status, msg, "")
		return
	}
	r.sortLocked()
	q := req.URL.Query()
	switch {
	case len(parts) == 4:
		s.serveIssueList(w, req, b, r, q)
	case len(parts) == 5 && parts[4] == "comments":
		s.serveCommentList(w, req, b, r, q, 0)
	case len(parts) == 5:
		n, err := strconv.Atoi(parts[4])
		if err != nil {
			s.writeError(w, http.StatusNotFound, "Not Found", "")
			return
		}
		s.serveIssue(w, req, b, r, n)
	case len(parts) == 6 && parts[5] == "comments":
		n, err := strconv.Atoi(parts[4])
		if err != nil || r.issues[n] == nil {
			b.remaining--
			s.rateHeaders(w, b, path)
			s.writeError(w, http.StatusNotFound, "Not Found", "")
			return
		}
		s.serveCommentList(w, req, b, r, q, n)
	default:
		s.rateHeaders(w, b, path)
		s.writeError(w, http.StatusNotFound, "Not Found", "")
	}
}

// serveFault answers req with the first injected fault that applies to it.
// It is called with s.mu held; when it reports true the request has been
// answered and s.mu released. A delay fault waits (without the lock) and
// reports false, so the request is then served normally.
func (s *Server) serveFault(w http.ResponseWriter, req *http.Request) bool {
	for i, f := range s.faults {
		if f.PathContains != "" && !strings.Contains(req.URL.RequestURI(), f.PathContains) {
			continue
		}
		if f.Incomplete {
			continue // applied by the search handler
		}
		f.Count--
		if f.Count <= 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		if f.Delay > 0 {
			s.mu.Unlock()
			select {
			case <-time.After(f.Delay):
			case <-req.Context().Done():
			}
			s.mu.Lock()
			break
		}
		if f.Drop {
			s.stats.Status[0]++
			s.mu.Unlock()
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					if tc, ok := conn.(*net.TCPConn); ok {
						_ = tc.SetLinger(0) // RST: "connection reset by peer"
					}
					_ = conn.Close()
					return true
				}
			}
			panic(http.ErrAbortHandler)
		}
		b := s.bucketFor(req.URL.Path)
		s.rateHeaders(w, b, req.URL.Path)
		switch {
		case f.Primary:
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(f.ResetIn).Unix(), 10))
			s.writeError(w, f.Status, "API rate limit exceeded for user ID 1.",
				"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting")
		case f.Secondary:
			if f.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
			}
			s.writeError(w, f.Status, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
				"https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits")
		default:
			if f.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
			}
			s.writeError(w, f.Status, http.StatusText(f.Status), "")
		}
		s.mu.Unlock()
		return true
	}
	return false
}

func (s *Server) bucketFor(path string) *bucket {
	if strings.HasSuffix(path, "/search/issues") {
		return &s.search
	}
	return &s.core
}

func (s *Server) rateHeaders(w http.ResponseWriter, b *bucket, path string) {
	h := w.Header()
	res := "core"
	if b == &s.search {
		res = "search"
	}
	reset := b.reset
	if reset.IsZero() {
		reset = time.Now().Add(b.window)
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(b.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(b.remaining, 0)))
	h.Set("X-RateLimit-Used", strconv.Itoa(b.limit-max(b.remaining, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", res)
}

// writeJSON answers body with an ETag, or 304 when If-None-Match matches
// (a 304 does not count against the limit). link is the Link header.
func (s *Server) writeJSON(w http.ResponseWriter, req *http.Request, b *bucket, path string, body []byte, link []string, _ bool) {
	h := sha256.New()
	h.Write([]byte(req.Header.Get("Accept") + ":" + req.Header.Get("Authorization") + ":"))
	h.Write(body)
	etag := `W/"` + hex.EncodeToString(h.Sum(nil)[:16]) + `"`
	w.Header().Set("ETag", etag)
	if len(link) > 0 {
		w.Header().Set("Link", strings.Join(link, ", "))
	}
	if inm := req.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, etag) {
		s.rateHeaders(w, b, path)
		w.WriteHeader(http.StatusNotModified)
		s.stats.NotModified++
		s.stats.Status[http.StatusNotModified]++
		return
	}
	b.remaining--
	s.rateHeaders(w, b, path)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	s.stats.Status[http.StatusOK]++
}

func etagMatch(header, etag string) bool {
	weak := func(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), "W/") }
	for _, t := range strings.Split(header, ",") {
		if strings.TrimSpace(t) == "*" || weak(t) == weak(etag) {
			return true
		}
	}
	return false
}

func (s *Server) base(req *http.Request) string { return "http://" + req.Host + s.Prefix }

// paging returns page and per_page (default def, at most 100).
func paging(q url.Values, def int) (page, per int) {
	page, per = 1, def
	if v := q.Get("page"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 {
			p = 1
		}
		page = p
	}
	if v := q.Get("per_page"); v != "" {
		p, err := strconv.Atoi(v)
		if err == nil && p > 0 {
			per = min(p, 100)
		}
	}
	return page, per
}

func links(req *http.Request, page, per, total int) []string {
	last := (total + per - 1) / per
	if last < 1 {
		last = 1
	}
	build := func(p int, rel string) string {
		q := req.URL.Query()
		q.Set("page", strconv.Itoa(p))
		return fmt.Sprintf(`<http://%s%s?%s>; rel="%s"`, req.Host, req.URL.Path, q.Encode(), rel)
	}
	var out []string
	if page > 1 {
		out = append(out, build(page-1, "prev"))
	}
	if page < last {
		out = append(out, build(page+1, "next"), build(last, "last"))
	}
	if page > 1 {
		out = append(out, build(1, "first"))
	}
	return out
}

func windowIssues(sorted []*Issue, since time.Time) []*Issue {
	i := sort.Search(len(sorted), func(i int) bool { return !sorted[i].UpdatedAt.Before(since) })
	return sorted[i:]
}

func windowComments(sorted []*Comment, since time.Time) []*Comment {
	i := sort.Search(len(sorted), func(i int) bool { return !sorted[i].UpdatedAt.Before(since) })
	return sorted[i:]
}

// pageBounds returns the index range [lo, hi) of a page over n items
// sorted ascending, walked backwards (lo > hi, exclusive) when desc.
func pageBounds(n, page, per int, desc bool) (lo, hi int) {
	a := min((page-1)*per, n)
	z := min(a+per, n)
	if !desc {
		return a, z
	}
	return n - 1 - a, n - 1 - z
}

// writePage answers with the requested page (page and per_page of q) of
// list as a JSON array, read from the end when desc, with Link headers.
func writePage[T any](s *Server, w http.ResponseWriter, req *http.Request, b *bucket, q url.Values, list []T, desc bool, enc func(*http.Request, T) []byte) {
	page, per := paging(q, 30)
	lo, hi := pageBounds(len(list), page, per, desc)
	buf := []byte{'['}
	for i := lo; i != hi; i = step(i, desc) {
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		buf = append(buf, enc(req, list[i])...)
	}
	buf = append(buf, ']')
	s.writeJSON(w, req, b, req.URL.Path, buf, links(req, page, per, len(list)), false)
}

func step(i int, desc bool) int {
	if desc {
		return i - 1
	}
	return i + 1
}

func parseSince(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func (s *Server) serveIssueList(w http.ResponseWriter, req *http.Request, b *bucket, r *Repo, q url.Values) {
	since, ok := parseSince(q.Get("since"))
	if !ok {
		b.remaining--
		s.rateHeaders(w, b, req.URL.Path)
		s.writeError(w, http.StatusUnprocessableEntity, "Validation Failed: since", "")
		return
	}
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	sortBy := q.Get("sort")
	if sortBy == "" {
		sortBy = "created"
	}
	desc := q.Get("direction") != "asc"
	var list []*Issue
	if sortBy == "updated" && state == "all" {
		// Fast path (what a sync asks for): a window of the sorted index.
		list = windowIssues(r.byUpdated, since)
		writePage(s, w, req, b, q, list, desc, s.issueJSON)
		return
	}
	for _, is := range r.byUpdated {
		if !since.IsZero() && is.UpdatedAt.Before(since) {
			continue
		}
		if state != "all" && is.State != state {
			continue
		}
		list = append(list, is)
	}
	switch sortBy {
	case "created":
		sort.Slice(list, func(i, j int) bool {
			if !list[i].CreatedAt.Equal(list[j].CreatedAt) {
				return list[i].CreatedAt.Before(list[j].CreatedAt)
			}
			return list[i].ID < list[j].ID
		})
	case "comments":
		sort.SliceStable(list, func(i, j int) bool { return list[i].comments < list[j].comments })
	}
	if desc {
		for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
			list[i], list[j] = list[j], list[i]
		}
	}
	writePage(s, w, req, b, q, list, false, s.issueJSON) // list is in answer order
}

func (s *Server) serveCommentList(w http.ResponseWriter, req *http.Request, b *bucket, r *Repo, q url.Values, issue int) {
	since, ok := parseSince(q.Get("since"))
	if !ok {
		b.remaining--
		s.rateHeaders(w, b, req.URL.Path)
		s.writeError(w, http.StatusUnprocessableEntity, "Validation Failed: since", "")
		return
	}
	src := r.cByID
	desc := false
	if issue == 0 && q.Get("sort") == "updated" {
		src = r.cByUpdated
	}
	if issue == 0 && q.Get("sort") != "" {
		desc = q.Get("direction") == "desc"
	}
	var list []*Comment
	if issue == 0 && q.Get("sort") == "updated" {
		list = windowComments(r.cByUpdated, since)
		writePage(s, w, req, b, q, list, desc, s.commentJSON)
		return
	}
	for _, c := range src {
		if issue != 0 && c.Issue != issue {
			continue
		}
		if !since.IsZero() && c.UpdatedAt.Before(since) {
			continue
		}
		list = append(list, c)
	}
	if q.Get("sort") == "created" && issue == 0 {
		sort.SliceStable(list, func(i, j int) bool { return list[i].CreatedAt.Before(list[j].CreatedAt) })
	}
	if desc {
		for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
			list[i], list[j] = list[j], list[i]
		}
	}
	writePage(s, w, req, b, q, list, false, s.commentJSON) // list is in answer order
}

func (s *Server) serveIssue(w http.ResponseWriter, req *http.Request, b *bucket, r *Repo, n int) {
	if to, ok := r.moved[n]; ok {
		b.remaining--
		s.rateHeaders(w, b, req.URL.Path)
		repo, num, _ := strings.Cut(to, "#")
		w.Header().Set("Location", fmt.Sprintf("%s/repos/%s/issues/%s", s.base(req), repo, num))
		s.writeError(w, http.StatusMovedPermanently, "Moved Permanently", "")
		return
	}
	if r.deleted[n] {
		b.remaining--
		s.rateHeaders(w, b, req.URL.Path)
		s.writeError(w, http.StatusGone, "This issue was deleted", "")
		return
	}
	is := r.issues[n]
	if is == nil {
		b.remaining--
		s.rateHeaders(w, b, req.URL.Path)
		s.writeError(w, http.StatusNotFound, "Not Found", "")
		return
	}
	s.writeJSON(w, req, b, req.URL.Path, s.issueJSON(req, is), nil, false)
}

// ---------------------------------------------------------------------------
// Search

type searchQuery struct {
	repos   []string
	kind    string // "", "issue", "pr"
	from    time.Time
	fromInc bool
	to      time.Time
	toInc   bool
	words   []string
}

func parseTimeQ(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad date %q", v)
}

func parseSearch(q string) (searchQuery, error) {
	var sq searchQuery
	for _, tok := range strings.Fields(q) {
		k, v, hasColon := strings.Cut(tok, ":")
		if !hasColon {
			if w := strings.ToLower(strings.Trim(tok, `",.;`)); w != "" {
				sq.words = append(sq.words, w) // punctuation does not take part in matching
			}
			continue
		}
		switch strings.ToLower(k) {
		case "repo":
			sq.repos = append(sq.repos, strings.ToLower(v))
		case "is", "type":
			switch v {
			case "issue":
				sq.kind = "issue"
			case "pr", "pull-request":
				sq.kind = "pr"
			}
		case "updated":
			var err error
			switch {
			case strings.Contains(v, ".."):
				a, c, _ := strings.Cut(v, "..")
				if a != "*" {
					if sq.from, err = parseTimeQ(a); err != nil {
						return sq, err
					}
					sq.fromInc = true
				}
				if c != "*" {
					if sq.to, err = parseTimeQ(c); err != nil {
						return sq, err
					}
					sq.toInc = true
				}
			case strings.HasPrefix(v, ">="):
				sq.from, err = parseTimeQ(v[2:])
				sq.fromInc = true
			case strings.HasPrefix(v, ">"):
				sq.from, err = parseTimeQ(v[1:])
			case strings.HasPrefix(v, "<="):
				sq.to, err = parseTimeQ(v[2:])
				sq.toInc = true
			case strings.HasPrefix(v, "<"):
				sq.to, err = parseTimeQ(v[1:])
			default:
				sq.from, err = parseTimeQ(v)
				sq.fromInc = true
				sq.to = sq.from.Add(24 * time.Hour)
			}
			if err != nil {
				return sq, err
			}
		default:
			sq.words = append(sq.words, strings.ToLower(tok))
		}
	}
	return sq, nil
}

func (sq searchQuery) match(is *Issue) bool {
	if len(sq.repos) > 0 {
		ok := false
		for _, r := range sq.repos {
			if r == strings.ToLower(is.repo.FullName()) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if sq.kind == "issue" && is.IsPR || sq.kind == "pr" && !is.IsPR {
		return false
	}
	u := is.UpdatedAt
	if !sq.from.IsZero() && (u.Before(sq.from) || !sq.fromInc && u.Equal(sq.from)) {
		return false
	}
	if !sq.to.IsZero() && (u.After(sq.to) || !sq.toInc && u.Equal(sq.to)) {
		return false
	}
	if len(sq.words) > 0 {
		text := strings.ToLower(is.Title + "\n" + is.Body)
		for _, w := range sq.words {
			if !strings.Contains(text, w) {
				return false
			}
		}
	}
	return true
}

func (s *Server) serveSearch(w http.ResponseWriter, req *http.Request, b *bucket) {
	q := req.URL.Query()
	sq, err := parseSearch(q.Get("q"))
	if err != nil || q.Get("q") == "" {
		b.remaining--
		s.rateHeaders(w, b, req.URL.Path)
		s.writeError(w, http.StatusUnprocessableEntity, "Validation Failed", "")
		return
	}
	incomplete := false
	for i, f := range s.faults {
		if f.Incomplete && (f.PathContains == "" || strings.Contains(req.URL.RequestURI(), f.PathContains)) {
			incomplete = true
			f.Count--
			if f.Count <= 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
			break
		}
	}
	var list []*Issue
	for _, r := range s.repos {
		if r.Status != 0 {
			continue
		}
		r.sortLocked()
		for _, is := range r.byUpdated {
			if sq.match(is) {
				list = append(list, is)
			}
		}
	}
	desc := q.Get("order") != "asc"
	sort.Slice(list, func(i, j int) bool {
		a, c := list[i], list[j]
		if q.Get("sort") == "updated" && !a.UpdatedAt.Equal(c.UpdatedAt) {
			return a.UpdatedAt.Before(c.UpdatedAt) != desc
		}
		if q.Get("sort") == "created" && !a.CreatedAt.Equal(c.CreatedAt) {
			return a.CreatedAt.Before(c.CreatedAt) != desc
		}
		return a.ID < c.ID != desc
	})
	page, per := paging(q, 30)
	if page*per > s.pageCap+per-1 || (page-1)*per >= s.pageCap {
		b.remaining--
		s.rateHeaders(w, b, req.URL.Path)
		s.writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("Only the first %d search results are available", s.pageCap), "")
		return
	}
	visible := min(len(list), s.pageCap)
	lo := min((page-1)*per, visible)
	hi := min(lo+per, visible)
	buf := []byte(fmt.Sprintf(`{"total_count":%d,"incomplete_results":%t,"items":[`, len(list), incomplete))
	for i, is := range list[lo:hi] {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, s.issueJSON(req, is)...)
	}
	buf = append(buf, "]}"...)
	s.writeJSON(w, req, b, req.URL.Path, buf, links(req, page, per, visible), false)
}

// ---------------------------------------------------------------------------
// Rendering

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

type userJSON struct {
	Login string `json:"login"`
	ID    int64  `json:"id"`
	Type  string `json:"type"`
}

type labelJSON struct {
	Name string `json:"name"`
}

type reactionsJSON struct {
	URL        string `json:"url"`
	TotalCount int    `json:"total_count"`
	PlusOne    int    `json:"+1"`
	MinusOne   int    `json:"-1"`
	Laugh      int    `json:"laugh"`
	Hooray     int    `json:"hooray"`
	Confused   int    `json:"confused"`
	Heart      int    `json:"heart"`
	Rocket     int    `json:"rocket"`
	Eyes       int    `json:"eyes"`
}

type prLinks struct {
	URL      string `json:"url"`
	HTMLURL  string `json:"html_url"`
	DiffURL  string `json:"diff_url"`
	PatchURL string `json:"patch_url"`
}

type issueJSON struct {
	URL               string        `json:"url"`
	RepositoryURL     string        `json:"repository_url"`
	CommentsURL       string        `json:"comments_url"`
	HTMLURL           string        `json:"html_url"`
	ID                int64         `json:"id"`
	NodeID            string        `json:"node_id"`
	Number            int           `json:"number"`
	Title             string        `json:"title"`
	User              userJSON      `json:"user"`
	Labels            []labelJSON   `json:"labels"`
	State             string        `json:"state"`
	Locked            bool          `json:"locked"`
	Comments          int           `json:"comments"`
	CreatedAt         string        `json:"created_at"`
	UpdatedAt         string        `json:"updated_at"`
	ClosedAt          *string       `json:"closed_at"`
	AuthorAssociation string        `json:"author_association"`
	Body              string        `json:"body"`
	Reactions         reactionsJSON `json:"reactions"`
	StateReason       *string       `json:"state_reason"`
	PullRequest       *prLinks      `json:"pull_request,omitempty"`
}

func (s *Server) issueJSON(req *http.Request, is *Issue) []byte {
	if is.json != nil {
		return is.json
	}
	api := s.base(req)
	full := is.repo.FullName()
	web := "https://github.example/" + full
	kind := "issues"
	if is.IsPR {
		kind = "pull"
	}
	j := issueJSON{
		URL:               fmt.Sprintf("%s/repos/%s/issues/%d", api, full, is.Number),
		RepositoryURL:     fmt.Sprintf("%s/repos/%s", api, full),
		CommentsURL:       fmt.Sprintf("%s/repos/%s/issues/%d/comments", api, full, is.Number),
		HTMLURL:           fmt.Sprintf("%s/%s/%d", web, kind, is.Number),
		ID:                is.ID,
		NodeID:            fmt.Sprintf("I_%d", is.ID),
		Number:            is.Number,
		Title:             is.Title,
		User:              userJSON{Login: is.User, ID: int64(len(is.User)), Type: "User"},
		Labels:            []labelJSON{},
		State:             is.State,
		Comments:          is.comments,
		CreatedAt:         ts(is.CreatedAt),
		UpdatedAt:         ts(is.UpdatedAt),
		AuthorAssociation: "NONE",
		Body:              is.Body,
		Reactions:         reactionsJSON{URL: fmt.Sprintf("%s/repos/%s/issues/%d/reactions", api, full, is.Number), TotalCount: is.Reactions, PlusOne: is.Reactions},
	}
	for _, l := range is.Labels {
		j.Labels = append(j.Labels, labelJSON{Name: l})
	}
	if is.ClosedAt != nil {
		c := ts(*is.ClosedAt)
		j.ClosedAt = &c
	}
	if is.StateReason != "" {
		r := is.StateReason
		j.StateReason = &r
	}
	if is.IsPR {
		j.PullRequest = &prLinks{URL: fmt.Sprintf("%s/repos/%s/pulls/%d", api, full, is.Number),
			HTMLURL: fmt.Sprintf("%s/pull/%d", web, is.Number)}
	}
	b, _ := json.Marshal(j)
	is.json = b
	return b
}

type commentJSON struct {
	URL               string        `json:"url"`
	HTMLURL           string        `json:"html_url"`
	IssueURL          string        `json:"issue_url"`
	ID                int64         `json:"id"`
	NodeID            string        `json:"node_id"`
	User              userJSON      `json:"user"`
	CreatedAt         string        `json:"created_at"`
	UpdatedAt         string        `json:"updated_at"`
	AuthorAssociation string        `json:"author_association"`
	Body              string        `json:"body"`
	Reactions         reactionsJSON `json:"reactions"`
}

func (s *Server) commentJSON(req *http.Request, c *Comment) []byte {
	if c.json != nil {
		return c.json
	}
	api := s.base(req)
	full := c.repo.FullName()
	kind := "issues"
	if is := c.repo.issues[c.Issue]; is != nil && is.IsPR {
		kind = "pull"
	}
	j := commentJSON{
		URL:               fmt.Sprintf("%s/repos/%s/issues/comments/%d", api, full, c.ID),
		HTMLURL:           fmt.Sprintf("https://github.example/%s/%s/%d#issuecomment-%d", full, kind, c.Issue, c.ID),
		IssueURL:          fmt.Sprintf("%s/repos/%s/issues/%d", api, full, c.Issue),
		ID:                c.ID,
		NodeID:            fmt.Sprintf("IC_%d", c.ID),
		User:              userJSON{Login: c.User, ID: int64(len(c.User)), Type: "User"},
		CreatedAt:         ts(c.CreatedAt),
		UpdatedAt:         ts(c.UpdatedAt),
		AuthorAssociation: "CONTRIBUTOR",
		Body:              c.Body,
		Reactions:         reactionsJSON{URL: fmt.Sprintf("%s/repos/%s/issues/comments/%d/reactions", api, full, c.ID)},
	}
	b, _ := json.Marshal(j)
	c.json = b
	return b
}
