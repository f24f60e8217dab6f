package classify

import (
	"strings"
	"testing"
)

func TestCleanText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain text\nline two\ttab", "plain text\nline two\ttab"},
		{"open '/etc/\x1b[2J\x1b[Hx'", "open '/etc/x'"},
		{"title\x1b]0;pwned\a after", "title after"},
		{"\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ end", "link end"},
		{"c1 \u009b31mred", "c1 red"},
		{"carriage\r\x1b[Kreturn", "carriage\nreturn"},
		{"crlf\r\nline", "crlf\nline"},
		{"bell\a del\x7f nul\x00", "bell del nul"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
	}
	for _, tt := range tests {
		got := CleanText(tt.in)
		if got != tt.want {
			t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for _, c := range []string{"\x1b", "\a", "\u009b", "\r"} {
			if strings.Contains(got, c) {
				t.Errorf("CleanText(%q) keeps %q", tt.in, c)
			}
		}
		if CleanText(got) != got {
			t.Errorf("not idempotent on %q", got)
		}
	}
}
