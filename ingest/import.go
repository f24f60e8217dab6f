package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/errata-tool/errata/config"
	"github.com/errata-tool/errata/store"
)

// ImportBatchSize is how many issues one import transaction writes.
const ImportBatchSize = 1000

// ImportSummary says what an import did.
type ImportSummary struct {
	Records      int
	Issues       store.UpsertResult
	PullRequests store.UpsertResult
	Comments     store.UpsertResult
	Bad          []RecordError
}

// RecordError is a record that could not be imported: where it is and why.
type RecordError struct {
	Source string // file name, or "-" for standard input
	Line   int    // line the record starts on
	Record string // "owner/name#N" when known
	Field  string
	Err    error
}

func (e RecordError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d", e.Source, e.Line)
	if e.Record != "" {
		fmt.Fprintf(&b, ": %s", e.Record)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %s", e.Field)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Import reads GitHub REST issue JSON from r and stores it. It accepts what
// `gh api --paginate` writes (one or more JSON arrays of issues, or one
// issue object per line) and the corpus extension (a "repository" field
// naming "owner/name", and "comments" as an array of comment objects rather
// than a count). The input is streamed: at most ImportBatchSize issues are
// held at once. Bad records are reported in the summary with source, line
// and field, and skipped; the rest are imported. Importing the same input
// twice changes nothing.
func Import(ctx context.Context, s *store.Store, r io.Reader, source string) (ImportSummary, error) {
	var sum ImportSummary
	type batch struct {
		issues   []store.Issue
		comments []store.Comment
	}
	// Parsing and writing overlap: this goroutine parses the next batch
	// while the writer below stores the previous one.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batch, 1)
	var readErr error
	go func() {
		defer close(batches)
		dec := newRecordReader(r)
		var cur batch
		send := func() bool {
			if len(cur.issues) == 0 {
				return true
			}
			select {
			case batches <- cur:
				cur = batch{}
				return true
			case <-ctx.Done():
				return false
			}
		}
		for {
			raw, line, err := dec.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var se *syntaxError
				if errors.As(err, &se) {
					sum.Bad = append(sum.Bad, RecordError{Source: source, Line: se.line, Err: se.err})
					if se.fatal {
						break
					}
					continue
				}
				readErr = fmt.Errorf("read %s: %w", source, err)
				return
			}
			sum.Records++
			is, cs, rerr := parseRecord(raw)
			if rerr != nil {
				rerr.Source, rerr.Line = source, line
				sum.Bad = append(sum.Bad, *rerr)
				continue
			}
			cur.issues = append(cur.issues, is)
			cur.comments = append(cur.comments, cs...)
			if len(cur.issues) >= ImportBatchSize && !send() {
				return
			}
		}
		send()
	}()

	var writeErr error
	var issues, prs []store.Issue
	for b := range batches {
		if writeErr != nil {
			continue // drain so the reader can finish
		}
		issues, prs = issues[:0], prs[:0]
		for _, is := range b.issues {
			if is.IsPullRequest {
				prs = append(prs, is)
			} else {
				issues = append(issues, is)
			}
		}
		writeErr = s.InTx(ctx, func(tx store.Tx) error {
			res, err := s.IssueUpsertMany(ctx, tx, issues)
			if err != nil {
				return err
			}
			resPR, err := s.IssueUpsertMany(ctx, tx, prs)
			if err != nil {
				return err
			}
			resC, err := s.CommentUpsertMany(ctx, tx, b.comments)
			if err != nil {
				return err
			}
			sum.Issues.Add(res)
			sum.PullRequests.Add(resPR)
			sum.Comments.Add(resC)
			return nil
		})
		if writeErr != nil {
			writeErr = fmt.Errorf("import %s: %w", source, writeErr)
			cancel()
		}
	}
	// The reader goroutine has finished (batches is closed): sum.Bad and
	// sum.Records are safe to read.
	if writeErr != nil {
		return sum, writeErr
	}
	if readErr != nil {
		return sum, readErr
	}
	return sum, ctx.Err()
}

// ghRecord is the subset of GitHub's issue object errata reads. Fields
// whose JSON type varies between GitHub's API and the corpus format are
// kept raw and decoded by hand.
type ghRecord struct {
	ID                *int64          `json:"id"`
	NodeID            *string         `json:"node_id"`
	Number            *int            `json:"number"`
	Title             *string         `json:"title"`
	Body              *string         `json:"body"`
	State             *string         `json:"state"`
	StateReason       *string         `json:"state_reason"`
	User              *ghUser         `json:"user"`
	AuthorAssociation *string         `json:"author_association"`
	Labels            json.RawMessage `json:"labels"`
	Reactions         json.RawMessage `json:"reactions"`
	Comments          json.RawMessage `json:"comments"`
	HTMLURL           *string         `json:"html_url"`
	RepositoryURL     *string         `json:"repository_url"`
	Repository        json.RawMessage `json:"repository"`
	PullRequest       json.RawMessage `json:"pull_request"`
	CreatedAt         json.RawMessage `json:"created_at"`
	UpdatedAt         json.RawMessage `json:"updated_at"`
	ClosedAt          json.RawMessage `json:"closed_at"`
}

type ghUser struct {
	Login string `json:"login"`
}

type ghComment struct {
	ID                *int64          `json:"id"`
	User              *ghUser         `json:"user"`
	AuthorAssociation *string         `json:"author_association"`
	Body              *string         `json:"body"`
	HTMLURL           *string         `json:"html_url"`
	Reactions         json.RawMessage `json:"reactions"`
	CreatedAt         json.RawMessage `json:"created_at"`
	UpdatedAt         json.RawMessage `json:"updated_at"`
}

// ParseIssue turns one GitHub REST issue object (or the corpus form) into
// an issue and its comments. The error names the field at fault.
func ParseIssue(raw []byte) (store.Issue, []store.Comment, error) {
	is, cs, err := parseRecord(raw)
	if err != nil {
		return is, cs, err
	}
	return is, cs, nil
}

func parseRecord(raw []byte) (store.Issue, []store.Comment, *RecordError) {
	var rec ghRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		rerr := jsonFieldError(err, "")
		// Name the record if its number and repository can be read.
		var id struct {
			Number     int             `json:"number"`
			HTMLURL    *string         `json:"html_url"`
			Repository json.RawMessage `json:"repository"`
		}
		if json.Unmarshal(raw, &id) == nil && id.Number > 0 {
			named := store.Issue{Number: id.Number}
			if repo, _, err := repositoryOf(&ghRecord{HTMLURL: id.HTMLURL, Repository: id.Repository}); err == nil {
				named.Repository = repo
			}
			rerr.Record = recordName(named)
		}
		return store.Issue{}, nil, rerr
	}
	var is store.Issue
	fail := func(field, format string, args ...any) (store.Issue, []store.Comment, *RecordError) {
		return store.Issue{}, nil, &RecordError{Record: recordName(is), Field: field, Err: fmt.Errorf(format, args...)}
	}
	if rec.Number == nil {
		return fail("number", "missing")
	}
	is.Number = *rec.Number
	if is.Number <= 0 || is.Number > math.MaxInt32 {
		return fail("number", "must be a positive integer, got %d", is.Number)
	}
	repo, field, err := repositoryOf(&rec)
	if err != nil {
		return fail(field, "%v", err)
	}
	is.Repository = repo
	if rec.Title == nil {
		return fail("title", "missing")
	}
	is.Title = *rec.Title
	if rec.Body != nil {
		is.Body = *rec.Body
	}
	created, err := parseTime(rec.CreatedAt)
	if err != nil {
		return fail("created_at", "%v", err)
	}
	if created == nil {
		return fail("created_at", "missing")
	}
	is.CreatedAt = *created
	is.UpdatedAt = is.CreatedAt
	updated, err := parseTime(rec.UpdatedAt)
	if err != nil {
		return fail("updated_at", "%v", err)
	}
	if updated != nil {
		is.UpdatedAt = *updated
	}
	if is.ClosedAt, err = parseTime(rec.ClosedAt); err != nil {
		return fail("closed_at", "%v", err)
	}
	is.State = "open"
	if rec.State != nil {
		switch *rec.State {
		case "open", "closed":
			is.State = *rec.State
		default:
			return fail("state", "want open or closed, got %q", *rec.State)
		}
	} else if is.ClosedAt != nil {
		is.State = "closed"
	}
	is.GitHubID = rec.ID
	if rec.NodeID != nil {
		is.NodeID = *rec.NodeID
	}
	if rec.StateReason != nil {
		is.StateReason = *rec.StateReason
	}
	if rec.User != nil {
		is.Author = rec.User.Login
	}
	if rec.AuthorAssociation != nil {
		is.AuthorAssociation = *rec.AuthorAssociation
	}
	if rec.HTMLURL != nil {
		is.HTMLURL = *rec.HTMLURL
	}
	is.IsPullRequest = len(rec.PullRequest) > 0 && string(rec.PullRequest) != "null" || strings.Contains(is.HTMLURL, "/pull/")
	if is.HTMLURL == "" {
		kind := "issues"
		if is.IsPullRequest {
			kind = "pull"
		}
		is.HTMLURL = "https://github.com/" + is.Repository + "/" + kind + "/" + strconv.Itoa(is.Number)
	}
	if is.Labels, err = parseLabels(rec.Labels); err != nil {
		return fail("labels", "%v", err)
	}
	if is.ReactionsTotal, err = reactionsTotal(rec.Reactions); err != nil {
		return fail("reactions", "%v", err)
	}
	if len(rec.Reactions) > 0 && string(rec.Reactions) != "null" {
		is.Reactions = rec.Reactions
	}
	var comments []store.Comment
	is.Raw = withoutMember(raw, "body")
	switch c := bytes.TrimSpace(rec.Comments); {
	case len(c) == 0 || string(c) == "null":
	case c[0] == '[':
		var list []json.RawMessage
		if err := json.Unmarshal(c, &list); err != nil {
			return fail("comments", "%v", err)
		}
		is.CommentCount = len(list)
		for i, item := range list {
			cm, rerr := parseComment(item, is, i)
			if rerr != nil {
				rerr.Record = recordName(is)
				return store.Issue{}, nil, rerr
			}
			comments = append(comments, cm)
		}
		// The thread is stored as comments; the issue's raw JSON keeps the
		// count GitHub itself would give. The array's bytes appear verbatim
		// in raw, so they are spliced out rather than re-encoding the record.
		if i := bytes.Index(is.Raw, c); i >= 0 && bytes.Count(is.Raw, c) == 1 {
			spliced := make([]byte, 0, len(is.Raw)-len(c)+8)
			spliced = append(spliced, is.Raw[:i]...)
			spliced = strconv.AppendInt(spliced, int64(len(list)), 10)
			is.Raw = append(spliced, is.Raw[i+len(c):]...)
		}
	default:
		n, err := strconv.Atoi(string(c))
		if err != nil || n < 0 || n > math.MaxInt32 {
			return fail("comments", "want a count or an array of comments, got %.40s", c)
		}
		is.CommentCount = n
	}
	return is, comments, nil
}

