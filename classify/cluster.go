package classify

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Clustering.
//
// What is compared with what, and why:
//
//   - An issue is represented by its probes: its best few candidate error
//     texts (log line, code block, JSON error message, ...; see
//     Analysis.Probes), and its title wherever it ranks (its English run
//     when it is written in another language), each as the words of its
//     normalized template (decorations already removed, see
//     decorations.go). Extraction (extract.go) decides what an error text
//     is: besides error words and codes, the phrasings of validation
//     errors ("must be unique", "unsupported parameter"); a line that only
//     announces the error ("Error message:") is none, and the line after it
//     is the error by position. Reports of one error differ in which line carries
//     the specific message (a wrapper line in one, the message in the
//     title of another), so an issue may join a cluster through any of its
//     probes; the reason recorded with the membership names the probe. A
//     probe whose words all appear in the primary adds nothing and is
//     dropped (it would only let the issue join a less specific cluster).
//     Of the probes nearly as error-like as the primary, the one whose
//     words weigh most leads (leadProbe).
//   - A cluster is represented by its profile: the distinct templates of
//     its members' error lines, at most profileMax of them (the first ones
//     seen, so the profile is stable and bounded). A variant that drifted
//     from the first report but is close to a later one still finds the
//     cluster. Templates that joined only as a short form (below) are kept
//     for exact matches but never make the profile look like other errors.
//     A member's other probes join the profile when they read as errors on
//     their own: by their line score, or (a title, a line of prose) when
//     their words report an error and are specific enough to name one
//     (reportsSpecific), since a report whose best line is a wrapper often
//     names the specific error only in its title.
//   - Words are weighted by rarity (Weights: inverse document frequency
//     over the store's issues, persisted and kept incrementally, with a
//     fixed discount for a few generic words and for class codes such as
//     HTTP statuses). Words are stemmed (failed, fails: fail; the noun
//     and the bare verb too: validation, validate: validat), common
//     abbreviations are spelled out (max, config, params), an identifier
//     of words joined by underscores counts as those words, and prose in
//     another script written against an English error line is left out
//     (TemplateSeq), so one error in another tense or form, or given as a
//     constant in one report and as prose in another, shares its words. General
//     phrasings of one condition are spelled one way ("unknown X", "X
//     does not exist", "no such X": "X not found"; "Killed", "exit status
//     137", "SIGKILL": sigkill; "not supported": unsupported; see
//     synonyms), facts of the language and
//     of POSIX, not of any corpus. Two word sets are compared by weighted Jaccard
//     similarity in which a word replaced by another counts twice, and a
//     substitution (each side has words the other lacks) needs 0.7 where
//     an addition needs 0.5: "cannot load table" and "cannot load queue"
//     name different things, "cannot load table at startup" the same. An
//     exception type (ImportError) that only one side gives is the class
//     of the message, as a status code is, so it makes no substitution:
//     "setup aborted: <message>" against "ImportError: <message>" adds
//     context and drops a qualifier. The
//     similarity of a probe and a cluster is the best over the profile
//     (single link, bounded by the profile).
//   - Containment: a text that holds another's message joins it when the
//     words around the message do not report an error of their own
//     (Weights.Contains): "exec format error" is the message of "deploy:
//     exec format error on the test board", but a generic consequence line
//     ("could not read from remote") is not the message of a report whose
//     other words name a cause ("permission denied"). Nouns that only say
//     an error was shown ("got this error:"), and an exception type
//     ("ConnectError:"), before the message are its lead-in, not a cause.
//     A cut-short prefix of a message counts the same way; when it was
//     cut inside a word ("maximum recursi"), the rest of the message may
//     report the error (the cut fell wherever the text happened to end).
//   - Specific error codes (codes.go) are the strongest evidence: an issue
//     whose evidence carries a strong code joins that code's cluster at
//     once. Strong codes also veto: an issue or a cluster with one strong
//     code never joins one with another. An issue with a code may join a
//     cluster of the same error reported without its code (the cluster then
//     adopts the code). Weak codes (400, -32603, invalid_request) never
//     decide; two texts whose weak codes of one kind (http, jsonrpc, ...)
//     differ do not join.
//   - Candidates for comparison come from an inverted index on the rarest
//     words of each probe that other issues share (blocking, as in LSH),
//     so a new issue is compared with a bounded number of clusters
//     whatever the store's size.
//
// Order of decisions for one issue: its strong code's cluster; an exact
// template already seen (any probe, lead first); the most similar cluster
// at or above JoinThreshold through the lead probe, or SecondaryThreshold
// through another; a cluster whose message the probe holds or is a short
// form of; else a new cluster.
//
// Assignment is online (each issue is compared with what exists), so early
// decisions can be wrong in the light of later reports. Consolidate is the
// second look at the end of each run: clusters whose profiles are at least
// MergeThreshold similar, or one of which holds the other's message with
// only context around it, and whose codes do not conflict, merge, the
// larger one (by reports; the stored, then the older, on ties) keeping its
// id and slug, and the merge is recorded with a redirect. An incremental
// run reconsiders only the clusters it added reports to; because both it
// and --rebuild end with this pass, they converge on the same grouping.

