package store

import (
	"strings"
	"testing"
)

// TestUpsertColumnsAgree: the upsert statements are written out as
// constants; the columns import COPYs must be theirs, in their order.
func TestUpsertColumnsAgree(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		list string
		cols []string
	}{
		{"issues", issueColList, issueCols},
		{"comments", commentColList, commentCols},
	} {
		got := strings.Join(strings.Fields(tc.list), " ")
		if want := strings.Join(tc.cols, ", "); got != want {
			t.Errorf("%s: statement columns %q, COPY columns %q", tc.name, got, want)
		}
	}
}
