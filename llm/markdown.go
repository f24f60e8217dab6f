package llm

import (
	"fmt"
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

// PageProseNote is the note a page shows when some of its sections were
// written by a model: which sections and which model.
func PageProseNote(p *Prose) string {
	if p == nil {
		return ""
	}
	var names []string
	for _, s := range p.Sections {
		if len(s.Claims) > 0 {
			names = append(names, "“"+s.Heading+"”")
		}
	}
	if len(names) == 0 {
		return ""
	}
	what := "The section " + names[0] + " was"
	if len(names) > 1 {
		what = "The sections " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + " were"
	}
	return fmt.Sprintf("%s written by the language model %s from the reports this page cites; every statement cites its sources, and statements citing no report of this page were removed. The other sections are errata's own summary of the reports.", what, p.Model)
}
