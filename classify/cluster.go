package classify

import (
	"fmt"
	"sort"
	"strings"
)

// Clustering.
//
// Issues group in three steps, cheapest and most certain first:
//
//  1. Code key: an issue whose primary evidence carries a specific error
//     code (see codes.go) joins the cluster of that code. Reports of the
//     same code are reports of the same error, whatever their wording,
//     language, tool or repository.
//  2. Exact template: otherwise the fingerprint of the primary normalized
//     template must match a template already seen in a cluster.
//  3. Near variant: otherwise the template's words are compared with those
//     of existing template clusters by Jaccard similarity. Candidates are
//     found through an inverted index on the query's rarest words (a
//     blocking step in the spirit of LSH: only clusters sharing one of the
//     few most informative words are compared), and a merge also requires
//     the weak codes of both sides (HTTP 404, JSON-RPC -32603, ...) to
//     agree when both have any. The best cluster at or above
//     SimilarityThreshold wins.
//
// Assignment is online: existing clusters keep their ids, their
// representative template never changes, and a new issue is compared with
// what exists, so running it again over the same input in the same order
// gives the same clusters, and new issues never force a recomputation.

// SimilarityThreshold is the minimum Jaccard similarity of template words
// for a near-variant merge.
const SimilarityThreshold = 0.6

// ShortSimilarityThreshold applies when the two templates have at most 12
// words between them.
const ShortSimilarityThreshold = 0.75

// blockingTokens is how many of the rarest words of a template are used to
// find candidate clusters; postingCap bounds each posting list.
const (
	blockingTokens = 4
	postingCap     = 256
)

// Cluster is a group of issues reporting the same error.
type Cluster struct {
	ID          int64    // store id; 0 until stored
	Key         string   // "code:<key>" or "fp:<fingerprint>"
	Concept     string   // the deciding code, if any
	Signature   string   // representative normalized template
	Fingerprint string   // Fingerprint(Signature)
	Tokens      []string // words of Signature
	WeakCodes   []string
	Size        int
	Title       string // readable title from the first member's error text
	// local index used before a store id exists
	seq int
}

// Assignment says why an issue joined a cluster.
type Assignment struct {
	Cluster *Cluster
	Score   float64
	Reason  string
}

// Clusterer assigns analyzed issues to clusters, incrementally.
type Clusterer struct {
	Clusters []*Cluster
	byKey    map[string]*Cluster
	byFP     map[string]*Cluster
	inv      map[string][]*Cluster
	df       map[string]int
}

// NewClusterer returns an empty clusterer.
func NewClusterer() *Clusterer {
	return &Clusterer{
		byKey: map[string]*Cluster{},
		byFP:  map[string]*Cluster{},
		inv:   map[string][]*Cluster{},
		df:    map[string]int{},
	}
}

// AddExisting registers a stored cluster (with its id) so that new issues
// can join it. extraFingerprints are the member templates already seen.
func (c *Clusterer) AddExisting(cl *Cluster, extraFingerprints []string) {
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
	if cl.Fingerprint != "" {
		if _, ok := c.byFP[cl.Fingerprint]; !ok {
			c.byFP[cl.Fingerprint] = cl
		}
	}
	if cl.Concept == "" {
		for _, t := range cl.Tokens {
			c.df[t]++
			if p := c.inv[t]; len(p) < postingCap {
				c.inv[t] = append(p, cl)
			}
		}
	}
}

// Assign puts an analyzed issue into a cluster, creating one when needed.
// It returns a zero Assignment for issues without error text.
func (c *Clusterer) Assign(a *Analysis) Assignment {
	p := a.Primary()
	if a.Key == "" || p == nil {
		return Assignment{}
	}
	if a.Concept != "" {
		if cl, ok := c.byKey[a.Key]; ok {
			cl.Size++
			return Assignment{Cluster: cl, Score: 1, Reason: "code " + a.Concept}
		}
		return c.create(a, p, "new cluster: code "+a.Concept)
	}
	if cl, ok := c.byFP[p.Fingerprint]; ok {
		cl.Size++
		return Assignment{Cluster: cl, Score: 1, Reason: "exact fingerprint"}
	}
	if cl, sim := c.nearest(a); cl != nil {
		cl.Size++
		c.byFP[p.Fingerprint] = cl
		return Assignment{Cluster: cl, Score: sim, Reason: fmt.Sprintf("similar: %.2f jaccard", sim)}
	}
	return c.create(a, p, "new cluster: template")
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
	}
	c.register(cl)
	return Assignment{Cluster: cl, Score: 1, Reason: reason}
}

// Match scores an analysis against existing clusters without assigning it,
// best first, at most n results.
func (c *Clusterer) Match(a *Analysis, n int) []Assignment {
	var out []Assignment
	seen := map[*Cluster]bool{}
	p := a.Primary()
	if p == nil {
		return nil
	}
	if a.Concept != "" {
		if cl, ok := c.byKey[a.Key]; ok {
			out = append(out, Assignment{Cluster: cl, Score: 1, Reason: "code " + a.Concept})
			seen[cl] = true
		}
	}
	if cl, ok := c.byFP[p.Fingerprint]; ok && !seen[cl] {
		out = append(out, Assignment{Cluster: cl, Score: 1, Reason: "exact fingerprint"})
		seen[cl] = true
	}
	for _, cand := range a.Candidates[1:] {
		for _, code := range cand.Codes {
			if cl, ok := c.byKey["code:"+code.Key]; ok && code.Strong && !seen[cl] {
				out = append(out, Assignment{Cluster: cl, Score: 0.5, Reason: "secondary code " + code.Key})
				seen[cl] = true
			}
		}
	}
	for _, r := range c.similar(a, 0.3) {
		if !seen[r.Cluster] {
			out = append(out, r)
			seen[r.Cluster] = true
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

func (c *Clusterer) nearest(a *Analysis) (*Cluster, float64) {
	res := c.similar(a, SimilarityThreshold)
	if len(res) == 0 {
		return nil, 0
	}
	return res[0].Cluster, res[0].Score
}

// similar returns template clusters whose words are similar to a's, best
// first, with score >= min.
func (c *Clusterer) similar(a *Analysis, min float64) []Assignment {
	if len(a.Tokens) == 0 {
		return nil
	}
	// the rarest words of the query
	toks := append([]string(nil), a.Tokens...)
	sort.SliceStable(toks, func(i, j int) bool { return c.df[toks[i]] < c.df[toks[j]] })
	if len(toks) > blockingTokens {
		toks = toks[:blockingTokens]
	}
	cands := map[*Cluster]bool{}
	for _, t := range toks {
		for _, cl := range c.inv[t] {
			cands[cl] = true
		}
	}
	var out []Assignment
	for cl := range cands {
		if !codesAgree(a.WeakCodes, cl.WeakCodes) {
			continue
		}
		sim := jaccard(a.Tokens, cl.Tokens)
		// Short templates differ by one word when they name different
		// things ("cannot load theme" / "cannot load plugin"): ask more.
		if min == SimilarityThreshold && len(a.Tokens)+len(cl.Tokens) <= 12 && sim < ShortSimilarityThreshold {
			continue
		}
		if sim >= min {
			out = append(out, Assignment{Cluster: cl, Score: sim, Reason: fmt.Sprintf("similar: %.2f jaccard", sim)})
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

func codesAgree(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// jaccard of two sorted unique slices.
func jaccard(a, b []string) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	i, j, inter := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			inter++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// titleOf makes a cluster title from an error text: its first line, at
// most 100 bytes, cut at a word boundary.
func titleOf(raw string) string {
	t := strings.TrimSpace(firstLines(raw, 1))
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