// Thresholds of weighted Jaccard similarity.
const (
	// JoinThreshold: an issue joins a cluster through its primary probe.
	JoinThreshold = 0.5
	// SecondaryThreshold: through another probe (less certain evidence).
	SecondaryThreshold = 0.6
	// MergeThreshold: two clusters merge in the consolidation pass.
	MergeThreshold = 0.5
	// MatchThreshold: the least similarity `errata match` lists.
	MatchThreshold = 0.3
)

// Bounds.
const (
	blockingTokens = 4   // rarest words of a probe used to find candidates
	postingCap     = 256 // clusters kept per word in the inverted index
	profileMax     = 8   // templates kept in a cluster's profile
	minProbeTokens = 2   // shorter probes only match exactly
)

// Cluster is a group of issues reporting the same error.
type Cluster struct {
	ID          int64    // store id; 0 until stored
	Key         string   // "code:<key>" or "fp:<fingerprint>"
	Concept     string   // the deciding strong code, if any
	Signature   string   // representative normalized template (the first member's)
	Fingerprint string   // Fingerprint(Signature)
	Tokens      []string // words of Signature
	WeakCodes   []string
	Size        int
	Title       string   // readable title from the first member's error text
	Profile     []string // distinct member templates, at most profileMax
	ptoks       []words
	short       []bool // the template joined as a short form (see shortForm)
	generic     []bool // the template has generic words only (onlyGeneric)
	mergedInto  *Cluster
	changed     bool // profile or concept changed in this run
	touched     bool // gained members in this run
	seq         int
}

// Assignment says why an issue joined a cluster.
type Assignment struct {
	Cluster *Cluster
	Score   float64
	Reason  string
}

// words are a template's words as a sorted set (for weighted Jaccard) and
// in order (for prefix containment).
type words struct {
	set, seq []string
}

func wordsOf(tmpl string) words {
	return words{TemplateTokens(tmpl), TemplateSeq(tmpl)}
}

// Merge records that From was merged into Into by Consolidate.
type Merge struct {
	From, Into *Cluster
	Score      float64
}

// Clusterer assigns analyzed issues to clusters, incrementally.
type Clusterer struct {
	Clusters []*Cluster
	Weights  *Weights
	byKey    map[string]*Cluster
	byFP     map[string]*Cluster
	inv      map[string][]*Cluster
}

// NewClusterer returns an empty clusterer with empty weights.
func NewClusterer() *Clusterer {
	return &Clusterer{
		Weights: NewWeights(),
		byKey:   map[string]*Cluster{},
		byFP:    map[string]*Cluster{},
		inv:     map[string][]*Cluster{},
	}
}

// root follows merges.
func root(cl *Cluster) *Cluster {
	for cl != nil && cl.mergedInto != nil {
		cl = cl.mergedInto
	}
	return cl
}

// Live returns the clusters not merged into another, in creation order.
func (c *Clusterer) Live() []*Cluster {
	out := make([]*Cluster, 0, len(c.Clusters))
	for _, cl := range c.Clusters {
		if cl.mergedInto == nil {
			out = append(out, cl)
		}
	}
	return out
}

// AddExisting registers a stored cluster (with its id) so that new issues
// can join it. extraFingerprints are the member templates already seen.
func (c *Clusterer) AddExisting(cl *Cluster, extraFingerprints []string) {
	if len(cl.Profile) == 0 && cl.Signature != "" {
		cl.Profile = []string{cl.Signature}
	}
	c.register(cl)
	for _, fp := range extraFingerprints {
		if _, ok := c.byFP[fp]; !ok {
			c.byFP[fp] = cl
		}
	}
}

