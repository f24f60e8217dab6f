package pages

import (
	"strings"
	"testing"
	"time"

	"github.com/errata-tool/errata/store"
)

// TestFixKinds checks, on threads written for the test, the forms of fixes
// that threads confirm but that no action-on-an-object sentence states: a
// pointer to the docs, quoted docs, a block after a heading, a lead-in to
// a list, a release link, the reporter's own answer, a maintainer's new
// build or diff, a maintainer's how-to issue. Each case also names forms
// that must stay out.
// fixKindCase is one thread of TestFixKinds and what must be mined from it.
type fixKindCase struct {
	name     string
	repo     string // "" for acme/widget
	author   string // the issue's author, "" for ann
	body     string
	comments []store.PageComment
	closed   bool
	want     string // a mined fix holds it (text, context or code); "" for none
	confirm  Confirmation
	code     string // the fix's code holds it
	link     string // the fix's link
}

// kindDay is a day of the fixture threads.
func kindDay(n int) time.Time { return time.Date(2026, 5, n, 0, 0, 0, 0, time.UTC) }

var fixKindCases = []fixKindCase{
	// A sentence broken around a pasted address is shown whole, not cut
	// before the words that say it worked.
	{name: "a sentence finished below a pasted value",
		body: "Widget fails with `E_SOCKET` when it dials the sync endpoint.\n\nHowever, when I remove the /sync suffix from the setting and use:\nhttp://127.0.0.1:7070\n\neverything works again.",
		want: "use: http://127.0.0.1:7070 everything works again.", confirm: ConfirmReporter},
	// "If not, ..." answers the question before it: the question is its
	// condition and is quoted with it.
	{name: "a conditional answer to a question",
		comments: []store.PageComment{{Author: "bob", Body: "Hello! Is your shell inside the project folder? If not, open the folder and run `widget sync` from there."}},
		want:     "Is your shell inside the project folder? | If not, open the folder"},
	// A short CJK "try downgrading widget" alone in its paragraph is
	// quoted with the sentence above, which says why (in Chinese: since
	// the last release, widget needs { strict: false } written out in its
	// config, or it fails at once; try downgrading widget).
	{name: "a short CJK suggestion under its reason",
		comments: []store.PageComment{{Author: "bob", Body: "上个版本之后，widget 要求在配置里显式写上 { strict: false }，否则会直接报错。\n\n降级一下widget试试"}},
		want:     "{ strict: false }，否则会直接报错。 | 降级一下widget试试"},
	{name: "doc pointer with a link",
		comments: []store.PageComment{{Author: "max", AuthorAssociation: "OWNER", Body: "@ann See https://docs.example.test/widget/config#max_upload_size"}},
		want:     "See https://docs.example.test/widget/config#max_upload_size", confirm: ConfirmMaintainer},
	{name: "polite doc pointer",
		comments: []store.PageComment{{Author: "bob", Body: "Could you please follow [the key setup guide](https://docs.example.test/keys) and then try again?"}},
		want:     "follow the key setup guide", link: "https://docs.example.test/keys"},
	{name: "an intermediate step of the report is no fix",
		body: "Steps:\n1) Start widget, the first sync works.\n2) Add a second mirror.\n3) Restarted widget and it worked again, everything normal.\n4) Sync again after a few restarts.\n\nError: mirror not found"},
	{name: "an intermediate step in another language is no fix",
		// 1. open widget; 2. set WIDGET_MIRROR; 3. restart and try once: it connects, all normal; 4. sync again: error
		body: "步骤：\n1、打开 widget。\n2、设置 WIDGET_MIRROR。\n3、重启后试一次，连接成功，一切正常。\n4、再次同步：\nError: mirror not found"},
	{name: "a link to another issue is no doc pointer",
		comments: []store.PageComment{{Author: "bob", Body: "See [this one](https://example.test/acme/widget/issues/12) for the same thing."}}},
	{name: "a link to a log is no doc pointer",
		comments: []store.PageComment{{Author: "bob", Body: "See the full log in [this paste](https://paste.example.test/abc123) for details."}}},
	{name: "quoted docs",
		comments: []store.PageComment{{Author: "max", AuthorAssociation: "MEMBER", Body: "From the manual:\n\n> To run the widget CLI as a normal user, add your user to the `widget` group and log in again.\n\nThat should do it."}},
		want:     "add your user to the `widget` group", confirm: ConfirmMaintainer},
	{name: "a quote of an earlier post is no advice",
		body:     "Widget fails with `E_SOCKET`. Setting `WIDGET_RETRIES=0` in the environment made no difference.",
		comments: []store.PageComment{{Author: "bob", Body: "> Setting `WIDGET_RETRIES=0` in the environment made no difference.\n\nOdd."}}},
	{name: "a quoted reply in the first person is no advice",
		comments: []store.PageComment{{Author: "bob", Body: "> I have fixed this and opened a change, please wait.\n\nStill there in the newest build."}}},
	{name: "block after a heading",
		comments: []store.PageComment{{Author: "bob", Body: "I resolved it by removing the `s` from the proxy scheme as described here:\n\n## Steps\n\n```\nproxies = {'https': 'http://proxy.example.test:8080'}\n```"}},
		want:     "removing the `s` from the proxy scheme", code: "proxies = ", confirm: ConfirmOthers},
	{name: "lead-in to a list of steps",
		comments: []store.PageComment{{Author: "max", AuthorAssociation: "OWNER", Body: "Exit code 137 means the kernel killed the process.\n\nTo resolve this:\n\n- Check `dmesg` to confirm the kill.\n- Increase the memory limit or add swap on the host."}},
		want:     "To resolve this:", confirm: ConfirmMaintainer},
	{name: "release link and 'try it'",
		comments: []store.PageComment{{Author: "max", AuthorAssociation: "OWNER", Body: "https://example.test/acme/widget/releases/tag/v0.6.3\n\n试下新版本吧"}},
		want:     "试下新版本吧", confirm: ConfirmReleased},
	{name: "reporter forgot a step",
		comments: []store.PageComment{{Author: "ann", Body: "Never mind, I forgot to install node.js first."}},
		want:     "forgot to install node.js", confirm: ConfirmReporter},
	{name: "a maintainer's 'I forgot to' is a cause of the bug, not a fix",
		comments: []store.PageComment{{Author: "max", AuthorAssociation: "OWNER", Body: "Thanks! I forgot to use `normalizePath` there."}}},
	{name: "reporter's last word before closing", closed: true,
		comments: []store.PageComment{{Author: "ann", Body: "`RetryPolicy` has to be set", CreatedAt: kindDay(8)}},
		want:     "`RetryPolicy` has to be set", confirm: ConfirmReporter},
	{name: "reporter's last word with a failure is no answer", closed: true,
		comments: []store.PageComment{{Author: "ann", Body: "`RetryPolicy` still fails", CreatedAt: kindDay(8)}}},
	{name: "reporter found the solution, then shows it",
		comments: []store.PageComment{{Author: "ann", Body: "So I dug into it and found the solution.\n$ edit ~/.widget/config\n```\nHost widget.example.test\n  Port 443\n```"}},
		want:     "found the solution", code: "Port 443", confirm: ConfirmReporter},
	{name: "maintainer published a new build",
		comments: []store.PageComment{{Author: "max", AuthorAssociation: "OWNER", Body: "Looks like the last image was built on arm. I just pushed another docker image built for amd64. Please do a docker pull of latest and try it."}},
		want:     "I just pushed another docker image built for amd64. Please do a docker pull", confirm: ConfirmMaintainer},
	{name: "maintainer's diff",
		comments: []store.PageComment{{Author: "max", AuthorAssociation: "OWNER", Body: "Updated:\n\n```\ndiff --git a/nginx.conf b/nginx.conf\n--- a/nginx.conf\n+++ b/nginx.conf\n@@ -1,2 +1,3 @@\n server {\n+    client_max_body_size 5M;\n```"}},
		want:     "Updated:", code: "client_max_body_size", confirm: ConfirmMaintainer},
	{name: "how-to issue by the repository's owner", repo: "max/widget", author: "max",
		body: "If you get the timeout below\n\n```\nssh: connect to host example.test port 22: Connection timed out\n```\n\nJust run the following command\n\n```\nssh -T -p 443 git@ssh.example.test\n```",
		want: "Just run the following command", code: "ssh -T -p 443", confirm: ConfirmMaintainer},
	{name: "a recommendation after 'no workaround in the browser'",
		comments: []store.PageComment{{Author: "max", AuthorAssociation: "OWNER", Body: "Nothing can be changed about this inside the browser tab, so it's recommended that you download the widget desktop version and use that."}},
		want:     "download the widget desktop version", confirm: ConfirmMaintainer},
	{name: "a conditional imperative",
		comments: []store.PageComment{{Author: "bob", Body: "If you want to run it without sudo, add your user to the `widget` group and log in again."}},
		want:     "add your user to the `widget` group"},
	{name: "a greeting does not hide the advice",
		comments: []store.PageComment{{Author: "bob", Body: "Hi @ann, my best guess is that you need to set up your [SSH key with the forge](https://docs.example.test/ssh)."}},
		want:     "you need to set up your SSH key", link: "https://docs.example.test/ssh"},
	{name: "another user's 'never mind, I had to ...'",
		comments: []store.PageComment{{Author: "bob", Body: "never mind, I just had to issue a fresh widget token"}},
		want:     "issue a fresh widget token"},
	{name: "a supposed failure after a fix does not undo it",
		comments: []store.PageComment{{Author: "bob", Body: "Try setting `WIDGET_RETRIES=5` in the environment. If it still fails, send the daemon log."}},
		want:     "WIDGET_RETRIES=5"},
	{name: "a reported failure after a fix does",
		comments: []store.PageComment{{Author: "bob", Body: "Try setting `WIDGET_RETRIES=5` in the environment. It still fails for me with the same error."}}},
	{name: "a report's 'removing it brings it back to normal' under its steps",
		body: "### Steps to Reproduce\n\n一旦开启代理配置，保存时就会报错。移除代理配置以后恢复正常。",
		// quoted with the sentence before it, which says which setting
		want: "一旦开启代理配置，保存时就会报错。 移除代理配置以后恢复正常。", confirm: ConfirmReporter},
	{name: "a report's 'only restarting the session works'",
		body: "The agent stops with `E_EMPTY_BLOCK` now and then. When it does only restarting the session works, nothing else helps.",
		want: "only restarting the session works"},
	{name: "a menu item to click",
		comments: []store.PageComment{{Author: "bob", Body: "Si no, una opción es vaciar la caché: en Ajustes, seleccionar \"Reset Widget Cache\" y reiniciar el daemon."}},
		want:     "Reset Widget Cache"},
	{name: "a failure, but the last clause says an action ended it",
		body: "widget 2.10.4 (\"On the newest version the rename fails often, but after I rolled back to 2.10.1 the problem disappeared.\")",
		want: "after I rolled back to 2.10.1", confirm: ConfirmReporter},
	{name: "a success, but the last clause says it failed again",
		comments: []store.PageComment{{Author: "bob", Body: "I set `WIDGET_RETRIES=5` and it worked once, but then it failed again."}}},
	// Read against real threads (issue 16): a report's description of the
	// wrong behaviour ("prints the error instead of asking for a new one")
	// before a sentence with "no longer valid" is no fix the reporter
	// confirmed.
	{name: "a description with 'instead of' before 'no longer' is no fix",
		body: "## Summary\n\nThe daemon holds its session token in memory. Once the hub rotates `HUB_SECRET`, the daemon sends the old token and prints the error instead of asking for a new one.\n\n## Expected behaviour\n\nA rotated secret means the old token is no longer valid; the daemon should fetch a new one."},
	{name: "'it no longer happened' after an action is still a success",
		comments: []store.PageComment{{Author: "bob", Body: "I set `WIDGET_RETRIES=5` in the environment and the error no longer appeared."}},
		want:     "WIDGET_RETRIES=5", confirm: ConfirmOthers},
	{name: "'I used X instead of Y' is still an action",
		comments: []store.PageComment{{Author: "ann", Body: "I used `widget sync --direct` instead of the proxy and it works now."}},
		want:     "widget sync --direct", confirm: ConfirmReporter},
	{name: "'back to normal' after an action is a success",
		comments: []store.PageComment{{Author: "ann", Body: "I moved the daemon to Python 3.12.4 and now it is back to normal."}},
		want:     "Python 3.12.4", confirm: ConfirmReporter},
	{name: "the reporter's 'I resolved it by' is confirmed by the reporter",
		body: "Behind the office proxy the sync always fails. I resolved by setting `WIDGET_PROXY=http://proxy:3128` in the daemon's environment.",
		want: "WIDGET_PROXY=http://proxy:3128", confirm: ConfirmReporter},
	{name: "a Chinese suggestion around a URL is Chinese, and a fix",
		comments: []store.PageComment{{Author: "bob", Body: "试试 http://widget-gateway.internal.example:7000 吧"}},
		want:     "widget-gateway.internal.example:7000"},
	{name: "'deleting the old cache fixed it' in Chinese, with a colloquial verb",
		comments: []store.PageComment{{Author: "ann", Body: "把旧的widget缓存删掉就好了"}},
		want:     "widget缓存删掉", confirm: ConfirmReporter},
	{name: "a me-too is no context",
		comments: []store.PageComment{{Author: "bob", Body: "I see this quite often too. It goes away after you set `WIDGET_RETRIES=5` in the environment."}},
		want:     "WIDGET_RETRIES=5", confirm: ConfirmOthers},
}

