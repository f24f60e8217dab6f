package mcpserver

import (
	"fmt"
	"strings"
)

// Text renderings of the tools' results: what a client that ignores
// structured content shows its model. Plain text, one fact per line.

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		cut := max
		for cut > 0 && (s[cut]&0xC0) == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func writeSummary(b *strings.Builder, c ClusterSummary) {
	fmt.Fprintf(b, "%s (cluster %d, slug %s)\n", oneLine(c.Title, 160), c.ID, c.Slug)
	if c.Signature != "" {
		fmt.Fprintf(b, "  signature: %s\n", oneLine(c.Signature, 300))
	}
	fmt.Fprintf(b, "  reports: %d in %s", c.Reports, plural(c.Repositories, "repository", "repositories"))
	if len(c.TopRepositories) > 0 {
		fmt.Fprintf(b, " (%s)", strings.Join(c.TopRepositories, ", "))
	}
	b.WriteString("\n")
	if c.FirstSeen != "" {
		fmt.Fprintf(b, "  first seen %s, last seen %s\n", c.FirstSeen[:10], c.LastSeen[:min(10, len(c.LastSeen))])
	}
	if c.Topic != "" || c.Category != "" {
		fmt.Fprintf(b, "  topic: %s, category: %s\n", dash(c.Topic), dash(c.Category))
	}
	if c.Trend != nil {
		fmt.Fprintf(b, "  trend (%d days): %s: %s\n", c.Trend.WindowDays, c.Trend.State, oneLine(c.Trend.Reason, 300))
	}
	if c.PageURL != "" {
		fmt.Fprintf(b, "  guide: %s\n", c.PageURL)
	} else {
		fmt.Fprintf(b, "  guide: %s (page %s)\n", c.Resource, c.PagePath)
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeFindings(b *strings.Builder, title string, fs []Finding) {
	if len(fs) == 0 {
		return
	}
	fmt.Fprintf(b, "  %s:\n", title)
	for _, f := range fs {
		// The kind already names the release and the confirmation
		// ("Fix, fixed in `v2.3.1`", "Workaround, not confirmed").
		fmt.Fprintf(b, "  - %s: \"%s\" (%s, %s", f.Kind, oneLine(f.Text, 300), f.Source, f.Date)
		if f.Role != "" {
			fmt.Fprintf(b, ", %s", f.Role)
		}
		fmt.Fprintf(b, ") %s\n", f.URL)
	}
}

func renderMatch(o MatchOutput) string {
	var b strings.Builder
	if o.Signature == "" {
		b.WriteString("No error message was recognized in the text.\n")
	} else {
		fmt.Fprintf(&b, "Signature of the pasted error: %s\n", oneLine(o.Signature, 300))
		if o.Code != "" {
			fmt.Fprintf(&b, "Error code: %s\n", o.Code)
		}
	}
	if len(o.Matches) == 0 {
		b.WriteString("No known error matches. errata has no reports of this error yet.\n")
		return b.String()
	}
	for i, m := range o.Matches {
		fmt.Fprintf(&b, "\n%d. score %.2f (%s): ", i+1, m.Score, m.Why)
		writeSummary(&b, m.Cluster)
		writeFindings(&b, "fixes", m.Fixes)
		writeFindings(&b, "causes", m.Causes)
	}
	b.WriteString("\nCall get_error_guide with a cluster's id for its full guide.\n")
	return b.String()
}

func renderGuide(o GuideOutput) string {
	var b strings.Builder
	if o.MergedFrom != 0 {
		fmt.Fprintf(&b, "Cluster %d was merged into cluster %d; this is its guide.\n\n", o.MergedFrom, o.Cluster.ID)
	}
	b.WriteString(o.Markdown)
	return b.String()
}

func renderTrending(o TrendingOutput) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nBy %s; current window %s, baseline %s.\n", o.Explanation, o.By, o.Current, o.Baseline)
	if len(o.Rows) == 0 {
		b.WriteString("No group has enough reports to list.\n")
		return b.String()
	}
	for _, r := range o.Rows {
		fmt.Fprintf(&b, "- %s: %s (%s): %s now, %.1f per window before, ratio %.2f. %s\n",
			r.State, oneLine(r.Label, 120), r.Key, plural(r.Count, "report", "reports"), r.BaselinePerWindow, r.Ratio, oneLine(r.Reason, 300))
	}
	if o.Groups > len(o.Rows) {
		fmt.Fprintf(&b, "(%d of %d groups shown)\n", len(o.Rows), o.Groups)
	}
	return b.String()
}

func renderSearch(o SearchOutput) string {
	var b strings.Builder
	if len(o.Results) == 0 {
		return "No known error matches these words.\n"
	}
	for i, h := range o.Results {
		fmt.Fprintf(&b, "%d. ", i+1)
		writeSummary(&b, h.Cluster)
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
