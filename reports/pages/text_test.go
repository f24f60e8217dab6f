package pages

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

func TestInlineEscapesEverythingActive(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain words", "plain words"},
		{"<script>alert(1)</script>", `\<script\>alert\(1\)\</script\>`},
		{"[x](javascript:alert(1))", `\[x\]\(javascript:alert\(1\)\)`},
		{"a | b", `a \| b`},
		{"# not a heading", `\# not a heading`},
		{"- not a list", `\- not a list`},
		{"`code` and *em* _em_", "\\`code\\` and \\*em\\* \\_em\\_"},
		{"two\nlines\r\n\tand tabs", "two lines and tabs"},
		{"see https://example.com/x or www.example.com or me@example.com", `see https\://example.com/x or www\.example.com or me\@example.com`},
		{"{{< shortcode >}}", `\{\{\< shortcode \>\}\}`},
		{"bidi\u202eevil\u2066x", "bidievilx"},
		{"token ghp_Zx81kQm2Vb7Ty4Lp0Wn3Rs6Hd9Jf5Ca1Ge8U", `token \[REDACTED:github-token\]`},
	} {
		if got := inline(tc.in); got != tc.want {
			t.Errorf("inline(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestYAMLStringCannotBreakFrontMatter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`title "quoted" \ back`, `"title \"quoted\" \\ back"`},
		{"multi\nline\n---\nslug: evil", `"multi line --- slug: evil"`},
		{"nul\x00and\x1b[31m", `"nuland[31m"`},
		{"line\u2028sep", `"line sep"`},
	} {
		if got := yamlString(tc.in); got != tc.want {
			t.Errorf("yamlString(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestFenceCannotBeClosedByItsText(t *testing.T) {
	t.Parallel()
	got := fence("a\n```\nb ````", "text")
	if !strings.HasPrefix(got, "`````text\n") || !strings.HasSuffix(got, "\n`````") {
		t.Errorf("fence = %q", got)
	}
	if got := fence("x {{< y >}} {{% z %}}", "text"); strings.Contains(got, "{{<") || strings.Contains(got, "{{%") {
		t.Errorf("fence keeps a Hugo shortcode: %q", got)
	}
}

func TestSafeURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"https://github.com/a/b/issues/1", "https://github.com/a/b/issues/1"},
		{"https://github.com/a/b/issues/1#issuecomment-2", "https://github.com/a/b/issues/1#issuecomment-2"},
		{"javascript:alert(1)", ""},
		{"data:text/html,x", ""},
		{"/relative", ""},
		{"https://user:pass@host/x", ""},
		{"https://h/x)(y", "https://h/x%29%28y"},
		{"https://h/a b", "https://h/a%20b"},
		{"https://h/x?t=ghp_Zx81kQm2Vb7Ty4Lp0Wn3Rs6Hd9Jf5Ca1Ge8U", ""},
	} {
		if got := safeURL(tc.in); got != tc.want {
			t.Errorf("safeURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSlugsStayInTheirDirectory(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"../../etc/passwd", "etc-passwd"},
		{"Ünïcode Ärger", "n-code-rger"},
		{"..", ""},
		{"a/b\\c", "a-b-c"},
	} {
		if got := slugify(tc.in, 80); got != tc.want {
			t.Errorf("slugify(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := categoryDir("topics"); got != "topics-errors" {
		t.Errorf("categoryDir(topics) = %q", got)
	}
	if got := categoryDir("../"); got != defaultCategory {
		t.Errorf("categoryDir(../) = %q", got)
	}
}

func TestWriterRefusesToLeaveTheRoot(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	w, err := newWriter(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"../x.md", "/etc/x.md", "a/../../x.md", "link/x.md", ".hidden/x.md", "a\\..\\x.md", ""} {
		if err := w.write(rel, []byte("x")); err == nil {
			t.Errorf("write(%q) succeeded", rel)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("files written outside the root: %v", entries)
	}
	if err := w.write("ok/page.md", []byte("x")); err != nil {
		t.Errorf("write(ok/page.md): %v", err)
	}
}

func TestSentenceRoles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		post    string
		body    bool
		kind    Kind
		version string
		ok      bool
	}{
		// Fixes and workarounds: an action on a concrete object.
		{"This is fixed in v2.4.1, please upgrade.", false, KindFix, "v2.4.1", true},
		{"You can set `retries: 5` in the config file to get past it.", false, KindFix, "", true},
		{"Upgrading the plugin to 1.9.2 solved it for me.", false, KindFix, "1.9.2", true},
		{"As a workaround, export `WIDGET_TIMEOUT=600` before starting the daemon.", false, KindWorkaround, "", true},
		{"Run this to clear the cache:\n\n```\nwidget cache clear --all\n```", false, KindFix, "", true},
		{"把 `widget.yaml` 里的 `port` 改成 8080 就可以了。", false, KindFix, "", true},
		{"Puedes cambiar `timeout` a 600 en `widget.toml` y funciona.", false, KindFix, "", true},
		{"Should be fixed in the latest release... can you try it again?", false, KindFix, "", true},
		{"Fixed by clearing the cached tokens:\n\n```\nrm -rf ~/.widget-auth\n```", false, KindFix, "", true},
		{"I changed the `proxy` setting to direct.\n\nNow it works fine, thanks!", false, KindFix, "", true},
		{"我把 `widget` 降级到 2.0 就好了。", false, KindWorkaround, "", true},
		// An explanation of what the error means is a cause.
		{"This error usually means the `widget-arm64` image is started on an `x86_64` host.", false, KindCause, "", true},
		// Failed attempts, stories, housekeeping, questions, fragments.
		{"If it works for you with `count` set to 2, your machine is faster than mine.", true, 0, "", false},
		{"Use '--' to separate paths, like this: 'widget <command> [<file>...]'", false, 0, "", false},
		{"大家有没有遇到 `WidgetError` 这个错误，原因是什么。", false, 0, "", false},
		{"The widget crashes, maybe because the `cache` is full.", false, 0, "", false},
		{"I set `timeout` to 600 but it still fails.", false, 0, "", false},
		{"I set `timeout` to 600. It did not help at all.", false, 0, "", false},
		{"I am also seeing this with `widget` 3.1 since Tuesday.", false, 0, "", false},
		{"Closing in favour of #12, tracked there.", false, 0, "", false},
		{"Did you try setting `WIDGET_TIMEOUT` in the environment?", false, 0, "", false},
		{"There is no workaround for `widget` on the client side.", false, 0, "", false},
		{"To fix it, add the following to `widget.yaml`:", false, 0, "", false},
		{"Run `widget init` in a fresh folder and the error appears.", true, 0, "", false},
		// A contrast its writer left unfinished says nothing after "but";
		// a finished one is judged by its last clause.
		{"With `sync` turned off in the settings it works fine, but as soon as I switch it on and reload the window", false, 0, "", false},
		{"With `sync` turned off in the settings it works fine, but when I switch it on again it crashes.", false, 0, "", false},
		{"It failed on 2.1, but after I rolled back to `widget` 2.0 the problem disappeared", false, KindFix, "", true},
		// Requests for information, web searches, checks and retries
		// change nothing.
		{"Could you share your `widget.yaml` so we can look at the settings.", false, 0, "", false},
		{"Try searching the web for `widget` setup on your distribution.", false, 0, "", false},
		{"First, check whether `widget` is on your PATH by running `widget --version`.", false, 0, "", false},
		{"After that, verify the daemon with `widgetd -v` in a terminal.", false, 0, "", false},
		{"Then run `widget build` again.", false, 0, "", false},
		{"Please try again later or switch to the `mirror` endpoint.", false, KindFix, "", true},
		{"This is not related to `widget` itself, because the proxy drops the header.", false, 0, "", false},
		{"To reproduce, run `widget build` in an empty folder.", false, 0, "", false},
		{"I'd recommend double-checking any JSON files you pass to `widget` for a missing brace.", false, 0, "", false},
		{"Run `widget version` to see which build you have.", false, 0, "", false},
		// "the desktop version" is no version query; a purpose clause
		// before an imperative keeps it one.
		{"It's recommended that you use the desktop version of widget instead.", false, KindFix, "", true},
		{"To use it without sudo, add your user to the `widget` group.", false, KindFix, "", true},
		// Items listed under a lead-in that announces advice are advice.
		{"The upstream service limits you here.\n\nShort-term options:\n\n- retry at a quieter hour or send fewer requests at once", false, KindWorkaround, "", true},
		{"我们的建议：\n\n- 换一个时间段再试，或者减少并发", false, KindFix, "", true},
		{"Here is what I saw:\n\n- the dashboard went blank after a minute", false, 0, "", false},
		// Causes need a marker and something concrete.
		{"This happens because the `cache` directory is read-only.", false, KindCause, "", true},
		{"It fails because something is wrong somewhere.", false, 0, "", false},
		{"To avoid this, always pin `widget` to 3.0 in `package.json`.", false, KindPrevent, "", true},
	} {
		us := postUnits(tc.post)
		got, gotOK, gotV := Kind(-1), false, ""
		for i := range us {
			k, v, ok := sentenceRole(us, i, tc.body)
			if !ok && !tc.body {
				k, ok = adviceItem(us, i)
			}
			if ok {
				got, gotOK, gotV = k, true, v
				break
			}
		}
		if gotOK != tc.ok || tc.ok && (got != tc.kind || gotV != tc.version) {
			t.Errorf("role of %q = %v %q %v, want %v %q %v", tc.post, got, gotV, gotOK, tc.kind, tc.version, tc.ok)
		}
	}
	got := splitSentences("Set HOST in the .env file. It works with v1.4.2 e.g. on Linux. Done!")
	want := []string{"Set HOST in the .env file.", "It works with v1.4.2 e.g. on Linux.", "Done!"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("splitSentences = %q, want %q", got, want)
	}
}

// TestStripFenced checks the hand-written fence stripper against the
// regular expression it replaces.
func TestStripFenced(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile("(?s)(```|~~~).*?(```|~~~|$)")
	for _, in := range []string{
		"", "plain", "a```b```c", "a```b", "```", "``````", "a~~~b```c~~~d", "````x````", "x```\ncode\n```\ny```z",
		"~~```~~", "a```b~~~c```d~~~e", "```~~~```", "é```ü```ö", "a``b`c", "~~~~~~~",
	} {
		if got, want := stripFenced(in), re.ReplaceAllString(in, "\n"); got != want {
			t.Errorf("stripFenced(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzStripFenced(f *testing.F) {
	re := regexp.MustCompile("(?s)(```|~~~).*?(```|~~~|$)")
	for _, s := range []string{"a```b```c", "x~~~y", "````", "~~```~~~"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if got, want := stripFenced(in), re.ReplaceAllString(in, "\n"); got != want {
			t.Errorf("stripFenced(%q) = %q, want %q", in, got, want)
		}
	})
}

// splitSentencesRunes is the rune-based splitSentences that the byte-based
// one replaced: they must agree.
func splitSentencesRunes(p string) []string {
	var out []string
	start := 0
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		if rs[i] != '.' && rs[i] != '!' && rs[i] != '?' {
			continue
		}
		j := i + 1
		for j < len(rs) && (rs[j] == '.' || rs[j] == '!' || rs[j] == '?' || rs[j] == ')' || rs[j] == '"') {
			j++
		}
		if j < len(rs) && rs[j] != ' ' && rs[j] != '\t' {
			continue
		}
		k := j
		for k < len(rs) && (rs[k] == ' ' || rs[k] == '\t') {
			k++
		}
		if k < len(rs) && !(unicode.IsUpper(rs[k]) || unicode.IsDigit(rs[k]) || rs[k] == '"' || rs[k] == '`' || rs[k] == '(') {
			continue
		}
		prev := string(rs[start:j])
		if strings.HasSuffix(prev, "e.g.") || strings.HasSuffix(prev, "i.e.") || strings.HasSuffix(prev, "etc.") && k < len(rs) && !unicode.IsUpper(rs[k]) {
			continue
		}
		out = append(out, strings.TrimSpace(prev))
		start = k
		i = k - 1
	}
	if start < len(rs) {
		if rest := strings.TrimSpace(string(rs[start:])); rest != "" {
			out = append(out, rest)
		}
	}
	return out
}

var wordCases = []string{
	"", " ", "a", " a", "a ", "a  b", "a\tb", "a b c", "Set HOST in the .env file. It works with v1.4.2 e.g. on Linux. Done!",
	"Über alles. Él dijo. ¿Qué? Ünd so.", "etc. And so on etc. more", "x.\u00a0Y", "a\u2003b", "é.É", "Fin.\u0085Next", "a.)  B",
	"\xff. A", "trailing. ", "  lead. In",
}

func TestWordHelpersMatchReference(t *testing.T) {
	t.Parallel()
	for _, in := range wordCases {
		checkWordHelpers(t, in)
	}
}

func FuzzWordHelpers(f *testing.F) {
	for _, s := range wordCases {
		f.Add(s)
	}
	f.Fuzz(checkWordHelpers)
}

func checkWordHelpers(t *testing.T, in string) {
	// sentences hands splitSentences clean, valid UTF-8 text only.
	valid := strings.ToValidUTF8(in, "\uFFFD")
	if got, want := splitSentences(valid), splitSentencesRunes(valid); strings.Join(got, "\x00") != strings.Join(want, "\x00") || len(got) != len(want) {
		t.Errorf("splitSentences(%q) = %q, want %q", in, got, want)
	}
	if got, want := countWords(in), len(strings.Fields(in)); got != want {
		t.Errorf("countWords(%q) = %d, want %d", in, got, want)
	}
	if got, want := collapseSpace(in), strings.Join(strings.Fields(in), " "); got != want {
		t.Errorf("collapseSpace(%q) = %q, want %q", in, got, want)
	}
}
