package pages

import (
	"regexp"
	"strings"
	"unicode"
)

// Rules that turn a vague fix into one a reader can act on: a sentence
// that points at another post's suggestion is quoted with the sentence that
// names what it did, and a project's own code change is shown as what a
// user can do about it (update once a release holds it), after the fixes a
// user can apply.

var (
	// rePullRef is a pull request, merge or commit named in a sentence:
	// "#4757", "PR 12", "pull request", "merged into main", a short hash.
	rePullRef = regexp.MustCompile(`(?i)(?:\bprs?\b|\bpull requests?\b|\bmerged?\b|\bcommit(?:ted)?\b|\bstacked\b)`)
	// reSourceFile is a source file or a function call in a code span:
	// `handler.go`, `get_tools()`.
	reSourceFile = regexp.MustCompile("`[^`]*(?:\\.(?:go|py|ts|tsx|js|mjs|rs|java|kt|c|cc|cpp|h|rb|php|cs|swift)|\\(\\))`")
)

// inCodeRank is taken off the score of a fix that is a change to the
// project's code, more than any confirmation and reactions add.
const inCodeRank = 10000

// codeMergeCJK are the Chinese and Japanese words for a change merged into
// a branch ("merged into dev", "merged into the main branch").
var codeMergeCJK = []string{"合入", "合并", "分支", "マージ"}

// codeEditStarts open a description of a change to code with no subject
// ("Removed the retry loop from `pool.py`"): the writer says what
// they changed in the project, not what a user should do.
var codeEditStarts = []string{"removed ", "added ", "changed ", "refactored ", "moved ", "renamed ", "replaced ",
	"rewrote ", "reworked ", "updated ", "fixed ", "implemented ", "introduced ", "switched "}

// codeChange reports a fix that describes a change to the project's own
// code (a merged pull request, a commit on a branch, a source file or
// function edited) and names no release: a user cannot apply it, only
// update once a release holds it. A user's own edit that they or others
// confirmed is theirs to apply, not the project's.
func codeChange(f Finding) bool {
	if f.Kind != KindFix || f.Version != "" || f.Confirm >= ConfirmOthers {
		return false
	}
	l := strings.ToLower(prose(f.Text))
	if hasAny(l, "release", "version") || strings.Contains(l, "?") {
		// "Fixed in the next release" is a newer release's; a question
		// asks.
		return false
	}
	merged := hasAny(l, "pr", "pull", "merge", "commit", "stacked") && rePullRef.MatchString(l) && (strings.Contains(f.Text, "#") || hasAny(l, "merged", "branch", "main", "master", "dev", "pr", "pull request"))
	if !merged && isCJK(f.Text) {
		merged = hasAny(f.Text, codeMergeCJK...) || strings.Contains(f.Text, "#") && hasAny(f.Text, "修复", "修正")
	}
	if merged {
		return true
	}
	return hasPrefixAny(l, codeEditStarts...) && reSourceFile.MatchString(f.Text)
}

// postRefs are the words of a sentence that point at another post's
// suggestion ("I renamed it the way @x proposed and it works"): what was done is
// in that post or in the sentence before.
var postRefs = []string{"as suggested", " suggested ", " suggested", "as mentioned", "mentioned above", "the above",
	"above solution", "your solution", "your suggestion", "your fix", "that suggestion", "this suggestion",
	"如上", "楼上", "上面的方法", "上面说的", "como dijo", "como sugeriste", "comme suggéré", "wie vorgeschlagen"}

// refersToPost reports a fix sentence whose point is another post's
// suggestion and which names nothing concrete itself.
func refersToPost(u unit) bool {
	if strings.Contains(u.text, "`") || reVersion.MatchString(u.text) {
		return false
	}
	l := u.l
	if !hasAny(l, postRefs...) && !(strings.Contains(l, "@") && hasAny(l, "suggest", "propos", "said", "mention", "recommend")) {
		return false
	}
	return true
}

// sameIssue are the words of a me-too clause ("I ran into a similar
// issue").
var sameIssue = []string{"similar issue", "similar problem", "same issue", "same problem", "same error", "similar error"}

// referentContext is the sentence before a fix that points at another
// post, when it names what the writer did or hit (a code span, a file, a
// version): a leading me-too clause ("I ran into a similar issue, ...") is
// taken off it. It returns "" when the sentence before names nothing.
func referentContext(prev string) string {
	if prev == "" || question(prev) {
		return ""
	}
	if !strings.Contains(prev, "`") && !reVersion.MatchString(prev) && !reFileName.MatchString(prev) {
		return ""
	}
	s := prev
	if i := strings.IndexAny(s, ",;"); i > 0 && (chatter(s[:i+1]) || hasAny(strings.ToLower(s[:i]), sameIssue...)) {
		// "Same problem on my side, I had started it from `tool.py`": the
		// me-too clause goes, what the writer ran stays.
		if rest := strings.TrimSpace(s[i+1:]); countWords(rest) >= 4 {
			s = rest
		}
	}
	if l := strings.ToLower(prose(s)); markerMask(l)&bHousekeeping != 0 {
		return ""
	}
	return s
}

// laterVersion is the first version named by a later post of the thread
// that says something worked and nothing failed ("works, thanks; any chance
// of 1.6 on the package manager?"), after a fix said to be in a newer
// release that names none: the release a reader should update to. It is
// "" when no such post names one.
func laterVersion(th []*post, pi int) string {
	for _, q := range th[pi+1:] {
		if q.failed || !q.success && !saysWorked(q.units) {
			continue
		}
		for _, u := range q.units {
			if v := reVersionNo.FindString(prose(u.text)); v != "" {
				return strings.TrimLeft(v, " (@:/")
			}
		}
	}
	return ""
}

