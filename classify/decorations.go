package classify

import "strings"

// Decorations are the parts of an error line that say how it was printed,
// not which error it is: log levels and bracketed tags in front, a logger's
// module path and line number, "X Error:"-style wrappers added by each
// layer the error passed through, retry and attempt notes after it, and
// trailing punctuation. Two reports of one error differ in these all the
// time ("upstream timed out", "API Error: upstream timed out.", "[ERROR]
// app.client:call:88 - upstream timed out (attempt 2/10)"), so the
// normalizer removes them from the template, repeatedly, until none is
// left. The rules look only at the shape of the tokens and at a short list
// of generic words (levels, "error", "retrying"), never at a message, so
// they hold for errors errata has never seen. What is removed is still in
// the raw text, where codes are found.

// wrapperWords end a wrapper head ("API Error:", "fatal:", "MCP error
// -32603:"); exception class names ("TypeError:") are not wrappers: they
// name the error.
var wrapperWords = map[string]bool{
	"error": true, "err": true, "err!": true, "errors": true, "exception": true, "fatal": true, "warning": true,
	"warn": true, "panic": true, "failure": true, "uncaught": true, "critical": true, "info": true,
	"debug": true, "trace": true, "notice": true, "severe": true, "alert": true, "emerg": true, "level": true,
	"failed": true,
}

// levelTokens are log levels written alone in front of a line.
var levelTokens = map[string]bool{
	"error": true, "err": true, "err!": true, "warn": true, "warning": true, "info": true, "debug": true,
	"fatal": true, "critical": true, "trace": true, "notice": true, "severe": true,
}

// stripDecorations removes decorations from a normalized template (its
// tokens are space-separated and lower-case) until none is left. It never
// removes the last two tokens.
func stripDecorations(s string) string {
	toks := strings.Split(s, " ")
	for range 8 {
		n := len(toks)
		toks = stripLead(toks)
		toks = stripTrail(toks)
		if len(toks) == n {
			break
		}
	}
	return strings.Join(toks, " ")
}

func trimPunct(t string) string { return strings.Trim(t, ".,;:!?*()[]{}|-·•>") }

// isTag: a bracketed or parenthesized token of at most 30 bytes ("[bug]",
// "(<id>)", "[main]:").
func isTag(t string) bool {
	colon := strings.HasSuffix(t, ":")
	t = strings.TrimRight(t, ":")
	if len(t) < 3 || len(t) > 40 {
		return false
	}
	open, close := t[0], byte(']')
	switch open {
	case '[':
	case '(':
		close = ')'
	default:
		return false
	}
	inner := t[1:]
	if inner[len(inner)-1] == close {
		inner = inner[:len(inner)-1]
	} else if !colon {
		// "[err_x:" is "[err_x]:" after the normalizer kept one mark
		return false
	}
	return !strings.ContainsAny(inner, "[]()")
}

// isLocation: a logger's origin with a line number ("app.client:call:88",
// "main.go:12:"), or a masked path, id or host ending with a colon.
func isLocation(t string) bool {
	core := strings.TrimRight(t, ":")
	if core == "" {
		return false
	}
	if strings.HasSuffix(t, ":") && (core == "<path>" || core == "<id>" || core == "<host>" || core == "<ip>" || core == "<url>") {
		return true
	}
	i := strings.LastIndexByte(core, ':')
	if i <= 0 || !isDigits(core[i+1:]) {
		return false
	}
	for j := 0; j < i; j++ {
		c := core[j]
		if !(isWordByte(c) || c == '.' || c == ':' || c == '/' || c == '-' || c == '<' || c == '>') {
			return false
		}
	}
	return true
}

func isSeparator(t string) bool {
	return t == "-" || t == "|" || t == "·" || t == "•" || t == "—" || t == "–" || t == ":" || t == ">" || t == "=>" || t == "->"
}