func parseComment(raw json.RawMessage, is store.Issue, pos int) (store.Comment, *RecordError) {
	field := fmt.Sprintf("comments[%d]", pos)
	var c ghComment
	if err := json.Unmarshal(raw, &c); err != nil {
		return store.Comment{}, jsonFieldError(err, field+".")
	}
	cm := store.Comment{Repository: is.Repository, IssueNumber: is.Number, GitHubID: c.ID, Raw: withoutMember(raw, "body")}
	if c.ID != nil {
		cm.SourceKey = strconv.FormatInt(*c.ID, 10)
	} else {
		cm.SourceKey = "pos:" + strconv.Itoa(pos)
	}
	created, err := parseTime(c.CreatedAt)
	if err != nil {
		return cm, &RecordError{Field: field + ".created_at", Err: err}
	}
	if created == nil {
		return cm, &RecordError{Field: field + ".created_at", Err: errors.New("missing")}
	}
	cm.CreatedAt = *created
	cm.UpdatedAt = cm.CreatedAt
	updated, err := parseTime(c.UpdatedAt)
	if err != nil {
		return cm, &RecordError{Field: field + ".updated_at", Err: err}
	}
	if updated != nil {
		cm.UpdatedAt = *updated
	}
	if c.Body != nil {
		cm.Body = *c.Body
	}
	if c.User != nil {
		cm.Author = c.User.Login
	}
	if c.AuthorAssociation != nil {
		cm.AuthorAssociation = *c.AuthorAssociation
	}
	if c.HTMLURL != nil {
		cm.HTMLURL = *c.HTMLURL
	}
	n, err := reactionsTotal(c.Reactions)
	if err != nil {
		return cm, &RecordError{Field: field + ".reactions", Err: err}
	}
	cm.ReactionsTotal = n
	return cm, nil
}

