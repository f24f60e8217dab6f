package classify

import (
	"math"
	"slices"
	"sort"
	"strings"
)

// Weights says how much each template word tells about which error a
// report is: words found in the signatures of few issues name an error
// ("recursion", "punycode", "enametoolong"), words found in many only say
// that something failed ("error", "failed", "request"). The weight of a
// word is its inverse document frequency over the store's issues,
//
//	idf(w) = ln(1 + N / (1 + df(w)))
//
// where df(w) is the number of classified issues whose candidate templates
// hold w and N the number of classified issues. Counts are kept
// incrementally: each classify run adds the issues it classifies and
// persists the counts (table classify_token_df), so later runs and `errata
// match` weigh words the same way. A handful of words that are generic in
// any error text (genericWords) also get a fixed discount, so that a young
// store with few issues does not take them for rare. An issue whose text
// changed is counted again when it is classified again (the counts only
// grow between rebuilds): the weights are ratios, and a few repeated
// issues barely move them. --rebuild, and the first run under a new rules
// or algorithm version (which classifies every issue again), count from
// zero (loadWeights).
type Weights struct {
	DF map[string]int
	N  int
	// cache of W for the current counts (Run counts a whole batch before
	// assigning it, so the cache holds for the batch)
	cache  map[string]float64
	cacheN int
	cacheD int
}

// NewWeights returns empty counts.
func NewWeights() *Weights { return &Weights{DF: map[string]int{}} }

// genericWords say that an error happened, not which one.
var genericWords = map[string]bool{
	"error": true, "errors": true, "err": true, "failed": true, "fail": true, "fails": true, "failure": true,
	"exception": true, "fatal": true, "warning": true, "unable": true, "cannot": true, "could": true,
	"request": true, "response": true, "message": true, "status": true, "code": true, "api": true,
	"occurred": true, "issue": true, "problem": true, "unknown": true, "unexpected": true, "http": true,
	"while": true, "trying": true, "see": true, "details": true, "please": true, "try": true,
}

// excName: an exception type (ConnectError, TimeoutException).
func excName(t string) bool {
	for _, suf := range []string{"error", "exception"} {
		if strings.HasSuffix(t, suf) && len(t) > len(suf)+2 {
			return true
		}
	}
	return false
}

// wrapperNouns name that an error was shown, not which one: before a
// message ("got this error: <message>") they are its lead-in, not a cause.
var wrapperNouns = map[string]bool{"error": true, "errors": true, "err": true, "exception": true, "warning": true,
	"message": true, "issue": true, "problem": true}

// genericStems are genericWords as TemplateSeq spells them.
var genericStems = func() map[string]bool {
	m := map[string]bool{}
	for w := range genericWords {
		m[stem(w)] = true
	}
	return m
}()

// wrapperStems are wrapperNouns as TemplateSeq spells them.
var wrapperStems = func() map[string]bool {
	m := map[string]bool{}
	for w := range wrapperNouns {
		m[stem(w)] = true
	}
	return m
}()

// Add counts one issue whose templates hold the given words (each word once).
func (w *Weights) Add(words map[string]bool) {
	w.N++
	for t := range words {
		w.DF[t]++
	}
}

// W is the weight of a word.
func (w *Weights) W(t string) float64 {
	if w.cache == nil || w.cacheN != w.N || w.cacheD != len(w.DF) {
		w.cache, w.cacheN, w.cacheD = make(map[string]float64, 1024), w.N, len(w.DF)
	}
	if x, ok := w.cache[t]; ok {
		return x
	}
	x := w.weight(t)
	w.cache[t] = x
	return x
}

func (w *Weights) weight(t string) float64 {
	n := float64(max(w.N, 1))
	x := math.Log1p(n / (1 + float64(w.DF[t])))
	if genericWords[t] || genericStems[t] {
		x *= 0.25
	}
	// HTTP statuses and JSON-RPC codes are classes of errors (weak codes):
	// they qualify a message, they do not name it.
	if isStatusOrRPC(t) {
		x *= 0.25
	}
	return x
}

