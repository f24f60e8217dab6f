package reliability_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/errata-tool/errata/store/storetest"
)

// badRepo is the repository every bad-input record claims.
const badRepo = "rel/bad-input"

// jsonStr encodes s as a JSON string literal (valid UTF-8 only; Go's
// encoder would rewrite anything else).
func jsonStr(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// badCase is one record of the bad-input file. Either the record is
// stored (want* are the values expected in the database, byte for byte)
// or it is rejected (rejectField is the field the message must name;
// "" for a record that is not JSON at all, when the line is named).
type badCase struct {
	name string
	// fields are the record's members besides repository and number
	// (raw JSON, joined with commas). Without "title" and "created_at"
	// members, defaults are added unless noDefaults.
	fields     []string
	noDefaults bool
	raw        string // the whole line, verbatim, instead of a record

	rejectField string // record must be rejected naming this field
	rejectLine  bool   // record must be rejected naming its line

	wantTitle, wantBody string
	wantLabels          []string
	wantComments        []string // comment bodies in order; nil = none
	wantCommentCount    int
}

// deepMarkdown and friends are built once: they are big.
var (
	fiveMB       = strings.Repeat("panic: runtime error: index out of range [5] with length 3\n\tgoroutine 1 [running]:\n\tmain.main()\n\t\t/src/main.go:12 +0x1d\n", 5<<20/100+1)
	deepQuote    = strings.Repeat("> ", 20000) + "ENOENT: no such file or directory"
	deepList     = nestedList(3000)
	deepHTML     = strings.Repeat("<div><span>", 20000) + "TypeError: x is not a function" + strings.Repeat("</span></div>", 20000)
	unclosedHTML = strings.Repeat("<details><summary>", 5000) + "<script>alert(1)</script><!--" + strings.Repeat("<![CDATA[", 1000)
	manyFences   = strings.Repeat("```\n", 10001) + "error: unterminated fence"
	hugeLabels   = makeLabels(10000)
	bigThread    = makeThread(10000)
)

func nestedList(depth int) string {
	var b strings.Builder
	for i := 0; i < depth; i++ {
		b.WriteString(strings.Repeat("  ", i))
		b.WriteString("- level " + strconv.Itoa(i) + "\n")
	}
	return b.String()
}

func makeLabels(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("label %d: type/bug ✓ <b>%d</b>", i, i)
	}
	return out
}

func makeThread(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("comment %d: same here, error E%04d ✓", i, i%997)
	}
	return out
}

func labelsJSON(ls []string) string {
	b, _ := json.Marshal(ls)
	return string(b)
}

