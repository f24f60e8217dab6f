package trends

import (
	"math"
	"testing"
)

func TestBinomialTails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		k, n      int
		p         float64
		up, lower float64
	}{
		// 1 -> 3 with three baseline windows: P(X>=3 | 4, 1/4) = 13/256.
		{3, 4, 0.25, 13.0 / 256, 1 - 1.0/256},
		{0, 30, 0.25, 1, math.Pow(0.75, 30)},
		{4, 4, 0.25, 1.0 / 256, 1},
		{5, 10, 0.5, 638.0 / 1024, 638.0 / 1024},
		{0, 0, 0.5, 1, 1},
		{11, 10, 0.5, 0, 1},
	}
	for _, tc := range tests {
		if got := binomUpper(tc.k, tc.n, tc.p); math.Abs(got-tc.up) > 1e-12 {
			t.Errorf("P(X>=%d | %d, %g) = %g, want %g", tc.k, tc.n, tc.p, got, tc.up)
		}
		if got := binomLower(tc.k, tc.n, tc.p); math.Abs(got-tc.lower) > 1e-12 {
			t.Errorf("P(X<=%d | %d, %g) = %g, want %g", tc.k, tc.n, tc.p, got, tc.lower)
		}
	}
	// Large n: P(X >= 600 | 1000, 1/2) is about 1.4e-10 (normal approx with
	// continuity: z = 6.29); check the order of magnitude and monotonicity.
	big := binomUpper(600, 1000, 0.5)
	if big < 1e-11 || big > 1e-9 || binomUpper(601, 1000, 0.5) >= big {
		t.Errorf("P(X>=600 | 1000, 1/2) = %g", big)
	}
}

func TestBHAdjust(t *testing.T) {
	t.Parallel()
	// m = 4: sorted p 0.01, 0.02, 0.03, 0.5 -> 0.04, 0.04, 0.04, 0.5
	// (0.01*4/1 = 0.04; 0.02*4/2 = 0.04; 0.03*4/3 = 0.04; 0.5*4/4 = 0.5).
	got := bhAdjust([]float64{0.5, 0.03, 0.01, 0.02})
	want := []float64{0.5, 0.04, 0.04, 0.04}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("bhAdjust = %v, want %v", got, want)
		}
	}
	// Step-up: a larger p later caps an earlier q: 0.01, 0.04 (m = 2) ->
	// 0.02, 0.04.
	got = bhAdjust([]float64{0.04, 0.01})
	if math.Abs(got[0]-0.04) > 1e-12 || math.Abs(got[1]-0.02) > 1e-12 {
		t.Fatalf("bhAdjust = %v", got)
	}
}

func TestEscalationCeiling(t *testing.T) {
	t.Parallel()
	tests := []struct {
		weeks []int
		want  float64
	}{
		{nil, 0},
		{[]int{0, 0, 0}, 0},
		// constant 1: spike 1 + 5*1 = 6 (multiplier clamped up to 5), burst 1*5.
		{[]int{1, 1, 1, 1}, 6},
		// 0,0,0,4: mean 1, sd sqrt(3); spike multiplier (1+5*1.732)/1 = 9.66
		// clamped to 8 -> 9; burst 4 * clamp(5e^(-0.65*1.732)) = 4 * 2 = 8.
		{[]int{0, 0, 0, 4}, 9},
		// bursty: 10,0: mean 5 sd 5 cv 1: spike mult (5+25)/5 = 6 -> 5 + 30 = 35;
		// burst 10 * clamp(5e^-0.65) = 10 * 2.61 = 26.1.
		{[]int{10, 0}, 35},
	}
	for _, tc := range tests {
		if got := escalationCeiling(tc.weeks); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("ceiling(%v) = %g, want %g", tc.weeks, got, tc.want)
		}
	}
}

func TestSparkline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []int
		want string
	}{
		{nil, ""},
		{[]int{0, 0}, "▁▁"},
		{[]int{2, 2}, "▄▄"},
		{[]int{0, 7, 14}, "▁▄█"},
		{[]int{1, 1, 1, 9}, "▁▁▁█"},
	}
	for _, tc := range tests {
		if got := Sparkline(tc.in); got != tc.want {
			t.Errorf("Sparkline(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSparkSeries(t *testing.T) {
	t.Parallel()
	short := []int{1, 2, 3}
	if got, per := sparkSeries(short); per != 1 || len(got) != 3 {
		t.Errorf("short series: %v per %d", got, per)
	}
	// 52 weeks -> blocks of 2 (26 blocks); 53 -> blocks of 3 (18 blocks,
	// the first holding only the oldest 2 weeks).
	long := make([]int, 53)
	for i := range long {
		long[i] = 1
	}
	got, per := sparkSeries(long)
	if per != 3 || len(got) != 18 || got[0] != 2 || got[17] != 3 {
		t.Errorf("53 weeks: %v per %d", got, per)
	}
	got, per = sparkSeries(long[:52])
	if per != 2 || len(got) != 26 || got[0] != 2 {
		t.Errorf("52 weeks: %v per %d", got, per)
	}
}
