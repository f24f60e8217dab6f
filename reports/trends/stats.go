package trends

import (
	"math"
	"sort"
)

// binomUpper returns P(X >= k) for X ~ Binomial(n, p), exactly (summing
// the probability mass in log space from k upward, stopping once the terms
// no longer matter).
func binomUpper(k, n int, p float64) float64 {
	switch {
	case k <= 0:
		return 1
	case k > n:
		return 0
	case p <= 0:
		return 0
	case p >= 1:
		return 1
	}
	// log pmf(k)
	lg := func(x int) float64 { v, _ := math.Lgamma(float64(x) + 1); return v }
	logpmf := lg(n) - lg(k) - lg(n-k) + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p)
	term := math.Exp(logpmf)
	sum := term
	odds := p / (1 - p)
	mode := float64(n+1) * p
	for j := k; j < n; j++ {
		term *= float64(n-j) / float64(j+1) * odds
		sum += term
		if float64(j) > mode && term < sum*1e-17 {
			break
		}
	}
	return math.Min(1, sum)
}

// binomLower returns P(X <= k) for X ~ Binomial(n, p).
func binomLower(k, n int, p float64) float64 {
	if k >= n {
		return 1
	}
	if k < 0 {
		return 0
	}
	// P(X <= k) = P(n-X >= n-k) with n-X ~ Binomial(n, 1-p).
	return binomUpper(n-k, n, 1-p)
}

// rateTest is the exact conditional test for two Poisson rates: x events
// in t1 days against y events in t0 days. It returns the one-sided
// p-values for "the rate went up" and "the rate went down". With no
// baseline exposure there is nothing to test and both are 1.
func rateTest(x int, t1 float64, y int, t0 float64) (pUp, pDown float64) {
	if t0 <= 0 || t1 <= 0 {
		return 1, 1
	}
	n := x + y
	p := t1 / (t1 + t0)
	return binomUpper(x, n, p), binomLower(x, n, p)
}

// smoothedRatio is ((x+1)/t1) / ((y+1)/t0).
func smoothedRatio(x int, t1 float64, y int, t0 float64) float64 {
	if t0 <= 0 || t1 <= 0 {
		return 0
	}
	return (float64(x) + 1) / t1 / ((float64(y) + 1) / t0)
}

// bhAdjust returns Benjamini-Hochberg adjusted p-values (q-values) in the
// order of ps: q_(i) = min over j >= i of p_(j) * m / j, capped at 1.
func bhAdjust(ps []float64) []float64 {
	m := len(ps)
	q := make([]float64, m)
	if m == 0 {
		return q
	}
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ps[idx[a]] < ps[idx[b]] })
	minSoFar := 1.0
	for r := m - 1; r >= 0; r-- {
		v := ps[idx[r]] * float64(m) / float64(r+1)
		if v < minSoFar {
			minSoFar = v
		}
		q[idx[r]] = minSoFar
	}
	return q
}

// escalationCeiling is the Sentry-style ceiling for one week from the
// baseline weeks' counts: the larger of the spike limit
// mean + clamp((mean+5sd)/mean, 5, 8)*mean and the burst limit
// max * clamp(5*e^(-0.65*cv), 2, 5). With no baseline weeks, or only
// zeros, it is 0 (no ceiling: the rate tests decide alone).
func escalationCeiling(weeks []int) float64 {
	if len(weeks) == 0 {
		return 0
	}
	var sum, max float64
	for _, w := range weeks {
		v := float64(w)
		sum += v
		if v > max {
			max = v
		}
	}
	mean := sum / float64(len(weeks))
	if mean == 0 {
		return 0
	}
	var ss float64
	for _, w := range weeks {
		d := float64(w) - mean
		ss += d * d
	}
	sd := math.Sqrt(ss / float64(len(weeks)))
	spikeMult := clamp((mean+5*sd)/mean, 5, 8)
	spike := mean + spikeMult*mean
	cv := sd / mean
	burst := max * clamp(5*math.Exp(-0.65*cv), 2, 5)
	return math.Max(spike, burst)
}

func clamp(v, lo, hi float64) float64 {
	return math.Min(hi, math.Max(lo, v))
}