func threadJSON(bodies []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, body := range bodies {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"user":{"login":"u%d"},"body":%s,"created_at":"2024-02-01T00:00:00Z","updated_at":"2024-02-01T00:00:%02dZ"}`,
			900000+i, i%50, jsonStr(body), i%60)
	}
	b.WriteByte(']')
	return b.String()
}

func badCases() []badCase {
	return []badCase{
		// Characters PostgreSQL cannot store: documented replacement.
		{name: "NUL escapes", fields: []string{`"title":"crash at \u0000 byte"`, `"body":"a\u0000b\u0000\u0000c"`},
			wantTitle: "crash at \uFFFD byte", wantBody: "a\uFFFDb\uFFFD\uFFFDc"},
		{name: "lone surrogates", fields: []string{`"title":"lone high \ud800 here"`, `"body":"low \udc00, reversed \udc00\ud800, ok pair \ud83d\udca5"`},
			wantTitle: "lone high \uFFFD here", wantBody: "low \uFFFD, reversed \uFFFD\uFFFD, ok pair 💥"},
		{name: "invalid UTF-8 bytes", fields: []string{"\"title\":\"bad \xff\xfe bytes\"", "\"body\":\"truncated \xe2\x82 seq, overlong \xc0\xaf, surrogate \xed\xa0\x80 end\""},
			wantTitle: "bad \uFFFD\uFFFD bytes", wantBody: "truncated \uFFFD\uFFFD seq, overlong \uFFFD\uFFFD, surrogate \uFFFD\uFFFD\uFFFD end"},
		{name: "control characters", fields: []string{`"title":"bell \u0007 esc \u001b[31mred\u001b[0m"`, `"body":"nel \u0085 ls \u2028 ps \u2029 del \u007f"`},
			wantTitle: "bell \a esc \x1b[31mred\x1b[0m", wantBody: "nel \u0085 ls \u2028 ps \u2029 del \x7f"},
		// Size.
		{name: "5 MB body", fields: []string{`"title":"huge log"`, `"body":` + jsonStr(fiveMB)}, wantTitle: "huge log", wantBody: fiveMB},
		{name: "10k-comment thread", fields: []string{`"title":"popular"`, `"comments":` + threadJSON(bigThread)},
			wantTitle: "popular", wantComments: bigThread, wantCommentCount: len(bigThread)},
		{name: "10k labels", fields: []string{`"title":"labelled"`, `"labels":` + labelsJSON(hugeLabels)}, wantTitle: "labelled", wantLabels: hugeLabels},
		// Structure.
		{name: "deep markdown quote", fields: []string{`"title":"quote"`, `"body":` + jsonStr(deepQuote)}, wantTitle: "quote", wantBody: deepQuote},
		{name: "deep markdown list", fields: []string{`"title":"list"`, `"body":` + jsonStr(deepList)}, wantTitle: "list", wantBody: deepList},
		{name: "deep html", fields: []string{`"title":"<div><div>"`, `"body":` + jsonStr(deepHTML)}, wantTitle: "<div><div>", wantBody: deepHTML},
		{name: "unclosed html", fields: []string{`"title":"<!--"`, `"body":` + jsonStr(unclosedHTML)}, wantTitle: "<!--", wantBody: unclosedHTML},
		{name: "10k fences", fields: []string{"\"title\":\"```\"", `"body":` + jsonStr(manyFences)}, wantTitle: "```", wantBody: manyFences},
		{name: "deep json in unknown field", fields: []string{`"title":"nested"`, `"extra":` + strings.Repeat("[", 500) + strings.Repeat("]", 500)}, wantTitle: "nested"},
		// Scripts and invisible characters.
		{name: "rtl and zero-width", fields: []string{jsonStr("title") + ":" + jsonStr("\u202eexe.txt\u202c שגיאה خطأ"), `"body":"a\u200bb\u200cc\u200dd\ufeffe\u2066f\u2069\u061c"`},
			wantTitle: "\u202eexe.txt\u202c שגיאה خطأ", wantBody: "a\u200bb\u200cc\u200dd\ufeffe\u2066f\u2069\u061c"},
		{name: "emoji", fields: []string{jsonStr("title") + ":" + jsonStr("💥 crash 👩‍💻 🇺🇦 👍🏽 🏳️‍🌈"), `"body":"escaped \ud83d\udd25 and raw 🔥"`},
			wantTitle: "💥 crash 👩‍💻 🇺🇦 👍🏽 🏳️‍🌈", wantBody: "escaped 🔥 and raw 🔥"},
		// Titles full of syntax that pages and front matter must survive.
		{name: "yaml front matter title", fields: []string{`"title":"---\ntitle: pwned\ndraft: true\n---"`}, wantTitle: "---\ntitle: pwned\ndraft: true\n---"},
		{name: "markdown table title", fields: []string{`"title":"| a | b |\n|---|---|\n| \\| | ` + "`x`" + ` |"`}, wantTitle: "| a | b |\n|---|---|\n| \\| | `x` |"},
		{name: "script title", fields: []string{`"title":"<script>alert(1)</script><img src=x onerror=alert(2)>"`, `"body":"[click](javascript:alert(3)) <iframe src=//evil>"`},
			wantTitle: "<script>alert(1)</script><img src=x onerror=alert(2)>", wantBody: "[click](javascript:alert(3)) <iframe src=//evil>"},
		{name: "template syntax title", fields: []string{`"title":"{{ .Site.Params }} {{< shortcode >}} {% raw %} ${HOME} $(id)"`},
			wantTitle: "{{ .Site.Params }} {{< shortcode >}} {% raw %} ${HOME} $(id)"},
		{name: "yaml specials title", fields: []string{`"title":"key: value # not a comment & *alias !!tag 'q' \"dq\" @at %pct"`},
			wantTitle: "key: value # not a comment & *alias !!tag 'q' \"dq\" @at %pct"},
		{name: "path title", fields: []string{`"title":"../../../etc/passwd \\..\\..\\win.ini /dev/null"`}, wantTitle: "../../../etc/passwd \\..\\..\\win.ini /dev/null"},
		{name: "sql title", fields: []string{`"title":"'; DROP TABLE issues; -- $1 \\x00"`, `"body":"' OR '1'='1"`}, wantTitle: "'; DROP TABLE issues; -- $1 \\x00", wantBody: "' OR '1'='1"},
		// Missing, null and wrongly typed fields.
		{name: "null body and extras", fields: []string{`"title":"nulls"`, `"body":null`, `"labels":null`, `"user":null`, `"reactions":null`, `"comments":null`, `"state":null`, `"closed_at":null`},
			wantTitle: "nulls"},
		{name: "empty title", fields: []string{`"title":""`}, wantTitle: ""},
		{name: "missing title", noDefaults: true, fields: []string{`"created_at":"2024-01-01T00:00:00Z"`}, rejectField: "title"},
		{name: "null title", noDefaults: true, fields: []string{`"title":null`, `"created_at":"2024-01-01T00:00:00Z"`}, rejectField: "title"},
		{name: "numeric title", fields: []string{`"title":12345`}, rejectField: "title"},
		{name: "object body", fields: []string{`"title":"t"`, `"body":{"text":"x"}`}, rejectField: "body"},
		{name: "missing created_at", noDefaults: true, fields: []string{`"title":"no date"`}, rejectField: "created_at"},
		{name: "bad created_at", noDefaults: true, fields: []string{`"title":"bad date"`, `"created_at":"yesterday"`}, rejectField: "created_at"},
		{name: "numeric updated_at", fields: []string{`"title":"t"`, `"updated_at":1700000000`}, rejectField: "updated_at"},
		{name: "string labels", fields: []string{`"title":"t"`, `"labels":"bug"`}, rejectField: "labels"},
		{name: "numeric label", fields: []string{`"title":"t"`, `"labels":["ok",7]`}, rejectField: "labels"},
		{name: "bad state", fields: []string{`"title":"t"`, `"state":"OPEN; DROP"`}, rejectField: "state"},
		{name: "string comments", fields: []string{`"title":"t"`, `"comments":"many"`}, rejectField: "comments"},
		{name: "comment without date", fields: []string{`"title":"t"`, `"comments":[{"id":1,"body":"ok","created_at":"2024-01-01T00:00:00Z"},{"id":2,"body":"no date"}]`},
			rejectField: "comments[1].created_at"},
		{name: "numeric user", fields: []string{`"title":"t"`, `"user":42`}, rejectField: "user"},
		{name: "negative number", raw: `{"repository":"` + badRepo + `","number":-3,"title":"t","created_at":"2024-01-01T00:00:00Z"}`, rejectField: "number"},
		{name: "string number", raw: `{"repository":"` + badRepo + `","number":"7","title":"t","created_at":"2024-01-01T00:00:00Z"}`, rejectField: "number"},
		{name: "float number", raw: `{"repository":"` + badRepo + `","number":7.5,"title":"t","created_at":"2024-01-01T00:00:00Z"}`, rejectField: "number"},
		{name: "bad repository", raw: `{"repository":"../../etc","number":8,"title":"t","created_at":"2024-01-01T00:00:00Z"}`, rejectField: "repository"},
		{name: "sql repository", raw: `{"repository":"o/r'; DROP TABLE issues;--","number":8,"title":"t","created_at":"2024-01-01T00:00:00Z"}`, rejectField: "repository"},
		// Not JSON objects at all.
		{name: "raw NUL byte", raw: "{\"repository\":\"" + badRepo + "\",\"number\":9,\"title\":\"a\x00b\",\"created_at\":\"2024-01-01T00:00:00Z\"}", rejectLine: true},
		{name: "raw newline in string", raw: "{\"repository\":\"" + badRepo + "\",\"number\":10,\"title\":\"a\nb\",\"created_at\":\"2024-01-01T00:00:00Z\"}", rejectLine: true},
		{name: "garbage line", raw: "this is not json <script>", rejectLine: true},
		{name: "array of numbers", raw: "[1,2,3]", rejectLine: true},
	}
}