func (c *Clusterer) register(cl *Cluster) {
	cl.seq = len(c.Clusters)
	c.Clusters = append(c.Clusters, cl)
	if _, ok := c.byKey[cl.Key]; !ok {
		c.byKey[cl.Key] = cl
	}
	if cl.Concept != "" {
		if _, ok := c.byKey["code:"+cl.Concept]; !ok {
			c.byKey["code:"+cl.Concept] = cl
		}
	}
	if cl.Fingerprint != "" {
		if _, ok := c.byFP[cl.Fingerprint]; !ok {
			c.byFP[cl.Fingerprint] = cl
		}
	}
	profile := cl.Profile
	cl.Profile, cl.ptoks, cl.short, cl.generic = nil, nil, nil, nil
	for _, t := range profile {
		t, short := strings.CutPrefix(t, shortMark)
		c.addTemplate(cl, t, nil, short)
	}
}

// addTemplate adds a member template to a cluster's profile (when new and
// the profile has room) and indexes its words.
func (c *Clusterer) addTemplate(cl *Cluster, tmpl string, w *words, short bool) {
	if tmpl == "" || len(cl.Profile) >= profileMax {
		return
	}
	for _, p := range cl.Profile {
		if p == tmpl {
			return
		}
	}
	if w == nil {
		x := wordsOf(tmpl)
		w = &x
	}
	cl.Profile = append(cl.Profile, tmpl)
	cl.ptoks = append(cl.ptoks, *w)
	cl.generic = append(cl.generic, onlyGeneric(w.set))
	cl.short = append(cl.short, short)
	cl.changed = true
	for _, t := range w.set {
		p := c.inv[t]
		if len(p) < postingCap && (len(p) == 0 || p[len(p)-1] != cl) {
			c.inv[t] = append(p, cl)
		}
	}
}

// Observe counts an issue's words in the weights. Run calls it for a whole
// batch before assigning the batch, so the first issues of a store are
// weighed with the words of their neighbours.
func (c *Clusterer) Observe(a *Analysis) {
	if len(a.Probes) == 0 {
		return
	}
	words := map[string]bool{}
	for _, p := range a.Probes {
		for _, t := range p.Tokens {
			words[t] = true
		}
	}
	c.Weights.Add(words)
}

// Assign puts an analyzed issue into a cluster, creating one when needed.
// It returns a zero Assignment for issues without error text.
func (c *Clusterer) Assign(a *Analysis) Assignment {
	p := a.Primary()
	if a.Key == "" || p == nil {
		return Assignment{}
	}
	if a.Concept != "" {
		if cl := root(c.byKey["code:"+a.Concept]); cl != nil {
			c.join(cl, a, 0)
			return Assignment{Cluster: cl, Score: 1, Reason: "code " + a.Concept}
		}
	}
	c.leadProbe(a)
	for i, pr := range a.Probes {
		if cl := root(c.byFP[pr.Fingerprint]); cl != nil && c.compatible(a.Concept, pr.WeakCodes, cl) {
			c.join(cl, a, i)
			return Assignment{Cluster: cl, Score: 1, Reason: "exact template (" + pr.Source + ")"}
		}
	}
	if best := c.best(a, JoinThreshold, SecondaryThreshold); best.Cluster != nil {
		c.join(best.Cluster, a, best.probe)
		return best.Assignment
	}
	if cl, i, short := c.shortForm(a); cl != nil {
		if short {
			c.joinShort(cl, a, i)
			return Assignment{Cluster: cl, Score: containDiscount, Reason: "short form of the cluster's message, via " + a.Probes[i].Source}
		}
		c.join(cl, a, i)
		return Assignment{Cluster: cl, Score: containDiscount, Reason: "the cluster's message with context, via " + a.Probes[i].Source}
	}
	reason := "new cluster: template"
	if a.Concept != "" {
		reason = "new cluster: code " + a.Concept
	}
	return c.create(a, p, reason)
}

