package classify

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Evaluation of a clustering against a labelled corpus (issues.jsonl +
// truth.tsv, one "html_url<TAB>family" per line). Metrics:
//
//   - B-cubed precision, recall and F1 (Bagga & Baldwin 1998): for each
//     issue, precision is the share of its predicted cluster with its
//     family, recall the share of its family inside its predicted cluster;
//     both averaged over issues. Unclustered issues count as singletons.
//   - Pairwise precision, recall and F1 over all pairs of issues.
//   - The worst-split families (lowest B-cubed recall) and the worst-merged
//     predicted clusters (lowest purity).

// CorpusIssue is one line of issues.jsonl.
type CorpusIssue struct {
	Repository string        `json:"repository"`
	Number     int           `json:"number"`
	HTMLURL    string        `json:"html_url"`
	Title      string        `json:"title"`
	Body       *string       `json:"body"`
	State      string        `json:"state"`
	Labels     []corpusLabel `json:"labels"`
	CreatedAt  time.Time     `json:"created_at"`
	UpdatedAt  time.Time     `json:"updated_at"`
	ClosedAt   *time.Time    `json:"closed_at"`
	User       struct {
		Login string `json:"login"`
	} `json:"user"`
	Comments []struct {
		User struct {
			Login string `json:"login"`
		} `json:"user"`
		CreatedAt time.Time `json:"created_at"`
		Body      string    `json:"body"`
	} `json:"comments"`
}

type corpusLabel struct{ Name string }

func (l *corpusLabel) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		l.Name = s
		return nil
	}
	var o struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	l.Name = o.Name
	return nil
}

// ToIssue converts a corpus line into a classification input.
func (ci *CorpusIssue) ToIssue(id int64) Issue {
	is := Issue{ID: id, Repository: ci.Repository, Number: ci.Number, Title: ci.Title, HTMLURL: ci.HTMLURL, CreatedAt: ci.CreatedAt}
	if ci.Body != nil {
		is.Body = *ci.Body
	}
	for _, l := range ci.Labels {
		is.Labels = append(is.Labels, l.Name)
	}
	for _, c := range ci.Comments {
		is.Comments = append(is.Comments, Comment{Body: c.Body, CreatedAt: c.CreatedAt})
	}
	return is
}

// LoadCorpusIssues reads issues.jsonl from dir.
func LoadCorpusIssues(dir string) ([]CorpusIssue, error) {
	f, err := os.Open(filepath.Join(dir, "issues.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("open corpus: %w", err)
	}
	defer f.Close()
	return ReadCorpusIssues(f)
}

// ReadCorpusIssues reads issues in the corpus JSONL format.
func ReadCorpusIssues(r io.Reader) ([]CorpusIssue, error) {
	var out []CorpusIssue
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var ci CorpusIssue
		if err := json.Unmarshal(sc.Bytes(), &ci); err != nil {
			return nil, fmt.Errorf("issues.jsonl:%d: %w", line, err)
		}
		out = append(out, ci)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read issues.jsonl: %w", err)
	}
	return out, nil
}