// wantText is what a JSON string holding s decodes to: Go's decoder (and
// so errata's import) replaces each byte of an invalid UTF-8 sequence by
// U+FFFD; the store then replaces NUL by U+FFFD. Used as a cross-check
// of the hand-written expectations.
func validText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// TestImportBadInput imports one file holding every kind of bad input
// the issue lists, between good records, through the real `errata import`,
// and checks each record is stored byte for byte (after the documented
// replacement) or rejected with a message naming its line and field, and
// that no good record is lost.
func TestImportBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.URL(t)
	cases := badCases()

	file, all, goodNumbers := buildBadFile(cases)
	path := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}

	res := runApp(t, ctx, nil, "", "--database-url", url, "import", path)
	if strings.Contains(res.all(), "panic") || strings.Contains(res.all(), "internal error") {
		t.Fatalf("import panicked: %s", res.all())
	}
	rejected := 0
	for _, p := range all {
		if p.c.rejectField != "" || p.c.rejectLine {
			rejected++
		}
	}
	// Exit 1 because bad records were skipped, and the summary says so.
	if res.code != 1 || !strings.Contains(res.stderr, fmt.Sprintf("%d bad records skipped", rejected)) {
		t.Errorf("BUG (if the count is off by one: ingest recordReader stays in array mode after a non-object array line such as [1,2,3], and reports a spurious 'unexpected end of input inside an array' at EOF): exit %d, want 1 with %d bad records skipped; stderr:\n%s", res.code, rejected, res.stderr[max(0, len(res.stderr)-1500):])
	}

	db := connect(t, url)
	stderrLines := strings.Split(res.stderr, "\n")
	for _, p := range all {
		c := p.c
		t.Run(c.name, func(t *testing.T) {
			if c.rejectField != "" || c.rejectLine {
				// The message names the file and line, and the field.
				loc := fmt.Sprintf("%s:%d", path, p.line)
				var msg string
				for _, l := range stderrLines {
					if strings.Contains(l, loc+":") || strings.HasSuffix(l, loc) || strings.Contains(l, loc+"\"") || strings.Contains(l, loc+" ") {
						msg = l
						break
					}
				}
				if msg == "" {
					t.Fatalf("no message names %s; stderr:\n%s", loc, truncate(res.stderr, 3000))
				}
				if c.rejectField != "" && !regexp.MustCompile(`field[ =]"?`+regexp.QuoteMeta(c.rejectField)+`\b`).MatchString(msg) {
					t.Errorf("BUG: message for a bad %s does not name field %q: %s", c.name, c.rejectField, msg)
				}
				if c.raw == "" {
					var n int
					if err := db.QueryRow(ctx, `SELECT count(*) FROM issues i JOIN repositories r ON r.id = i.repository_id WHERE r.full_name = $1 AND i.number = $2`, badRepo, p.number).Scan(&n); err != nil {
						t.Fatal(err)
					}
					if n != 0 {
						t.Errorf("rejected record #%d was stored anyway", p.number)
					}
				}
				return
			}
			var title, body string
			var labels []string
			var count int
			var id int64
			err := db.QueryRow(ctx, `SELECT i.id, i.title, i.body, i.labels, i.comment_count FROM issues i JOIN repositories r ON r.id = i.repository_id
				WHERE r.full_name = $1 AND i.number = $2`, badRepo, p.number).Scan(&id, &title, &body, &labels, &count)
			if err != nil {
				t.Fatalf("record #%d (line %d) not stored: %v", p.number, p.line, err)
			}
			if !validText(c.wantTitle) || !validText(c.wantBody) {
				t.Fatalf("test expectation is not storable text")
			}
			if title != c.wantTitle {
				t.Errorf("title = %s, want %s", short(title), short(c.wantTitle))
			}
			if body != c.wantBody {
				t.Errorf("body (%d bytes) = %s, want (%d bytes) %s", len(body), short(body), len(c.wantBody), short(c.wantBody))
			}
			if c.wantLabels == nil {
				c.wantLabels = []string{}
			}
			if !slices.Equal(labels, c.wantLabels) {
				t.Errorf("labels: %d stored, want %d (first difference matters)", len(labels), len(c.wantLabels))
			}
			if count != c.wantCommentCount {
				t.Errorf("comment_count = %d, want %d", count, c.wantCommentCount)
			}
			rows, err := db.Query(ctx, `SELECT body FROM comments WHERE issue_id = $1 ORDER BY github_id, source_key`, id)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var b string
				if err := rows.Scan(&b); err != nil {
					t.Fatal(err)
				}
				got = append(got, b)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.wantComments) {
				t.Errorf("comments: %d stored, want %d", len(got), len(c.wantComments))
			}
		})
	}
	// Nothing else lost: every good record is there, intact.
	var good int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM issues i JOIN repositories r ON r.id = i.repository_id
		WHERE r.full_name = $1 AND i.number >= 100000 AND i.title = 'good record ' || i.number AND i.body = 'error: control ' || i.number`, badRepo).Scan(&good); err != nil {
		t.Fatal(err)
	}
	if good != len(goodNumbers) {
		t.Errorf("%d of %d good records stored intact", good, len(goodNumbers))
	}
	// Importing the same file again changes nothing (and still does not panic).
	res2 := runApp(t, ctx, nil, "", "--database-url", url, "import", path)
	if !strings.Contains(res2.stdout, "0 new, 0 updated") {
		t.Errorf("second import changed rows: %s", res2.stdout)
	}
	recordFigure("import.bad_input_cases", len(cases))
	recordFigure("import.bad_input_bytes", len(file))
}

// placed is a bad-input case at its place in the file.
type placed struct {
	c      badCase
	number int
	line   int
}

// buildBadFile lays the cases out one per line, each followed by a good
// record (numbers from 100000), and returns the file, where each case is,
// and the good records' numbers.
func buildBadFile(cases []badCase) (string, []placed, []int) {
	var file strings.Builder
	var all []placed
	line := 1
	const goodEvery = 1 // a good record after every case
	goodNumbers := []int{}
	next := 1
	for _, c := range cases {
		n := next
		next++
		rec := c.raw
		if rec == "" {
			fields := append([]string{`"repository":"` + badRepo + `"`, `"number":` + strconv.Itoa(n)}, c.fields...)
			if !c.noDefaults {
				has := func(k string) bool {
					return slices.ContainsFunc(c.fields, func(f string) bool { return strings.HasPrefix(f, `"`+k+`"`) })
				}
				if !has("title") {
					fields = append(fields, `"title":"untitled"`)
				}
				if !has("created_at") {
					fields = append(fields, `"created_at":"2024-01-01T00:00:00Z"`)
				}
			}
			rec = "{" + strings.Join(fields, ",") + "}"
		}
		all = append(all, placed{c, n, line})
		file.WriteString(rec + "\n")
		line += 1 + strings.Count(rec, "\n")
		for g := 0; g < goodEvery; g++ {
			gn := 100000 + next
			next++
			goodNumbers = append(goodNumbers, gn)
			fmt.Fprintf(&file, `{"repository":%q,"number":%d,"title":"good record %d","body":"error: control %d","created_at":"2024-01-02T00:00:00Z"}`+"\n", badRepo, gn, gn, gn)
			line++
		}
	}
	return file.String(), all, goodNumbers
}

func short(s string) string {
	if len(s) > 120 {
		return fmt.Sprintf("%q...(%d bytes)", s[:120], len(s))
	}
	return fmt.Sprintf("%q", s)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

var _ = time.Second
