package classify

import (
	"slices"
	"strings"
	"testing"
)

// Tests of the classify v2 methods (issue 13). Every message here is
// written for the tests.

// group analyzes issues (title, body), counts their words and assigns them
// in order, then consolidates, as Run does; it returns each issue's final
// cluster and assignment.
func group(t *testing.T, issues [][2]string) ([]*Cluster, []Assignment, *Clusterer) {
	t.Helper()
	c := NewClusterer()
	an := make([]Analysis, len(issues))
	for i, is := range issues {
		in := Issue{Title: is[0], Body: is[1]}
		an[i] = Analyze(&in)
		c.Observe(&an[i])
	}
	as := make([]Assignment, len(issues))
	for i := range an {
		as[i] = c.Assign(&an[i])
	}
	c.Consolidate(false)
	out := make([]*Cluster, len(issues))
	for i := range as {
		out[i] = root(as[i].Cluster)
	}
	return out, as, c
}

// background issues give the word weights a store's spread: generic
// words in many reports, each error's own words in few.
var background = [][2]string{
	{"Error: failed to load the settings file", ""},
	{"Request failed: error while sending the request", ""},
	{"Error: unable to open the cache directory", ""},
	{"TypeError: widget.render is not a function", ""},
	{"Error: the request failed with an unknown error", ""},
	{"Fatal error: cannot allocate the frame buffer", ""},
	{"Error: invalid configuration value for the color scheme", ""},
	{"failed to parse the manifest: unexpected token", ""},
}

func TestGroupingKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		same [][2]string // reports of one error: one cluster
		// other is a report of another error that must not join them
		other [2]string
	}{
		{"weak class code is no identity",
			[][2]string{
				{"Request rejected", "```\n400 invalid_request_error: frames.2: sprocket block missing for id spr_01\n```"},
				{"API returns 400", "```\nError: 400 invalid_request_error: frames.7: sprocket block missing for id spr_99\n```"},
			},
			[2]string{"API returns 400 too", "```\nError: 400 invalid_request_error: gadget list must not be empty\n```"}},
		{"wrappers and decorations",
			[][2]string{
				{"upstream relay timed out", ""},
				{"Sync broken", "```\nAPI Error: upstream relay timed out\n```"},
				{"Sync broken again", "```\n[ERROR] app.client:call:88 - upstream relay timed out.\n```"},
				{"Flaky sync", "```\nupstream relay timed out · retrying in 3 seconds (attempt 2/10)\n```"},
				{"[BUG] upstream relay timed out", ""},
			},
			[2]string{"downstream relay refused the frame", ""}},
		{"the same error with and without its code",
			[][2]string{
				{"Import breaks", "```\nError [ERR_GIZMO_NOT_FOUND]: Cannot find gizmo 'alpha' imported from /srv/app/main.js\n```"},
				{"Import breaks here too", "```\nError: Cannot find gizmo 'beta' imported from /home/u/x.js\n```"},
			},
			[2]string{"Import breaks differently", "```\nError: Cannot find sprocket 'beta' imported from /home/u/x.js\n```"}},
		{"title-only reports",
			[][2]string{
				{"Permission refused while opening the spool socket", ""},
				{"permission refused while opening the spool socket at unix:///run/spool.sock", ""},
			},
			[2]string{"Permission refused while opening the audit log", ""}},
		{"error line inside other-language prose",
			[][2]string{
				{"同步总是失败", "我每次运行都会看到这个：spool daemon handshake rejected by peer，请问怎么办"},
				{"Handshake problem", "```\nspool daemon handshake rejected by peer\n```"},
			},
			[2]string{"Handshake problem two", "```\nspool daemon handshake accepted but frames dropped\n```"}},
		{"a short form and the message with context",
			[][2]string{
				{"gizmo format mismatch", ""},
				{"Board boot loop", "```\nlaunch /opt/boot.sh: gizmo format mismatch\n```"},
				{"gizmo format mismatch when flashing the test board", ""},
			},
			[2]string{"Cannot flash", "```\nsprocket checksum refused: gizmo format mismatch\n```"}},
		{"one error paraphrased by each client",
			[][2]string{
				{"Calls fail", "```\nError: unknown gadget 'polish_rims' requested by planner\n```"},
				{"Planner breaks", "```\nError: gadget 'trim_edges' not found, requested by planner\n```"},
				{"Planner error", "```\nError: gadget polish_rims does not exist (requested by planner)\n```"},
			},
			[2]string{"Planner error two", "```\nError: gadget 'trim_edges' disabled by planner\n```"}},
		{"a death by signal in different words",
			[][2]string{
				{"Build step dies", "```\nstep compile_assets: exit status 137\n```"},
				{"compile assets killed", "```\nstep compile_assets: Killed\n```"},
				{"Compile assets stops", "```\nstep compile_assets returned a non-zero code: 137\n```"},
			},
			[2]string{"Compile assets crashes", "```\nstep compile_assets: Segmentation fault (core dumped)\n```"}},
		{"a validation error without an error word",
			[][2]string{
				{"[Bug] Gadget labels must be unique per board", "Happens after importing two boards."},
				{"Planner stops", "```\nHTTP 422: {\"error\":{\"message\":\"Gadget labels must be unique per board\"}}\n```"},
				{"gadget labels must be unique per board", ""},
			},
			[2]string{"Gadget labels must be lowercase per board", ""}},
		{"an error in a title in another language",
			[][2]string{
				{"Vault rejects", "```\nError: gadget manifest checksum rejected by the vault\n```"},
				{"每次都出现gadget manifest checksum rejected by the vault怎么办", "日志：\n```\nError: retry budget exhausted for the spool\n```"},
			},
			[2]string{"Vault rejects again", "```\nError: gadget manifest signature rejected by the vault\n```"}},
		{"a message cut inside a word",
			[][2]string{
				{"GadgetNestError: maximum gadget nesting depth exceeded while expanding a macro", ""},
				{"Expansion stops", "```\nGadgetNestError: maximum gadget nesting dep\n```"},
			},
			[2]string{"Expansion stops too", "```\nGadgetNestError: maximum gadget count reached\n```"}},
		{"a line that only announces the error",
			[][2]string{
				{"Spool permission refused", "```\nspool: got permission refused while dialing the spool daemon socket at unix:///run/spool.sock\n```"},
				{"Cannot start", "Error Message:\nGot permission refused while dialing the spool daemon socket at unix:///run/spool.sock: connect: permission refused\nNo idea what it means."},
			},
			[2]string{"Spool output garbled", "Error message:\n```\nspool frame checksum mismatch on channel 3\n```"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := append(append(append([][2]string{}, background...), tt.same...), tt.other)
			got, as, _ := group(t, in)
			first := len(background)
			for i := first; i < first+len(tt.same); i++ {
				if got[i] == nil {
					t.Fatalf("report %d (%q) unclustered", i-first, tt.same[i-first][0])
				}
				if got[i] != got[first] {
					t.Errorf("report %d (%q) in another cluster (%s) than report 0 (%s)", i-first, tt.same[i-first][0], as[i].Reason, got[first].Signature)
				}
			}
			if o := got[len(got)-1]; o != nil && o == got[first] {
				t.Errorf("the other error joined them: %q (%s)", tt.other[0], as[len(as)-1].Reason)
			}
		})
	}
}

func TestSecondaryProbeReason(t *testing.T) {
	t.Parallel()
	// the second report's best line is a generic wrapper; its title holds
	// the message
	got, as, _ := group(t, append(append([][2]string{}, background...),
		[2]string{"Ledger sync", "```\nError: ledger shard quorum unreachable during compaction\n```"},
		[2]string{"ledger shard quorum unreachable during compaction", "```\nError: request failed with status code 500\n```"},
	))
	n := len(got)
	if got[n-1] != got[n-2] {
		t.Fatalf("not joined: %+v", as[n-1])
	}
	if !strings.Contains(as[n-1].Reason, "title") {
		t.Errorf("reason %q does not name the probe", as[n-1].Reason)
	}
}

