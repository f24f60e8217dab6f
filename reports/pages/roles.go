package pages

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentence roles. A sentence's role comes from its form, never from a
// particular error's words:
//
//   - a fix or workaround is an action (an imperative, "you can ...",
//     "I did X and it worked", "fixed in v1.2") on a concrete object: a
//     command, setting, file, version, environment variable, flag or
//     identifier in code;
//   - a failure marker in it or in the sentence after it ("still", "didn't
//     help", "no way to") makes it a failed attempt;
//   - a cause needs a cause marker ("because", "caused by", "the reason")
//     and a concrete subject, or a maintainer saying it;
//   - questions, first-person stories and me-toos, issue-number
//     housekeeping and fragments (lead-ins, cut sentences, unbalanced
//     brackets) are never advice.
//
// The marker lists hold English and the common words of Chinese,
// Japanese, Spanish, Portuguese, French, German and Russian threads, so a
// fix written in those languages is found and quoted as written.

// Markers, lower-case. Latin-script ones match at word boundaries, others
// anywhere.
var (
	actionStarts = words(`set add use run install upgrade update downgrade remove delete change replace enable disable
		switch try pass export configure restart reinstall clear pin specify rename move edit uninstall revert rollback
		increase decrease lower raise put create append point wrap ensure toggle turn uncheck allow grant bump force kill
		generate attach follow setup renaming moving doubling raising lowering reset reload regenerate recreate rerun re-run login logout sign re-authenticate reauthenticate open select go log reboot relaunch relogin re-login
		navigate define declare import call downgrading upgrading updating setting adding using running removing
		changing installing switching disabling enabling deleting clearing pinning passing`)
	actionLeads = words(`workaround fix solution try note alternatively instead or just simply then also please first
		quick temporary temporarily`)
	modalMarkers = []string{"you can ", "you could ", "you should ", "you need to ", "you have to ", "you'll need to",
		"you will need to", "you must ", "you might want to", "you may need to", "you may want to", "try ", "i'd suggest",
		"i suggest", "i recommend", "i'd recommend", "we recommend", "the fix is", "the fix was", "the workaround is",
		"the workaround was", "the solution is", "the solution was", "a workaround", "workaround is", "as a workaround",
		"to work around", "to fix this", "to fix it", "to solve", "to resolve", "to get around", "can be fixed by",
		"can be solved by", "can be resolved by", "can be worked around", "be resolved by", "be fixed by", "be solved by", "is fixed by", "fixed it by", "solved it by",
		"resolved it by", "fixed this by", "solved this by", "got it working", "get it working", "make sure", "by setting",
		"by adding", "by using", "by running", "by removing", "by changing", "by upgrading", "by downgrading",
		"by installing", "by switching", "by disabling", "by enabling", "by updating", "by deleting", "by passing",
		"by clearing", "by reinstalling", "by restarting", "by pinning", "by exporting", "by editing", "by renaming",
		"what worked", "what fixed", "what helped", "i have to use", "i need to", "i needed to", "need to use", "need to set", "the only way", "i was able to", "i managed to", "we were able to",
		"it's recommended", "it is recommended", "you'll want to", "you will want to", "you want it", "recommended that you", "is recommended to", "resolved by", "solved by",
		// other languages
		"可以试", "可以把", "可以通过", "可以在", "可以用", "可以设置", "可以改", "即可", "就行", "就可以", "指定", "添加",
		"降级", "试试", "试一下", "尝试", "切换", "降低", "提升", "增加", "减少", "清空", "重启", "新开", "删除", "换成", "解决方法", "解决办法", "解决方案", "修复方案", "修复方法", "去除", "移除", "办法是", "改为", "改成", "设置", "修改", "升级到", "降级到",
		"回避", "対処", "設定", "変更", "してください", "すると", "ことで",
		"puedes", "prueba", "una opción", "necesitas", "solución", "la solucion", "podés", "intenta", "você pode", "tente", "solução",
		"vous pouvez", "essayez", "la solution est", "sie können", "lösung", "можно", "попробуйте", "решение"}
	// firstPersonDone is "I/we did X": a fix when the post says it worked.
	firstPersonDone = []string{"i set", "i added", "i changed", "i removed", "i downgraded", "i upgraded", "i installed",
		"i switched", "i used", "i ran the", "i reinstalled", "i deleted", "i cleared", "i updated", "i configured",
		"i replaced", "i moved", "i renamed", "i disabled", "i enabled", "i pinned", "i reverted", "i uninstalled",
		"i rolled back", "i exported", "i passed", "i edited", "i created", "i had to", "i just", "we set", "we added",
		"we changed", "we removed", "we switched", "we upgraded", "we downgraded", "we updated", "we pinned",
		"after setting", "after adding", "after changing", "after removing", "after upgrading", "after downgrading",
		"after updating", "after installing", "after switching", "after reinstalling", "after deleting", "after clearing",
		"after disabling", "after enabling", "after restarting", "after using", "instead", "if i remove", "if i use",
		"if i set", "if i change", "if i add", "if i disable", "if i enable", "if i restart", "if i switch", "if i delete",
		"if i downgrade", "if i upgrade", "if i run", "if i pass", "when i remove", "when i set", "when i use",
		"when i change", "when i add", "when i disable", "when i downgrade", "is changed", "is removed", "is set",
		"was changed", "was removed", "was set", "are removed", "were removed",
		"我把", "我将", "我用", "我设置", "我改", "我升级", "我降级", "我删除", "后来", "換成", "换成"}
	successMarkers = []string{"worked", "works now", "working now", "works for me", "work for me", "works fine now",
		"fixed it", "fixed the", "fixed for me", "fixes it", "fixes the", "fixed this", "solved", "resolved it", "resolved the",
		"resolves it", "resolves the", "resolved for me", "did the trick", "that did it", "it helped", "helped me", "no longer",
		"can confirm", "succeeded", "no error is", "no errors are", "no error was", "without errors", "without any error",
		"all good", "is gone", "went away", "goes away", "problem disappeared", "error disappeared", "issue disappeared", "now it works", "it works", "that works", "this works",
		"back to normal", "normal again", "works again", "working again",
		"i resolved", "i solved", "i fixed", "we resolved", "we solved", "we fixed",
		"解决了", "已解决", "已无", "恢复正常", "没问题", "没有问题", "好了", "可以了", "成功", "有效", "解決しました", "直りました", "動きました", "できました", "解消",
		"funcionó", "funciona", "solucionado", "resuelto", "resolvido", "funcionou", "funktioniert", "gelöst", "résolu",
		"fonctionne", "помогло", "работает", "заработало"}
	failureMarkers = []string{"still", "didn't help", "did not help", "doesn't help", "does not help", "didn't work",
		"did not work", "doesn't work", "does not work", "don't work", "do not work", "not working", "no luck", "no effect",
		"no difference", "same error", "same issue", "same problem", "same result", "no way to", "there is no",
		"there's no", "without success", "unfortunately", "didn't fix", "did not fix", "doesn't fix", "does not fix",
		"didn't solve", "did not solve", "doesn't solve", "does not solve", "didn't resolve", "not resolve",
		"no workaround", "nothing works", "nothing helped", "won't work", "wouldn't", "couldn't", "could not", "can't",
		"cannot", "unable to", "fails", "failed", "failing", "persists", "tried", "even after", "even with", "even when",
		"keeps", "keep getting", "not fixed", "not solved", "not resolved", "no longer works", "stopped working",
		"broke", "broken", "neither", "nor ", "not help", "not work", "but when", "but if", "but not", "but it", "but the",
		"but now", "but after", "but then", "does not exist", "doesn't exist", "you get this error", "you get the error", "you'll get", "you will get",
		"但是", "还是", "仍然", "不到", "不上", "不了", "依然", "没用", "无效", "不行", "失败", "不起作用", "まだ", "解決しません", "直りません", "できません", "失敗",
		"sigue", "todavía", "no funciona", "no funcionó", "sin éxito", "ainda", "não funciona", "toujours", "immer noch",
		"не помогло", "всё ещё", "все еще", "не работает"}
	storyStarts = []string{"i'm also", "i am also", "also ", "same ", "me too", "+1", "i have the same", "i had the same",
		"i'm having", "i am having", "i'm getting", "i am getting", "i get ", "i got ", "i see ", "i saw ", "i'm seeing",
		"i am seeing", "we are seeing", "we're seeing", "i expected", "i was ", "i'm trying", "i am trying", "i tried",
		"when i ", "i can't", "i cannot", "i can not", "i'm not able", "i am not able", "i'm unable", "i am unable",
		"i would expect", "i'd expect", "expected", "it should", "getting the same", "hi", "hello",
		"hey", "thanks", "thank you", "i have been", "i've been", "i'm using", "i am using", "i use ", "we use ",
		"i'm running", "i am running", "i installed", "i followed", "i noticed", "i encountered", "i encounter",
		"i face", "i faced", "i'm facing", "i am facing", "i keep", "i think", "i don't", "i do not", "i'm not sure",
		"not sure", "i wonder", "i hope", "hope ", "any ", "我也", "同样", "再贴", "贴一下", "我的", "is there", "does anyone", "has anyone", "anyone"}
	housekeeping = []string{"reopen", "re-open", "closing", "close this", "closed", "duplicate", "ticket", "tracked",
		"tracking", "pull request", "upvote", "stale", "follow up", "follow-up", "look into", "looking into",
		"investigate", "investigating", "thanks for", "thank you", "let me know", "let us know", "feel free", "any update", "triage",
		"assign", "will be fixed", "we'll fix", "we will fix", "working on", "on our radar", "in the backlog",
		"a fix is coming", "fix is in progress", "is being", "opened an issue", "filed an issue", "raised an issue",
		"created an issue", "reported this", "this thread", "this bug report", "关闭", "重新打开", "重复",
		"跟进", "追踪", "クローズ"}
	causeMarkers = []string{"because", "caused by", "root cause", "the cause", "due to", "the problem is",
		"the issue is", "the problem was", "the issue was", "the bug is", "the reason", "happens when", "happens if",
		"happens because", "occurs when", "occurs if", "turned out", "turns out", "is triggered", "triggered by",
		"comes from", "is coming from", "results from", "doesn't support", "does not support", "is not supported",
		"isn't supported", "not compatible", "incompatible", "is missing", "was missing", "are missing", "is not set",
		"isn't set", "was not set", "mismatch", "this means", "which means", "causing", "which causes", "which breaks",
		"it means that", "usually means", "error means", "often means", "typically means", "generally means", "so it", "so the", "which is why", "that's why", "this is why",
		"that is why",
		"原因", "因为", "导致", "由于", "是因为", "起因", "ため", "せい", "porque", "causa", "debido a", "el problema es",
		"devido", "parce que", "à cause", "weil", "ursache", "liegt an", "потому что", "причина", "из-за"}
	hedges = []string{"maybe", "might", "may be", "perhaps", "probably", "possibly", "i guess", "i think", "not sure",
		"no single", "depends on", "可能", "推测", "也许", "估计", "たぶん", "かもしれ", "quizás", "tal vez", "vielleicht"}
	// objectNouns name things a reader can change: with an action they
	// make a fix concrete enough ("add your SSH key to the account").
	objectNouns = []string{"key", "keys", "token", "port", "setting", "settings", "config", "configuration", "variable",
		"flag", "option", "parameter", "permission", "permissions", "version", "proxy", "certificate", "path", "file",
		"folder", "directory", "account", "group", "environment", "dns", "firewall", "header", "scope", "scopes",
		"registry", "cache", "credential", "credentials", "password", "url", "endpoint", "host", "model", "plugin",
		"extension", "package", "dependency", "library", "module", "driver", "image", "container", "memory", "ram",
		"swap", "limit", "timeout", "provider", "session", "server", "service", "api", "api key", "branch", "remote"}
	fixedWords = []string{"已修复", "修复了", "修复并合并", "已合入", "已经修复", "已更新", "修正しました", "修正済み", "corregido", "solucionado en",
		"corrigé", "behoben", "исправлено"}
	strongCause = []string{"root cause", "caused by", "the cause", "turned out", "turns out", "the problem is that",
		"the issue is that", "the reason", "原因", "导致", "起因", "causa", "ursache", "причина"}
	preventStarts   = []string{"to avoid", "to prevent", "always ", "never ", "in the future"}
	workaroundMarks = []string{"workaround", "work around", "temporar", "for now", "in the meantime", "meanwhile",
		"until ", "downgrad", "roll back", "rollback", "revert", "restart", "disable", "回避", "临时", "暂时", "暫定", "降级", "回滚"}
	// condRefs open an answer to the question before ("Is it in your
	// PATH? If not, add it."): the question is the answer's condition.
	condRefs = []string{"if not", "if so", "if it does", "if that's the case", "if that is the case", "if yes", "si no", "si es así",
		"sinon", "si c'est le cas", "wenn nicht", "falls nicht", "wenn ja", "否则", "如果不是", "如果是的话", "如果没有"}
	backRefs = []string{"this ", "that ", "it ", "these ", "those ", "then ", "so ", "and ", "but ", "also ",
		"otherwise", "alternatively", "instead", "which ", "after that", "doing so", "once ", "here ", "there "}
	skipHeadings = []string{"reproduc", "expected", "actual", "environment", "log", "screenshot", "version", "system info",
		"setup", "context", "to reproduce", "error", "output", "stack", "trace", "checklist", "prerequisite"}
	fixHeadings   = []string{"workaround", "solution", "fix", "resolution", "what worked", "temporary", "how i solved"}
	causeHeadings = []string{"cause", "diagnos", "analysis", "why", "root", "investigation", "explanation"}
	propHeadings  = []string{"suggest", "propos", "possible", "expected", "request", "feature"}
)

