package classify

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"url and ip", "connect ECONNREFUSED 10.0.0.12:8080 while calling https://api.example.net/v2/items?id=7", "connect econnrefused <ip> while calling <url>"},
		{"failed-wrapper", "GET https://api.example.net/v2/items?id=7 failed: connect ECONNREFUSED 10.0.0.12:8080", "connect econnrefused <ip>"},
		{"tag of a few words", "[gizmo server error] spool daemon handshake rejected", "spool daemon handshake rejected"},
		{"uuid and hex", "request 3f2b8c1e-9d4a-4b7e-8f00-1234567890ab failed with trace deadbeef01", "request <uuid> failed with trace <hex>"},
		{"numbers and statuses kept", "HTTP 503 after 3 retries in 250ms", "http 503 after <num> retries in <duration>"},
		{"json-rpc code kept", "call -32001: Request timed out", "call -32001: request timed out"},
		{"wrapper with json-rpc code dropped", "Server error -32001: Request timed out", "request timed out"},
		{"paths", "cannot open /home/alice/.config/tool/settings.json: permission denied", "cannot open <path>: permission denied"},
		{"windows path", `Error: EPERM: operation not permitted, rename 'C:\Users\bob\AppData\x.tmp'`, "eperm: operation not permitted, rename <str>"},
		{"versions", "requires node v20.11.1 but found 18.2.0", "requires node <version> but found <version>"},
		{"package at version", "npm ERR! missing: left-pad@1.3.0", "npm err! missing: left-pad@<version>"},
		{"quoted value", "Unknown option 'fooBar' in section \"server\"", "unknown option <str> in section <str>"},
		{"quoted phrase unquoted", `failed with "Invalid grant type supplied"`, "failed with invalid grant type supplied"},
		{"apostrophe kept", "can't reach host, don't retry", "can't reach host, don't retry"},
		{"quoted code kept", "got error 'invalid_grant' from token endpoint", "got error invalid_grant from token endpoint"},
		{"dates and times", "2025-01-02T03:04:05Z token expired at 12:30:01", "<date> token expired at <time>"},
		{"email and host", "mail to ops@example.org via smtp.example.com failed", "mail to <email> via <host> failed"},
		{"key value", "status=failed retry_after=30 user=alice", "status=<str> retry_after=<num> user=<str>"},
		{"two lines only", "first line\n\nsecond line\nthird line", "first line second line"},
		{"collapse repeated masks", "values 1 2 3 4 done", "values <num> done"},
		{"opaque ids", "request id req_01HZX9K2QW7ABCDEF123 rejected", "request id <id> rejected"},
		{"exception name kept", "java.lang.IllegalStateException: pool closed", "java.lang.illegalstateexception: pool closed"},
		{"email vs package", "user bob@example.com", "user <email>"},
		// decorations (decorations.go): written for these tests
		{"api wrapper", "API Error: upstream timed out", "upstream timed out"},
		{"log prefix with module and line", "[ERROR] app.client:call:88 - upstream timed out.", "upstream timed out"},
		{"retry note", "upstream timed out · retrying in 3 seconds (attempt 2/10)", "upstream timed out"},
		{"attempt note", "upstream timed out (attempt 2/10)", "upstream timed out"},
		{"retry word of the message kept", "sync failed, will not retry", "sync failed, will not retry"},
		{"trailing punctuation", "upstream timed out!!", "upstream timed out"},
		{"quotes around the whole message", `"upstream timed out"`, "upstream timed out"},
		{"layered wrappers", "Streamable HTTP error: Error: upstream timed out", "upstream timed out"},
		{"code in the head kept", "ERROR listen EADDRINUSE: address already in use", "error listen eaddrinuse: address already in use"},
		{"exception class kept", "TypeError: widget is undefined", "typeerror: widget is undefined"},
		{"wrapper with code tag", "Error [ERR_THING_NOT_FOUND]: Cannot find thing 'a' imported from b", "cannot find thing <str> imported from b"},
		{"process tag", "(node:4242) ExampleWarning: the gizmo option is deprecated", "examplewarning: the gizmo option is deprecated"},
		{"exit code kept", "process exited with exit code 137", "process exited with exit code 137"},
		{"fullwidth colon", "同步失败：upstream timed out", "同步失败: upstream timed out"},
		{"short text kept", "Error: boom", "error: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Normalize(tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if again := Normalize(got); again != got {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}

func TestNormalizeBounded(t *testing.T) {
	t.Parallel()
	in := strings.Repeat("word ", 5000)
	got := Normalize(in)
	if len(got) > MaxNormalizedLen {
		t.Fatalf("len %d > %d", len(got), MaxNormalizedLen)
	}
	if Normalize(got) != got {
		t.Fatalf("truncated output not idempotent")
	}
}

func TestFingerprintVersioned(t *testing.T) {
	t.Parallel()
	a, b := Fingerprint("x <num>"), Fingerprint("x <num>")
	if a != b || !strings.HasPrefix(a, FingerprintVersion+":") || len(a) != len(FingerprintVersion)+1+32 {
		t.Fatalf("fingerprint %q / %q", a, b)
	}
	if Fingerprint("y") == a {
		t.Fatal("different templates share a fingerprint")
	}
}