// outBy reports a fix said to be in a release that is already out when it
// was written ("fixed in the latest version", "the release I made this morning").
func outBy(f Finding) bool {
	l := strings.ToLower(prose(f.Text))
	return hasAny(l, "latest", "today", "newest", "just released", "new release", "released", "最新", "最新版")
}

// saysWorked reports a post whose sentence opens with a clause that says
// it worked, before a question after a comma ("works now, thanks; any
// chance of a package?"): the question does not take the success back. A
// reply that opens with "works" says so too.
func saysWorked(us []unit) bool {
	for _, u := range us {
		c, _, _ := strings.Cut(u.l, ",")
		if u.mask&bFailure == 0 && !strings.Contains(c, "?") && (success(c) || hasPrefixAny(c, "works", "worked", "working")) {
			return true
		}
	}
	return false
}

// vagueTrial reports a request to try something and see whether it helps
// that names nothing to change ("could you try adjusting the settings and
// see if it resolves it"): a step of someone's debugging, not a fix a
// reader can apply.
func vagueTrial(u unit) bool {
	if !hasAny(u.l, "see if", "see whether", "check if it", "check whether it") {
		return false
	}
	return !concrete(u.text)
}

// rePronounObject is an action whose object is a bare pronoun ("try
// topping this up", "do that and restart", "using it instead"): what it
// acts on is named before.
var rePronounObject = regexp.MustCompile(`(?:^|\s)(?:try|use|do|apply|follow|run|install|add|set|change|\w+ing)(?:\s+(?:up|out|off|down|over|back))?\s+(?:this|that|these|those|it)(?:\s+(?:to|and|then|first|instead|again|one|way)\b|\s*[.,;:!)]|\s*$|\s+https?:)`)

// pointsBack reports a fix sentence whose action's object is a bare
// pronoun.
func pointsBack(u unit) bool {
	if !hasAny(u.l, " this", " that", " these", " those", " it ", " it.", " it,", " it;", " it!") || isCJK(u.text) {
		return false
	}
	return rePronounObject.MatchString(u.l)
}

// backContext is the sentence a fix whose object is a pronoun leans on:
// the one before it in its paragraph, or the paragraph above when the fix
// opens its own, unless that is code, a question, chatter or a failed
// attempt.
func backContext(u, above unit) string {
	s := u.prev
	if s == "" {
		if above.code != "" {
			return ""
		}
		s = above.text
	}
	// A failed attempt ("I set it to 5, it still fails") is no referent;
	// the problem it names ("the quota has run out") is.
	if question(s) || chatter(s) || failure(strings.ToLower(prose(s))) && firstPerson(s) {
		return ""
	}
	return s
}

// onlyDelays reports an action its writer says will only put the error
// off or hide it ("raise the timeout, but this will probably just delay
// the error"): not a fix, by its own account.
func onlyDelays(u unit) bool {
	return hasAny(u.l, "just delay", "only delay", "merely delay", "just postpone", "only postpone", "just hide", "only hide",
		"merely hide", "just mask", "only mask", "just defer", "only defer")
}

// diagnoseVerbs ask the reader to find the cause, not to change anything.
var diagnoseVerbs = map[string]bool{"debug": true, "investigate": true, "diagnose": true, "determine": true, "troubleshoot": true}

// diagnosisOnly reports advice to debug or investigate that names nothing
// to change ("you should debug your deployment to find out what causes
// it"): a step of troubleshooting, not a fix.
func diagnosisOnly(u unit) bool {
	l := u.l
	for _, lead := range []string{"you should ", "you need to ", "you'll need to ", "you may want to ", "you might want to ",
		"please ", "try to ", "try and ", "i'd ", "i would "} {
		l = strings.TrimPrefix(l, lead)
	}
	v, _ := firstWord(l)
	return diagnoseVerbs[v] && !concrete(u.text)
}

// pointedContext gives the fix f, mined from us[ui], the sentence its
// words point at: the one that names what another post suggested
// ("I renamed it the way @x proposed and it works"), or what a bare pronoun stands
// for ("try topping this up").
func pointedContext(f *Finding, us []unit, ui int) {
	u := us[ui]
	if refersToPost(u) {
		if c := referentContext(u.prev); c != "" {
			f.Context = c
		}
	}
	if f.Context == "" && ui > 0 && pointsBack(u) {
		f.Context = backContext(u, us[ui-1])
	}
}

// restatesError reports a cause that only says what the error's own words
// say: it quotes the message in a code span and explains it with the
// message's words ("`unexpected end of data` indicates the data ended
// early"). It tells the reader nothing the message did not.
func restatesError(u unit) bool {
	if strings.Count(u.text, "`") < 2 || !hasAny(u.l, "indicat", "means", "mean that", "signif") {
		return false
	}
	parts := strings.Split(u.text, "`")
	var rest strings.Builder
	msg := map[string]bool{}
	for i, part := range parts {
		if i%2 == 0 {
			rest.WriteString(" " + strings.ToLower(part))
			continue
		}
		for _, w := range strings.FieldsFunc(strings.ToLower(part), func(r rune) bool { return !unicode.IsLetter(r) }) {
			if len(w) >= 4 {
				msg[w] = true
			}
		}
	}
	if len(msg) < 2 {
		return false
	}
	n := 0
	for _, w := range strings.FieldsFunc(rest.String(), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if msg[w] {
			n++
			delete(msg, w)
		}
	}
	return n >= 2
}
