package llm

import (
	"fmt"
	"sort"
	"strings"
)

// SectionMarkdown renders a prose section for a page: one paragraph per
// claim, the claim's text passed through escape (the page's own escaper
// for untrusted inline text) and followed by its citations, each rendered
// by cite(n) (e.g. a link "[2](https://github.com/o/r/issues/12)"), in
// brackets. It returns "" for a nil or empty section, so the page can fall
// back to its deterministic text.
func SectionMarkdown(s *Section, escape func(string) string, cite func(n int) string) string {
	if s == nil || len(s.Claims) == 0 {
		return ""
	}
	if escape == nil {
		escape = func(s string) string { return s }
	}
	if cite == nil {
		cite = func(n int) string { return fmt.Sprint(n) }
	}
	var b strings.Builder
	for i, cl := range s.Claims {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(escape(cl.Text))
		var refs []string
		for _, n := range cl.Citations {
			refs = append(refs, cite(n))
		}
		b.WriteString(" [" + strings.Join(refs, ", ") + "]")
	}
	return b.String()
}

// SectionAttribution is the line a page puts above model-written
// statements in a section.
func SectionAttribution(model string) string {
	return fmt.Sprintf("Written by the language model %s from the reports linked after each statement:", model)
}

// PageProseNote is the note a page shows when some of its sections hold
// model-written statements: which sections and which model. headings maps
// section keys to the page's own headings (nil: SectionHeadings).
func PageProseNote(p *Prose, headings map[string]string) string {
	if p == nil {
		return ""
	}
	if headings == nil {
		headings = SectionHeadings
	}
	var names []string
	for _, s := range p.Sections {
		if len(s.Claims) > 0 {
			h := headings[s.Key]
			if h == "" {
				h = s.Heading
			}
			names = append(names, "“"+h+"”")
		}
	}
	if len(names) == 0 {
		return ""
	}
	what := "section " + names[0]
	if len(names) > 1 {
		what = "sections " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
	return fmt.Sprintf("The statements marked as written by a language model in the %s were written by %s from the reports this page links; statements that cited no report of this page were removed. Everything else on this page is errata's own summary of the reports.", what, p.Model)
}

// ClusterTextNote is the sentence a page shows when its title and summary,
// or its topic or category, were written by a model (see RefineClusters):
// titleModel is the model that wrote the cluster's current title ("" for
// errata's own), and a topic or category reason starting with "llm: "
// marks a model's choice. "" when none was.
func ClusterTextNote(titleModel, topicReason, categoryReason string) string {
	var parts []string
	models := map[string]bool{}
	if titleModel != "" {
		parts = append(parts, "title", "summary")
		models[titleModel] = true
	}
	for _, x := range []struct{ what, reason string }{{"topic", topicReason}, {"category", categoryReason}} {
		if m, ok := strings.CutPrefix(x.reason, "llm: "); ok {
			m, _, _ = strings.Cut(m, ": ")
			parts = append(parts, x.what)
			models[m] = true
		}
	}
	if len(parts) == 0 {
		return ""
	}
	var names []string
	for m := range models {
		names = append(names, m)
	}
	sort.Strings(names)
	what := parts[0]
	if len(parts) > 1 {
		what = strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	return fmt.Sprintf("This page's %s were chosen by the language model %s from the first reports of this error.", what, strings.Join(names, ", "))
}