// Similarity compares two templates' words: the weighted Jaccard
// similarity of their sets (the weight of the shared words over the weight
// of all words), or, when one is a cut-short form of the other, their
// containment. A report often gives only the start of a message (the text
// was cut, or the reporter copied its head): when the shorter word
// sequence is the start of the longer one (after at most one leading word,
// such as an exception name; its last word may be cut) and carries enough
// weight to name an error on its own, the two count as containDiscount
// similar. Only a prefix counts: a generic line that merely appears
// somewhere inside a longer message is not the same error.
func (w *Weights) Similarity(a, b words) float64 {
	var inter, onlyA, onlyB float64
	subA, subB := false, false // a side has words of its own beyond an exception type
	as, bs := a.set, b.set
	i, j := 0, 0
	for i < len(as) || j < len(bs) {
		switch {
		case j >= len(bs) || i < len(as) && as[i] < bs[j]:
			onlyA += w.W(as[i])
			subA = subA || !excName(as[i])
			i++
		case i >= len(as) || bs[j] < as[i]:
			onlyB += w.W(bs[j])
			subB = subB || !excName(bs[j])
			j++
		default:
			inter += w.W(as[i])
			i++
			j++
		}
	}
	// A word replaced by another ("cannot load table" / "cannot load
	// queue") is stronger evidence of another error than a word added
	// ("... at startup"): the replaced weight, the smaller of the two
	// sides' own words, counts twice.
	union := inter + onlyA + onlyB + min(onlyA, onlyB)
	if union == 0 {
		return 0
	}
	jac := inter / union
	// An exception type (ImportError) is the class of the message that
	// follows it, as a status code is: a text that lacks it and adds
	// words of its own ("required package not found: <message>") adds
	// context, it replaces nothing.
	if subA && subB {
		// a substitution needs stronger evidence: scale so that
		// substituteThreshold maps onto the join thresholds' scale
		jac *= substituteScale
	}
	if jac >= containDiscount {
		return jac
	}
	short, long := a.seq, b.seq
	if len(short) > len(long) {
		short, long = long, short
	}
	if len(short) >= 3 && len(short) < len(long) && w.mass(short) >= containMass*w.rareWeight() {
		// the rest of the longer text must not report an error of its
		// own, unless the shorter was cut inside a word: then it was cut
		// short wherever the text happened to end
		if ok, cut := prefixSeq(short, long); ok && (cut || !reportsError(long[len(short):])) {
			return containDiscount
		}
	}
	return jac
}

// substituteScale discounts the similarity of two texts each of which has
// words the other lacks (0.5 / 0.7: a substitution must reach 0.7 where an
// addition needs 0.5), as the short-template rule of the first version did.
var substituteScale = 0.5 / 0.7

// containMass is the least weight, in words seen once in the store, that
// a cut-short text must carry; containDiscount is the similarity a prefix
// counts as.
const (
	containMass     = 1.25
	containDiscount = 0.8
	// containMin: the share of a short form's weight that must be found
	// in the message it abbreviates.
	containMin = 0.9
)

// Contained is the share of a's word weight found in b.
func (w *Weights) Contained(a, b words) float64 {
	var in, all float64
	j := 0
	for _, t := range a.set {
		x := w.W(t)
		all += x
		for j < len(b.set) && b.set[j] < t {
			j++
		}
		if j < len(b.set) && b.set[j] == t {
			in += x
		}
	}
	if all == 0 {
		return 0
	}
	return in / all
}

// Contains reports whether long holds the message short: at least
// containMin of short's word weight is in long, short names an error on
// its own (specific), and the words long has beyond short do not report
// an error themselves. "exec format error" is the message of "deploy on
// the test board: exec format error while starting" (the rest is
// context), but not of "permission denied (publickey): could not read
// from remote" nor is "could not read from remote" the message there: the
// rest reports an error of its own, the cause.
func (w *Weights) Contains(long, short words) bool {
	if len(short.set) >= len(long.set) || !w.specific(short) || w.Contained(short, long) < containMin || !inOrder(short.seq, long) {
		return false
	}
	var extra []string
	lead := true // before the message: "got this error: <message>"
	for _, t := range long.seq {
		switch {
		case inSorted(short.set, t):
			lead = false
		case lead && (wrapperNouns[t] || wrapperStems[t] || excName(t)):
			// a lead-in that only says an error was shown, or names the
			// exception type of the message that follows
		default:
			extra = append(extra, t)
		}
	}
	return !reportsError(extra)
}