func TestWeightsSimilarity(t *testing.T) {
	t.Parallel()
	w := NewWeights()
	for _, s := range []string{"error failed request", "error failed", "error request", "error", "failed request error",
		"cannot load table", "cannot load queue", "gizmo format mismatch"} {
		m := map[string]bool{}
		for _, t := range TemplateTokens(s) {
			m[t] = true
		}
		w.Add(m)
	}
	ws := func(s string) words { return wordsOf(s) }
	if a, b := w.W("error"), w.W("gizmo"); a >= b {
		t.Errorf("generic word weighs %v, rare word %v", a, b)
	}
	if s := w.Similarity(ws("scheduler cannot load table"), ws("scheduler cannot load queue")); s >= JoinThreshold {
		t.Errorf("a replaced word: similarity %v", s)
	}
	if s := w.Similarity(ws("scheduler cannot load table"), ws("scheduler cannot load table at startup")); s < JoinThreshold {
		t.Errorf("an added word: similarity %v", s)
	}
	long := ws("launch <path>: gizmo format mismatch")
	if !w.Contains(long, ws("gizmo format mismatch")) {
		t.Error("message with context does not contain its core")
	}
	if w.Contains(ws("permission denied for key: gizmo format mismatch"), ws("gizmo format mismatch")) {
		t.Error("an extra error (permission denied) is not context")
	}
}

func TestConsolidateMergesCloseClusters(t *testing.T) {
	t.Parallel()
	c := NewClusterer()
	var an []Analysis
	for _, title := range []string{
		"spool daemon handshake rejected by peer",
		"Error: frame buffer exhausted in render loop",
		"spool daemon handshake rejected by remote peer during rotation",
	} {
		in := Issue{Title: title}
		an = append(an, Analyze(&in))
	}
	// assign before counting words: the first and third start apart
	a0 := c.Assign(&an[0])
	c.Assign(&an[1])
	a2 := c.Assign(&an[2])
	if a0.Cluster == a2.Cluster {
		t.Skip("joined online already; nothing to consolidate") // cannot happen with empty weights
	}
	for i := range an {
		c.Observe(&an[i])
	}
	ms := c.Consolidate(false)
	if len(ms) != 1 || root(a0.Cluster) != root(a2.Cluster) {
		t.Fatalf("merges %+v", ms)
	}
	if ms[0].Into != a0.Cluster {
		t.Errorf("the older of two equal clusters must survive")
	}
}

func TestLatinSegment(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"我每次运行都会看到这个：spool daemon handshake rejected by peer，请问怎么办", "spool daemon handshake rejected by peer"},
		{"all latin text stays", ""},
		{"中文 ab 中文", ""},
	}
	for _, tt := range tests {
		if got := latinSegment(tt.in); got != tt.want {
			t.Errorf("latinSegment(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFallbackCandidate(t *testing.T) {
	t.Parallel()
	// no line scores as a clear error, but the title reports one
	if c := Extract("Permission refused on the spool socket", "It happens on every boot."); len(c) == 0 || c[0].Source != "title" {
		t.Errorf("title-only report: %+v", c)
	}
	// prose alone is no error
	if c := Extract("How to set two themes?", "I could not see an example of two themes side by side."); len(c) != 0 {
		t.Errorf("prose: %+v", c)
	}
}

func TestMatchShortForm(t *testing.T) {
	t.Parallel()
	_, as, c := group(t, append(append([][2]string{}, background...),
		[2]string{"Board boot loop", "```\nlaunch /opt/boot.sh: gizmo format mismatch\n```"}))
	a := AnalyzeText("gizmo format mismatch")
	res := c.Match(&a, 3)
	if len(res) == 0 || res[0].Cluster != root(as[len(as)-1].Cluster) {
		t.Fatalf("match %+v", res)
	}
	if res[0].Reason == "" {
		t.Error("no reason")
	}
}

// TestValidationErrors: a message that says what a value must be is an
// error; a request that says what a program must do is not.
func TestValidationErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		title, body string
		err         bool
	}{
		{"[Bug] Gadget labels must be unique per board", "", true},
		{"Unsupported parameter: 'frame_rate'", "", true},
		{"sprocket gear lists must be non-empty", "", true},
		{"Enforcing gadget labels: they must be enforced per board", "Otherwise boards get confused.", false},
		{"Warn about duplicate gadget labels on import", "Labels should be unique.", false},
		{"Boards must be able to share gadgets", "", false},
	}
	for _, tt := range tests {
		if got := len(Extract(tt.title, tt.body)) > 0; got != tt.err {
			t.Errorf("%q: error text found %v, want %v", tt.title, got, tt.err)
		}
	}
}

