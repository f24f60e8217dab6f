package llm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/errata-tool/errata/store"
)

// RefineOptions configure RefineClusters.
type RefineOptions struct {
	// Topics and Categories are the ids the rules know. A cluster whose
	// topic or category no rule decided is classified among them; empty
	// lists mean no classification.
	Topics     []string
	Categories []string
	// MinSize is the smallest cluster refined (default 2: titles matter
	// for clusters that get pages; singletons are many and cost the most).
	MinSize int
	// MaxSources is how many member reports are sent per cluster (default
	// 8), the oldest first, so a grown cluster's evidence stays the same.
	MaxSources int
}

// RefineSummary says what RefineClusters did.
type RefineSummary struct {
	Clusters   int `json:"clusters"`   // clusters considered
	Unchanged  int `json:"unchanged"`  // evidence unchanged since the last answer: not asked
	Titled     int `json:"titled"`     // clusters with a model title (new or from the cache)
	Classified int `json:"classified"` // clusters given a topic or category by the model
	Fallbacks  int `json:"fallbacks"`  // clusters left with deterministic text (model failed, budget spent)
	Updated    int `json:"updated"`    // clusters whose model text was written this run (pages should be rewritten)
}

// RefineClusters is the model's pass over clusters after classify: for every
// active cluster of at least MinSize reports whose evidence changed since
// its last answer (or that has none), it asks for a title and one-line
// description (a) and, when no rule decided its topic or category, for
// those (c); answers are recorded in llm_cluster_text and applied to the
// cluster (store.LLMClusterTextApply). Unchanged clusters make no calls and
// are only re-applied (classify may have reset a topic).
//
// A nil or disabled client does nothing. Model failures leave the
// cluster's deterministic text and are counted in Fallbacks; only database
// errors and ctx's end are returned.
func (c *Client) RefineClusters(ctx context.Context, st *store.Store, opts RefineOptions) (RefineSummary, error) {
	var sum RefineSummary
	if !c.Enabled() {
		return sum, nil
	}
	if opts.MinSize <= 0 {
		opts.MinSize = 2
	}
	if opts.MaxSources <= 0 {
		opts.MaxSources = 8
	}
	topics, cats := sortedUnique(opts.Topics), sortedUnique(opts.Categories)
	clusters, err := st.LLMRefineClusterList(ctx, opts.MinSize)
	if err != nil {
		return sum, err
	}
	sum.Clusters = len(clusters)
	const batch = 200
	for start := 0; start < len(clusters); start += batch {
		part := clusters[start:min(start+batch, len(clusters))]
		ids := make([]int64, len(part))
		for i := range part {
			ids[i] = part[i].ID
		}
		srcs, err := st.LLMClusterSources(ctx, ids, opts.MaxSources, briefSourceText)
		if err != nil {
			return sum, err
		}
		// Up to MaxConcurrency clusters at once. An error does not stop
		// the others (what they refined is kept); the first is returned.
		var mu sync.Mutex
		var g errgroup.Group
		g.SetLimit(c.cfg.MaxConcurrency)
		for i := range part {
			if ctx.Err() != nil {
				break
			}
			g.Go(func() error {
				r, err := c.refineOne(ctx, st, &part[i], srcs[part[i].ID], topics, cats)
				mu.Lock()
				sum.add(r)
				mu.Unlock()
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return sum, err
		}
		if err := ctx.Err(); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

func (s *RefineSummary) add(o RefineSummary) {
	s.Unchanged += o.Unchanged
	s.Titled += o.Titled
	s.Classified += o.Classified
	s.Fallbacks += o.Fallbacks
	s.Updated += o.Updated
}

// ClusterEvidenceFrom builds the evidence of a stored cluster from its
// member reports (numbered 1.. in the order given). Rule title and
// description are the deterministic ones.
func ClusterEvidenceFrom(key, signature, ruleTitle, ruleDescription string, tools []string, issues []store.LLMSourceIssue) ClusterEvidence {
	ev := ClusterEvidence{Key: key, Signature: signature, Title: ruleTitle, Description: ruleDescription, Tools: tools}
	for i, is := range issues {
		if is.Error != "" {
			ev.Examples = append(ev.Examples, is.Error)
		}
		ev.Sources = append(ev.Sources, Source{N: i + 1, Kind: "issue", Repository: is.Repository, Number: is.Number,
			URL: is.HTMLURL, Title: is.Title, Text: is.Body, State: is.State, CreatedAt: is.CreatedAt})
	}
	return ev
}

func (c *Client) refineOne(ctx context.Context, st *store.Store, cl *store.LLMRefineCluster, issues []store.LLMSourceIssue, topics, cats []string) (RefineSummary, error) {
	var sum RefineSummary
	ruleTitle, ruleDesc := cl.Title, cl.Description
	prev := cl.Text
	if prev != nil && prev.Title != "" && cl.Title == prev.Title {
		ruleTitle, ruleDesc = prev.RuleTitle, prev.RuleDescription
	}
	ev := ClusterEvidenceFrom(cl.Slug, cl.Signature, ruleTitle, ruleDesc, cl.Tools, issues)
	// The model's own earlier topic is not a rule's decision.
	topicByRule := cl.Topic != "" && !(prev != nil && prev.Topic == cl.Topic)
	catByRule := cl.Category != "" && !(prev != nil && prev.Category == cl.Category)
	askTopics, askCats := topics, cats
	if topicByRule {
		askTopics = nil
	}
	if catByRule {
		askCats = nil
	}
	h := evidenceHash(c.cfg.Model, ev, askTopics, askCats)
	if prev != nil && prev.EvidenceHash == h && prev.Model == c.cfg.Model {
		sum.Unchanged++
		if prev.Title != "" {
			sum.Titled++
		}
		if prev.Topic != "" || prev.Category != "" {
			sum.Classified++
		}
		return sum, st.LLMClusterTextReapply(ctx, *prev)
	}
	row := store.LLMClusterText{ClusterID: cl.ID, EvidenceHash: h, Model: c.cfg.Model, RuleTitle: ruleTitle, RuleDescription: ruleDesc}
	t, ok, err := c.ClusterTitle(ctx, ev)
	if err != nil {
		return sum, err
	}
	if !ok {
		sum.Fallbacks++
		return sum, nil
	}
	row.Title, row.Description = t.Title, t.Description
	sum.Titled++
	if len(askTopics) > 0 || len(askCats) > 0 {
		cls, decided, err := c.Classify(ctx, ev, askTopics, askCats)
		if err != nil {
			return sum, err
		}
		if cls.Model == "" {
			// No usable answer: keep the title, and ask again next run
			// (the title then comes from the cache).
			sum.Fallbacks++
			sum.Updated++
			row.EvidenceHash = "retry:" + h
			return sum, st.LLMClusterTextApply(ctx, row)
		}
		if decided {
			row.Topic, row.Category, row.Reason = cls.Topic, cls.Category, cls.Reason
			sum.Classified++
		}
	}
	sum.Updated++
	return sum, st.LLMClusterTextApply(ctx, row)
}

// evidenceHash identifies what a cluster's answers depend on.
func evidenceHash(model string, ev ClusterEvidence, topics, cats []string) string {
	w, _ := prepare(ev, briefSourceText)
	b, _ := json.Marshal(struct {
		V, Model    string
		Ev          wireCluster
		Topics, Cat []string
	}{promptVersion, model, w, topics, cats})
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Attribution is the sentence a page shows under text the model wrote.
func Attribution(model string) string {
	return fmt.Sprintf("Written by the language model %s from the reports cited; each statement links to its sources, and statements citing no report of this page were removed.", strings.TrimSpace(model))
}