// parseTime reads an RFC 3339 time in UTC; absent or null is nil.
func parseTime(raw json.RawMessage) (*time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("want an RFC 3339 time string, got JSON %.30s", raw)
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, fmt.Errorf("not an RFC 3339 time: %q", s)
	}
	t = t.UTC()
	return &t, nil
}

// repositoryOf finds "owner/name": the corpus's repository string, an
// embedded repository object, repository_url, or html_url, in that order.
func repositoryOf(rec *ghRecord) (string, string, error) {
	if r := bytes.TrimSpace(rec.Repository); len(r) > 0 && string(r) != "null" {
		switch r[0] {
		case '"':
			var s string
			if err := json.Unmarshal(r, &s); err != nil {
				return "", "repository", err
			}
			if !validRepoName(s) {
				return "", "repository", fmt.Errorf("want owner/name, got %q", s)
			}
			return s, "", nil
		case '{':
			var o struct {
				FullName string `json:"full_name"`
			}
			if err := json.Unmarshal(r, &o); err == nil && validRepoName(o.FullName) {
				return o.FullName, "", nil
			}
			return "", "repository.full_name", errors.New("missing or not owner/name")
		default:
			return "", "repository", fmt.Errorf("want a string or an object, got %.20s", r)
		}
	}
	if rec.RepositoryURL != nil {
		if i := strings.Index(*rec.RepositoryURL, "/repos/"); i >= 0 {
			name := strings.TrimSuffix((*rec.RepositoryURL)[i+len("/repos/"):], "/")
			if validRepoName(name) {
				return name, "", nil
			}
		}
		return "", "repository_url", fmt.Errorf("no owner/name in %q", *rec.RepositoryURL)
	}
	if rec.HTMLURL != nil {
		if u, err := url.Parse(*rec.HTMLURL); err == nil {
			parts := strings.Split(strings.Trim(u.Path, "/"), "/")
			if len(parts) >= 4 && validRepoName(parts[0]+"/"+parts[1]) {
				return parts[0] + "/" + parts[1], "", nil
			}
		}
		return "", "html_url", fmt.Errorf("no owner/name in %q", *rec.HTMLURL)
	}
	return "", "repository", errors.New("missing (and no repository_url or html_url to take it from)")
}