// leadProbe puts first the probe that names the error most specifically
// among those nearly as error-like as the primary: the one whose words
// weigh most. A generic consequence line ("could not read from the
// remote", "request failed") is often the most error-like line of a report
// while the line before it names the cause; rare words tell them apart.
func (c *Clusterer) leadProbe(a *Analysis) {
	if len(a.Probes) < 2 {
		return
	}
	best, bestW := 0, c.mass(a.Probes[0].Tokens)
	for i := 1; i < len(a.Probes); i++ {
		if a.Probes[i].Score < a.Probes[0].Score-leadWindow {
			continue
		}
		if w := c.mass(a.Probes[i].Tokens); w > bestW*leadGain {
			best, bestW = i, w
		}
	}
	if best != 0 {
		p := a.Probes[best]
		copy(a.Probes[1:best+1], a.Probes[:best])
		a.Probes[0] = p
	}
}

const (
	leadWindow = 1.5
	leadGain   = 1.0
)

func (c *Clusterer) mass(toks []string) float64 {
	x := 0.0
	for _, t := range toks {
		x += c.Weights.W(t)
	}
	return x
}

type scored struct {
	Assignment
	probe int
}

// best returns the most similar compatible cluster over all probes, the
// primary probe needing at least minPrimary and the others minOther.
func (c *Clusterer) best(a *Analysis, minPrimary, minOther float64) scored {
	var out scored
	for i, pr := range a.Probes {
		min := minOther
		if i == 0 {
			min = minPrimary
		}
		for _, r := range c.similar(a.Concept, &pr, min) {
			if r.Score > out.Score {
				out = scored{r, i}
				out.Reason = fmt.Sprintf("similar: %.2f weighted, via %s", r.Score, pr.Source)
			}
			break
		}
	}
	return out
}

// shortForm finds the cluster whose profile holds a message that one of
// the probes contains, or is contained in (see Weights.Contains):
// reports often give only the core of a message ("exec format error") or
// wrap it in their own context ("deploy on the test board: exec format
// error while starting"). Of several, the one whose shared text weighs
// most wins. It returns the probe index and whether the probe is the
// shorter side.
func (c *Clusterer) shortForm(a *Analysis) (*Cluster, int, bool) {
	var best *Cluster
	bestW, bestProbe, bestShort := 0.0, 0, false
	for i := range a.Probes {
		pr := &a.Probes[i]
		w := words{pr.Tokens, pr.Seq}
		for _, cl := range c.candidates(pr.Tokens) {
			if !c.compatible(a.Concept, pr.WeakCodes, cl) {
				continue
			}
			for k, pt := range cl.ptoks {
				if cl.short[k] {
					continue
				}
				short := c.Weights.Contains(pt, w)
				if !short && !c.Weights.Contains(w, pt) {
					continue
				}
				m := c.Weights.mass(pt.set)
				if short {
					m = c.Weights.mass(w.set)
				}
				if m > bestW || m == bestW && best != nil && cl.seq < best.seq {
					best, bestW, bestProbe, bestShort = cl, m, i, short
				}
			}
		}
	}
	return best, bestProbe, bestShort
}

// joinShort adds an issue to a cluster as a short form: its template is
// kept (for exact matches) but marked, so that it never makes the profile
// look like other errors that also contain it.
func (c *Clusterer) joinShort(cl *Cluster, a *Analysis, probe int) {
	cl.Size++
	cl.touched = true
	pr := &a.Probes[probe]
	c.addTemplate(cl, pr.Normalized, &words{pr.Tokens, pr.Seq}, true)
	if p := a.Primary(); p != nil {
		if _, ok := c.byFP[p.Fingerprint]; !ok {
			c.byFP[p.Fingerprint] = cl
		}
	}
}

// shortMark prefixes a short-form template in a stored profile.
const shortMark = "\u2026 "

// StoredProfile is the profile as stored: short forms marked.
func (cl *Cluster) StoredProfile() []string {
	out := make([]string, len(cl.Profile))
	for i, t := range cl.Profile {
		if cl.short[i] {
			t = shortMark + t
		}
		out[i] = t
	}
	return out
}

func (c *Clusterer) join(cl *Cluster, a *Analysis, probe int) {
	cl.Size++
	cl.touched = true
	pr := &a.Probes[probe]
	c.addTemplate(cl, pr.Normalized, &words{pr.Tokens, pr.Seq}, false)
	if p := a.Primary(); p != nil {
		if _, ok := c.byFP[p.Fingerprint]; !ok {
			c.byFP[p.Fingerprint] = cl
		}
	}
	c.addProbes(cl, a)
	if a.Concept != "" && cl.Concept == "" {
		cl.Concept = a.Concept
		cl.changed = true
		if _, ok := c.byKey["code:"+a.Concept]; !ok {
			c.byKey["code:"+a.Concept] = cl
		}
	}
}