// LoadTruth reads truth.tsv from dir: html_url -> family.
func LoadTruth(dir string) (map[string]string, error) {
	f, err := os.Open(filepath.Join(dir, "truth.tsv"))
	if err != nil {
		return nil, fmt.Errorf("open truth: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" {
			continue
		}
		url, fam, ok := strings.Cut(t, "\t")
		if !ok {
			return nil, fmt.Errorf("truth.tsv:%d: want html_url<TAB>family", line)
		}
		out[strings.TrimSpace(url)] = strings.TrimSpace(fam)
	}
	return out, sc.Err()
}

// Metrics is the result of an evaluation.
type Metrics struct {
	Items           int     `json:"items"`
	Families        int     `json:"families"`
	Clusters        int     `json:"clusters"` // predicted clusters with 1+ labelled member
	Unclustered     int     `json:"unclustered"`
	BCubedPrecision float64 `json:"bcubed_precision"`
	BCubedRecall    float64 `json:"bcubed_recall"`
	BCubedF1        float64 `json:"bcubed_f1"`
	PairPrecision   float64 `json:"pairwise_precision"`
	PairRecall      float64 `json:"pairwise_recall"`
	PairF1          float64 `json:"pairwise_f1"`
	// Missed: members of labelled families (not noise-*) left unclustered.
	FamilyMembers int     `json:"family_members"`
	Missed        int     `json:"missed"`
	MissedRate    float64 `json:"missed_rate"`
	// NoiseAbsorbed: noise-* reports in a cluster that holds a labelled
	// family's member.
	NoiseItems    int          `json:"noise_items"`
	NoiseAbsorbed int          `json:"noise_absorbed"`
	WorstSplit    []FamilyStat `json:"worst_split"`
	WorstMerged   []MergeStat  `json:"worst_merged"`
}

// FamilyStat: a family spread over several predicted clusters.
type FamilyStat struct {
	Family   string  `json:"family"`
	Size     int     `json:"size"`
	Clusters int     `json:"clusters"` // predicted groups its members fall in (unclustered count one each)
	Recall   float64 `json:"recall"`
}

// MergeStat: a predicted cluster holding several families.
type MergeStat struct {
	Cluster  string         `json:"cluster"`
	Size     int            `json:"size"`
	Families map[string]int `json:"families"`
	Purity   float64        `json:"purity"`
}

// Evaluate compares predicted clusters (item -> cluster label; "" means
// unclustered, a singleton) with gold families (item -> family). Only items
// present in truth are scored.
func Evaluate(pred, truth map[string]string) Metrics {
	var items []string
	for it := range truth {
		items = append(items, it)
	}
	sort.Strings(items)
	label := map[string]string{}
	m := Metrics{Items: len(items)}
	for _, it := range items {
		p := pred[it]
		if p == "" {
			m.Unclustered++
			p = "\x00single:" + it
		}
		label[it] = p
	}
	clusterItems := map[string][]string{}
	famItems := map[string][]string{}
	for _, it := range items {
		clusterItems[label[it]] = append(clusterItems[label[it]], it)
		famItems[truth[it]] = append(famItems[truth[it]], it)
	}
	m.Families = len(famItems)
	for k := range clusterItems {
		if !strings.HasPrefix(k, "\x00") {
			m.Clusters++
		}
	}
	// overlap counts
	overlap := map[[2]string]int{}
	for _, it := range items {
		overlap[[2]string{label[it], truth[it]}]++
	}
	var sp, sr float64
	for _, it := range items {
		o := float64(overlap[[2]string{label[it], truth[it]}])
		sp += o / float64(len(clusterItems[label[it]]))
		sr += o / float64(len(famItems[truth[it]]))
	}
	n := float64(len(items))
	if n > 0 {
		m.BCubedPrecision, m.BCubedRecall = sp/n, sr/n
		m.BCubedF1 = f1(m.BCubedPrecision, m.BCubedRecall)
	}
	// pairwise
	var tp, predPairs, goldPairs float64
	for _, v := range overlap {
		tp += float64(v*(v-1)) / 2
	}
	for _, v := range clusterItems {
		predPairs += float64(len(v)*(len(v)-1)) / 2
	}
	for _, v := range famItems {
		goldPairs += float64(len(v)*(len(v)-1)) / 2
	}
	m.PairPrecision, m.PairRecall = ratio(tp, predPairs), ratio(tp, goldPairs)
	// missed reports and absorbed noise
	hasFamily := map[string]bool{}
	for _, it := range items {
		if !IsNoiseFamily(truth[it]) {
			hasFamily[label[it]] = true
		}
	}
	for _, it := range items {
		switch {
		case IsNoiseFamily(truth[it]):
			m.NoiseItems++
			if pred[it] != "" && hasFamily[label[it]] {
				m.NoiseAbsorbed++
			}
		default:
			m.FamilyMembers++
			if pred[it] == "" {
				m.Missed++
			}
		}
	}
	if m.FamilyMembers > 0 {
		m.MissedRate = float64(m.Missed) / float64(m.FamilyMembers)
	}
	m.PairF1 = f1(m.PairPrecision, m.PairRecall)
	// worst split
	for fam, its := range famItems {
		groups := map[string]bool{}
		var r float64
		for _, it := range its {
			groups[label[it]] = true
			r += float64(overlap[[2]string{label[it], fam}]) / float64(len(its))
		}
		if len(groups) > 1 {
			m.WorstSplit = append(m.WorstSplit, FamilyStat{Family: fam, Size: len(its), Clusters: len(groups), Recall: r / float64(len(its))})
		}
	}
	sort.Slice(m.WorstSplit, func(i, j int) bool {
		a, b := m.WorstSplit[i], m.WorstSplit[j]
		if a.Recall != b.Recall {
			return a.Recall < b.Recall
		}
		return a.Family < b.Family
	})
	for cl, its := range clusterItems {
		fams := map[string]int{}
		maxc := 0
		for _, it := range its {
			fams[truth[it]]++
			if fams[truth[it]] > maxc {
				maxc = fams[truth[it]]
			}
		}
		if len(fams) > 1 {
			m.WorstMerged = append(m.WorstMerged, MergeStat{Cluster: cl, Size: len(its), Families: fams, Purity: float64(maxc) / float64(len(its))})
		}
	}
	sort.Slice(m.WorstMerged, func(i, j int) bool {
		a, b := m.WorstMerged[i], m.WorstMerged[j]
		if a.Purity != b.Purity {
			return a.Purity < b.Purity
		}
		return a.Cluster < b.Cluster
	})
	return m
}

// IsNoiseFamily reports whether a truth family is a near-miss single
// (named noise-...): such reports stand alone, and a cluster that pulls
// one in with a family's members counts as noise absorbed.
func IsNoiseFamily(f string) bool { return strings.HasPrefix(f, "noise-") }

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 1
	}
	return a / b
}

