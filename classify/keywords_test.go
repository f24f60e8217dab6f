package classify

import (
	"strings"
	"testing"
)

func TestKeywordSet(t *testing.T) {
	t.Parallel()
	words := []string{"err", "not found", "-32", "x", "错误"}
	k := newKeywordSet(words)
	for _, s := range []string{"", "ok", "all good here", "Everything fine", "-3", "eRr", "Not Found!", "code -32000", "xylophone", "调用错误", "TypeError", "NOT FOUN"} {
		want := false
		ls := strings.ToLower(s)
		for _, w := range words {
			if strings.Contains(ls, w) {
				want = true
			}
		}
		if got := k.any(s); got != want {
			t.Errorf("any(%q) = %v, want %v", s, got, want)
		}
	}
}