func TestFixKinds(t *testing.T) {
	t.Parallel()
	day := kindDay
	closed := day(9)
	for _, tc := range fixKindCases {
		repo, author := tc.repo, tc.author
		if repo == "" {
			repo = "acme/widget"
		}
		if author == "" {
			author = "ann"
		}
		body := tc.body
		if body == "" {
			body = "Widget fails with `E_SOCKET`."
		}
		is := store.PageIssue{ID: 1, Repository: repo, HTMLURL: "https://example.test/" + repo + "/issues/1", Author: author, Body: body, CreatedAt: day(1)}
		if tc.closed {
			is.State, is.ClosedAt = "closed", &closed
		}
		for i := range tc.comments {
			tc.comments[i].IssueID = 1
			if tc.comments[i].CreatedAt.IsZero() {
				tc.comments[i].CreatedAt = day(2 + i)
			}
		}
		fs := mine(&store.PageEvidence{Sources: []store.PageIssue{is}, Thread: tc.comments})
		var got *Finding
		var all []string
		for i := range fs {
			f := &fs[i]
			if f.Kind != KindFix && f.Kind != KindWorkaround {
				continue
			}
			all = append(all, f.Context+" | "+f.Text)
			if tc.want != "" && (strings.Contains(f.Context+" "+f.Text, tc.want) || strings.Contains(f.Context+" | "+f.Text, tc.want)) {
				got = f
			}
		}
		if tc.want == "" {
			if len(all) > 0 {
				t.Errorf("%s: mined fixes %q, want none", tc.name, all)
			}
			continue
		}
		if got == nil {
			t.Errorf("%s: no fix holds %q; mined %q", tc.name, tc.want, all)
			continue
		}
		if tc.code != "" && !strings.Contains(got.Code, tc.code) {
			t.Errorf("%s: code %q, want it to hold %q", tc.name, got.Code, tc.code)
		}
		if got.Confirm != tc.confirm {
			t.Errorf("%s: confirmation %v, want %v", tc.name, got.Confirm, tc.confirm)
		}
		if got.Context != "" && chatter(got.Context) {
			t.Errorf("%s: chatter %q shown as context", tc.name, got.Context)
		}
		if got.Link != tc.link {
			t.Errorf("%s: link %q, want %q", tc.name, got.Link, tc.link)
		}
		if tc.link != "" && !strings.Contains(quoteFinding(*got), "[docs.example.test]("+tc.link+")") {
			t.Errorf("%s: quote %q does not link %s", tc.name, quoteFinding(*got), tc.link)
		}
	}
}
