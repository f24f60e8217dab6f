package pages

import (
	"iter"
	"strings"
)

// Scanners for the patterns that run over whole report texts (every body
// and thread of a page's sources). They were regular expressions; Go's
// regexp engine tries every alternative at every position of the text,
// which made them a third of a page's cost. Each scanner works on the
// lower-cased text and is checked against the regular expression it
// replaces by a test and a fuzz target (scan_test.go). The one difference:
// Unicode case folding beyond strings.ToLower (the long s "ſ" matching
// "s") is not applied.

// isWordByte reports whether c is in \w (ASCII letters, digits, "_").
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// isSpaceByte reports whether c is in \s.
func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// boundary reports whether there is a \b between l[i-1] and l[i].
func boundary(l string, i int) bool {
	before := i > 0 && isWordByte(l[i-1])
	after := i < len(l) && isWordByte(l[i])
	return before != after
}

// occurrences yields the index of every occurrence of w in l, overlapping
// ones included, in order.
func occurrences(l, w string) iter.Seq[int] {
	return func(yield func(int) bool) {
		for off := 0; ; {
			i := strings.Index(l[off:], w)
			if i < 0 || !yield(off+i) {
				return
			}
			off += i + 1
		}
	}
}

// containsWord reports whether the lower-case text l holds w with a \b
// before and after it, as \bw\b would (w starts and ends with a word
// character).
func containsWord(l, w string) bool {
	for i := range occurrences(l, w) {
		if boundary(l, i) && boundary(l, i+len(w)) {
			return true
		}
	}
	return false
}

// anyWord reports whether l holds one of the words as a whole word.
func anyWord(l string, words ...string) bool {
	for _, w := range words {
		if containsWord(l, w) {
			return true
		}
	}
	return false
}

// platform is an operating system or runtime people name in reports: it
// is named when one of its words occurs as a whole word in the
// lower-cased text, or when extra says so.
type platform struct {
	name  string
	words []string
	extra func(l string) bool
}

// platforms are operating systems and runtimes people name in reports.
var platforms = []platform{
	{"Windows", []string{"windows", "win10", "win11", "win32", "win64", "powershell"}, hasDrivePath},
	{"WSL", []string{"wsl", "wsl2"}, nil},
	{"macOS", []string{"macos", "mac os", "osx", "os x", "darwin", "homebrew", "brew install"}, nil},
	{"Linux", []string{"linux", "ubuntu", "debian", "fedora", "arch linux"}, nil},
	{"Docker", []string{"docker", "container", "podman"}, nil},
	{"Node.js", []string{"npm", "npx"}, hasNodeVersion},
	{"Python", []string{"pip install", "uv", "uvx"}, hasPythonVersion},
	{"a corporate proxy or VPN", []string{"proxy", "vpn", "zscaler", "firewall"}, nil},
}

func (p platform) named(l string) bool {
	return anyWord(l, p.words...) || p.extra != nil && p.extra(l)
}

