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

func TestKeywordSetCountWords(t *testing.T) {
	t.Parallel()
	k := newKeywordSet(errorWords)
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"Error: request failed", 2},
		{"TypeError without a head", 0},
		{"could not connect: connection refused, unable to retry", 3},
		{"terrorist errors", 1},
		{"调用失败", 1},
		{"nothing to see", 0},
		{"It does not exist", 1},
	} {
		if got := k.countWords(tc.in, 3); got != tc.want {
			t.Errorf("countWords(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
