package pageeval

import (
	"strings"
	"testing"

	"github.com/errata-tool/errata/reports/pages"
)

// A made-up thread: a report, a fix the reporter confirms, a failed
// attempt and a cause.
var thread = Thread{URL: "https://example.test/acme/widget/issues/1", Posts: []string{
	"Widget crashes on start with `E_WIDGET_BOOT`. I am using widget 2.1 on Linux.",
	"I set `boot.timeout` to 60 but it still crashes.",
	"Set `WIDGET_CACHE=off` before starting it. The crash happens because the cache file is locked.",
	"Thanks, that worked for me!",
}}

func labelsFor(t *testing.T, rows ...string) Labels {
	t.Helper()
	ls := Labels{}
	if err := ls.read(strings.NewReader("# html_url\tpart\thash\tlabel\tconfirmation\n"+strings.Join(rows, "\n")), "test.tsv"); err != nil {
		t.Fatal(err)
	}
	return ls
}

func row(part, text, label, confirm string) string {
	return strings.Join([]string{thread.URL, part, UnitHash(text), label, confirm}, "\t")
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	ls := labelsFor(t,
		row("c1", "I set `boot.timeout` to 60 but it still crashes.", "failed", "-"),
		row("c2", "Set `WIDGET_CACHE=off` before starting it.", "fix", "reporter"),
		row("c2", "The crash happens because the cache file is locked.", "cause", "-"),
	)
	threads := map[string]Thread{thread.URL: thread}
	page := func(items ...pages.AdviceItem) []pages.ClusterAdvice {
		return []pages.ClusterAdvice{{ClusterID: 1, Title: "Widget boot fails", Sources: []string{thread.URL}, Items: items}}
	}
	fix := pages.AdviceItem{Section: "fix", Text: "Set `WIDGET_CACHE=off` before starting it.", IssueURL: thread.URL}
	cause := pages.AdviceItem{Section: "cause", Text: "The crash happens because the cache file is locked.", IssueURL: thread.URL}
	failed := pages.AdviceItem{Section: "fix", Text: "I set `boot.timeout` to 60 but it still crashes.", IssueURL: thread.URL}
	story := pages.AdviceItem{Section: "cause", Text: "I am using widget 2.1 on Linux.", IssueURL: thread.URL}
	part := pages.AdviceItem{Section: "fix", Text: "before starting it", IssueURL: thread.URL}
	foreign := pages.AdviceItem{Section: "fix", Text: "Pin model identifiers in configuration.", IssueURL: thread.URL}

	m := Evaluate(page(fix, cause), threads, ls)
	if m.FixPrecision != 1 || m.CausePrecision != 1 || m.FixRecall != 1 || m.CauseRecall != 1 || m.PagesMissingAll != 0 {
		t.Errorf("good page: %+v", m)
	}
	m = Evaluate(page(failed, story, part, foreign), threads, ls)
	if m.FixCorrect != 0 || m.FixBullets != 3 || m.CauseBullets != 1 || m.PagesMissingAll != 1 || m.MissingAllShare != 1 {
		t.Errorf("bad page counts: %+v", m)
	}
	if m.BadFailed != 1 || m.BadStory != 1 || m.BadFragment != 1 || m.BadTemplate != 1 {
		t.Errorf("bad kinds: failed %d story %d fragment %d template %d, want 1 each", m.BadFailed, m.BadStory, m.BadFragment, m.BadTemplate)
	}
}

func TestLabelErrorsNameFileAndLine(t *testing.T) {
	t.Parallel()
	ls := Labels{}
	err := ls.read(strings.NewReader("# header\nhttps://x\tbody\tabc\tfix\n"), "bad.tsv")
	if err == nil || !strings.Contains(err.Error(), "bad.tsv:2") {
		t.Errorf("short line: err = %v, want it to name bad.tsv:2", err)
	}
	err = ls.read(strings.NewReader("https://x\tbody\tabc\tsolution\t-\n"), "bad.tsv")
	if err == nil || !strings.Contains(err.Error(), "bad.tsv:1") || !strings.Contains(err.Error(), "label") {
		t.Errorf("unknown label: err = %v", err)
	}
}

