package trends

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Formats of Render.
const (
	FormatTable    = "table"
	FormatMarkdown = "markdown"
	FormatJSON     = "json"
	FormatCSV      = "csv"
)

// Render writes r in format (table, markdown, json or csv).
func Render(w io.Writer, r *Report, format string) error {
	switch format {
	case FormatTable, "":
		return RenderTable(w, r)
	case FormatMarkdown:
		return RenderMarkdown(w, r)
	case FormatJSON:
		return RenderJSON(w, r)
	case FormatCSV:
		return RenderCSV(w, r)
	}
	return fmt.Errorf("format %q: want table, markdown, json or csv", format)
}

var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws values with the Unicode blocks U+2581..U+2588, scaled
// between the series' minimum and maximum; a constant series is drawn at
// mid height (all zero: the lowest block).
func Sparkline(values []int) string {
	if len(values) == 0 {
		return ""
	}
	lo, hi := values[0], values[0]
	for _, v := range values {
		lo, hi = min(lo, v), max(hi, v)
	}
	var b strings.Builder
	for _, v := range values {
		i := 0
		switch {
		case hi == lo && hi == 0:
			i = 0
		case hi == lo:
			i = 3
		default:
			i = (v - lo) * (len(sparkBlocks) - 1) / (hi - lo)
		}
		b.WriteRune(sparkBlocks[i])
	}
	return b.String()
}

func (row *Row) weeklySignal(s Signal) []int {
	out := make([]int, len(row.Weekly))
	for i, w := range row.Weekly {
		out[i] = w.Of(s)
	}
	return out
}

// maxSpark is the widest sparkline a table or Markdown row gets; longer
// series are summed in blocks of consecutive weeks (JSON and CSV keep
// every week).
const maxSpark = 26

// sparkSeries sums vals into at most maxSpark blocks of per weeks each,
// aligned so the last block ends with the last week.
func sparkSeries(vals []int) (out []int, per int) {
	per = (len(vals) + maxSpark - 1) / maxSpark
	if per <= 1 {
		return vals, 1
	}
	n := (len(vals) + per - 1) / per
	out = make([]int, n)
	for i := range vals {
		back := len(vals) - 1 - i
		out[n-1-back/per] += vals[i]
	}
	return out, per
}

func sparkHeader(weeks int) string {
	if _, per := sparkSeries(make([]int, weeks)); per > 1 {
		return fmt.Sprintf("%d WEEKS, %d PER BLOCK", weeks, per)
	}
	return fmt.Sprintf("%d WEEKS", weeks)
}

// Caption states the query and the windows in one line.
func (r *Report) Caption() string {
	q := r.Query
	var b strings.Builder
	fmt.Fprintf(&b, "%s by %s, %d-day window %s..%s vs %d previous windows %s..%s",
		q.Signal, q.By, q.WindowDays, r.Windows.Current.From, r.Windows.Current.To,
		q.Baselines, r.Windows.Baseline.From, r.Windows.Baseline.To)
	if r.Windows.BaselineDays != r.Windows.Baseline.Days() {
		fmt.Fprintf(&b, " (data from %s: %d baseline days)", r.Windows.DataStart, r.Windows.BaselineDays)
	}
	var f []string
	for _, kv := range [][2]string{{"topic", q.Topic}, {"category", q.Category}, {"repo", q.Repo}, {"tool", q.Tool}} {
		if kv[1] != "" {
			f = append(f, kv[0]+"="+kv[1])
		}
	}
	if len(f) > 0 {
		fmt.Fprintf(&b, "; only %s", strings.Join(f, ", "))
	}
	// MinCount -1 is how the query says "every group" (the command line's
	// --min-count 0).
	fmt.Fprintf(&b, "; min count %d, FDR %s", max(q.MinCount, 0), strconv.FormatFloat(q.Alpha, 'g', -1, 64))
	if q.Top > 0 && r.Groups > len(r.Rows) {
		fmt.Fprintf(&b, "; top %d of %d groups", len(r.Rows), r.Groups)
	} else {
		fmt.Fprintf(&b, "; %d groups", r.Groups)
	}
	return b.String()
}