func (c *Clusterer) create(a *Analysis, p *Candidate, reason string) Assignment {
	cl := &Cluster{
		Key:         a.Key,
		Concept:     a.Concept,
		Signature:   p.Normalized,
		Fingerprint: p.Fingerprint,
		Tokens:      a.Tokens,
		WeakCodes:   a.WeakCodes,
		Size:        1,
		Title:       titleOf(p.Raw),
		Profile:     []string{p.Normalized},
		touched:     true,
	}
	c.register(cl)
	c.addProbes(cl, a)
	cl.changed = true
	return Assignment{Cluster: cl, Score: 1, Reason: reason}
}

// addProbes adds to a cluster's profile the primary and the other probes
// of a member that read as errors on their own (MinCandidateScore): a
// report often shows its error in two forms (title and log line), and
// both are what later reports may look like.
func (c *Clusterer) addProbes(cl *Cluster, a *Analysis) {
	for i := range a.Probes {
		pr := &a.Probes[i]
		if i == 0 || pr.Score >= MinCandidateScore || c.reportsSpecific(pr) {
			c.addTemplate(cl, pr.Normalized, &words{pr.Tokens, pr.Seq}, false)
		}
	}
}

// reportsSpecific: a probe that scored low as a line (a title, a line of
// prose) but says that something failed in words specific enough to name
// the error ("widget is not recognized as a command when deployed"). Such
// a text is what other reports of the error may look like, so it joins
// the profile; a generic title ("tool does not work") does not.
func (c *Clusterer) reportsSpecific(pr *Probe) bool {
	return reportsError(pr.Seq) && c.Weights.specific(words{pr.Tokens, pr.Seq})
}

// compatible: codes do not forbid an issue with this strong code and these
// weak codes from joining cl.
func (c *Clusterer) compatible(concept string, weak []string, cl *Cluster) bool {
	if concept != "" && cl.Concept != "" && concept != cl.Concept {
		return false
	}
	return weakAgree(weak, cl.WeakCodes)
}

// weakAgree: two lists of weak codes agree unless both hold codes of one
// kind (the part before ':', e.g. http or jsonrpc) and share none of it.
func weakAgree(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	kinds := map[string]bool{}
	for _, x := range a {
		k, _, _ := strings.Cut(x, ":")
		for _, y := range b {
			if x == y {
				return true
			}
			if k2, _, _ := strings.Cut(y, ":"); k2 == k {
				kinds[k] = true
			}
		}
	}
	return len(kinds) == 0
}