func TestShippedLabelsLoad(t *testing.T) {
	t.Parallel()
	ls, err := DefaultLabels()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) < 100 {
		t.Errorf("only %d labels shipped", len(ls))
	}
}

func TestUnitHash(t *testing.T) {
	t.Parallel()
	// The hash ignores case and white-space runs, as the labels assume.
	if UnitHash("Set  `X`\nto 1.") != UnitHash("set `x` to 1.") {
		t.Error("UnitHash depends on case or white space")
	}
	us := Units("One sentence. Two sentences!\n\n```\ncode here\n```\n- an item")
	var got []string
	for _, u := range us {
		got = append(got, u.Kind+":"+u.Text)
	}
	want := "sentence:One sentence.|sentence:Two sentences!|code:code here|sentence:- an item"
	if strings.Join(got, "|") != want {
		t.Errorf("Units = %q, want %q", strings.Join(got, "|"), want)
	}
}

// The target line is the strict figure: a page that leaves out any one of
// its confirmed fixes counts, even when it shows another.
func TestReportTargetIsStrict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		any, all    int
		wantVerdict string
		wantLoose   string
	}{
		{"one page of ten missing one fix", 1, 0, "target at most 10%: ok", ""},
		{"two pages missing one fix each", 2, 0, "target at most 10%: BELOW TARGET", ""},
		{"loose figure met, strict not", 3, 1, "target at most 10%: BELOW TARGET", "missing every confirmed fix of theirs:     1 of 10 (10.0%)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := Metrics{Pages: 10, PagesMissingAny: tt.any, PagesMissingAll: tt.all,
				MissingAnyShare: float64(tt.any) / 10, MissingAllShare: float64(tt.all) / 10}
			var b strings.Builder
			m.WriteReport(&b, "c", false)
			var line string
			for _, l := range strings.Split(b.String(), "\n") {
				if strings.Contains(l, "missing a confirmed fix") {
					line = l
				}
			}
			if !strings.Contains(line, tt.wantVerdict) {
				t.Errorf("strict line %q, want %q", line, tt.wantVerdict)
			}
			if tt.wantLoose != "" && !strings.Contains(b.String(), tt.wantLoose) {
				t.Errorf("report lacks loose line %q:\n%s", tt.wantLoose, b.String())
			}
		})
	}
}

// A bullet's context sentence is quoted with it, so it counts as shown;
// it does not make a wrong bullet right.
func TestContextCountsAsShown(t *testing.T) {
	t.Parallel()
	th := Thread{URL: "https://example.test/acme/widget/issues/2", Posts: []string{
		"Widget fails with `E_SOCKET`.",
		"To resolve this:\n\n- Raise the socket limit in `widget.toml`.",
	}}
	rowOf := func(part, text, label, confirm string) string {
		return strings.Join([]string{th.URL, part, UnitHash(text), label, confirm}, "\t")
	}
	ls := labelsFor(t,
		rowOf("c1", "To resolve this:", "fix", "maintainer"),
		rowOf("c1", "- Raise the socket limit in `widget.toml`.", "fix", "maintainer"),
	)
	threads := map[string]Thread{th.URL: th}
	item := pages.AdviceItem{Section: "fix", Text: "Raise the socket limit in `widget.toml`.", IssueURL: th.URL}
	page := func(it pages.AdviceItem) []pages.ClusterAdvice {
		return []pages.ClusterAdvice{{ClusterID: 1, Title: "Widget socket fails", Sources: []string{th.URL}, Items: []pages.AdviceItem{it}}}
	}
	if m := Evaluate(page(item), threads, ls); m.PagesMissingAny != 1 || m.FixCorrect != 1 {
		t.Errorf("without context: missing %d correct %d, want 1 and 1", m.PagesMissingAny, m.FixCorrect)
	}
	item.Context = "To resolve this:"
	if m := Evaluate(page(item), threads, ls); m.PagesMissingAny != 0 || m.ConfirmedShown != 2 || m.FixCorrect != 1 {
		t.Errorf("with context: missing %d shown %d correct %d, want 0, 2, 1", m.PagesMissingAny, m.ConfirmedShown, m.FixCorrect)
	}
}
