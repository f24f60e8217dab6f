package llm

import (
	"fmt"

	"github.com/errata-tool/errata/store"
)

// Defaults for PageEvidence.
const (
	PageMaxSources     = 10
	PageMaxComments    = 2
	pageMaxCommentText = 1000
)

// PageEvidence builds the evidence a page's prose may use from what
// reports/pages loads for the page: the cluster's signature, title and
// variants, its first maxSources reports (in ev.Sources order) and up to
// maxComments comments of each (fixes are often in comments), numbered 1..n
// in that order, issue before its comments. maxSources and maxComments
// default to PageMaxSources and PageMaxComments when <= 0.
//
// The numbers are what the model cites; pages render a citation n from
// Sources[n-1] (its Repository, Number and URL), so the page need not number
// its own source list the same way.
func PageEvidence(c *store.PageCluster, ev *store.PageEvidence, maxSources, maxComments int) ClusterEvidence {
	if maxSources <= 0 {
		maxSources = PageMaxSources
	}
	if maxComments <= 0 {
		maxComments = PageMaxComments
	}
	out := ClusterEvidence{}
	if c != nil {
		out = ClusterEvidence{Key: c.Slug, Signature: c.Signature, Title: c.Title, Description: c.Description,
			Topic: c.Topic, Category: c.Category, Tools: c.Tools}
	}
	if ev == nil {
		return out
	}
	for _, v := range ev.Variants {
		out.Examples = append(out.Examples, v.Name)
	}
	byIssue := map[int64][]store.PageComment{}
	for _, cm := range ev.Thread {
		byIssue[cm.IssueID] = append(byIssue[cm.IssueID], cm)
	}
	n := 0
	for i, is := range ev.Sources {
		if i == maxSources {
			break
		}
		n++
		out.Sources = append(out.Sources, Source{N: n, Kind: "issue", Repository: is.Repository, Number: is.Number,
			URL: is.HTMLURL, Title: is.Title, Text: is.Body, State: is.State, CreatedAt: is.CreatedAt})
		for j, cm := range byIssue[is.ID] {
			if j == maxComments {
				break
			}
			n++
			out.Sources = append(out.Sources, Source{N: n, Kind: "comment", Repository: is.Repository, Number: is.Number,
				URL: cm.HTMLURL, Text: cut(cm.Body, pageMaxCommentText), CreatedAt: cm.CreatedAt})
		}
	}
	return out
}

// SourceLabel is the text a page shows for citation n of ev:
// "owner/name#12" for an issue, "owner/name#12 (comment)" for a comment;
// "" when n is not one of ev's sources.
func SourceLabel(ev ClusterEvidence, n int) (label, url string) {
	for i, s := range ev.Sources {
		sn := s.N
		if sn <= 0 {
			sn = i + 1
		}
		if sn != n {
			continue
		}
		label = fmt.Sprintf("%s#%d", s.Repository, s.Number)
		if s.Kind == "comment" {
			label += " (comment)"
		}
		return label, s.URL
	}
	return "", ""
}