func fmtChange(c *float64) string {
	if c == nil {
		return "new"
	}
	return fmt.Sprintf("%+.0f%%", *c*100)
}

// RenderTable writes an aligned terminal table: numbers right-aligned,
// a sparkline of the weekly signal with its last value and maximum, and
// the reason of each state.
func RenderTable(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "errata trends: %s\n", r.Caption())
	if len(r.Rows) == 0 {
		fmt.Fprintln(ew, "no groups with enough reports")
		return ew.err
	}
	head := []string{"STATE", strings.ToUpper(string(r.Query.By)), "NOW", "BEFORE", "CHANGE", "RATIO", "Q", "WEEKLY (" + sparkHeader(len(r.Weeks)) + ")", "WHY"}
	right := []bool{false, false, true, true, true, true, true, false, false}
	cells := [][]string{head}
	for i := range r.Rows {
		row := &r.Rows[i]
		vals := row.weeklySignal(r.Query.Signal)
		mx := 0
		for _, v := range vals {
			mx = max(mx, v)
		}
		blocks, _ := sparkSeries(vals)
		spark := fmt.Sprintf("%s last %d max %d", Sparkline(blocks), vals[len(vals)-1], mx)
		key := row.Key
		if r.Query.By != ByCluster && row.Label != "" {
			key = row.Label // a topic's or category's name from the rules
		}
		cells = append(cells, []string{
			string(row.State), truncate(key, 40), strconv.Itoa(row.Count), fmtF(row.BaselinePerWindow),
			fmtChange(row.Change), fmtF(row.Ratio), fmtP(row.DecidingQ()), spark, row.Reason,
		})
	}
	widths := make([]int, len(head))
	for _, c := range cells {
		for j, v := range c {
			widths[j] = max(widths[j], utf8.RuneCountInString(v))
		}
	}
	for _, c := range cells {
		var b strings.Builder
		for j, v := range c {
			if j > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[j]-utf8.RuneCountInString(v))
			switch {
			case j == len(c)-1:
				b.WriteString(v)
			case right[j]:
				b.WriteString(pad + v)
			default:
				b.WriteString(v + pad)
			}
		}
		fmt.Fprintln(ew, strings.TrimRight(b.String(), " "))
	}
	return ew.err
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	return string(rs[:n-1]) + "…"
}

// RenderMarkdown writes the report as Markdown: a heading, the query and
// windows in words, and a table with one row per group (sparkline with its
// numbers, and the reason).
func RenderMarkdown(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	q := r.Query
	fmt.Fprintf(ew, "# Trends by %s as of %s\n\n", q.By, r.Windows.Current.To)
	fmt.Fprintf(ew, "Query: %s.\n\n", mdEscape(r.Caption()))
	fmt.Fprintf(ew, "The current window is %s to %s (%d days); the baseline is the %d windows before it, %s to %s",
		r.Windows.Current.From, r.Windows.Current.To, q.WindowDays, q.Baselines, r.Windows.Baseline.From, r.Windows.Baseline.To)
	if r.Windows.BaselineDays != r.Windows.Baseline.Days() {
		fmt.Fprintf(ew, ", of which %d days have data (from %s)", r.Windows.BaselineDays, r.Windows.DataStart)
	}
	fmt.Fprintf(ew, ". Days are UTC. Ratio is the smoothed rate ratio (x+1)/(y+1) scaled by window length; q is the Benjamini-Hochberg adjusted p-value of the exact Poisson rate test behind the state (last 7 days for Escalating, the drop for Declining, the rise otherwise).\n\n")
	if len(r.Rows) == 0 {
		fmt.Fprintln(ew, "No groups with enough reports.")
		return ew.err
	}
	name := strings.ToUpper(string(q.By[:1])) + string(q.By[1:])
	weekly := "Weekly"
	if _, per := sparkSeries(make([]int, len(r.Weeks))); per > 1 {
		weekly = fmt.Sprintf("Weekly (%d weeks per block)", per)
	}
	fmt.Fprintf(ew, "| State | %s | Now | Before (per window) | Change | Ratio | q | %s | Why |\n", name, weekly)
	fmt.Fprintln(ew, "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |")
	for i := range r.Rows {
		row := &r.Rows[i]
		vals, _ := sparkSeries(row.weeklySignal(q.Signal))
		nums := make([]string, len(vals))
		for j, v := range vals {
			nums[j] = strconv.Itoa(v)
		}
		label := row.Key
		if row.Label != "" && row.Label != row.Key {
			label = row.Key + ": " + row.Label
		}
		fmt.Fprintf(ew, "| %s | %s | %d | %s | %s | %s | %s | %s %s | %s |\n",
			row.State, mdEscape(label), row.Count, fmtF(row.BaselinePerWindow), fmtChange(row.Change),
			fmtF(row.Ratio), fmtP(row.DecidingQ()), Sparkline(vals), strings.Join(nums, " "), mdEscape(row.Reason))
	}
	return ew.err
}