// words splits a list of lower-case words.
func words(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// hasMarker reports whether l (lower-case) holds any marker: at word
// boundaries for markers that start and end with a Latin letter, anywhere
// for the others.
func hasMarker(l string, markers []string) bool {
	if len(markers) > 0 {
		if set := markerSets[&markers[0]]; set != nil {
			return set.has(l)
		}
	}
	for _, m := range markers {
		if markerAt(l, m) >= 0 {
			return true
		}
	}
	return false
}

func markerAt(l, m string) int {
	from := 0
	for {
		i := strings.Index(l[from:], m)
		if i < 0 {
			return -1
		}
		i += from
		ok := true
		if r, _ := utf8.DecodeRuneInString(m); r < 0x80 && unicode.IsLetter(r) && i > 0 {
			p, _ := utf8.DecodeLastRuneInString(l[:i])
			ok = !unicode.IsLetter(p) && !unicode.IsDigit(p)
		}
		if r, _ := utf8.DecodeLastRuneInString(m); ok && r < 0x80 && unicode.IsLetter(r) && i+len(m) < len(l) {
			n, _ := utf8.DecodeRuneInString(l[i+len(m):])
			ok = !unicode.IsLetter(n) && !unicode.IsDigit(n)
		}
		if ok {
			return i
		}
		from = i + 1
	}
}

var (
	reFlag        = regexp.MustCompile(`(?:^|[\s(])--?[A-Za-z][A-Za-z0-9-]*`)
	reEnvVar      = regexp.MustCompile(`\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b`)
	reVersionNo   = regexp.MustCompile(`(?:^|[^\w.])v?\d+\.\d+(?:\.\d+)?|@\d+\.\d`)
	reFileName    = regexp.MustCompile(`(?i)\b[\w.-]*\.(?:json|jsonc|ya?ml|toml|env|ini|cfg|conf|js|ts|mjs|cjs|py|sh|ps1|lock|xml|plist|npmrc|bashrc|zshrc|profile)\b|~/|/etc/|\.config/|%appdata%|\\users\\`)
	reIdent       = regexp.MustCompile(`\b[a-z][a-z0-9]*_[a-z0-9_]+\b|\b[a-z]+[A-Z][A-Za-z0-9]+\b|\b[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.[a-z][\w-]*\b|\b\w+=\S`)
	reAddress     = regexp.MustCompile(`::1\b|\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b|\blocalhost\b|:\d{2,5}\b`)
	reCommand     = regexp.MustCompile(`(?i)\b(?:npm|npx|pip3?|pipx|brew|git|docker|kubectl|uvx?|yarn|pnpm|curl|wget|apt(?:-get)?|sudo|nvm|python3?|cargo|conda|export|chmod|chown|winget|choco|scoop|systemctl|powershell)\s+\S`)
	reVersion     = regexp.MustCompile(`v?\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.\-]+)?`)
	reFixedRel    = regexp.MustCompile(`(?i)\b(?:fixed|resolved|addressed)\b[^.;:?]{0,40}?\b(?:release|version|update)\b`)
	reAcronym     = regexp.MustCompile(`\b[A-Z]{2,5}s?\b`)
	rePlaceholder = regexp.MustCompile(`<[a-z][a-z_-]*>|\[<`)
	reSlashCmd    = regexp.MustCompile(`(?:^|\s)/[a-z][\w-]+\b`)
	reFixedIn     = regexp.MustCompile(`(?i)\b(?:fix|fixed|resolved|addressed|patched|shipped|landed|released|available|included|out)\b[^.;:]{0,40}?\b(?:in|with|since|as of)\s+(?:our\s+|the\s+|this\s+)?(?:latest\s+|new\s+|next\s+)?(?:version\s+|release\s+)?(v?\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.\-]+)?)\b`)
	reUpgradeTo   = regexp.MustCompile(`(?i)\b(?:upgrad|updat|bump|downgrad|instal|mov|switch|pin)\w*\b[^.;]{0,50}?\b(?:to|version|@)\s*(v?\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.\-]+)?)\b`)
	reIssueRef    = regexp.MustCompile(`(?:^|[\s(])(?:[\w.-]+/[\w.-]+)?#\d+\b`)
)

// prose is s without its inline code spans, so that markers inside a
// quoted command or message are not read as the writer's words.
func prose(s string) string {
	if strings.Count(s, "`") < 2 {
		return s
	}
	var b strings.Builder
	in := false
	for _, r := range s {
		if r == '`' {
			in = !in
			b.WriteByte(' ')
			continue
		}
		if !in {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// concrete reports whether a sentence names something a reader can act
// on: code, a flag, an environment variable, a version, a file or path,
// an identifier, a command.
func concrete(s string) bool {
	if strings.Count(s, "`") >= 2 {
		return true
	}
	// Each pattern needs a character the cheap checks look for first.
	hasDigit := strings.ContainsAny(s, "0123456789")
	return strings.Contains(s, "_") && reEnvVar.MatchString(s) ||
		hasDigit && strings.ContainsAny(s, ".@") && reVersionNo.MatchString(s) ||
		strings.Contains(s, "-") && reFlag.MatchString(s) ||
		strings.ContainsAny(s, ".~/%\\") && reFileName.MatchString(s) ||
		strings.ContainsAny(s, "_.=ABCDEFGHIJKLMNOPQRSTUVWXYZ") && reIdent.MatchString(s) ||
		reCommand.MatchString(s) ||
		(hasDigit || strings.Contains(s, "localhost")) && reAddress.MatchString(s) ||
		strings.Contains(s, "/") && reSlashCmd.MatchString(s) ||
		strings.ContainsAny(s, "\"'“") && (quotedToken(s) || quotedLabel(s)) ||
		strings.Contains(strings.ToLower(s), "latest version") || strings.Contains(strings.ToLower(s), "latest release") ||
		false
}

// quotedToken reports a short quoted setting or value: "foo", 'bar-baz'.
func quotedToken(s string) bool {
	for _, q := range []string{`"`, `'`, "“"} {
		i := strings.Index(s, q)
		for i >= 0 {
			rest := s[i+len(q):]
			end := strings.IndexAny(rest, `"'”`)
			if end < 0 {
				break
			}
			tok := rest[:end]
			if end > 1 && end < 50 && !strings.Contains(tok, " ") {
				return true
			}
			next := strings.Index(rest[end+1:], q)
			if next < 0 {
				break
			}
			i = i + len(q) + end + 1 + next
		}
	}
	return false
}

// hasLatinWord reports a word in Latin letters or digits of at least
// three characters: a name, setting or command inside CJK text.
func hasLatinWord(s string) bool {
	n := 0
	for _, r := range s {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			n++
			if n >= 3 {
				return true
			}
		} else {
			n = 0
		}
	}
	return false
}

// reLatinToken is a URL or a code span: the name of a thing, not the
// language a sentence is written in.
var reLatinToken = regexp.MustCompile("https?://[\\x21-\\x7e]+|`[^`]*`")

// isCJK reports whether s is written mostly in Han, Kana or Hangul, not
// counting its URLs and code spans ("用 `http://host:1234` 试一下" is
// Chinese).
func isCJK(s string) bool {
	if isASCII(s) {
		return false
	}
	if strings.Contains(s, "://") || strings.Contains(s, "`") {
		s = reLatinToken.ReplaceAllString(s, " ")
	}
	n, c := 0, 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
			if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
				c++
			}
		}
	}
	return n > 0 && c*3 >= n
}

