package trends

import (
	"fmt"
	"time"
)

// Day is a UTC calendar day, counted in days since 1970-01-01. Its text
// form is YYYY-MM-DD; the zero Day (1970-01-01) stands for "none" in
// optional fields.
type Day int32

// DayOf returns the UTC day of t.
func DayOf(t time.Time) Day {
	t = t.UTC()
	return Day(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// ParseDay parses YYYY-MM-DD.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("parse day %q: want YYYY-MM-DD", s)
	}
	return DayOf(t), nil
}

// Time returns midnight UTC at the start of d.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String returns YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format(time.DateOnly) }

// AddDays returns d + n days.
func (d Day) AddDays(n int) Day { return d + Day(n) }

// Sub returns the number of days from o to d.
func (d Day) Sub(o Day) int { return int(d - o) }

// MarshalText implements encoding.TextMarshaler.
func (d Day) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Day) UnmarshalText(b []byte) error {
	v, err := ParseDay(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
