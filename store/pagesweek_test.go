package store

import (
	"testing"
	"time"
)

// TestMondayOf checks mondayOf against the calendar for every day of
// four centuries around 1970, at several times of day.
func TestMondayOf(t *testing.T) {
	t.Parallel()
	start := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	for d := 0; d < 400*366; d++ {
		day := start.AddDate(0, 0, d)
		monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
		for _, at := range []time.Duration{0, time.Second, 13 * time.Hour, 24*time.Hour - time.Nanosecond} {
			got := time.Unix(mondayOf(day.Add(at))*86400, 0).UTC()
			if !got.Equal(monday) {
				t.Fatalf("mondayOf(%s) = %s, want %s", day.Add(at), got.Format(time.DateOnly), monday.Format(time.DateOnly))
			}
		}
	}
}
