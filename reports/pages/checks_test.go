package pages

import (
	"strings"
	"testing"
	"time"

	"github.com/errata-tool/errata/store"
)

// TestChecksNeedSharedEvidence checks the platform checks, troubleshooting
// steps and FAQ against made-up threads, as a reader would: one report's
// own address or version is not a check for everyone, and a fix said to
// be in a newer release, with no version named, is not called "fixed in a
// release" by a page that also says no release names a fix.
func TestChecksNeedSharedEvidence(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	src := func(id int64, author, body string) store.PageIssue {
		return store.PageIssue{ID: id, Repository: "acme/widgetd", Number: int(id), Title: "widgetd cannot connect",
			Body: body, State: "open", Author: author, HTMLURL: "https://github.com/acme/widgetd/issues/" + string(rune('0'+id)),
			CreatedAt: at.Add(time.Duration(id) * time.Hour)}
	}
	c := &store.PageCluster{ID: 1, Title: "Error: connect ECONNREFUSED 127.0.0.1:7001", Signature: "error: connect econnrefused <ip>", Size: 3}
	ev := &store.PageEvidence{ClusterID: 1, Reports: 3, Open: 3, FirstSeen: at, LastEvidence: at.Add(48 * time.Hour),
		Sources: []store.PageIssue{
			src(1, "ann", "widgetd version 2.0.1 talks to http://localhost:7001 and fails with Error: connect ECONNREFUSED 127.0.0.1:7001"),
			src(2, "bob", "widgetd version 2.0.1 talks to http://localhost:7002 and fails with Error: connect ECONNREFUSED 127.0.0.1:7002"),
			src(3, "cid", "widgetd version 1.9.0 fails with Error: connect ECONNREFUSED"),
		},
		Thread: []store.PageComment{
			{IssueID: 1, Author: "maya", AuthorAssociation: "OWNER", Body: "This is fixed in the latest release of widgetd, please upgrade.",
				HTMLURL: "https://github.com/acme/widgetd/issues/1#issuecomment-11", CreatedAt: at.Add(24 * time.Hour)},
			{IssueID: 1, Author: "ann", Body: "Upgraded and it works now, thanks!",
				HTMLURL: "https://github.com/acme/widgetd/issues/1#issuecomment-12", CreatedAt: at.Add(30 * time.Hour)},
		},
	}
	page := renderCluster(Plain, &pageData{c: c, ev: ev, slug: "s", path: "connection/s", asOf: at.Add(48 * time.Hour)})
	for _, bad := range []string{
		"localhost:7001`, named", "named most often", // each address is one report's
		"`1.9.0`",                     // one report's version
		"No release names a fix, but", // contradicted by the fix's own label
	} {
		if strings.Contains(page, bad) {
			t.Errorf("page has %q:\n%s", bad, page)
		}
	}
	for _, want := range []string{"`2.0.1` (2 reports)"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "said to be in a newer release") && !strings.Contains(page, "A thread says a newer release fixes it, without naming the version") {
		t.Errorf("versionless release fix without a matching FAQ answer:\n%s", page)
	}
}

// TestOwnMistakeIsCause checks that a reporter's "I mistakenly did X. All
// good now." is mined as the cause, not as a fix to apply.
func TestOwnMistakeIsCause(t *testing.T) {
	t.Parallel()
	day := kindDay
	is := store.PageIssue{ID: 1, Repository: "acme/widget", HTMLURL: "https://example.test/acme/widget/issues/1", Author: "ann",
		Body: "Widget login fails with `client authentication failed`.", CreatedAt: day(1)}
	fs := mine(&store.PageEvidence{Sources: []store.PageIssue{is}, Thread: []store.PageComment{
		{IssueID: 1, Author: "ann", Body: "I mistakenly pointed `WIDGET_HUB` at the staging hub. All good now, thank you.", CreatedAt: day(2)},
	}})
	var causes, fixes []string
	for _, f := range fs {
		switch f.Kind {
		case KindCause:
			causes = append(causes, f.Text)
		case KindFix, KindWorkaround:
			fixes = append(fixes, f.Text)
		}
	}
	if len(fixes) > 0 || len(causes) != 1 || !strings.Contains(causes[0], "`WIDGET_HUB` at the staging hub") {
		t.Errorf("causes %q, fixes %q; want the mistake as the one cause", causes, fixes)
	}
}

// An SSH server's "Permission denied" with its list of methods is an
// authentication failure, not a file's permissions.
func TestGlossarySSHPermission(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want []string
	}{
		{"deploy@build.example: Permission denied (publickey,password).", []string{"SSH authentication"}},
		{"open /srv/app/data.db: permission denied", []string{"EACCES"}},
		{"Got permission denied while trying to reach the socket", []string{"EACCES"}},
		{"EACCES: permission denied, mkdir '/opt/tool'", []string{"EACCES"}},
	}
	for _, tc := range tests {
		var got []string
		for _, g := range terms([]string{tc.text}, 3) {
			got = append(got, g.code)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("terms(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

// A connect timeout is explained by its own code, not by the generic
// timeout's "find which step is slow".
func TestGlossaryTimeoutFamily(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want []string
	}{
		{"dial tcp 192.0.2.7:22: connect: connection timed out", []string{"ETIMEDOUT"}},
		{"upstream answered 504 Gateway Timeout", []string{"HTTP 504"}},
		{"the build step timed out after 600s", []string{"timeout"}},
	}
	for _, tc := range tests {
		var got []string
		for _, g := range terms([]string{tc.text}, 3) {
			got = append(got, g.code)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("terms(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}