// TestSegmentLeads: the English run of a line in another language leads
// its line when it reads as an error itself, even when the line's own error
// word is in the other language.
func TestSegmentLeads(t *testing.T) {
	t.Parallel()
	for _, in := range [][2]string{
		{"GUI 插件调用报错：gadget planner not found", ""},
		{"Planner", "我运行的时候报错：gadget planner not found，怎么办"},
	} {
		c := Extract(in[0], in[1])
		if len(c) == 0 || c[0].Normalized != "gadget planner not found" {
			t.Errorf("%q: %+v", in, c)
		}
	}
}

// TestGenericTemplatesAndOrder: a template of generic words and class
// codes only ("api error: 400") is no evidence of any one error, a message
// is held by another text only as a phrase in order, and an escaped newline
// left in a JSON string does not glue two words.
func TestGenericTemplatesAndOrder(t *testing.T) {
	t.Parallel()
	c := NewClusterer()
	for _, s := range []string{"api error", "api error: 400", "sprocket not found", "gadget payload rejected: name not found"} {
		c.Observe(&Analysis{Probes: []Probe{{Tokens: TemplateTokens(Normalize(s))}}})
	}
	cl := &Cluster{Key: "fp:x", Profile: []string{"api error: 500", "sprocket not found"}}
	c.AddExisting(cl, nil)
	w := wordsOf(Normalize("API Error: 400"))
	if got := c.similar("", &Probe{Tokens: w.set, Seq: w.seq}, 0); len(got) != 0 {
		t.Errorf("a generic probe compares: %+v", got)
	}
	if s := c.profileSimilarity(wordsOf(Normalize("API Error: 503")), cl); s != 0 {
		t.Errorf("a generic template compares at %.2f, want 0", s)
	}
	tests := []struct {
		long, short string
		want        bool
	}{
		{"deploy: sprocket checksum refused on the test board", "sprocket checksum refused", true},
		{"gadget payload rejected by the relay: model name not found", "model not found: gadget rejected", false},
		{"exec user process caused exec gizmo format mismatch", "exec /srv/x.sh: exec gizmo format mismatch", true},
	}
	for _, tt := range tests {
		if got := c.Weights.Contains(wordsOf(Normalize(tt.long)), wordsOf(Normalize(tt.short))); got != tt.want {
			t.Errorf("Contains(%q, %q) = %v, want %v", tt.long, tt.short, got, tt.want)
		}
	}
	if seq := TemplateSeq(Normalize(`{"error":"unexpected end of gadget input\n at parse"}`)); slices.Contains(seq, `input\n`) || !slices.Contains(seq, "input") {
		t.Errorf("escaped newline: %v", seq)
	}
}

// An exception type is the class of the message after it: a report that
// gives the message without it, after a context of its own, adds words but
// replaces none, so it needs what an addition needs, not a substitution.
func TestSimilarityExceptionTypeIsNoSubstitution(t *testing.T) {
	t.Parallel()
	w := NewWeights()
	for _, s := range []string{"cannot attach widget to frozen panel", "plugin setup aborted", "cannot load table",
		"panel render slow", "widget moved", "error failed request", "setup wizard", "load queue"} {
		m := map[string]bool{}
		for _, t := range TemplateTokens(s) {
			m[t] = true
		}
		w.Add(m)
	}
	msg := "widgeterror: cannot attach widget to frozen panel"
	for _, tc := range []struct {
		name, other string
		join        bool
	}{
		{"context instead of the exception type", "aborted: cannot attach widget to frozen panel", true},
		{"the exception type alone", "cannot attach widget to frozen panel", true},
		{"a replaced word is still a substitution", "widgeterror: cannot attach widget to molten panel", false},
		{"a replaced object beside context", "aborted: cannot attach gadget to frozen panel", false},
	} {
		s := w.Similarity(wordsOf(Normalize(msg)), wordsOf(Normalize(tc.other)))
		if (s >= JoinThreshold) != tc.join {
			t.Errorf("%s: similarity %.3f, want join %v", tc.name, s, tc.join)
		}
	}
}
