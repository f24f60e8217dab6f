// This file is the labelling splitter, copied verbatim (only the package name changed) from the tool the labels were made with.

// Package-level note: this file is the LABELLING SPLITTER. The pages
// evaluation (errata eval --pages) must use exactly this splitting and
// hashing, so labels made with it can be found again. Copy it verbatim.
package pageeval

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Unit is one labellable piece of a post: a sentence of prose or a whole
// fenced code block.
type Unit struct {
	Kind string // "sentence" or "code"
	Text string
}

// UnitHash is the key of a unit in a label file: the first 16 hex digits of
// the SHA-256 of its text with white space collapsed, trimmed and
// lower-cased.
func UnitHash(text string) string {
	norm := strings.ToLower(strings.Join(strings.Fields(text), " "))
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:])[:16]
}

// Units splits a post's Markdown into units: each fenced code block is one
// unit; the rest is cut into paragraphs (blank lines), list items and
// headings start a new paragraph, and paragraphs are cut into sentences
// after . ! ? followed by white space, and after 。！？ always.
func Units(md string) []Unit {
	var out []Unit
	var para []string
	flush := func() {
		if len(para) == 0 {
			return
		}
		for _, s := range splitSentences(strings.Join(para, " ")) {
			out = append(out, Unit{Kind: "sentence", Text: s})
		}
		para = para[:0]
	}
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			flush()
			fence := t[:3]
			var code []string
			for i++; i < len(lines); i++ {
				if strings.HasPrefix(strings.TrimSpace(lines[i]), fence) {
					break
				}
				code = append(code, lines[i])
			}
			if c := strings.TrimSpace(strings.Join(code, "\n")); c != "" {
				out = append(out, Unit{Kind: "code", Text: c})
			}
			continue
		}
		if t == "" {
			flush()
			continue
		}
		if startsBlock(t) {
			flush()
		}
		para = append(para, t)
	}
	flush()
	return out
}

func startsBlock(t string) bool {
	if strings.HasPrefix(t, "#") || strings.HasPrefix(t, ">") {
		return true
	}
	if len(t) >= 2 && (t[0] == '-' || t[0] == '*' || t[0] == '+') && t[1] == ' ' {
		return true
	}
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(t) && (t[i] == '.' || t[i] == ')') && t[i+1] == ' '
}

func splitSentences(p string) []string {
	var out []string
	start := 0
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		end := i + size
		cut := false
		switch r {
		case '。', '！', '？':
			cut = true
		case '.', '!', '?':
			cut = end == len(p) || unicode.IsSpace(rune(p[end]))
		}
		if cut {
			if s := strings.TrimSpace(p[start:end]); s != "" {
				out = append(out, s)
			}
			start = end
		}
		i = end
	}
	if s := strings.TrimSpace(p[start:]); s != "" {
		out = append(out, s)
	}
	return out
}