func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`)
	return r.Replace(s)
}

// RenderJSON writes the whole report, every number included, as indented
// JSON.
func RenderJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write trends json: %w", err)
	}
	return nil
}

// RenderCSV writes one header line and one line per row with every number:
// counts of all signals in both windows, the statistics, and one column
// per week (named week_YYYY-MM-DD by the week's first day) holding the
// chosen signal.
func RenderCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	head := []string{"state", "by", "key", "label", "cluster_id", "clusters", "signal", "count", "baseline_count",
		"baseline_per_window", "change", "ratio", "p_up", "q_up", "p_down", "q_down", "last_week", "ceiling", "p_week", "q_week",
		"reports", "comments", "reactions", "baseline_reports", "baseline_comments", "baseline_reactions",
		"current_from", "current_to", "baseline_from", "baseline_to", "baseline_days", "last_before", "fixed_at", "after_fix", "reason"}
	for _, d := range r.Weeks {
		head = append(head, "week_"+d.String())
	}
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("write trends csv: %w", err)
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }
	for i := range r.Rows {
		row := &r.Rows[i]
		change := ""
		if row.Change != nil {
			change = g(*row.Change)
		}
		cid := ""
		if row.ClusterID != 0 {
			cid = strconv.FormatInt(row.ClusterID, 10)
		}
		last := ""
		if row.LastBefore != 0 {
			last = row.LastBefore.String()
		}
		fixed := ""
		if row.FixedAt != nil {
			fixed = row.FixedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		rec := []string{string(row.State), string(r.Query.By), row.Key, row.Label, cid, strconv.Itoa(row.Clusters),
			string(r.Query.Signal), strconv.Itoa(row.Count), strconv.Itoa(row.BaselineCount), g(row.BaselinePerWindow), change,
			g(row.Ratio), g(row.PUp), g(row.QUp), g(row.PDown), g(row.QDown), strconv.Itoa(row.LastWeek), g(row.Ceiling), g(row.PWeek), g(row.QWeek),
			strconv.Itoa(row.Current.Reports), strconv.Itoa(row.Current.Comments), strconv.Itoa(row.Current.Reactions),
			strconv.Itoa(row.Baseline.Reports), strconv.Itoa(row.Baseline.Comments), strconv.Itoa(row.Baseline.Reactions),
			r.Windows.Current.From.String(), r.Windows.Current.To.String(), r.Windows.Baseline.From.String(), r.Windows.Baseline.To.String(),
			strconv.Itoa(r.Windows.BaselineDays), last, fixed, strconv.Itoa(row.AfterFix), row.Reason}
		for _, v := range row.weeklySignal(r.Query.Signal) {
			rec = append(rec, strconv.Itoa(v))
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write trends csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write trends csv: %w", err)
	}
	return nil
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = fmt.Errorf("write trends: %w", err)
	}
	return n, e.err
}