// fragment reports whether a sentence cannot stand on its own in a quote:
// too short, too long, a lead-in without what it leads to, cut after a
// comma, unbalanced brackets or quotes, or mostly punctuation (a pasted
// log or JSON).
func fragment(u unit) bool {
	s := u.text
	if len(s) > maxSentenceLen {
		return true
	}
	if isCJK(s) {
		if utf8.RuneCountInString(s) < 8 {
			return true
		}
	} else if countWords(s) < 4 {
		return true
	}
	last, _ := utf8.DecodeLastRuneInString(s)
	switch last {
	case ':', '：':
		if u.code == "" {
			return true
		}
	case ',', ';', '、', '，', '(', '-', '–', '—':
		return true
	}
	if strings.Count(s, "(") != strings.Count(s, ")") || strings.Count(s, "[") != strings.Count(s, "]") ||
		strings.Count(s, "`")%2 != 0 || strings.Count(s, `"`)%2 != 0 || strings.Count(s, "“") != strings.Count(s, "”") {
		return true
	}
	if unfinishedContrast(s) {
		return true
	}
	if strings.Contains(s, "<") && rePlaceholder.MatchString(prose(s)) {
		// Usage text a program printed ("git <command> [<file>...]").
		return true
	}
	p := prose(s)
	letters, all := 0, 0
	for _, r := range p {
		all++
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' {
			letters++
		}
	}
	return letters*10 < all*7 || strings.HasPrefix(s, "{") || strings.HasPrefix(s, "\"")
}

