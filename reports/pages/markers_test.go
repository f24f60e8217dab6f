package pages

import "testing"

// TestMarkerSetMatchesWholeWords checks the one-pass marker matcher
// against markerAt, the plain search it stands in for, on sentences
// written for the test.
func TestMarkerSetMatchesWholeWords(t *testing.T) {
	t.Parallel()
	lists := [][]string{failureMarkers, successMarkers, modalMarkers, firstPersonDone, housekeeping, causeMarkers, objectNouns, storyStarts}
	for _, s := range []string{
		"", "it still fails after the upgrade", "stillness is fine", "you can set the port in the config",
		"i set widget.port to 80 and it worked", "this is a duplicate of the other one", "because the cache is read-only",
		"the key is wrong", "keys are fine", "monkey business", "+1 same here", "我也遇到了这个问题", "改成 8080 就好了",
		"déjà vu: the setting is missing", "after upgrading it works now", "nothing works", "tried everything",
	} {
		for _, list := range lists {
			want := false
			for _, mk := range list {
				if markerAt(s, mk) >= 0 {
					want = true
					break
				}
			}
			if got := hasMarker(s, list); got != want {
				t.Errorf("hasMarker(%q, list starting %q) = %v, want %v", s, list[0], got, want)
			}
			for b, ml := range maskLists {
				if &ml[0] == &list[0] {
					if got := markerMask(s)&(1<<b) != 0; got != want {
						t.Errorf("markerMask(%q) bit of list starting %q = %v, want %v", s, list[0], got, want)
					}
				}
			}
		}
	}
}
