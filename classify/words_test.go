package classify

import (
	"strings"
	"testing"
)

// Words joined by colons to an identifier or a file path survive masking.
func TestNormalizeKeepsColonJoinedWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"crypto routines:decode_frame_v2:bad frame length", "bad frame length"},
		{"unexpected trailer:src/frame/decode.c:88:", "unexpected trailer"},
	} {
		got := Normalize(tc.in)
		if !strings.Contains(got, tc.want) {
			t.Errorf("Normalize(%q) = %q, want it to keep %q", tc.in, got, tc.want)
		}
	}
	// a token of ids alone is still one placeholder
	if got := Normalize("bad key abc_123:def_456"); strings.Contains(got, "abc") || strings.Contains(got, "def") {
		t.Errorf("ids kept: %q", got)
	}
}

func TestStem(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"failed": "fail", "failing": "fail", "fails": "fail", "denied": "deny", "retries": "retry",
		"stopped": "stop", "tokens": "token", "status": "status", "process": "process", "exit": "exit",
		"ab_cd": "ab_cd", "résumés": "résumés",
		// the noun and the bare verb stem as the inflected forms do
		"validation": "validat", "validate": "validat", "validated": "validat", "validating": "validat",
		"parse": "pars", "parsed": "pars", "parsing": "pars", "modules": "modul", "module": "modul",
		"processes": "process", "degree": "degree", "creation": "creat", "created": "creat",
	} {
		if got := stem(in); got != want {
			t.Errorf("stem(%q) = %q, want %q", in, got, want)
		}
	}
}

// One error reported in another tense, or as a constant and as prose,
// shares its words.
func TestTemplateTokensInflectionsAndIdentifiers(t *testing.T) {
	t.Parallel()
	a := TemplateTokens(Normalize("worker exited with frame_length_mismatch"))
	b := TemplateTokens(Normalize("worker exits: frame length mismatch"))
	for _, w := range []string{"exit", "frame", "length", "mismatch"} {
		if w = stem(w); !contains(a, w) || !contains(b, w) {
			t.Errorf("%q missing: %v / %v", w, a, b)
		}
	}
}