// subordinators open a clause that needs a main clause after it.
var subordinators = []string{"as soon as ", "as soon ", "when ", "whenever ", "once ", "if ", "unless ", "after ", "before ", "while ", "until "}

// unfinishedContrast reports a sentence its writer left unfinished after
// a contrast: "it works when the option is off, but as soon as I turn it
// on and reload" opens a clause after "but" that says neither what
// happened nor that it worked, and the sentence stops there (no closing
// punctuation). Quoted, it reads as a fix while its point is missing.
func unfinishedContrast(s string) bool {
	s = strings.TrimSpace(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if unicode.IsPunct(last) {
		return false
	}
	l := strings.ToLower(s)
	i := strings.LastIndex(l, " but ")
	if i < 0 {
		return false
	}
	tail := l[i+len(" but "):]
	for _, sub := range subordinators {
		if strings.HasPrefix(tail, sub) {
			return !strings.ContainsAny(tail, ",;") && sentenceMask(tail)&(bSuccess|bFailure) == 0
		}
	}
	return false
}

// question reports a question: it ends with a question mark.
func question(s string) bool {
	if !isASCII(s) && hasAny(s, "吗", "什么", "有没有", "怎么", "是否", "ですか", "でしょうか") {
		return true
	}
	return strings.HasSuffix(s, "?") || strings.HasSuffix(s, "？") || strings.HasSuffix(s, "?)")
}

// failure reports failure or negation markers in a lower-case sentence.
func failure(l string) bool { return hasMarker(l, failureMarkers) }

// success reports that a lower-case sentence says something worked.
func success(l string) bool {
	if hasAny(l, "if it works", "if this works", "if that works", "see if", "whether it works") {
		return false
	}
	return sentenceMask(l)&bSuccess != 0 && !failure(l) && !question(l)
}

// succeeded is success for a sentence whose marker mask is known.
func succeeded(l string, mask uint32) bool {
	return mask&bSuccess != 0 && mask&bFailure == 0 && !question(l) &&
		!hasAny(l, "if it works", "if this works", "if that works", "see if", "whether it works")
}

// postOutcome tells whether a post says something worked, and whether it
// says something did not.
func postOutcome(us []unit) (ok, failed bool) {
	for _, u := range us {
		if u.mask&bFailure != 0 {
			failed = true
		} else if !question(u.text) && u.mask&bSuccess != 0 {
			ok = true
		}
	}
	return ok, failed
}

// imperative reports whether a lower-case sentence starts with an action
// verb, after an optional lead such as "Workaround:" or "Alternatively,",
// or after a condition ("If you want to run it as a user, add ...").
func imperative(l string) bool {
	if strings.HasPrefix(l, "to ") {
		// "To reproduce, run ..." tells how to see the error.
		if v, _ := firstWord(l[3:]); purposeDiag[v] {
			return false
		}
	}
	if strings.HasPrefix(l, "if you ") || strings.HasPrefix(l, "if your ") || strings.HasPrefix(l, "to ") {
		if i := strings.Index(l, ", "); i > 0 && i < 160 {
			return imperative(l[i+2:])
		}
		return false
	}
	for i := 0; i < 3; i++ {
		w, rest := firstWord(l)
		if w == "" {
			return false
		}
		if actionStarts[w] {
			return true
		}
		if !actionLeads[w] {
			return false
		}
		l = rest
	}
	return false
}

// firstWord returns the first word of l (letters, digits, "-" and "'") and
// what follows it.
func firstWord(l string) (string, string) {
	l = strings.TrimLeft(l, " *_\"'“(")
	end := 0
	for end < len(l) {
		r, size := utf8.DecodeRuneInString(l[end:])
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '\'') {
			break
		}
		end += size
	}
	return l[:end], strings.TrimLeft(l[end:], " :,.-")
}

