package pages

import (
	"strings"
	"testing"

	"github.com/errata-tool/errata/store"
)

// mineComments mines a thread of one report whose comments are cs.
func mineComments(cs []store.PageComment, closed bool) []Finding {
	day := kindDay
	is := store.PageIssue{ID: 1, Repository: "acme/widget", HTMLURL: "https://example.test/acme/widget/issues/1", Author: "ann",
		Body: "Widget fails with `E_SOCKET`.", CreatedAt: day(1)}
	if closed {
		c := day(2 + len(cs))
		is.State, is.ClosedAt = "closed", &c
	}
	for i := range cs {
		cs[i].IssueID = 1
		cs[i].CreatedAt = day(2 + i)
	}
	return mine(&store.PageEvidence{Sources: []store.PageIssue{is}, Thread: cs})
}

// A fix that points at another post's suggestion is quoted with the
// sentence before it when that one names what the writer ran, without its
// me-too clause; with nothing concrete before it, it stays alone.
func TestFixPointingAtAnotherPost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		cs          []store.PageComment
		want        string // in the fix's context, "" for none
		notInContxt string
	}{
		{
			name: "referent after a me-too clause of the same sentence",
			cs: []store.PageComment{
				{Author: "bob", Body: "Is your entry script called `widget.py`? That shadows the package."},
				{Author: "cy", Body: "I ran into a similar issue, my entry script was called `gears.py` which shadowed the package. Renaming it the way @bob proposed fixed it."},
			},
			want:        "my entry script was called `gears.py`",
			notInContxt: "similar issue",
		},
		{
			name: "nothing concrete before",
			cs: []store.PageComment{
				{Author: "bob", Body: "Is your entry script called `widget.py`? That shadows the package."},
				{Author: "cy", Body: "Thanks a lot for the help! Renaming it the way @bob proposed fixed it."},
			},
			want: "",
		},
	}
	for _, tc := range tests {
		var got *Finding
		fs := mineComments(tc.cs, false)
		for i := range fs {
			if strings.Contains(fs[i].Text, "@bob proposed fixed it") {
				got = &fs[i]
			}
		}
		if got == nil {
			t.Errorf("%s: the fix was not mined", tc.name)
			continue
		}
		if tc.want == "" && got.Context != "" || !strings.Contains(got.Context, tc.want) {
			t.Errorf("%s: context %q, want %q", tc.name, got.Context, tc.want)
		}
		if tc.notInContxt != "" && strings.Contains(got.Context, tc.notInContxt) {
			t.Errorf("%s: context %q holds %q", tc.name, got.Context, tc.notInContxt)
		}
	}
}

