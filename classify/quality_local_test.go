//go:build quality

// Quality check used while tuning classify (not part of `make test`: it
// needs the labelled corpora of ../shared). Run with
//
//	go test -tags quality ./classify/ -run TestQuality -v
//
// It prints B-cubed scores of ClusterOffline on the corpora (ERRATA_CORPUS
// lists directories, space-separated; default ../../shared/corpus/dev and
// dev2) and on 20,000 synthetic issues of GenIssue, scored against the
// generator's family (issues without an error are each their own family).
// FAM=word,... prints the probes of the families whose name holds a word;
// DUMP=prefix writes each family's group sizes to prefix.<corpus>.

package classify

import (
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"testing"
)

func qualityCorpus(t *testing.T, dir string) {
	cis, err := LoadCorpusIssues(dir)
	if err != nil {
		t.Fatalf("corpus %s: %v (set ERRATA_CORPUS)", dir, err)
	}
	truth, err := LoadTruth(dir)
	if err != nil {
		t.Fatalf("corpus %s: %v", dir, err)
	}
	var issues []Issue
	for i := range cis {
		issues = append(issues, cis[i].ToIssue(int64(i+1)))
	}
	pred, an := ClusterOffline(issues)
	m := Evaluate(pred, truth)
	var b strings.Builder
	m.WriteReport(&b, 12)
	fmt.Printf("== %s\n%s", dir, b.String())
	if out := os.Getenv("DUMP"); out != "" {
		groups := map[string]map[string]int{}
		for u, f := range truth {
			if groups[f] == nil {
				groups[f] = map[string]int{}
			}
			groups[f][pred[u]]++
		}
		var lines []string
		for f, g := range groups {
			var sz []int
			for _, n := range g {
				sz = append(sz, n)
			}
			sort.Sort(sort.Reverse(sort.IntSlice(sz)))
			lines = append(lines, fmt.Sprintf("%s %v", f, sz))
		}
		sort.Strings(lines)
		if err := os.WriteFile(out+"."+strings.ReplaceAll(dir, "/", "_"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if os.Getenv("FAM") != "" {
		fams := strings.Split(os.Getenv("FAM"), ",")
		type row struct{ fam, cl, sig, title string }
		var rows []row
		for i, is := range issues {
			f := truth[is.HTMLURL]
			for _, w := range fams {
				if strings.Contains(f, w) {
					sig := ""
					if len(an[i].Probes) > 0 {
						for _, p := range an[i].Probes {
							sig += fmt.Sprintf(" | %s(%.1f): %s", p.Source, p.Score, p.Normalized)
						}
					}
					rows = append(rows, row{f, pred[is.HTMLURL], sig, is.Title})
				}
			}
		}
		sort.Slice(rows, func(a, b int) bool { return rows[a].fam+rows[a].cl < rows[b].fam+rows[b].cl })
		for _, r := range rows {
			fmt.Printf("%s\t%s\n   T: %s\n   P:%s\n", r.fam, r.cl, r.title, r.sig)
		}
	}
}

func TestQuality(t *testing.T) {
	dirs := []string{"../../shared/corpus/dev", "../../shared/corpus/dev2"}
	if e := os.Getenv("ERRATA_CORPUS"); e != "" {
		dirs = strings.Fields(e)
	}
	for _, d := range dirs {
		qualityCorpus(t, d)
	}
	n := 20000
	var issues []Issue
	truth := map[string]string{}
	for i := 0; i < n; i++ {
		is := GenIssue(i)
		r := rand.New(rand.NewSource(int64(i) * 7919))
		noErr := r.Intn(3) == 0
		fam := r.Intn(genFamilies)
		if r.Intn(2) == 0 {
			fam = r.Intn(40)
		}
		if noErr {
			truth[is.HTMLURL] = fmt.Sprintf("noise-%d", i)
		} else {
			truth[is.HTMLURL] = fmt.Sprintf("f%d", fam)
		}
		issues = append(issues, is)
	}
	pred, _ := ClusterOffline(issues)
	m := Evaluate(pred, truth)
	if m.Items != n {
		t.Fatalf("synthetic: %d items scored of %d", m.Items, n)
	}
	var b strings.Builder
	m.WriteReport(&b, 5)
	fmt.Printf("== synthetic\n%s", b.String())
}