// needsContext reports whether a sentence leans on the one before it.
func needsContext(u unit) bool {
	if u.prev == "" {
		return false
	}
	l := strings.ToLower(u.text)
	return hasPrefixAny(l, backRefs...) || hasPrefixAny(l, condRefs...) || (!isCJK(u.text) && countWords(u.text) <= 6) || shortCJK(u.text)
}

// stripCond takes off the conditional opening of an answer to the
// question before it ("If not, move the file"): its "not" is the
// question's, not a failure of the action. It returns the rest, its
// markers and the opening ("" when there is none).
func stripCond(l string, m uint32) (string, uint32, string) {
	c := condPrefix(l)
	if c == "" {
		return l, m, ""
	}
	l = strings.TrimLeft(l[len(c):], " ,")
	return l, sentenceMask(l), c
}

// condPrefix is the conditional opening of l that answers a question
// ("if not", "si no"), or "".
func condPrefix(l string) string {
	for _, c := range condRefs {
		if strings.HasPrefix(l, c) {
			return c
		}
	}
	return ""
}

// shortCJKNamed reports a CJK sentence of a few characters around one
// Latin name and no version (in Chinese, "try downgrading <runtime>"):
// to what, and why, is in the text before it.
func shortCJKNamed(s string) bool {
	if !isCJK(s) || strings.ContainsAny(s, "0123456789`") {
		return false
	}
	han, words, run := 0, 0, 0
	for _, r := range s {
		switch {
		case r < 0x80 && unicode.IsLetter(r):
			if run == 0 {
				words++
			}
			run++
		case unicode.IsLetter(r):
			han++
			run = 0
		default:
			run = 0
		}
	}
	return words == 1 && han <= 8
}

// shortCJK reports a CJK sentence of a few characters that names nothing
// in Latin letters or digits (in Chinese, "took it out, fine again"):
// what was taken out is in the sentence before.
func shortCJK(s string) bool {
	if !isCJK(s) || hasLatinWord(s) || strings.ContainsAny(s, "0123456789") {
		return false
	}
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n <= 12
}