func TestCodeChange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text    string
		version string
		confirm Confirmation
		want    bool
	}{
		{"Merged #12 into main, which drops the duplicate handler.", "", ConfirmClosed, true},
		{"Two stacked pull requests carry this: the handler now retries once.", "", ConfirmMaintainer, true},
		{"Removed the stale lock from `cache.go` and added a guard in `open_pool()`.", "", ConfirmClosed, true},
		{"已修复，已合入 `main` 分支。", "", ConfirmClosed, true},
		// A user's own edit that worked is theirs to apply.
		{"Removed the stale entry from `cache.go` and it works now.", "", ConfirmReporter, false},
		// A release is named, or said to come: update to it.
		{"Fixed in 2.4.1, merged in #12.", "2.4.1", ConfirmReleased, false},
		{"Merged #12, it will be in the next release.", "", ConfirmClosed, false},
		// Something a user can do.
		{"Set `WIDGET_TIMEOUT=60` in your environment.", "", ConfirmMaintainer, false},
		{"Add the `--no-cache` flag to the command.", "", ConfirmNone, false},
		{"Could you check whether PR #12 helps?", "", ConfirmNone, false},
	}
	for _, tc := range tests {
		f := Finding{Kind: KindFix, Text: tc.text, Version: tc.version, Confirm: tc.confirm}
		if got := codeChange(f); got != tc.want {
			t.Errorf("codeChange(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

// A maintainer's change to the project's code ranks after a fix a user can
// apply, and says what the user can do about it.
func TestCodeChangeRanksLast(t *testing.T) {
	t.Parallel()
	fs := mineComments([]store.PageComment{
		{Author: "dan", Body: "Setting `WIDGET_TIMEOUT=60` in your environment avoids it for now."},
		{Author: "max", AuthorAssociation: "MEMBER", Body: "Both fixes are merged now.\n\n**What we fixed:**\n\n1. **Removed the stale lock** from `cache.go`. The pool now opens once.\n2. Added a guard in `open_pool()`."},
	}, true)
	a := selectAdvice(fs)
	if len(a.fixes) != 2 {
		t.Fatalf("fixes %+v, want 2", a.fixes)
	}
	if a.fixes[0].InCode || !a.fixes[1].InCode {
		t.Errorf("order %q then %q, want the user's fix first", a.fixes[0].Text, a.fixes[1].Text)
	}
	label := fixLabel(a.fixes[1])
	if !strings.Contains(label, "in no named release yet") || !strings.Contains(label, "after 2026-05-03") {
		t.Errorf("label %q, want what a user can do and from when", label)
	}
}

// A fix said to be in a newer release that names none takes the version a
// later comment that says it works names, and one said to be in the
// latest release says when that release was out.
func TestNewerReleaseNamed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cs    []store.PageComment
		label string
	}{
		{
			name: "a later comment names the version",
			cs: []store.PageComment{
				{Author: "max", AuthorAssociation: "MEMBER", Body: "This should be fixed in the latest version. Please give it a try."},
				{Author: "ann", Body: "Works great, thanks @max, any chance we could get 3.2.1 in the package manager?"},
			},
			label: "names `3.2.1`",
		},
		{
			name: "a later comment that fails names none",
			cs: []store.PageComment{
				{Author: "max", AuthorAssociation: "MEMBER", Body: "This should be fixed in the latest version. Please give it a try."},
				{Author: "ann", Body: "It still fails on 3.2.1."},
			},
			label: "said to be in a newer release, out by 2026-05-02",
		},
	}
	for _, tc := range tests {
		var got *Finding
		fs := mineComments(tc.cs, false)
		for i := range fs {
			if strings.Contains(fs[i].Text, "latest version") {
				got = &fs[i]
			}
		}
		if got == nil {
			t.Errorf("%s: the fix was not mined", tc.name)
			continue
		}
		if l := fixLabel(*got); !strings.Contains(l, tc.label) {
			t.Errorf("%s: label %q, want it to hold %q", tc.name, l, tc.label)
		}
	}
}

// A request to try something and see whether it helps, advice to debug,
// both naming nothing to change, and an action its writer says only puts
// the error off, are no fixes; one that names what to change is.
func TestVagueTrial(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		want bool // mined as a fix
	}{
		{"Could you try tweaking the plugin options and see if it goes away.", false},
		{"Please try changing a few things in the preferences and check whether it helps.", false},
		{"Set `pool_size: 4` in the config and see if it resolves it.", true},
		{"Try adding the `--no-cache` flag and see whether it helps.", true},
		// By its writer's own account it only puts the error off.
		{"Raise the connect timeout in your proxy, but this will likely just delay the error.", false},
		// Finding the cause is no fix.
		{"You should debug your cluster to determine what makes the client give up (for example, maybe the workers are not running, or perhaps a firewall blocks the port).", false},
		{"Try to debug the gateway to find out which hop drops the session.", false},
		{"You should raise `connect_timeout` to 30 in the proxy config.", true},
	}
	for _, tc := range tests {
		fs := mineComments([]store.PageComment{{Author: "max", AuthorAssociation: "OWNER", Body: tc.body}}, false)
		got := false
		for _, f := range fs {
			got = got || f.Kind == KindFix || f.Kind == KindWorkaround
		}
		if got != tc.want {
			t.Errorf("%q mined as a fix: %v, want %v", tc.body, got, tc.want)
		}
	}
}

// A fix whose object is a bare pronoun is quoted with the sentence or the
// paragraph that names what the pronoun stands for, unless that is a
// question.
func TestPronounObjectContext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body, fix, want string
	}{
		{"Looks like the account's credit balance has run out.\n\ntry topping up this to make it work https://example.test/billing", "topping up this", "credit balance has run out"},
		{"The widget daemon keeps a leftover pid entry in its state folder. Deleting that and restarting the widget daemon fixed it.", "Deleting that", "leftover pid entry"},
		{"Did you clear the cache?\n\nDeleting that and restarting the widget daemon fixed it.", "Deleting that", ""},
	}
	for _, tc := range tests {
		fs := mineComments([]store.PageComment{{Author: "max", AuthorAssociation: "OWNER", Body: tc.body}}, true)
		var got *Finding
		for i := range fs {
			if strings.Contains(fs[i].Text, tc.fix) {
				got = &fs[i]
			}
		}
		if got == nil {
			t.Errorf("%q: no fix holds %q", tc.body, tc.fix)
			continue
		}
		if tc.want == "" && got.Context != "" || !strings.Contains(got.Context, tc.want) {
			t.Errorf("%q: context %q, want %q", tc.body, got.Context, tc.want)
		}
	}
}

// A cause that explains the quoted message with the message's own words
// says nothing the message did not; one that names what is behind it
// does.
func TestRestatesError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		want bool // mined as a cause
	}{
		{"The error you get (`unexpected end of data stream`) typically means that the data stream is incomplete or cut short.", false},
		{"The message `bad wire format` usually means the binary was built for another CPU, such as an `arm64` image on an `amd64` host.", true},
	}
	for _, tc := range tests {
		fs := mineComments([]store.PageComment{{Author: "max", AuthorAssociation: "OWNER", Body: tc.body}}, false)
		got := false
		for _, f := range fs {
			got = got || f.Kind == KindCause
		}
		if got != tc.want {
			t.Errorf("%q mined as a cause: %v, want %v", tc.body, got, tc.want)
		}
	}
}
