package redact

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, secret, kind string
	}{
		{"github classic", "export GH=ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "github-token"},
		{"github fine grained", "token github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github-token"},
		{"openai", "OPENAI_API_KEY=sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345", "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345", ""},
		{"anthropic", "using sk-ant-api03-ZYXWVUTSRQPONMLKJIHGFEDCBA-0123456789", "sk-ant-api03-ZYXWVUTSRQPONMLKJIHGFEDCBA-0123456789", "anthropic-key"},
		{"aws access key", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "aws-access-key"},
		{"aws secret", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""},
		{"bearer", "Authorization: Bearer abc123def456ghi789jkl012", "abc123def456ghi789jkl012", "bearer"},
		{"url password", "postgres://admin:s3cr3tP4ss@db.internal:5432/app", "s3cr3tP4ss", "url-password"},
		{"password field", `{"password": "hunter2hunter2"}`, "hunter2hunter2", "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := String(tt.in)
			if strings.Contains(got, tt.secret) {
				t.Fatalf("secret left in %q", got)
			}
			if tt.kind != "" && !strings.Contains(got, "[REDACTED:"+tt.kind+"]") {
				t.Errorf("%q: want mask kind %s", got, tt.kind)
			}
			if String(got) != got {
				t.Errorf("not idempotent: %q -> %q", got, String(got))
			}
			if !Contains(tt.in) {
				t.Errorf("Contains(%q) = false", tt.in)
			}
		})
	}
}

func TestStringKeepsErrors(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"Error: connect ECONNREFUSED 127.0.0.1:5432",
		"invalid_grant: refresh token expired",
		"prompt is too long: 210000 tokens > 200000 maximum",
		"https://example.com/callback?error=access_denied",
	} {
		if got := String(s); got != s {
			t.Errorf("String(%q) = %q, want unchanged", s, got)
		}
	}
}
