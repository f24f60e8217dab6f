package pages

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/errata-tool/errata/store"
)

// TestPageTitleNamesWhatFailed checks titles built from made-up cluster
// titles and signatures: what failed and the error, cut at a clause, with
// variable parts dropped, never a bare code or a sentence cut mid-word.
func TestPageTitleNamesWhatFailed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ title, sig, want string }{
		{"invalid_scope", "invalid_scope", "OAuth login fails with invalid_scope: the requested scope is invalid"},
		{"Error: connect ECONNREFUSED 10.1.2.3:9000", "error: connect econnrefused <ip>", "Connection fails with connect ECONNREFUSED"},
		{"Request failed with status code 429", "request failed with status code 429", "Request failed with status code 429"},
		{"fatal: Could not read from remote repository.", "fatal: could not read from remote repository.", "Git command fails: could not read from remote repository"},
		{"API Error: 400 Widget names must be unique", "api error: 400 widget names must be unique", "LLM API request fails with HTTP 400: widget names must be unique"},
		{"Error: spawn EINVAL", "error: spawn einval", "Starting a process fails with spawn EINVAL"},
		{"Command failed with ENAMETOOLONG: widget --prompt \"You are a very long…", "command failed with enametoolong: widget --prompt <str>", "Command failed with ENAMETOOLONG"},
		{"Command failed with ENAMETOOLONG: widget -p --system-prompt \"You are a widget, ...\" --verbose --output-format stream-json…", "command failed with enametoolong: widget -p --system-prompt <str> --verbose", "Command failed with ENAMETOOLONG"},
		{"Error: EPERM: operation not permitted, rename 'C:\\tmp\\a.txt' -> 'C:\\tmp\\b.txt'", "error: eperm: operation not permitted, rename <str> -> <str>", "File operation fails with EPERM: operation not permitted, rename"},
		// A hint that explains a code names the code and its meaning.
		{"Hint: Exit code 137 usually means the widget was killed because the host ran out of memory", "hint: exit code 137 usually means the widget was killed because the host ran out of memory",
			"Exit code 137: the widget was killed because the host ran out of memory"},
	} {
		got := pageTitle(&store.PageCluster{Title: tc.title, Signature: tc.sig})
		if got != tc.want {
			t.Errorf("pageTitle(%q) = %q, want %q", tc.title, got, tc.want)
		}
	}
	// List markers and the report's prose before the error go.
	for _, tc := range []struct{ title, want string }{
		{"5. Start the widget and observe Error: widget exploded at startup", "Widget exploded"},
		{"- Error: widget exploded at startup", "Widget exploded"},
		{"2) fatal: widget exploded at startup", "Widget exploded"},
		{"The error I keep getting is Error: widget exploded at startup", "Widget exploded"},
		{"The error I keep getting is:", "Widget exploded"},
		{"Widget sync failed with error: widget exploded at startup", "Widget sync failed with error: widget exploded"},
	} {
		if got := pageTitle(&store.PageCluster{Title: tc.title, Signature: "error: widget exploded at startup"}); got != tc.want {
			t.Errorf("pageTitle(%q) = %q, want %q", tc.title, got, tc.want)
		}
	}
	// Titles read against real threads (issue 16): an apostrophe is not an
	// open quote; a reporter's lead-in (bold, or ending in a colon of any
	// script) gives way to the signature; log prefixes (a chained error's
	// "0:", a process id, "[tag]" labels) go; a cut never ends on a word
	// that needs what was cut; a quote left open after a label is unquoted
	// rather than cut down to the label; a JSON key or an object literal
	// gives way to the code it holds.
	for _, tc := range []struct{ title, sig, want string }{
		{"Error: This widget's queue length is 40 items", "error: this widget's queue length is <num> items", "This widget's queue length is 40 items"},
		{"I'm trying to sync a big widget and I'm getting a 413 error. The proxy says", "i'm trying to sync a big widget and i'm getting a 413 error. the proxy says", "Upload fails with HTTP 413"},
		{"**after pressing the sync button i see this error:**", "*after pressing the sync button i see this error* oauth error: invalid widget_id parameter", "OAuth login fails: invalid widget_id parameter"},
		{"syncing widget 错误：", "syncing widget 错误: mcp error -32602: widget <str> not found", "Syncing widget 错误: mcp error -32602"},
		{"0: Failed to sync widget: {\"error\":{\"headers\":1}}", "<num>: failed to sync widget: {<str>:{<str>:<num>}}", "Failed to sync widget"},
		{"Error: 4242:error:0A00010B:widget routines:WIDGET_READ:wrong widget number", "<num>:error:<hex>:widget routines:<id>:wrong widget number:<path>:<num>", "Widget routines: wrong widget number"},
		{"Sometimes Widget sync failed: the daemon went away", "sometimes widget sync failed: the daemon went away", "Widget sync failed: the daemon went away"},
		{"Widget sync failed: Failed to reach the hub: hub error -41: Connection…", "widget sync failed: failed to reach the hub: hub error -41: connection dropped by peer", "Widget sync failed: Failed to reach the hub: hub error -41: Connection dropped by peer"},
		{"[widget] [info] Daemon reply: widget jammed", "daemon reply: widget jammed", "Daemon reply: widget jammed"},
		{"Preflight error on call to https://api.widget.example", "preflight error on call to <url>", "Preflight error on call"},
		{"WidgetKit: \"Unsupported option: 'speed' is not supported with this widget. Use…", "widgetkit: unsupported option: <str> is not supported with this widget. use <str> instead", "WidgetKit: Unsupported option: 'speed' is not supported with this widget"},
		{"{ code: 'ECONNRESET', syscall: 'read' }", "code: econnreset, syscall: read", "Connection fails with ECONNRESET: connection reset by the other side"},
		{"\"extra\":{\"message\":\"CERT_HAS_EXPIRED\",", "<str>:{<str>:cert_has_expired, <str>:error: cert_has_expired", "TLS connection fails with CERT_HAS_EXPIRED: the server certificate has expired"},
	} {
		if got := pageTitle(&store.PageCluster{Title: tc.title, Signature: tc.sig}); got != tc.want {
			t.Errorf("pageTitle(%q) = %q, want %q", tc.title, got, tc.want)
		}
	}
	// A title that names nothing ("1: 1") gives way to the signature, then
	// to the cluster's number.
	if got := pageTitle(&store.PageCluster{ID: 7, Title: "1: 1", Signature: "widget daemon exited early"}); got != "widget daemon exited early" {
		t.Errorf("wordless title kept: %q", got)
	}
	if got := pageTitle(&store.PageCluster{ID: 7, Title: "1: 1", Signature: "<num>: <num>"}); got != "Error cluster 7" {
		t.Errorf("wordless title and signature kept: %q", got)
	}
	// A model's title is kept as written.
	if got := pageTitle(&store.PageCluster{Title: "Widget sync stalls behind a proxy", Signature: "x", TitleModel: "m"}); got != "Widget sync stalls behind a proxy" {
		t.Errorf("model title replaced: %q", got)
	}
}

// FuzzTitleAndRoles feeds arbitrary text to the title builder and the
// sentence roles: neither may panic, a title is one line of valid UTF-8,
// and a finding is a whole, non-empty sentence.
func FuzzTitleAndRoles(f *testing.F) {
	for _, s := range []string{"invalid_scope", "Error: connect ECONNREFUSED 10.0.0.1:80", "API Error: 400 {\"message\":\"x y z\"}",
		"Set `A_B=1` in `x.yaml`.\n\n```\nwidget run\n```\nThanks, that worked!", "我把 `a` 改成 2 就好了。", "İ error error \"open quote"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		title := pageTitle(&store.PageCluster{Title: s, Signature: strings.ToLower(s)})
		if strings.ContainsAny(title, "\n\r") || !utf8.ValidString(title) {
			t.Errorf("title %q of %q is not one valid line", title, s)
		}
		us := postUnits(s)
		for i := range us {
			if _, _, ok := sentenceRole(us, i, i%2 == 0); ok && strings.TrimSpace(us[i].text) == "" {
				t.Errorf("empty finding from %q", s)
			}
		}
	})
}
