package pages

import (
	"strings"
	"testing"
	"time"

	"github.com/errata-tool/errata/store"
)

// TestConfirmation checks how a thread confirms a fix, on threads written
// for the test.
func TestConfirmation(t *testing.T) {
	t.Parallel()
	day := func(n int) time.Time { return time.Date(2026, 5, n, 0, 0, 0, 0, time.UTC) }
	closed := day(6)
	fix := "You can set `WIDGET_RETRIES=5` in the environment to get past it."
	for _, tc := range []struct {
		name  string
		issue store.PageIssue
		posts []store.PageComment
		want  Confirmation
	}{
		{"reporter says it worked", store.PageIssue{Author: "ann"},
			[]store.PageComment{{Author: "bob", Body: fix}, {Author: "ann", Body: "Thanks, that worked for me!"}}, ConfirmReporter},
		{"another user says it worked", store.PageIssue{Author: "ann"},
			[]store.PageComment{{Author: "bob", Body: fix}, {Author: "cid", Body: "Can confirm, this fixed it here too."}}, ConfirmOthers},
		{"reactions", store.PageIssue{Author: "ann"},
			[]store.PageComment{{Author: "bob", Body: fix, ReactionsTotal: 4}}, ConfirmOthers},
		{"a later 'still fails' is no confirmation", store.PageIssue{Author: "ann"},
			[]store.PageComment{{Author: "bob", Body: fix}, {Author: "ann", Body: "It worked once but it still fails."}}, ConfirmNone},
		{"maintainer", store.PageIssue{Author: "ann"},
			[]store.PageComment{{Author: "max", AuthorAssociation: "MEMBER", Body: fix}}, ConfirmMaintainer},
		{"closed right after", store.PageIssue{Author: "ann", State: "closed", ClosedAt: &closed},
			[]store.PageComment{{Author: "bob", Body: fix, CreatedAt: day(5)}}, ConfirmClosed},
		{"closed as not planned", store.PageIssue{Author: "ann", State: "closed", StateReason: "not_planned", ClosedAt: &closed},
			[]store.PageComment{{Author: "bob", Body: fix, CreatedAt: day(5)}}, ConfirmNone},
		{"release", store.PageIssue{Author: "ann"},
			[]store.PageComment{{Author: "max", AuthorAssociation: "OWNER", Body: "This is fixed in v3.2.1, please upgrade."}}, ConfirmReleased},
		{"a hedged guess at a release is no release", store.PageIssue{Author: "ann"},
			[]store.PageComment{{Author: "bob", Body: "This could probably be resolved by installing the latest release of widget, 3.0."}}, ConfirmNone},
		{"suggestion", store.PageIssue{Author: "ann"},
			[]store.PageComment{{Author: "bob", Body: fix}}, ConfirmNone},
	} {
		tc.issue.ID, tc.issue.HTMLURL, tc.issue.Body = 1, "https://example.test/1", "Widget fails with `E_RETRY`."
		for i := range tc.posts {
			tc.posts[i].IssueID = 1
		}
		fs := mine(&store.PageEvidence{Sources: []store.PageIssue{tc.issue}, Thread: tc.posts})
		var got *Finding
		for i := range fs {
			if fs[i].Kind == KindFix || fs[i].Kind == KindWorkaround {
				got = &fs[i]
				break
			}
		}
		if got == nil {
			t.Errorf("%s: no fix mined", tc.name)
			continue
		}
		if got.Confirm != tc.want {
			t.Errorf("%s: confirmation %v, want %v", tc.name, got.Confirm, tc.want)
		}
	}
}

// TestRepeatedCommandIsNoFix: a comment that only says to run the report's
// failing command again is not shown as a fix; one that changes something
// first is.
func TestRepeatedCommandIsNoFix(t *testing.T) {
	t.Parallel()
	body := "Running `npx widget-maker new demo` fails with `E_WIDGET_SPAWN`."
	for _, tc := range []struct {
		comment string
		fix     bool
	}{
		{"Open a terminal and run npx widget-maker new demo from your home folder.", false},
		{"Install the widget runtime first, then run npx widget-maker new demo again.", true},
		{"Run npm install -g widget-maker to get the current tool.", true},
	} {
		ev := &store.PageEvidence{
			Sources: []store.PageIssue{{ID: 1, HTMLURL: "https://example.test/1", Author: "ann", Body: body}},
			Thread:  []store.PageComment{{IssueID: 1, Author: "bob", Body: tc.comment}},
		}
		got := false
		for _, f := range mine(ev) {
			if f.Kind == KindFix || f.Kind == KindWorkaround {
				got = true
			}
		}
		if got != tc.fix {
			t.Errorf("%q: fix mined = %v, want %v", tc.comment, got, tc.fix)
		}
	}
}

// TestStepsAndReleaseNotes: an answer in steps is one fix, and the changes
// a release announcement lists item by item are fixes confirmed by it.
func TestStepsAndReleaseNotes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		comment string
		want    []string // each must be inside one mined fix
		confirm Confirmation
	}{
		{"steps", "You need to add your user to the `widget` group. After that, log out and log back in to refresh the groups.",
			[]string{"add your user to the `widget` group. After that, log out"}, ConfirmNone},
		{"listed workarounds stay apart", "The provider limits you here.\n\nShort-term options:\n\n- retry at a quieter hour\n- send fewer requests at once to `api.example.test`\n",
			[]string{"retry at a quieter hour; send fewer requests"}, ConfirmNone},
		{"release notes", "This is fixed in v2.3.0 of the widget daemon.\n\nWhat changed:\n\n- The loader now retries the socket three times before giving up.\n- Removed the duplicate `make_widget` definition from `seed.py`.\n",
			[]string{"The loader now retries the socket three times", "Removed the duplicate `make_widget` definition"}, ConfirmReleased},
	} {
		ev := &store.PageEvidence{
			Sources: []store.PageIssue{{ID: 1, HTMLURL: "https://example.test/1", Author: "ann", Body: "Widget fails with `E_SOCKET`."}},
			Thread:  []store.PageComment{{IssueID: 1, Author: "bob", Body: tc.comment}},
		}
		fs := mine(ev)
		for _, w := range tc.want {
			var got *Finding
			for i := range fs {
				if (fs[i].Kind == KindFix || fs[i].Kind == KindWorkaround) && strings.Contains(fs[i].Text, w) {
					got = &fs[i]
				}
			}
			if got == nil {
				t.Errorf("%s: no fix holds %q; mined %+v", tc.name, w, fs)
				continue
			}
			if got.Confirm != tc.confirm {
				t.Errorf("%s: %q confirmed %v, want %v", tc.name, w, got.Confirm, tc.confirm)
			}
		}
	}
}