// A message and a paraphrase that names its action as a noun, or in the
// bare verb, share their words.
func TestTemplateTokensNounAndVerbForms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ a, b string }{
		{"widget configuration validation failed", "failed to validate widget configuration"},
		{"cannot parse the ledger header", "ledger header parsing error"},
		{"deprecation of the sprocket module", "the sprocket module is deprecated"},
		// abbreviations as the words in full
		{"maximum nesting depth exceeded", "max nesting depth exceeded"},
		{"configuration directory not writable", "config dir not writable"},
		{"missing required parameters for the widget", "widget: missing required params"},
	} {
		a, b := TemplateTokens(Normalize(tc.a)), TemplateTokens(Normalize(tc.b))
		for _, w := range b {
			if genericStems[w] {
				continue
			}
			if !contains(a, w) {
				t.Errorf("%q: %q (of %v) missing from %v", tc.a, w, b, a)
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// The message after a JSON-RPC code names the error; wrappers that repeat
// the code and the names inside the message do not.
func TestRPCMessage(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		": Request timed out":                         "request timed out",
		": Widget 'alpha' not found":                  "widget not found",
		": Widget beta_gamma not found":               "widget not found",
		": RPC error -32602: Widget {NAME} not found": "widget not found",
		": invalid params for widget":                 "invalid params",
		`: "Connection closed"`:                       "connection closed",
		": 12 things":                                 "",
	} {
		if got := rpcMessage(in, "-32602"); got != want {
			t.Errorf("rpcMessage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRPCMessageOddTokens(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`: " `, ": '' x", ": :", "", ": `"} {
		_ = rpcMessage(in, "-32000") // must not panic
	}
	if got := rpcMessage(`: " closed`, "-32000"); got != "closed" {
		t.Errorf("got %q", got)
	}
}

func TestRPCMessageOnlyDirectly(t *testing.T) {
	t.Parallel()
	if got := rpcMessage(", message: Widget not found", "-32601"); got != "" {
		t.Errorf("a message after another field: %q", got)
	}
}

// A report whose most error-like line is a wrapper, and whose title says
// the specific error, teaches the cluster that title: a later report that
// gives only that error line finds it.
func TestTitleThatReportsErrorJoinsProfile(t *testing.T) {
	t.Parallel()
	issues := append([][2]string{}, background...)
	issues = append(issues,
		[2]string{"Getting 'qwop' is not recognized as a known launcher verb when run on the build farm",
			"```\nsystem.runtime.HostException: plugin host exited unexpectedly (exit code: 1)\n```"},
		[2]string{"Launcher broken", "Output:\n```\n$ ci-run\n'qwop' is not recognized as a known launcher verb\n```"},
		[2]string{"Launcher plugin crashes", "```\nsystem.runtime.HostException: plugin host exited unexpectedly (exit code: 1)\n```"},
	)
	got, as, _ := group(t, issues)
	n := len(background)
	if got[n] == nil || got[n+1] != got[n] {
		t.Errorf("the prose report did not join the titled one: %+v / %+v", as[n], as[n+1])
	}
}

// JSON escapes in a logged body are not Windows paths.
func TestNormalizeEscapedJSONIsNotPath(t *testing.T) {
	t.Parallel()
	got := Normalize(`provider said {\"error\":{\"message\":\"widget names must be unique.\"}} and {\\\"message\\\":\\\"frames must be sorted\\\"}`)
	if !strings.Contains(got, "unique") || !strings.Contains(got, "sorted") {
		t.Errorf("Normalize = %q, want the message's words kept", got)
	}
	if got := Normalize(`cannot open src\widgets\frame.go`); strings.Contains(got, "widgets") {
		t.Errorf("a Windows path kept: %q", got)
	}
}

// "got this error: <message>" holds the message: a lead-in that only says
// an error was shown is no cause; an error word after the message still is.
func TestContainsLeadIn(t *testing.T) {
	t.Parallel()
	w := NewWeights()
	for _, s := range []string{"error failed request", "error", "error request", "gizmo frame skew detected", "cannot load table"} {
		m := map[string]bool{}
		for _, t := range TemplateTokens(s) {
			m[t] = true
		}
		w.Add(m)
	}
	short := wordsOf("gizmo frame skew detected")
	if !w.Contains(wordsOf("i get some error like this error: gizmo frame skew detected"), short) {
		t.Error("a lead-in is taken for another error")
	}
	if w.Contains(wordsOf("gizmo frame skew detected: permission denied"), short) {
		t.Error("a cause after the message is taken for context")
	}
}

// An exception type before the message names its kind, not another error;
// after the message it is still a cause of its own.
func TestContainsExceptionTypeLeadIn(t *testing.T) {
	t.Parallel()
	w := NewWeights()
	for _, s := range []string{"error failed request", "error", "gizmo frame skew detected", "cannot load table"} {
		m := map[string]bool{}
		for _, t := range TemplateTokens(s) {
			m[t] = true
		}
		w.Add(m)
	}
	short := wordsOf("gizmo frame skew detected")
	if !w.Contains(wordsOf("transport.linkerror: gizmo frame skew detected"), short) {
		t.Error("an exception type before the message is taken for another error")
	}
	if w.Contains(wordsOf("gizmo frame skew detected; raised quotaexception"), short) {
		t.Error("an exception after the message is taken for context")
	}
}

// General English phrasings of "not found" share their words; "unknown"
// before a generic word ("unknown error") stays a generic word.
func TestTemplateTokensSynonyms(t *testing.T) {
	t.Parallel()
	same := [][]string{
		{"unknown sprocket", "sprocket not found", "Sprocket does not exist", "sprocket doesn't exist", "sprocket doesn’t exist", "no such sprocket"},
		{"unknown widget 'gear'", "widget 'gear' not found"},
		{"unsupported sprocket mode", "sprocket mode is not supported"},
		{"invalid gear ratio", "gear ratio not valid"},
		{"unauthorized crank user", "crank user not authorized"},
	}
	for _, group := range same {
		want := strings.Join(TemplateTokens(Normalize(group[0])), " ")
		for _, s := range group[1:] {
			if got := strings.Join(TemplateTokens(Normalize(s)), " "); got != want {
				t.Errorf("tokens of %q = %q, want those of %q: %q", s, got, group[0], want)
			}
		}
	}
	for _, s := range []string{"unknown error occurred", "unknown exception in handler", "failed with unknown"} {
		if got := TemplateTokens(Normalize(s)); !contains(got, "unknown") || contains(got, "found") {
			t.Errorf("tokens of %q = %v, want unknown kept", s, got)
		}
	}
	// words of other errors stay apart
	if a, b := TemplateTokens(Normalize("unknown sprocket")), TemplateTokens(Normalize("sprocket jammed")); contains(b, "found") || !contains(a, "found") {
		t.Errorf("tokens: %v / %v", a, b)
	}
}

// A death by signal is one word however it is reported: the shell's
// "Killed", an exit status of 128+N after exit/code/status, the signal's
// name. Other numbers stay numbers.
func TestTemplateTokensSignals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want string // a word the tokens must hold
	}{
		{"Killed", "sigkill"},
		{"worker: exit status 137", "sigkill"},
		{"the step returned a non-zero code: 137", "sigkill"},
		{"daemon received SIGKILL", "sigkill"},
		{"Segmentation fault (core dumped)", "sigsegv"},
		{"renderer exited with code 139", "sigsegv"},
		{"exit code 143", "sigterm"},
	} {
		if got := TemplateTokens(Normalize(tc.in)); !contains(got, tc.want) {
			t.Errorf("tokens of %q = %v, want %q", tc.in, got, tc.want)
		}
	}
	for _, s := range []string{"queue holds 137 items", "port 139 refused"} {
		if got := TemplateTokens(Normalize(s)); contains(got, "sigkill") || contains(got, "sigsegv") {
			t.Errorf("tokens of %q = %v, want no signal", s, got)
		}
	}
}

// A message that names its error as "unsupported X" and goes on to say "X
// is not supported" repeats its error: its short form (the head a title
// gives) is contained in it, the rest being context.
func TestContainsNegatedRepeat(t *testing.T) {
	t.Parallel()
	w := NewWeights()
	for _, s := range []string{"unsupported frobnicator", "frobnicator jammed", "driver loaded", "error failed request",
		"gear ratio", "sprocket mode", "crank user"} {
		m := map[string]bool{}
		for _, t := range TemplateTokens(Normalize(s)) {
			m[t] = true
		}
		w.Add(m)
	}
	long := wordsOf(Normalize("Unsupported frobnicator: 'x' is not supported by this driver. Use 'y' instead."))
	if !w.Contains(long, wordsOf(Normalize("Unsupported frobnicator: 'x'"))) {
		t.Error("a message that repeats its own error does not contain its head")
	}
	if w.Contains(wordsOf(Normalize("Unsupported frobnicator: 'x' and permission denied for the driver")), wordsOf(Normalize("Unsupported frobnicator: 'x'"))) {
		t.Error("another error after the message counts as context")
	}
}

// Prose in another script around an English error line, even written
// against it without a space, is not part of the error's words; a text
// mostly in another script keeps its words.
func TestTemplateSeqOtherScripts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"构建时出现报错widget manifest checksum mismatch", "widget manifest checksum mismatch"},
		{"ошибка при сборке: widget manifest checksum mismatch", "widget manifest checksum mismatch"},
		{"widget manifest checksum mismatch", "widget manifest checksum mismatch"},
		{"crème brûlée widget overflow", "crème brûlée widget overflow"},
		{"校验和不匹配 widget", "校验和不匹配 widget"},
	} {
		if got := strings.Join(TemplateSeq(tc.in), " "); got != tc.want {
			t.Errorf("TemplateSeq(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