// validRepoName is config.ValidRepo, the one check for repository names.
func validRepoName(s string) bool { return config.ValidRepo(s) }

// parseLabels accepts label objects ({"name": ...}) or plain strings.
func parseLabels(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("want an array, got %.20s", raw)
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		var s string
		if err := json.Unmarshal(it, &s); err == nil {
			out = append(out, s)
			continue
		}
		var o struct {
			Name *string `json:"name"`
		}
		if err := json.Unmarshal(it, &o); err != nil || o.Name == nil {
			return nil, fmt.Errorf("item %d: want a name or a label object with a name", i)
		}
		out = append(out, *o.Name)
	}
	return out, nil
}

func reactionsTotal(raw json.RawMessage) (int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var r struct {
		TotalCount int `json:"total_count"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return 0, fmt.Errorf("want an object with total_count: %w", err)
	}
	if r.TotalCount < 0 || r.TotalCount > math.MaxInt32 {
		return 0, fmt.Errorf("total_count %d out of range", r.TotalCount)
	}
	return r.TotalCount, nil
}

func recordName(is store.Issue) string {
	if is.Repository != "" && is.Number > 0 {
		return is.Repository + "#" + strconv.Itoa(is.Number)
	}
	if is.Number > 0 {
		return "#" + strconv.Itoa(is.Number)
	}
	return ""
}

// jsonFieldError names the field a json decoding error is about.
func jsonFieldError(err error, prefix string) *RecordError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &RecordError{Field: prefix + te.Field, Err: fmt.Errorf("want %s, got JSON %s", te.Type, te.Value)}
	}
	return &RecordError{Field: strings.TrimSuffix(prefix, "."), Err: err}
}

// recordReader yields the JSON objects of a stream that holds either JSON
// arrays of objects (one or several, as gh api --paginate writes them) or
// one object per line, with the line each object starts on.
type recordReader struct {
	br   *bufio.Reader
	line int // lines consumed so far
	// array mode
	inArray bool
}

type syntaxError struct {
	line  int
	err   error
	fatal bool // the rest of the stream cannot be read
}

func (e *syntaxError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }

func newRecordReader(r io.Reader) *recordReader {
	return &recordReader{br: bufio.NewReaderSize(r, 1<<20), line: 1}
}

// skipSpace skips white space and, outside arrays, nothing else.
func (d *recordReader) skipSpace() (byte, error) {
	for {
		c, err := d.br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case '\n':
			d.line++
		case ' ', '\t', '\r':
		default:
			return c, nil
		}
	}
}

func (d *recordReader) next() (json.RawMessage, int, error) {
	for {
		c, err := d.skipSpace()
		if err != nil {
			if errors.Is(err, io.EOF) && d.inArray {
				return nil, d.line, &syntaxError{line: d.line, err: errors.New("unexpected end of input inside an array"), fatal: true}
			}
			return nil, d.line, err
		}
		switch {
		case c == '[' && !d.inArray:
			d.inArray = true
			continue
		case c == ']' && d.inArray:
			d.inArray = false
			continue
		case c == ',' && d.inArray:
			continue
		case c == '{':
			start := d.line
			obj, err := d.readObject()
			if err != nil {
				return nil, start, &syntaxError{line: start, err: err, fatal: errors.Is(err, io.ErrUnexpectedEOF)}
			}
			return obj, start, nil
		case d.inArray:
			// An array element that is not an object: skip just that value
			// (balanced, strings respected) and report it.
			// A run of such values is reported once.
			start := d.line
			text, err := d.skipValue(c)
			for n := 1; ; n++ {
				if err != nil {
					return nil, start, &syntaxError{line: start, err: err, fatal: true}
				}
				b, perr := d.br.Peek(1)
				for perr == nil && (b[0] == ',' || b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
					if b[0] == '\n' {
						d.line++
					}
					_, _ = d.br.ReadByte()
					b, perr = d.br.Peek(1)
				}
				if perr != nil || b[0] == '{' || b[0] == ']' {
					msg := fmt.Sprintf("not a JSON object: %.40q", text)
					if n > 1 {
						msg = fmt.Sprintf("%d array values are not JSON objects, the first: %.40q", n, text)
					}
					return nil, start, &syntaxError{line: start, err: errors.New(msg)}
				}
				c, _ = d.br.ReadByte()
				_, err = d.skipValue(c)
			}
		default:
			start := d.line
			// Not a record: skip the rest of the line and report it.
			rest, _ := d.br.ReadString('\n')
			if strings.HasSuffix(rest, "\n") {
				d.line++
			}
			return nil, start, &syntaxError{line: start, err: fmt.Errorf("not a JSON object: %.40q", string(c)+strings.TrimSpace(rest))}
		}
	}
}

// skipValue skips one JSON value inside an array whose first byte, first,
// was consumed, and returns (the start of) its text. It stops before the
// ',' or ']' that ends the value.
func (d *recordReader) skipValue(first byte) (string, error) {
	text := []byte{first}
	depth := 0
	switch first {
	case '[', '{':
		depth = 1
	case '"':
		// A string: read to its closing quote.
		escaped := false
		for {
			c, err := d.br.ReadByte()
			if err != nil {
				return string(text), io.ErrUnexpectedEOF
			}
			if len(text) < 64 {
				text = append(text, c)
			}
			if c == '\n' {
				d.line++
			}
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				return string(text), nil
			}
		}
	}
	inString, escaped := false, false
	for {
		b, err := d.br.Peek(1)
		if err != nil {
			if depth == 0 && errors.Is(err, io.EOF) {
				return string(text), nil
			}
			return string(text), io.ErrUnexpectedEOF
		}
		c := b[0]
		if !inString && depth == 0 && (c == ',' || c == ']' || c == ' ' || c == '\n' || c == '\t' || c == '\r') {
			return string(text), nil
		}
		_, _ = d.br.ReadByte()
		if len(text) < 64 {
			text = append(text, c)
		}
		if c == '\n' {
			d.line++
		}
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == '[' || c == '{'):
			depth++
		case !inString && (c == ']' || c == '}'):
			depth--
		}
	}
}

// readObject reads one balanced JSON object whose '{' was consumed,
// tracking strings so that braces inside them do not count, and checks it
// parses.
func (d *recordReader) readObject() (json.RawMessage, error) {
	buf := []byte{'{'}
	depth := 1
	inString, escaped := false, false
	for depth > 0 {
		if d.br.Buffered() == 0 {
			if _, err := d.br.Peek(1); err != nil {
				if errors.Is(err, io.EOF) {
					return nil, io.ErrUnexpectedEOF
				}
				return nil, err
			}
		}
		chunk, _ := d.br.Peek(d.br.Buffered())
		consumed := len(chunk)
	scan:
		for i, c := range chunk {
			if inString {
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == '"':
					inString = false
				}
				continue
			}
			switch c {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					consumed = i + 1
					break scan
				}
			}
		}
		buf = append(buf, chunk[:consumed]...)
		d.line += bytes.Count(chunk[:consumed], []byte{'\n'})
		if _, err := d.br.Discard(consumed); err != nil {
			return nil, err
		}
	}
	// Validity is checked once, by the decoder in parseRecord.
	return buf, nil
}

// withoutMember returns the JSON object raw without its top-level member
// key (for "body": the text lives in its own column and is not stored
// twice). raw is returned unchanged when the member is absent.
func withoutMember(raw []byte, key string) []byte {
	quoted := `"` + key + `"`
	depth := 0
	inString, escaped := false, false
	keyStart := -1 // start of the current top-level string
	memberStart := -1
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
				if depth == 1 && keyStart >= 0 && memberStart < 0 && string(raw[keyStart:i+1]) == quoted {
					// A key if a colon follows.
					j := i + 1
					for j < len(raw) && (raw[j] == ' ' || raw[j] == '\t' || raw[j] == '\n' || raw[j] == '\r') {
						j++
					}
					if j < len(raw) && raw[j] == ':' {
						memberStart = keyStart
					}
				}
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			keyStart = i
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 && memberStart >= 0 {
				return spliceMember(raw, memberStart, i, true)
			}
		case ',':
			if depth == 1 && memberStart >= 0 {
				return spliceMember(raw, memberStart, i, false)
			}
		}
	}
	return raw
}

// spliceMember removes raw[start:end] (a member), with the comma that
// separated it from its neighbour.
func spliceMember(raw []byte, start, end int, last bool) []byte {
	out := make([]byte, 0, len(raw)-(end-start))
	if last {
		// Remove the comma before the member, if any.
		j := start - 1
		for j >= 0 && (raw[j] == ' ' || raw[j] == '\t' || raw[j] == '\n' || raw[j] == '\r') {
			j--
		}
		if j >= 0 && raw[j] == ',' {
			start = j
		}
		out = append(out, raw[:start]...)
		return append(out, raw[end:]...)
	}
	out = append(out, raw[:start]...)
	return append(out, raw[end+1:]...)
}