// Match scores an analysis against existing clusters without assigning it,
// best first, at most n results. It compares exactly as Assign does (codes,
// exact templates of any probe, weighted similarity with the profiles),
// listing clusters down to MatchThreshold.
func (c *Clusterer) Match(a *Analysis, n int) []Assignment {
	var out []Assignment
	seen := map[*Cluster]bool{}
	if a.Primary() == nil {
		return nil
	}
	add := func(cl *Cluster, score float64, reason string) {
		cl = root(cl)
		if cl != nil && !seen[cl] {
			out = append(out, Assignment{Cluster: cl, Score: score, Reason: reason})
			seen[cl] = true
		}
	}
	if a.Concept != "" {
		if cl := c.byKey["code:"+a.Concept]; cl != nil {
			add(cl, 1, "code "+a.Concept)
		}
	}
	for _, pr := range a.Probes {
		if cl := c.byFP[pr.Fingerprint]; cl != nil && c.compatible(a.Concept, pr.WeakCodes, root(cl)) {
			add(cl, 1, "exact template ("+pr.Source+")")
		}
	}
	for _, cand := range a.Candidates[1:] {
		for _, code := range cand.Codes {
			if cl, ok := c.byKey["code:"+code.Key]; ok && code.Strong {
				add(cl, 0.5, "secondary code "+code.Key)
			}
		}
	}
	for i, pr := range a.Probes {
		for _, r := range c.similar(a.Concept, &a.Probes[i], MatchThreshold) {
			add(r.Cluster, r.Score, fmt.Sprintf("similar: %.2f weighted, via %s", r.Score, pr.Source))
		}
	}
	// what Assign would also join by containment
	if cl, i, short := c.shortForm(a); cl != nil {
		reason := "the cluster's message with context, via " + a.Probes[i].Source
		if short {
			reason = "short form of the cluster's message, via " + a.Probes[i].Source
		}
		add(cl, containDiscount, reason)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// rarest returns at most n words of toks, rarest first, of those seen in
// more than one issue: a word only this issue has (an id, a name) cannot
// lead to a cluster, and would push out the words that can.
func (c *Clusterer) rarest(toks []string, n int) []string {
	r := make([]string, 0, len(toks))
	for _, t := range toks {
		if c.Weights.DF[t] > 1 {
			r = append(r, t)
		}
	}
	if len(r) == 0 {
		r = append(r, toks...)
	}
	sort.SliceStable(r, func(i, j int) bool { return c.Weights.DF[r[i]] < c.Weights.DF[r[j]] })
	if len(r) > n {
		r = r[:n]
	}
	return r
}

// candidates returns the live clusters sharing one of the rarest words of toks.
func (c *Clusterer) candidates(toks []string) []*Cluster {
	var out []*Cluster
	seen := map[*Cluster]bool{}
	for _, t := range c.rarest(toks, blockingTokens) {
		for _, cl := range c.inv[t] {
			cl = root(cl)
			if !seen[cl] {
				seen[cl] = true
				out = append(out, cl)
			}
		}
	}
	return out
}

// onlyGeneric reports whether a template has no word beyond generic words
// and class codes ("api error", "request failed: 400"): it says that
// something failed, not what, so it is no evidence of any one error.
func onlyGeneric(set []string) bool {
	for _, t := range set {
		if !genericWords[t] && !genericStems[t] && !isStatusOrRPC(t) {
			return false
		}
	}
	return true
}

// profileSimilarity is the best similarity of w with a template of cl.
// Templates of generic words only compare with nothing.
// The caller leaves out a w of generic words only.
func (c *Clusterer) profileSimilarity(w words, cl *Cluster) float64 {
	best := 0.0
	for k, pt := range cl.ptoks {
		if cl.short[k] || cl.generic[k] {
			continue
		}
		if s := c.Weights.Similarity(w, pt); s > best {
			best = s
		}
	}
	return best
}

// similar returns compatible clusters similar to a probe, best first, with
// score >= min.
func (c *Clusterer) similar(concept string, pr *Probe, min float64) []Assignment {
	if len(pr.Tokens) < minProbeTokens || onlyGeneric(pr.Tokens) {
		return nil
	}
	var out []Assignment
	for _, cl := range c.candidates(pr.Tokens) {
		if !c.compatible(concept, pr.WeakCodes, cl) {
			continue
		}
		if sim := c.profileSimilarity(words{pr.Tokens, pr.Seq}, cl); sim >= min {
			out = append(out, Assignment{Cluster: cl, Score: sim})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Cluster.seq < out[j].Cluster.seq
	})
	return out
}

// Consolidate is the second look at the end of a run: it merges clusters
// whose profiles are at least MergeThreshold similar and whose codes do not
// conflict, most similar pairs first. When onlyTouched is set, one side of
// each pair must have gained members in this run (an incremental run does
// not revisit what earlier runs settled). The larger cluster survives (the
// one with a store id, then the older, on ties). It returns the merges in
// the order made.
func (c *Clusterer) Consolidate(onlyTouched bool) []Merge {
	type pair struct {
		a, b *Cluster
		sim  float64
	}
	var merges []Merge
	for round := 0; round < 4; round++ {
		var pairs []pair
		for _, a := range c.Live() {
			if a.Size == 0 || onlyTouched && !a.touched {
				continue
			}
			seen := map[*Cluster]bool{a: true}
			for k, pt := range a.ptoks {
				if len(pt.set) < minProbeTokens || a.generic[k] {
					continue
				}
				for _, b := range c.candidates(pt.set) {
					if seen[b] || b.Size == 0 {
						continue
					}
					seen[b] = true
					if !onlyTouched || !b.touched || a.seq < b.seq {
						if s := c.clusterSimilarity(a, b); s >= MergeThreshold && c.mergeable(a, b) {
							pairs = append(pairs, pair{a, b, s})
						}
					}
				}
			}
		}
		// A cluster whose message contains another's, or is contained in
		// it, with only context around it, joins it.
		for _, a := range c.Live() {
			if a.Size == 0 || onlyTouched && !a.touched {
				continue
			}
			if b := c.shortOf(a); b != nil {
				pairs = append(pairs, pair{a, b, containDiscount})
			}
		}
		if len(pairs) == 0 {
			break
		}
		sort.Slice(pairs, func(i, j int) bool {
			if pairs[i].sim != pairs[j].sim {
				return pairs[i].sim > pairs[j].sim
			}
			if pairs[i].a.seq != pairs[j].a.seq {
				return pairs[i].a.seq < pairs[j].a.seq
			}
			return pairs[i].b.seq < pairs[j].b.seq
		})
		n := len(merges)
		for _, p := range pairs {
			a, b := root(p.a), root(p.b)
			if a == b || !c.mergeable(a, b) {
				continue
			}
			into, from := a, b
			if survives(b, a) {
				into, from = b, a
			}
			c.merge(from, into)
			merges = append(merges, Merge{From: from, Into: into, Score: p.sim})
		}
		if len(merges) == n {
			break
		}
	}
	return merges
}

// shortOf returns the cluster (other than a) one of whose full templates
// contains, or is contained in, a full template of a (Weights.Contains),
// the heaviest shared text first; nil when none.
func (c *Clusterer) shortOf(a *Cluster) *Cluster {
	var best *Cluster
	bestW := 0.0
	for k, pt := range a.ptoks {
		if a.short[k] {
			continue
		}
		for _, b := range c.candidates(pt.set) {
			if b == a || b.Size == 0 || !c.mergeable(a, b) {
				continue
			}
			for j, bt := range b.ptoks {
				if b.short[j] {
					continue
				}
				var m float64
				switch {
				case c.Weights.Contains(bt, pt):
					m = c.Weights.mass(pt.set)
				case c.Weights.Contains(pt, bt):
					m = c.Weights.mass(bt.set)
				default:
					continue
				}
				if m > bestW || m == bestW && best != nil && b.seq < best.seq {
					best, bestW = b, m
				}
			}
		}
	}
	return best
}

// survives reports whether x is kept over y when they merge.
func survives(x, y *Cluster) bool {
	if x.Size != y.Size {
		return x.Size > y.Size
	}
	if (x.ID != 0) != (y.ID != 0) {
		return x.ID != 0
	}
	if x.ID != 0 && x.ID != y.ID {
		return x.ID < y.ID
	}
	return x.seq < y.seq
}

func (c *Clusterer) clusterSimilarity(a, b *Cluster) float64 {
	best := 0.0
	for k, pt := range a.ptoks {
		if len(pt.set) < minProbeTokens || a.short[k] || a.generic[k] {
			continue
		}
		if s := c.profileSimilarity(pt, b); s > best {
			best = s
		}
	}
	return best
}

func (c *Clusterer) mergeable(a, b *Cluster) bool {
	if a.Concept != "" && b.Concept != "" && a.Concept != b.Concept {
		return false
	}
	return weakAgree(a.WeakCodes, b.WeakCodes)
}

func (c *Clusterer) merge(from, into *Cluster) {
	into.Size += from.Size
	from.Size = 0
	from.mergedInto = into
	into.touched = true
	for i, t := range from.Profile {
		c.addTemplate(into, t, &from.ptoks[i], from.short[i])
	}
	if into.Concept == "" && from.Concept != "" {
		into.Concept = from.Concept
		into.changed = true
	}
	if len(into.WeakCodes) == 0 && len(from.WeakCodes) > 0 {
		into.WeakCodes = from.WeakCodes
		into.changed = true
	}
}

// titleOf makes a cluster title from an error text: its first line, at
// most 100 bytes, cut at a word boundary.
// listMarker is a Markdown list item's marker at the start of a line.
var listMarker = regexp.MustCompile(`^\s*(?:[-*+•]|\d{1,3}[.)])\s+`)

func titleOf(raw string) string {
	t := strings.TrimSpace(firstLines(raw, 1))
	// a step of the report's list ("5. ...", "- Error: ...") keeps no marker
	t = strings.TrimSpace(listMarker.ReplaceAllString(t, ""))
	// drop brackets a log line opens or closes without their partner
	for _, pair := range []string{"[]", "{}", "()"} {
		if strings.Count(t, pair[:1]) != strings.Count(t, pair[1:]) {
			t = strings.Trim(t, pair+" ")
		}
	}
	if len(t) > 100 {
		t = cutBytes(t, 100)
		if i := strings.LastIndexByte(t, ' '); i > 40 {
			t = t[:i]
		}
		t = strings.TrimRight(t, " ,;:") + "…"
	}
	return t
}
