// Package redact removes secrets from text that errata stores or shows:
// error texts quoted from issues, page excerpts and prompts sent to an LLM.
//
// It masks GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), OpenAI
// and Anthropic keys (sk-..., sk-ant-...), AWS access key ids and secret
// keys given as assignments, Google API keys, Slack tokens, JWTs, bearer and
// basic authorization values, passwords in URLs (scheme://user:pass@host),
// and values of key=value / "key": "value" pairs whose key names a secret
// (password, secret, token, api_key, ...). Masks keep the kind of secret so
// the text stays readable: "[REDACTED:github-token]".
package redact

import (
	"math/bits"
	"regexp"
	"strings"
)

type rule struct {
	re   *regexp.Regexp
	kind string
	// group is the submatch that holds the secret; 0 masks the whole match.
	group int
	// hints: lower-case ASCII literals one of which every match contains;
	// the regexp only runs when one is present in strings.ToLower of the
	// text (a cheap prefilter). They are the single source of the scan
	// tables built by init; a rule with no hints never runs.
	hints []string
}

var rules = []rule{
	{regexp.MustCompile(`\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,255}\b`), "github-token", 0, []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}},
	{regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{20,255}\b`), "github-token", 0, []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}},
	{regexp.MustCompile(`\bsk-ant-[A-Za-z0-9_\-]{16,}`), "anthropic-key", 0, []string{"sk-ant-"}},
	{regexp.MustCompile(`\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}`), "openai-key", 0, []string{"sk-"}},
	{regexp.MustCompile(`\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b`), "aws-access-key", 0, []string{"akia", "asia", "agpa", "aida", "aroa", "anpa"}},
	{regexp.MustCompile(`\bAIza[0-9A-Za-z_\-]{35}\b`), "google-api-key", 0, []string{"aiza"}},
	{regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9\-]{10,}`), "slack-token", 0, []string{"xox"}},
	{regexp.MustCompile(`\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}`), "jwt", 0, []string{"eyj"}},
	{regexp.MustCompile(`(?i)\b(?:bearer|token|basic)\s+([A-Za-z0-9_\-.~+/]{16,}=*)`), "bearer", 1, []string{"bearer", "token", "basic"}},
	{regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.\-]{1,15}://[^\s:/@]{1,64}:([^\s@/]{1,128})@`), "url-password", 1, []string{"://"}},
	{regexp.MustCompile(`(?i)(?:aws_secret_access_key|secret_access_key)["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{30,})`), "aws-secret-key", 1, []string{"secret_access_key"}},
	{regexp.MustCompile(`(?i)["']?\b[a-z_\-]*(?:password|passwd|secret|api[_\-]?key|apikey|access[_\-]?token|refresh[_\-]?token|auth[_\-]?token|client[_\-]?secret|private[_\-]?key)["']?\s*[:=]\s*["']?([^\s"',;&]{6,})`), "secret", 1, []string{"password", "passwd", "secret", "key", "token"}},
}

// String returns s with every secret it recognizes replaced by a
// "[REDACTED:kind]" mask. It is deterministic and idempotent.
func String(s string) string {
	if s == "" {
		return s
	}
	return apply(s, hintHits(s))
}

// apply runs, in order, the rules whose bit is set in hit.
func apply(s string, hit uint64) string {
	for ; hit != 0; hit &= hit - 1 {
		r := &rules[bits.TrailingZeros64(hit)]
		if !r.re.MatchString(s) {
			continue
		}
		mask := "[REDACTED:" + r.kind + "]"
		if r.group == 0 {
			s = r.re.ReplaceAllString(s, mask)
			continue
		}
		s = replaceGroup(r.re, s, r.group, mask)
	}
	return s
}

func replaceGroup(re *regexp.Regexp, s string, g int, mask string) string {
	idx := re.FindAllStringSubmatchIndex(s, -1)
	if idx == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		start, end := m[2*g], m[2*g+1]
		if start < 0 || strings.HasPrefix(s[start:end], "[REDACTED") {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(mask)
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

// Contains reports whether s holds a secret that String would mask.
func Contains(s string) bool {
	if s == "" {
		return false
	}
	hit := hintHits(s)
	return hit != 0 && apply(s, hit) != s
}