// inOrder reports whether the words of short that long has appear in long
// in short's order: a message is a phrase, not a bag of words ("model not
// found" is not held by "model ... invalid payload: name not found").
func inOrder(short []string, long words) bool {
	j := 0
	for i, t := range short {
		if !inSorted(long.set, t) || slices.Contains(short[:i], t) {
			// a word the long text lacks, or a repeat ("exec <path>:
			// exec format error"): its first place counts
			continue
		}
		for j < len(long.seq) && long.seq[j] != t {
			j++
		}
		if j == len(long.seq) {
			return false
		}
		j++
	}
	return true
}

func inSorted(set []string, t string) bool {
	i := sort.SearchStrings(set, t)
	return i < len(set) && set[i] == t
}

// errorStemSet are errorWords as TemplateSeq spells them: stemmed, without
// stopwords ("must be unique": "must uniqu"). A phrase that its stopwords
// leave one word of ("must be a") is left out: the word alone says nothing.
var errorStemSet = func() *keywordSet {
	var out []string
	for _, p := range errorWords {
		var f []string
		all := strings.Fields(p)
		for _, w := range all {
			if !stopwords[w] {
				f = append(f, stem(w))
			}
		}
		if len(f) < len(all) && len(f) < 2 {
			continue
		}
		out = append(out, strings.Join(f, " "))
	}
	// TemplateSeq spells "not recognized" as "unrecognized" (unForms): the
	// single word reports an error where either form is an error word
	for x, un := range unForms {
		if slices.Contains(errorWords, "not "+x) || slices.Contains(errorWords, un) {
			out = append(out, stem(un))
		}
	}
	return newKeywordSet(out)
}()

// reportsError reports whether words say that something failed: error
// words ("denied", "timed out", "invalid"), exception names or error codes.
func reportsError(ws []string) bool {
	if len(ws) == 0 {
		return false
	}
	text := strings.Join(ws, " ")
	if errorWordSet.countWords(text, 1) > 0 || errorStemSet.countWords(text, 1) > 0 {
		return true
	}
	for _, t := range ws {
		if strings.HasSuffix(t, "error") || strings.HasSuffix(t, "exception") || strings.HasSuffix(t, "warning") ||
			isCodeToken(t) || strings.Contains(t, "fail") {
			return true
		}
	}
	return false
}

// specific reports whether a text carries enough weight to name an error
// on its own: at least containMass, in at least two words that are not
// generic.
func (w *Weights) specific(a words) bool {
	n := 0
	for _, t := range a.set {
		if !genericWords[t] && !genericStems[t] && !isStatusOrRPC(t) {
			n++
		}
	}
	return n >= 2 && w.mass(a.set) >= containMass*w.rareWeight()
}

// rareWeight is the weight of a word seen in one issue of the store.
func (w *Weights) rareWeight() float64 {
	return math.Log1p(float64(max(w.N, 1)) / 2)
}

func (w *Weights) mass(seq []string) float64 {
	x := 0.0
	for _, t := range seq {
		x += w.W(t)
	}
	return x
}

// prefixSeq: short is the start of long, or of long less its first word;
// short's last word may be the start of long's word there (a cut text),
// which cut reports.
func prefixSeq(short, long []string) (ok, cut bool) {
	for off := 0; off <= 1 && off+len(short) <= len(long); off++ {
		ok, cut = true, false
		for k, t := range short {
			u := long[off+k]
			if t == u {
				continue
			}
			if k == len(short)-1 && len(t) >= 3 && strings.HasPrefix(u, t) {
				cut = true
				continue
			}
			ok = false
			break
		}
		if ok {
			return true, cut
		}
	}
	return false, false
}