// hasDrivePath: a Windows drive path, [a-z]:\ .
func hasDrivePath(l string) bool {
	for i := range occurrences(l, `:\`) {
		if i > 0 && l[i-1] >= 'a' && l[i-1] <= 'z' {
			return true
		}
	}
	return false
}

// hasNodeVersion: \bnode(\.js|js)?\s+v?\d+ .
func hasNodeVersion(l string) bool {
	for i := range occurrences(l, "node") {
		if !boundary(l, i) {
			continue
		}
		for _, suffix := range []string{".js", "js", ""} {
			j := i + 4
			if !strings.HasPrefix(l[j:], suffix) {
				continue
			}
			j += len(suffix)
			k := j
			for k < len(l) && isSpaceByte(l[k]) {
				k++
			}
			if k == j {
				continue
			}
			if k < len(l) && l[k] == 'v' {
				k++
			}
			if k < len(l) && isDigitByte(l[k]) {
				return true
			}
		}
	}
	return false
}

// hasPythonVersion: \bpython\s*3?\.\d+ .
func hasPythonVersion(l string) bool {
	for i := range occurrences(l, "python") {
		if !boundary(l, i) {
			continue
		}
		k := i + 6
		for k < len(l) && isSpaceByte(l[k]) {
			k++
		}
		if k < len(l) && l[k] == '3' {
			// "3" is optional: try with it, then without.
			if k+2 < len(l) && l[k+1] == '.' && isDigitByte(l[k+2]) {
				return true
			}
		}
		if k+1 < len(l) && l[k] == '.' && isDigitByte(l[k+1]) {
			return true
		}
	}
	return false
}

// urlHosts returns the host (and ":port" when given) of every http(s) URL
// in the lower-cased text l, in order, as
// \bhttps?://(?:[^\s/@]+@)?([a-z0-9.\-]+|\[[0-9a-f:]+\])(?::(\d{2,5}))?
// finds them.
func urlHosts(l string) []string {
	var out []string
	end := 0 // where the previous match ended: matches do not overlap
	for off := 0; ; {
		p := strings.Index(l[off:], "://")
		if p < 0 {
			return out
		}
		p += off
		off = p + 1
		start := -1
		switch {
		case p >= 5 && l[p-5:p] == "https" && p-5 >= end && boundary(l, p-5):
			start = p - 5
		case p >= 4 && l[p-4:p] == "http" && p-4 >= end && boundary(l, p-4):
			start = p - 4
		}
		if start < 0 {
			continue
		}
		q := p + 3
		// Optional user info: a run of [^\s/@] ended by "@". If no host
		// follows it, the match is tried again without it.
		host, hostEnd := "", -1
		u := q
		for u < len(l) && !isSpaceByte(l[u]) && l[u] != '/' && l[u] != '@' {
			u++
		}
		if u > q && u < len(l) && l[u] == '@' {
			host, hostEnd = scanHost(l, u+1)
		}
		if hostEnd < 0 {
			host, hostEnd = scanHost(l, q)
		}
		if hostEnd < 0 {
			continue
		}
		e := hostEnd
		if e < len(l) && l[e] == ':' {
			d := e + 1
			for d < len(l) && d-(e+1) < 5 && isDigitByte(l[d]) {
				d++
			}
			if d-(e+1) >= 2 {
				host += ":" + l[e+1:d]
				e = d
			}
		}
		out = append(out, host)
		end = e
		off = e
	}
}

// scanHost matches ([a-z0-9.\-]+|\[[0-9a-f:]+\]) at l[i:] and returns the
// host and the index after it, or -1.
func scanHost(l string, i int) (string, int) {
	j := i
	for j < len(l) && (l[j] >= 'a' && l[j] <= 'z' || isDigitByte(l[j]) || l[j] == '.' || l[j] == '-') {
		j++
	}
	if j > i {
		return l[i:j], j
	}
	if i < len(l) && l[i] == '[' {
		j = i + 1
		for j < len(l) && (isDigitByte(l[j]) || l[j] >= 'a' && l[j] <= 'f' || l[j] == ':') {
			j++
		}
		if j > i+1 && j < len(l) && l[j] == ']' {
			return l[i : j+1], j + 1
		}
	}
	return "", -1
}

// localPorts returns the ports of local addresses in the lower-cased text
// l, as (?:\blocalhost|\b127\.0\.0\.1|\b0\.0\.0\.0|\[::1\]|(?:^|[^:\w])::1):(\d{2,5})\b
// finds them (each port once per address found).
func localPorts(l string) []string {
	var out []string
	for _, n := range []string{"localhost", "127.0.0.1", "0.0.0.0", "[::1]", "::1"} {
		for i := range occurrences(l, n) {
			switch n {
			case "[::1]":
			case "::1":
				if i > 0 && (l[i-1] == ':' || isWordByte(l[i-1])) {
					continue
				}
			default:
				if !boundary(l, i) {
					continue
				}
			}
			j := i + len(n)
			if j >= len(l) || l[j] != ':' {
				continue
			}
			d := j + 1
			for d < len(l) && isDigitByte(l[d]) {
				d++
			}
			if digits := d - (j + 1); digits < 2 || digits > 5 || d < len(l) && isWordByte(l[d]) {
				continue
			}
			out = append(out, l[j+1:d])
		}
	}
	return out
}

// versionWindow bounds the text after a version's lead-in that reVersionAt
// is run on: a version is far shorter, and the regexp's cost grows with
// its input.
const versionWindow = 128

// versionsIn returns the versions named in s, in order, as
// (?i)\b(?:version|ver\.?|v)\s*:?\s*(\d+\.\d+(?:\.\d+)?(?:-[0-9a-z.]+)?)\b
// finds them: a match can only start at a "v" that begins a word, so the
// anchored form is tried there alone, on a short window.
func versionsIn(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != 'v' && s[i] != 'V' || !boundary(s, i) {
			continue
		}
		// The window: the lead-in word ("version", "ver.", "v"), the
		// spaces and colon after it, and versionWindow bytes more.
		j := i
		for j < len(s) && j-i < 8 && (s[j]|0x20 >= 'a' && s[j]|0x20 <= 'z' || s[j] == '.') {
			j++
		}
		for j < len(s) && (isSpaceByte(s[j]) || s[j] == ':') {
			j++
		}
		w := s[i:min(len(s), j+versionWindow)]
		m := reVersionAt.FindStringSubmatchIndex(w)
		if m != nil && m[1] == len(w) && len(w) < len(s)-i {
			// The match reaches the window's end, where \b saw no next
			// character: decide on the whole rest.
			w = s[i:]
			m = reVersionAt.FindStringSubmatchIndex(w)
		}
		if m == nil {
			continue
		}
		out = append(out, w[m[2]:m[3]])
		i += m[1] - 1
	}
	return out
}
