package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/errata-tool/errata/store"
)

// Fuzz targets for import parsing (issue 9). Seeds are added here and kept
// in testdata/fuzz/<target>/; scripts/fuzz.sh runs each target for a fixed
// time in CI.

var fuzzSeeds = []string{
	`{"repository":"o/r","number":1,"title":"t","body":"b","created_at":"2024-01-01T00:00:00Z"}`,
	`{"repository_url":"https://api.github.com/repos/o/r","number":2,"title":"t","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-02T00:00:00Z","state":"closed","closed_at":"2024-01-02T00:00:00Z","labels":[{"name":"bug"},"x"],"reactions":{"total_count":3},"pull_request":{"url":"u"}}`,
	`{"html_url":"https://github.com/o/r/issues/3","number":3,"title":"a\u0000b \ud800 \ud83d\ude00","body":null,"comments":[{"id":1,"body":"c","created_at":"2024-01-01T00:00:00Z"},{"body":"d","created_at":"2024-01-01T00:00:00Z"}],"created_at":"2024-01-01T00:00:00Z"}`,
	`{"repository":{"full_name":"o/r"},"number":4,"title":"---\n|x|","comments":7,"body":"{\"body\":1}","created_at":"2024-01-01T00:00:00Z"}`,
	"{\"repository\":\"o/r\",\"number\":5,\"title\":\"\xff\xfe\",\"created_at\":\"2024-01-01T00:00:00Z\"}",
	`{"repository":"o/r","number":2147483648,"title":"t","created_at":"2024-01-01T00:00:00Z"}`,
	`{"number":1}`,
	`[{"repository":"o/r","number":1,"title":"t","created_at":"2024-01-01T00:00:00Z"},{"repository":"o/r","number":2,"title":"u","created_at":"2024-01-01T00:00:00Z"}]`,
	"{\"a\":\"}\"}\n{\"b\":[{\"c\":\"\\\"\"}]}\n[1,2]\nnot json\n{",
	`{}`, `[]`, `{"body":"x","body":"y"}`,
}

// FuzzParseIssue checks that ParseIssue never panics and that what it
// accepts is storable: a number in PostgreSQL's integer range, an
// owner/name repository, a known state, counts that fit, and raw JSON that
// is valid and no longer holds the body.
func FuzzParseIssue(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		is, comments, err := ParseIssue(raw)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			var re *RecordError
			if errors.As(err, &re) && re.Err == nil {
				t.Fatal("RecordError without a cause")
			}
			return
		}
		if is.Number <= 0 || is.Number > math.MaxInt32 {
			t.Fatalf("number %d accepted", is.Number)
		}
		if !validRepoName(is.Repository) {
			t.Fatalf("repository %q accepted", is.Repository)
		}
		if is.State != "open" && is.State != "closed" {
			t.Fatalf("state %q accepted", is.State)
		}
		if is.CommentCount < 0 || is.CommentCount > math.MaxInt32 || is.ReactionsTotal < 0 || is.ReactionsTotal > math.MaxInt32 {
			t.Fatalf("counts out of range: comments %d reactions %d", is.CommentCount, is.ReactionsTotal)
		}
		if is.CreatedAt.IsZero() && !bytes.Contains(raw, []byte("0001-01-01")) {
			t.Fatalf("zero created_at accepted")
		}
		if !json.Valid(is.Raw) {
			t.Fatalf("raw is not valid JSON: %q", is.Raw)
		}
		if !json.Valid(store.CleanJSON(is.Raw)) {
			t.Fatalf("cleaned raw is not valid JSON: %q", is.Raw)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(is.Raw, &top); err != nil {
			t.Fatalf("raw is not an object: %v", err)
		}
		if _, ok := top["body"]; ok {
			t.Fatalf("raw still holds the body: %q", is.Raw)
		}
		if c := store.CleanText(is.Title); !utf8.ValidString(c) || strings.ContainsRune(c, 0) {
			t.Fatalf("title not storable after cleaning: %q", c)
		}
		if len(comments) > is.CommentCount {
			t.Fatalf("%d comments but comment_count %d", len(comments), is.CommentCount)
		}
		for _, c := range comments {
			if c.Repository != is.Repository || c.IssueNumber != is.Number {
				t.Fatalf("comment belongs to %s#%d", c.Repository, c.IssueNumber)
			}
			if c.SourceKey == "" || !json.Valid(c.Raw) {
				t.Fatalf("comment without key or with invalid raw: %q %q", c.SourceKey, c.Raw)
			}
			if c.ReactionsTotal < 0 || c.ReactionsTotal > math.MaxInt32 {
				t.Fatalf("comment reactions %d", c.ReactionsTotal)
			}
		}
	})
}

// FuzzRecordReader checks that the stream splitter behind Import never
// panics or loops, yields only balanced objects that start with '{', and
// reports lines in order and within the input.
func FuzzRecordReader(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte{'\n'}) + 1
		d := newRecordReader(bytes.NewReader(data))
		last := 0
		total := 0
		for i := 0; i <= len(data)+1; i++ {
			raw, line, err := d.next()
			if errors.Is(err, io.EOF) {
				return
			}
			if line < last || line < 1 || line > lines {
				t.Fatalf("line %d after %d (input has %d lines)", line, last, lines)
			}
			last = line
			if err != nil {
				var se *syntaxError
				if !errors.As(err, &se) {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				if se.fatal {
					return
				}
				continue
			}
			// The reader only balances brackets ({] counts); validity is
			// checked by the decoder, which rejects such records by line.
			if len(raw) < 2 || raw[0] != '{' || (raw[len(raw)-1] != '}' && raw[len(raw)-1] != ']') {
				t.Fatalf("record %q is not bracketed", raw)
			}
			total += len(raw)
			if total > len(data)+1 {
				t.Fatalf("records hold more bytes (%d) than the input (%d)", total, len(data))
			}
		}
		t.Fatalf("reader did not finish within %d calls", len(data)+2)
	})
}
