package reliability_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFuzzTargetsExist checks that the fuzz targets issue 9 asks for are
// there (import parsing, extraction/normalization, page rendering) and
// that each has a seed corpus, so that scripts/fuzz.sh (run by .ci/run)
// exercises them.
func TestFuzzTargetsExist(t *testing.T) {
	t.Parallel()
	want := []struct {
		dir, what string
		names     []string // any of these
	}{
		{"ingest", "import parsing", []string{"FuzzParseIssue"}},
		{"ingest", "the import record reader", []string{"FuzzRecordReader"}},
		{"classify", "extraction", []string{"FuzzExtract"}},
		{"classify", "normalization", []string{"FuzzNormalize"}},
		{"classify", "secret redaction", []string{"FuzzRedact"}},
		{"reports/pages", "page rendering (front matter parses back, no raw HTML)", nil},
	}
	re := regexp.MustCompile(`(?m)^func (Fuzz\w*)\(`)
	found := 0
	for _, w := range want {
		files, _ := filepath.Glob(filepath.Join("..", w.dir, "*_test.go"))
		var have []string
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				have = append(have, m[1])
			}
		}
		ok := len(w.names) == 0 && len(have) > 0
		for _, n := range w.names {
			for _, h := range have {
				if h == n {
					ok = true
				}
			}
		}
		if !ok {
			t.Errorf("no fuzz target for %s in %s (have %v)", w.what, w.dir, have)
			continue
		}
		found++
		for _, h := range have {
			if len(w.names) > 0 && !strings.Contains(strings.Join(w.names, " "), h) {
				continue
			}
			seeds, _ := os.ReadDir(filepath.Join("..", w.dir, "testdata", "fuzz", h))
			if len(seeds) == 0 {
				t.Logf("%s.%s has no committed corpus under testdata/fuzz/%s (seeds only from f.Add)", w.dir, h, h)
			}
		}
	}
	b, err := os.ReadFile(filepath.Join("..", ".ci", "run"))
	if err != nil || !strings.Contains(string(b), "scripts/fuzz.sh") {
		t.Errorf(".ci/run does not run scripts/fuzz.sh")
	}
	recordFigure("fuzz.targets_required_present", found)
}
