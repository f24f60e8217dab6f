package classify

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/errata-tool/errata/classify/redact"
)

var fuzzSeeds = []string{
	"Error: connect ECONNREFUSED 127.0.0.1:5432",
	"MCP error -32001: Request timed out",
	"HTTP/1.1 429 Too Many Requests\nRetry-After: 30",
	`{"error":{"type":"overloaded_error","message":"Overloaded"}}`,
	"http://localhost:3000/cb?error=access_denied&error_description=User+denied",
	"Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: bad 'x'",
	"```\n2024-01-02 03:04:05 ERROR boom at /usr/lib/x.so:12:3\n```",
	"'unterminated \"quote `tick",
	"<num> <str> <<url>> key=<str> a@<version>",
	"\x00\xff\xfe invalid utf8 \xc3",
	"C:\\Users\\me\\AppData\\x.log: EPERM",
	"ghp_abcdefghijklmnopqrstuvwxyz0123456789 sk-ant-abcdefghijklmnop1234",
}

func FuzzNormalize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if len(n) > MaxNormalizedLen {
			t.Fatalf("output %d bytes > %d", len(n), MaxNormalizedLen)
		}
		if !utf8.ValidString(n) {
			t.Fatalf("invalid UTF-8 output %q", n)
		}
		if n2 := Normalize(n); n2 != n {
			t.Fatalf("not idempotent:\n in  %q\n 1st %q\n 2nd %q", s, n, n2)
		}
		if strings.ContainsAny(n, "\n\t") {
			t.Fatalf("output has line breaks or tabs: %q", n)
		}
	})
}

func FuzzExtract(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add("Title: "+s, s)
	}
	f.Fuzz(func(t *testing.T, title, body string) {
		cands := Extract(title, body)
		if len(cands) > MaxCandidates {
			t.Fatalf("%d candidates > %d", len(cands), MaxCandidates)
		}
		for _, c := range cands {
			if len(c.Raw) > MaxRawLen || len(c.Normalized) > MaxNormalizedLen {
				t.Fatalf("unbounded candidate: raw %d, normalized %d", len(c.Raw), len(c.Normalized))
			}
			if Normalize(c.Normalized) != c.Normalized {
				t.Fatalf("candidate template not a fixed point: %q", c.Normalized)
			}
			if c.Fingerprint != Fingerprint(c.Normalized) {
				t.Fatalf("fingerprint mismatch")
			}
		}
		is := Issue{Title: title, Body: body, Comments: []Comment{{Body: body}}}
		a := Analyze(&is)
		if (a.Key == "") != (a.Primary() == nil) {
			t.Fatalf("key %q with primary %v", a.Key, a.Primary())
		}
	})
}

func FuzzRedact(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := redact.String(s)
		if r2 := redact.String(r); r2 != r {
			t.Fatalf("not idempotent:\n %q\n %q", r, r2)
		}
	})
}
