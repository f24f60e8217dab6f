package classify

import "testing"

func TestTitleOfDropsListMarkers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ raw, want string }{
		{"- Error: widget exploded", "Error: widget exploded"},
		{"5. widget exploded while starting", "widget exploded while starting"},
		{"2) fatal: widget exploded", "fatal: widget exploded"},
		{"-1 is not a valid widget id", "-1 is not a valid widget id"},
		{"3.2.1 widget exploded", "3.2.1 widget exploded"},
	} {
		if got := titleOf(tc.raw); got != tc.want {
			t.Errorf("titleOf(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}