// WriteReport prints metrics as text, at most top worst entries each.
func (m Metrics) WriteReport(w io.Writer, top int) {
	fmt.Fprintf(w, "items %d, families %d, predicted clusters %d, unclustered %d\n", m.Items, m.Families, m.Clusters, m.Unclustered)
	fmt.Fprintf(w, "B-cubed  precision %.3f  recall %.3f  F1 %.3f\n", m.BCubedPrecision, m.BCubedRecall, m.BCubedF1)
	fmt.Fprintf(w, "pairwise precision %.3f  recall %.3f  F1 %.3f\n", m.PairPrecision, m.PairRecall, m.PairF1)
	fmt.Fprintf(w, "missed reports %d of %d family members (%.1f%%); noise absorbed %d of %d noise reports\n",
		m.Missed, m.FamilyMembers, 100*m.MissedRate, m.NoiseAbsorbed, m.NoiseItems)
	if len(m.WorstSplit) > 0 {
		fmt.Fprintln(w, "worst-split families:")
		for i, f := range m.WorstSplit {
			if i == top {
				break
			}
			fmt.Fprintf(w, "  %-40s size %3d  in %d groups  recall %.2f\n", f.Family, f.Size, f.Clusters, f.Recall)
		}
	}
	if len(m.WorstMerged) > 0 {
		fmt.Fprintln(w, "worst-merged clusters:")
		for i, c := range m.WorstMerged {
			if i == top {
				break
			}
			var parts []string
			for f, n := range c.Families {
				parts = append(parts, fmt.Sprintf("%s=%d", f, n))
			}
			sort.Strings(parts)
			fmt.Fprintf(w, "  %-40s size %3d  purity %.2f  %s\n", c.Cluster, c.Size, c.Purity, strings.Join(parts, " "))
		}
	}
}

// ClusterOffline classifies issues in memory (no store), in created_at
// order, and returns html_url -> cluster label. It is what `errata eval`
// does minus the database, used to iterate on quality.
func ClusterOffline(issues []Issue) (map[string]string, []Analysis) {
	order := make([]int, len(issues))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return issues[order[a]].CreatedAt.Before(issues[order[b]].CreatedAt) })
	cl := NewClusterer()
	pred := map[string]string{}
	an := make([]Analysis, len(issues))
	for _, i := range order {
		an[i] = Analyze(&issues[i])
		cl.Observe(&an[i])
	}
	got := make([]*Cluster, len(issues))
	for _, i := range order {
		got[i] = cl.Assign(&an[i]).Cluster
	}
	cl.Consolidate(false)
	for i, c := range got {
		if c = root(c); c != nil {
			pred[issues[i].HTMLURL] = fmt.Sprintf("c%d:%s", c.seq, c.Key)
		}
	}
	return pred, an
}