func stripLead(toks []string) []string {
	if len(toks) <= 2 {
		return toks
	}
	t0 := toks[0]
	switch {
	case isSeparator(t0):
		return toks[1:]
	case isSeparator(toks[1]) && toks[1] != ":" && !strings.HasSuffix(t0, ":") && !wrapperWords[trimPunct(t0)]:
		// "service | message": a one-word source in front of a log line
		// (container, process or logger name)
		return toks[2:]
	case isTag(t0):
		return toks[1:]
	case (t0[0] == '[' || t0[0] == '(') && !strings.ContainsAny(t0[1:], "[]()"):
		// a tag of a few words: "[fastmcp error]", "(main thread)"
		close := "]"
		if t0[0] == '(' {
			close = ")"
		}
		for k := 1; k < 4 && k < len(toks)-2; k++ {
			t := strings.TrimRight(toks[k], ":")
			if strings.ContainsAny(t, "[(") {
				break
			}
			if strings.HasSuffix(t, close) {
				return toks[k+1:]
			}
		}
	case isLocation(t0):
		rest := toks[1:]
		if len(rest) > 2 && isSeparator(rest[0]) {
			rest = rest[1:]
		}
		return rest
	case levelTokens[strings.TrimRight(t0, ":")] && !strings.HasSuffix(t0, ":"):
		// "error connecting to x" keeps its words; a level alone before a
		// separator or a tag is dropped
		if isSeparator(toks[1]) || isTag(toks[1]) || strings.HasSuffix(toks[1], "error:") || strings.HasSuffix(toks[1], "exception:") {
			return toks[1:]
		}
	}
	// A wrapper head: at most four tokens, the last ending with ':' (or
	// followed by a separator), holding a wrapper word; codes, numbers and
	// tags may sit in it ("MCP error -32603:", "Error [ERR_X]:").
	for k := 0; k < 4 && k < len(toks)-2; k++ {
		t := toks[k]
		end := strings.HasSuffix(t, ":") || isSeparator(toks[k+1])
		if !end {
			continue
		}
		if !wrapperHead(toks[:k+1]) {
			return toks
		}
		rest := toks[k+1:]
		if isSeparator(rest[0]) {
			rest = rest[1:]
		}
		if len(rest) < 2 {
			return toks
		}
		return rest
	}
	return toks
}

// wrapperHead: a wrapper word, at most three plain words before it (the
// layer's name: "API", "streamable http"), and after it only numbers,
// statuses and tags ("-32603", "[err_x]"). A head holding an error code
// before its wrapper word, or words after it, is part of the message.
func wrapperHead(head []string) bool {
	w := -1
	for i, h := range head {
		if wrapperWords[trimPunct(h)] {
			w = i
		}
	}
	if w < 0 || w > 3 {
		return false
	}
	for _, h := range head[:w] {
		if isCodeToken(trimPunct(h)) {
			return false
		}
	}
	for _, h := range head[w+1:] {
		t := trimPunct(h)
		if !(isTag(strings.TrimRight(h, ":")) || isStatusOrRPC(t) || isDigits(t) || isPlaceholder(t)) {
			return false
		}
	}
	return true
}

// retryWords open a retry or attempt note at the end of a line.
var retryWords = map[string]bool{"retrying": true, "retry": true, "attempt": true, "will": false}

func stripTrail(toks []string) []string {
	if len(toks) <= 2 {
		return toks
	}
	// a retry note: one of the last eight tokens opens it
	for i := max(2, len(toks)-8); i < len(toks); i++ {
		w := strings.TrimLeft(toks[i], "(·•-[,;")
		if !retryWords[w] {
			continue
		}
		// a note, not a word of the message: set off by punctuation
		// ("· retrying", "(attempt 2/10)", "failed, retrying") or followed
		// by its details ("retrying in 3 seconds")
		prev := toks[i-1]
		if w != toks[i] || isSeparator(prev) || strings.ContainsAny(prev[len(prev)-1:], ",.;:") || i < len(toks)-1 {
			j := i
			for j > 2 && isSeparator(toks[j-1]) {
				j--
			}
			return toks[:j]
		}
	}
	last := toks[len(toks)-1]
	if isTag(last) || isSeparator(last) {
		return toks[:len(toks)-1]
	}
	if t := strings.TrimRight(last, ".,;:!?"); t != last {
		if t == "" {
			return toks[:len(toks)-1]
		}
		out := append([]string(nil), toks...)
		out[len(out)-1] = t
		return out
	}
	return toks
}
