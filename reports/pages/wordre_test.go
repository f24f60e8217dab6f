package pages

import (
	"slices"
	"testing"
)

// wordRes are the mining patterns run through wordRe.
func wordRes() map[string]*wordRe {
	return map[string]*wordRe{
		"fixedIn": reFixedIn, "released": reReleased, "upgrade": reUpgrade, "upgradeGen": reUpgradeGen,
		"configWords": reConfigWords, "configEnv": reConfigEnv, "workaround": reWorkaround, "cause": reCause,
		"prevent": rePrevent, "boilerAny": reBoilerAny, "same": reSame, "symptom": reSymptom,
	}
}

var wordReCases = []string{
	"", "fixed", "This is fixed in v2.4.1, please upgrade.", "Fixed in 1.2", "prefixed in 1.2", "xfixed in 1.2",
	"The fix was released in 3.0.0 today.", "Upgrading to 1.9.2 solved it for me.", "after upgrading it works",
	"You can set `retries: 5` in the config file to get past it.", "As a workaround I restart the daemon every hour.",
	"This happens because the cache directory is read-only.", "To avoid this, make sure the agent runs as the same user.",
	"set FOO_BAR=1 then", "FOO_BAR=1", "xFOO_BAR=1", "é FOO_BAR=1", "éFOO_BAR=1", "-FOO_BAR=1", "_FOO_BAR=1",
	"thanks for the report", "Thanks for your report!", "stale", "unstale", "upvote", "i'm closing this",
	"same issue here", "I am having the same", "because i get this", "\u212aeep it below 10", "\u017fet the flag option",
	"a\u212aeep it below 10", "because\u00e9", "\xffbecause", "fixed\xff in 1.2", "updated everything to version 2.0.1-rc.1+b",
	"bumped deps; to 1.2", "set it... config", "TURNED OUT to be", "due to", "xdue to", "the issue was that",
	"Keep the value under 100", "keep a b c d e f g h i j k l m n o p q r s t u v w x y z below",
}

func TestWordReMatchesRegexp(t *testing.T) {
	t.Parallel()
	for name, w := range wordRes() {
		for _, in := range wordReCases {
			checkWordRe(t, name, w, in)
		}
	}
}

func FuzzWordRe(f *testing.F) {
	for _, s := range wordReCases {
		f.Add(s)
	}
	res := wordRes()
	f.Fuzz(func(t *testing.T, in string) {
		if len(in) > 500 {
			return // sentences are at most 400 bytes
		}
		for name, w := range res {
			checkWordRe(t, name, w, in)
		}
	})
}

func checkWordRe(t *testing.T, name string, w *wordRe, in string) {
	t.Helper()
	want := w.plain.FindStringSubmatchIndex(in)
	if got := w.index(in); !slices.Equal(got, want) {
		t.Errorf("%s on %q: wordRe %v, regexp %v", name, in, got, want)
	}
	if got, want := w.FindStringSubmatch(in), w.plain.FindStringSubmatch(in); !slices.Equal(got, want) {
		t.Errorf("%s on %q: FindStringSubmatch %q, regexp %q", name, in, got, want)
	}
}

func TestMustWordReRejectsUnboundedPatterns(t *testing.T) {
	t.Parallel()
	for _, p := range []string{`foo`, `\bfoo|bar`, `(?:^|\s)--x`, `\b.x`, `\b[^x]x`, `(?i)\b(?:a|)`} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("mustWordRe(%q) did not panic", p)
				}
			}()
			mustWordRe(p)
		}()
	}
	if w := mustWordRe(`(?i)\bkeep`); !w.first['k'] || !w.first['K'] || !w.first[0xe2] || w.first['x'] {
		t.Errorf("first bytes of (?i)\\bkeep: k %v K %v kelvin %v x %v", w.first['k'], w.first['K'], w.first[0xe2], w.first['x'])
	}
}