// sentenceRole decides the role of the sentence us[i] of a post: a fix, a
// workaround, a cause or prevention advice (ok), or none. A version is
// returned for a release or upgrade that fixes the error.
func sentenceRole(us []unit, i int, isBody bool) (Kind, string, bool) {
	u := us[i]
	s := u.text
	if !isBody && docPointer(u) {
		return KindFix, "", true
	}
	if question(s) || fragment(u) {
		return 0, "", false
	}
	p := prose(s)
	l, m := u.l, u.mask
	if l == "" {
		l = strings.ToLower(p)
		m = sentenceMask(l)
	}
	l = dropGreeting(l)
	l, m, cond := stripCond(l, m)
	if m&bFailure != 0 && m&bSuccess != 0 && endsInSuccess(l) {
		m &^= bFailure
	}
	has := func(bit uint32) bool { return m&bit != 0 }
	// "Restarting the session works" says an action worked.
	gw := m&bFailure == 0 && !question(s) && gerundWorks(l)
	ok := succeeded(l, m) || gw
	// Releases that fix it come first: a maintainer's "thanks, this is
	// fixed in v1.2 (#123)" is no housekeeping.
	if !isBody && !has(bFailure) && !has(bHedge) {
		fixWord := hasAny(l, "fix", "resolv", "address", "patch")
		if fixWord && strings.ContainsAny(s, "0123456789") {
			if m := reFixedIn.FindStringSubmatch(s); m != nil {
				return KindFix, m[1], true
			}
		}
		if fixWord && hasAny(l, "release", "version", "update") && reFixedRel.MatchString(s) && !hasPrefixAny(l, "i ", "we ") || has(bFixed) {
			v := ""
			if m := reVersion.FindString(s); m != "" {
				v = m
			}
			return KindFix, v, true
		}
	}
	if hasPrefixAny(l, storyStarts...) && !ok {
		return 0, "", false
	}
	if infoRequest(l) || searchAdvice(l) {
		return 0, "", false
	}
	if has(bHousekeeping) || strings.Contains(p, "#") && reIssueRef.MatchString(p) && !reVersion.MatchString(p) {
		return 0, "", false
	}
	if needsContext(u) && (question(u.prev) && cond == "" || failure(strings.ToLower(prose(u.prev)))) &&
		!(u.code != "" && hasAny(l, "solution", "solved", "fixed it", "the fix", "workaround", "what worked")) {
		// "So I did this instead." after a failed attempt or a question
		// says nothing on its own.
		return 0, "", false
	}
	h := u.heading
	if isBody && hasAny(h, skipHeadings...) && !hasAny(h, fixHeadings...) && !hasAny(h, causeHeadings...) && !(ok && has(bModal|bFirstPerson)) {
		// Under "Steps to reproduce" a sentence is how it failed,
		// unless it says an action made the error go away.
		return 0, "", false
	}
	if isBody && !hasAny(h, fixHeadings...) && laterStep(us, i) {
		// "3. Call the tool: it works." followed by "4. ..." is a step of
		// the report that led to the error, whatever its words.
		return 0, "", false
	}
	// A cause stated as such is a cause even when it names an action.
	if has(bCause) && !ruledOut(l) && !imperative(l) && !has(bModal) && !has(bHedge) &&
		concrete(s) && !hasPrefixAny(l, "i ", "we ", "my ", "our ") && !hasAny(l, "because i ", "because of this", "because we ") &&
		(!isBody || has(bStrongCause) || hasAny(h, causeHeadings...)) {
		return KindCause, "", true
	}
	// obj: the sentence names something to act on. It costs regular
	// expressions, so it is asked only of sentences with an action or a
	// cause marker.
	obj := func() bool {
		return concrete(s) || u.code != "" || imperative(l) && ok || gw && has(bObjectNoun) || !isBody && (reAcronym.MatchString(p) || has(bObjectNoun) || strings.Contains(s, "://") || u.link != "") ||
			isCJK(s) && hasLatinWord(s) && hasAny(l, "改成", "改为", "换成", "设置", "指定", "降级", "升级", "添加", "删除", "删了", "删掉", "卸载", "重装", "重新", "配置", "提升", "切换") ||
			// CJK threads name fewer things in Latin letters: an action
			// that the same sentence says worked is enough.
			isCJK(s) && ok && has(bModal|bFirstPerson)
	}
	// The sentence after a failure-free action can still say it failed.
	nextFailed, nextOK := false, false
	if i+1 < len(us) {
		n := us[i+1]
		nl, nm := n.l, n.mask
		if nl == "" {
			nl = strings.ToLower(prose(n.text))
			nm = sentenceMask(nl)
		}
		nextOK = succeeded(nl, nm)
		// "I tried an older one and it works" reports a success too: a
		// sentence that says both does not undo the one before.
		// "If it still fails, send the log" supposes; it reports nothing.
		nextFailed = nm&bFailure != 0 && !nextOK && nm&bSuccess == 0 && !conditional(nl)
	}
	failed := has(bFailure) || nextFailed

	// Fixes and workarounds.
	if !failed {
		act := imperative(l) || hasPrefixAny(l, preventStarts...) && !isBody || has(bModal) || has(bFirstPerson) && (ok || nextOK)
		if !act && ok && !hasPrefixAny(l, "i ", "we ", "this ", "that ") {
			// "Setting X to Y fixed it."
			act = true
		}
		if act && hasAny(l, "can see", "can check", "can find", "can look", "can read", "can verify", "can confirm") && !imperative(l) {
			// "You can see what X is" is a diagnosis, not a fix.
			act = false
		}
		if act && !ok && diagnostic(l, s) {
			// "Check that X is installed by running `x -v`" finds out
			// what is wrong; "run X again" repeats what failed.
			act = false
		}
		if act && isBody {
			// A report's own steps are how it failed; only what the
			// reporter marks as a way out is advice.
			act = (hasAny(h, fixHeadings...) && !hasAny(h, propHeadings...)) || ok || has(bFirstPerson) && nextOK ||
				hasAny(l, "workaround", "work around", "worked for me", "fixed it by", "what worked", "solution", "for now", "the fix is", "the only way", "i was able to", "i managed to", "resolved by", "solved by", "回避", "临时", "解决")
		}
		if act && obj() {
			if hasPrefixAny(l, preventStarts...) && !isBody {
				return KindPrevent, "", true
			}
			version := ""
			if strings.ContainsAny(s, "0123456789") && hasAny(l, "upgrad", "updat", "bump", "downgrad", "instal", "mov", "switch", "pin") {
				if m := reUpgradeTo.FindStringSubmatch(s); m != nil {
					version = m[1]
				}
			}
			if hasAny(l, workaroundMarks...) || hasAny(h, "workaround") {
				return KindWorkaround, version, true
			}
			return KindFix, version, true
		}
	}
	// Causes.
	if has(bCause) && !has(bHedge) && !ruledOut(l) && !hasAny(l, "because i ", "because of this", "because of that", "because it doesn't work", "because we ") {
		if isBody && !has(bStrongCause) && !hasAny(h, causeHeadings...) {
			return 0, "", false
		}
		if !hasPrefixAny(l, "i ", "we ", "my ", "our ") && obj() {
			return KindCause, "", true
		}
	}
	return 0, "", false
}

// infoRequest reports a request for more information written without a
// question mark ("please share your config file"): it asks, it advises
// nothing.
func infoRequest(l string) bool {
	for _, who := range []string{"can you ", "could you ", "please ", "would you ", "can u "} {
		i := strings.Index(l, who)
		if i < 0 {
			continue
		}
		w, _ := firstWord(l[i+len(who):])
		switch w {
		case "share", "provide", "post", "paste", "send", "attach", "upload", "include", "show", "give":
			return true
		}
	}
	return false
}

// searchAdvice reports advice to search the web, which names nothing to
// change.
func searchAdvice(l string) bool {
	return hasAny(l, "googl", "search for", "searching for", "search the ", "searching the ", "search online", "searching online", "look it up", "look up how")
}

// ruledOut reports a sentence that says what is not the cause ("this is
// not a problem with X because ..."): an exclusion, not a cause.
func ruledOut(l string) bool {
	return hasAny(l, "doesn't look like", "does not look like", "not a problem with", "not related to",
		"isn't related", "is not related", "not caused by", "is not the cause", "isn't the cause", "not the reason")
}

// reVersionQuery matches a command that only prints a version.
var reVersionQuery = regexp.MustCompile(`(?i)\b[\w.-]+\s+(?:-v|--version|-version|version)\b`)

// diagnostic reports a sentence that checks something rather than changes
// it: an imperative to check, verify or look; a purpose "to check ..." or
// "to see if ..."; a command that only prints a version; or an order to
// run the failing step again with nothing changed.
func diagnostic(l, s string) bool {
	w, rest := firstWord(l)
	for i := 0; i < 3 && actionLeads[w] && w != "try"; i++ {
		w, rest = firstWord(rest)
	}
	if w == "try" {
		if v, _ := firstWord(rest); v == "running" || v == "to" || v == "again" {
			w = "run"
		}
	}
	switch w {
	case "check", "verify", "confirm", "see", "look", "inspect", "test", "print", "show", "list":
		return true
	}
	if hasAny(l, "double-check", "double check", "recommend checking", "suggest checking", "try checking", "recommend verifying") {
		// "I'd recommend double-checking your JSON files" asks for a
		// check, it names no change.
		return true
	}
	if hasAny(l, "check if", "check whether", "check that", "check what", "check which", "to check", "to verify",
		"to see if", "to see whether", "to see what", "to see which", "to confirm") {
		return true
	}
	if (w == "try" || w == "run" || w == "rerun" || w == "re-run" || w == "retry") && hasMarker(l, []string{"again"}) &&
		!hasAny(l, " after ", " with ", " without ", " once ", " instead", " or ", " later", " in a few") {
		return true
	}
	if strings.Contains(l, "version") || strings.Contains(l, "-v") {
		if versionQuery(s) && !hasAny(l, "install", "upgrad", "updat", "downgrad", "set ", "add ", "remove", "switch", "pin") {
			return true
		}
	}
	return false
}

// purposeDiag are the verbs of a purpose that finds out rather than fixes.
var purposeDiag = words(`reproduce repro see check verify test debug confirm find diagnose investigate narrow trigger get`)

// docVerbs are the verbs that point a reader to a page.
var docVerbs = words(`see refer read follow consult visit`)

// docPointer reports a sentence that sends the reader to a page outside
// the thread, with its link: "See https://…#client_max_body_size", "Could
// you follow [this guide] and try again?", "Please refer to [Using SSH over
// the HTTPS port]". A link to another issue or pull request is
// housekeeping, not documentation.
func docPointer(u unit) bool {
	if u.link == "" || u.mask&(bFailure|bHousekeeping) != 0 || len(u.text) > maxSentenceLen ||
		hasAny(u.link, "/issues/", "/pull/", "/discussions/", "gist.github", "pastebin", "imgur", "user-attachments", "/assets/") ||
		hasAny(u.l, " log", "screenshot", "trace", "recording", "video", "output", "attached") {
		// A link to another issue is housekeeping; one to a paste,
		// an image or a log shows the error, it does not fix it.
		return false
	}
	l := strings.TrimRight(u.l, "?.!: ")
	for {
		w, rest := firstWord(l)
		switch {
		case strings.HasPrefix(l, "@"):
			// A mention of whom the answer is for.
			if i := strings.IndexByte(l, ' '); i > 0 {
				l = strings.TrimSpace(l[i:])
				continue
			}
			return false
		case w == "please" || w == "just" || w == "also" || w == "maybe" || w == "hi" || w == "hello":
			l = strings.TrimLeft(rest, " ,")
			continue
		case w == "could" || w == "can" || w == "would":
			if !strings.HasPrefix(rest, "you ") {
				return false
			}
			l = strings.TrimPrefix(rest, "you ")
			continue
		case w == "you":
			if v, r := firstWord(rest); v == "can" || v == "may" || v == "should" || v == "might" {
				l = r
				continue
			}
			return false
		}
		if w == "take" || w == "have" {
			return strings.HasPrefix(rest, "a look")
		}
		return docVerbs[w] && strings.Count(u.text, "(") == strings.Count(u.text, ")")
	}
}

// quotedLabel reports a quoted name of a menu item, button or setting of a
// few capitalised words: "Git Bash Here", "Run as Administrator".
func quotedLabel(s string) bool {
	for _, q := range [][2]string{{`"`, `"`}, {"“", "”"}} {
		rest := s
		for {
			i := strings.Index(rest, q[0])
			if i < 0 {
				break
			}
			rest = rest[i+len(q[0]):]
			end := strings.Index(rest, q[1])
			if end < 0 {
				break
			}
			ws := strings.Fields(rest[:end])
			rest = rest[end+len(q[1]):]
			if len(ws) < 2 || len(ws) > 4 {
				continue
			}
			caps := 0
			for _, w := range ws {
				if r, _ := utf8.DecodeRuneInString(w); unicode.IsUpper(r) {
					caps++
				}
			}
			if caps*2 > len(ws) {
				return true
			}
		}
	}
	return false
}

// dropGreeting is l without a greeting that opens it ("hi @ann, ",
// "hello there, "): what follows is what the sentence says.
func dropGreeting(l string) string {
	for _, m := range []string{"never mind, ", "nevermind, ", "never mind ", "nevermind "} {
		if strings.HasPrefix(l, m) {
			return l[len(m):]
		}
	}
	w, rest := firstWord(l)
	if w != "hi" && w != "hello" && w != "hey" {
		return l
	}
	if i := strings.Index(l, ", "); i > 0 && i < 40 {
		return l[i+2:]
	}
	_ = rest
	return l
}

// versionQuery reports a command that only prints a version: a -v or
// --version flag, or "version" as a subcommand in code ("`widget
// version`"); "the desktop version" in prose is no command.
func versionQuery(s string) bool {
	for _, loc := range reVersionQuery.FindAllStringIndex(s, -1) {
		m := s[loc[0]:loc[1]]
		if strings.HasSuffix(m, "-v") || strings.HasSuffix(m, "-version") || strings.Count(s[:loc[0]], "`")%2 == 1 {
			return true
		}
	}
	return false
}

// conditional reports a sentence that opens with a condition ("if it
// still fails, ...", "si sigue ...", "如果还是不行"): a supposition, not a
// report.
func conditional(l string) bool {
	w, _ := firstWord(l)
	switch w {
	case "if", "si", "se", "falls", "wenn", "если", "should", "in":
		return w != "in" || strings.HasPrefix(l, "in case")
	}
	return strings.HasPrefix(l, "如果") || strings.HasPrefix(l, "もし")
}

// actionGerunds are actions named as doings ("restarting the session").
var actionGerunds = words(`restarting reinstalling rebooting reloading resetting recreating regenerating downgrading upgrading
	updating setting adding using running removing changing installing switching disabling enabling deleting clearing
	pinning passing renaming moving raising lowering increasing decreasing reverting uninstalling logging signing`)

// gerundWorks reports "<doing X> works": an action named as a doing, then,
// within a few words, that it works or helps ("only restarting the session
// works", "clearing the cache helped").
func gerundWorks(l string) bool {
	ws := strings.Fields(l)
	for i, w := range ws {
		if !actionGerunds[strings.Trim(w, ",.;:()\"'`")] {
			continue
		}
		for j := i + 1; j < len(ws) && j <= i+6; j++ {
			switch strings.Trim(ws[j], ",.;:!()") {
			case "works", "worked", "helps", "helped", "fixes", "fixed", "solves", "solved", "resolves", "resolved":
				return true
			}
		}
	}
	return false
}

// endsInSuccess reports a sentence whose last clause, after "but", says
// something worked with no failure of its own: "It failed on 2.1, but
// after I rolled back to 2.0 the problem disappeared" tells how it ended.
func endsInSuccess(l string) bool {
	i := strings.LastIndex(l, "but ")
	if i <= 0 || (i > 0 && isWordRune(rune(l[i-1]))) {
		return false
	}
	tail := l[i+4:]
	tm := sentenceMask(tail)
	return tm&bSuccess != 0 && tm&bFailure == 0 && succeeded(tail, tm)
}

// reStep is a numbered step at the start of a line: "3.", "3)", "3、",
// "3:" or "Step 3", in any language's punctuation.
var reStep = regexp.MustCompile(`^\s*(?:(?i:step)\s*)?(\d{1,2})\s*(?:[.)、．:：]|\s+-)`)

// laterStep reports whether us[i] is a numbered step that a higher-numbered
// step of the same post follows: an intermediate step of a sequence (how
// the reporter got to the error), not the outcome.
func laterStep(us []unit, i int) bool {
	m := reStep.FindStringSubmatch(us[i].text)
	if m == nil {
		return false
	}
	n, _ := strconv.Atoi(m[1]) // one or two digits
	for _, u := range us[i+1:] {
		if mm := reStep.FindStringSubmatch(u.text); mm != nil {
			if k, _ := strconv.Atoi(mm[1]); k > n {
				return true
			}
		}
	}
	return false
}
