package classify

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/errata-tool/errata/internal/yamlstrict"
)

//go:embed rules.yaml
var defaultRulesYAML []byte

// AlgorithmVersion changes when extraction or clustering logic changes in a
// way that should make incremental runs reclassify every issue.
const AlgorithmVersion = "a8"

// Rules decide topics, categories and tools of clusters.
type Rules struct {
	Topics     []TopicRule    `yaml:"topics"`
	Categories []CategoryRule `yaml:"categories"`
	Tools      []ToolRule     `yaml:"tools"`
	version    string
}

// TopicRule assigns a failure class.
type TopicRule struct {
	ID       string   `yaml:"id"`
	Name     string   `yaml:"name"`
	Codes    []string `yaml:"codes"`
	Keywords []string `yaml:"keywords"`
	Origin   string   `yaml:"-"` // "default" or "file:line"
}

// CategoryRule assigns a product area.
type CategoryRule struct {
	ID           string   `yaml:"id"`
	Name         string   `yaml:"name"`
	Repositories []string `yaml:"repositories"`
	Labels       []string `yaml:"labels"`
	Keywords     []string `yaml:"keywords"`
	Origin       string   `yaml:"-"`
}

// ToolRule detects a tool or product.
type ToolRule struct {
	Name         string   `yaml:"name"`
	Repositories []string `yaml:"repositories"`
	Labels       []string `yaml:"labels"`
	Keywords     []string `yaml:"keywords"`
	Origin       string   `yaml:"-"`
}

type rulesFile struct {
	Version    int            `yaml:"version"`
	Topics     []TopicRule    `yaml:"topics"`
	Categories []CategoryRule `yaml:"categories"`
	Tools      []ToolRule     `yaml:"tools"`
}

// DefaultRules returns the embedded rules.
func DefaultRules() *Rules {
	r, err := LoadRules(nil, "")
	if err != nil {
		panic(fmt.Sprintf("classify: embedded rules: %v", err)) // a build error, caught by tests
	}
	return r
}

// LoadRules returns the embedded rules extended by extra (the config
// file's `rules:` node; nil for none). name is the config file name, used
// in errors ("errata.yaml:12: rules.topics[0].keywords: ...") and in the
// recorded origin of each rule.
func LoadRules(extra *yaml.Node, name string) (*Rules, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(defaultRulesYAML, &doc); err != nil {
		return nil, fmt.Errorf("embedded rules: %w", err)
	}
	base, err := decodeRules(doc.Content[0], "rules.yaml", "default")
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write(defaultRulesYAML)
	if extra != nil && extra.Kind != 0 && !(extra.Kind == yaml.ScalarNode && extra.Tag == "!!null") {
		if name == "" {
			name = "config"
		}
		ext, err := decodeRules(extra, name, name)
		if err != nil {
			return nil, err
		}
		b, _ := yaml.Marshal(extra)
		h.Write(b)
		base.merge(ext)
	}
	base.version = FingerprintVersion + "-" + AlgorithmVersion + "-" + hex.EncodeToString(h.Sum(nil)[:6])
	return base, nil
}

// Version identifies the rules and algorithms; stored with each classified
// issue so a change makes the next incremental run reclassify.
func (r *Rules) Version() string { return r.version }

func decodeRules(n *yaml.Node, file, origin string) (*Rules, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: rules: want a mapping with topics, categories and tools", file, n.Line)
	}
	var rf rulesFile
	if es := yamlstrict.Decode(n, &rf, "rules"); es != nil {
		msgs := make([]string, len(es))
		for i, e := range es {
			sep := ":" // file:line: key: msg
			if e.Line == 0 {
				sep = ": "
			}
			msgs[i] = file + sep + e.Error()
		}
		return nil, errors.New(strings.Join(msgs, "\n"))
	}
	r := &Rules{Topics: rf.Topics, Categories: rf.Categories, Tools: rf.Tools}
	lineOf := func(section string, j int) string {
		if origin == "default" {
			return "default"
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == section && j < len(n.Content[i+1].Content) {
				return fmt.Sprintf("%s:%d", origin, n.Content[i+1].Content[j].Line)
			}
		}
		return origin
	}
	for j := range r.Topics {
		t := &r.Topics[j]
		if t.ID == "" {
			return nil, fmt.Errorf("%s: rules.topics[%d]: id is required", lineOf("topics", j), j)
		}
		if t.Name == "" {
			t.Name = t.ID
		}
		t.Origin = lineOf("topics", j)
	}
	for j := range r.Categories {
		c := &r.Categories[j]
		if c.ID == "" {
			return nil, fmt.Errorf("%s: rules.categories[%d]: id is required", lineOf("categories", j), j)
		}
		if c.Name == "" {
			c.Name = c.ID
		}
		c.Origin = lineOf("categories", j)
	}
	for j := range r.Tools {
		if r.Tools[j].Name == "" {
			return nil, fmt.Errorf("%s: rules.tools[%d]: name is required", lineOf("tools", j), j)
		}
		r.Tools[j].Origin = lineOf("tools", j)
	}
	return r, nil
}

// merge adds ext's rules: same id (name for tools) replaces, new ones append.
func (r *Rules) merge(ext *Rules) {
	for _, t := range ext.Topics {
		r.Topics = replaceOrAppend(r.Topics, t, func(a, b TopicRule) bool { return a.ID == b.ID })
	}
	for _, c := range ext.Categories {
		r.Categories = replaceOrAppend(r.Categories, c, func(a, b CategoryRule) bool { return a.ID == b.ID })
	}
	for _, t := range ext.Tools {
		r.Tools = replaceOrAppend(r.Tools, t, func(a, b ToolRule) bool { return strings.EqualFold(a.Name, b.Name) })
	}
}

// replaceOrAppend replaces the entries of list that are the same as item,
// or appends item when none is.
func replaceOrAppend[T any](list []T, item T, same func(a, b T) bool) []T {
	replaced := false
	for i := range list {
		if same(list[i], item) {
			list[i], replaced = item, true
		}
	}
	if !replaced {
		list = append(list, item)
	}
	return list
}

// MemberFacts is what labeling reads from one member issue.
type MemberFacts struct {
	Repository string
	Labels     []string
	Title      string
	Text       string // the member's primary error text
}

// Labels is the topic, category and tools of a cluster, each with why.
type Labels struct {
	Topic          string   `json:"topic"`
	TopicName      string   `json:"topic_name"`
	TopicReason    string   `json:"topic_reason"`
	Category       string   `json:"category"`
	CategoryName   string   `json:"category_name"`
	CategoryReason string   `json:"category_reason"`
	Tools          []string `json:"tools"`
	ToolsReason    string   `json:"tools_reason"`
}

// Label decides a cluster's topic, category and tools from its error code
// (concept), signature and members.
func (r *Rules) Label(concept, signature string, members []MemberFacts) Labels {
	var l Labels
	// Topic: a code rule first.
	if concept != "" {
		for _, t := range r.Topics {
			for _, g := range t.Codes {
				if globMatch(g, concept) {
					l.Topic, l.TopicName = t.ID, t.Name
					l.TopicReason = fmt.Sprintf("error code %s matches %q of topic %s (%s rules)", concept, g, t.ID, t.Origin)
					break
				}
			}
			if l.Topic != "" {
				break
			}
		}
	}
	if l.Topic == "" {
		text := strings.ToLower(signature)
		for i, m := range members {
			if i == 20 {
				break
			}
			text += "\n" + strings.ToLower(m.Title)
		}
		bestHits, bestKW := 0, ""
		for _, t := range r.Topics {
			hits, first := 0, ""
			for _, kw := range t.Keywords {
				if n := countWord(text, strings.ToLower(kw)); n > 0 {
					hits += n
					if first == "" {
						first = kw
					}
				}
			}
			if hits > bestHits {
				bestHits, bestKW = hits, first
				l.Topic, l.TopicName = t.ID, t.Name
				l.TopicReason = fmt.Sprintf("%d keyword hit(s) of topic %s in signature and titles, first %q (%s rules)", hits, t.ID, first, t.Origin)
			}
		}
		_ = bestKW
	}
	// Category: votes of members.
	votes := map[string]int{}
	why := map[string]string{}
	for _, m := range members {
		for _, c := range r.Categories {
			if reason := matchMember(m, c.Repositories, c.Labels, c.Keywords); reason != "" {
				votes[c.ID]++
				if why[c.ID] == "" {
					why[c.ID] = reason
				}
				break
			}
		}
	}
	bestC, bestV := "", 0
	for _, c := range r.Categories {
		if votes[c.ID] > bestV {
			bestC, bestV = c.ID, votes[c.ID]
			l.CategoryName = c.Name
			l.CategoryReason = fmt.Sprintf("%d of %d members match category %s, e.g. %s (%s rules)", bestV, len(members), c.ID, why[c.ID], c.Origin)
		}
	}
	l.Category = bestC
	// Tools: all tools seen.
	toolWhy := map[string]string{}
	for _, m := range members {
		for _, t := range r.Tools {
			if _, ok := toolWhy[t.Name]; ok {
				continue
			}
			if reason := matchMember(m, t.Repositories, t.Labels, t.Keywords); reason != "" {
				toolWhy[t.Name] = reason
			}
		}
	}
	for name := range toolWhy {
		l.Tools = append(l.Tools, name)
	}
	sort.Strings(l.Tools)
	var reasons []string
	for _, name := range l.Tools {
		reasons = append(reasons, name+": "+toolWhy[name])
	}
	l.ToolsReason = strings.Join(reasons, "; ")
	return l
}

func matchMember(m MemberFacts, repos, labels, keywords []string) string {
	for _, g := range repos {
		if globMatch(g, m.Repository) {
			return fmt.Sprintf("repository %s matches %q", m.Repository, g)
		}
	}
	for _, g := range labels {
		for _, lb := range m.Labels {
			if strings.EqualFold(g, lb) {
				return fmt.Sprintf("label %q", lb)
			}
		}
	}
	text := strings.ToLower(m.Title + "\n" + m.Text)
	for _, kw := range keywords {
		if countWord(text, strings.ToLower(kw)) > 0 {
			return fmt.Sprintf("keyword %q in title or error", kw)
		}
	}
	return ""
}

// globMatch matches a glob case-insensitively ('*' does not cross '/').
func globMatch(pattern, s string) bool {
	ok, err := path.Match(strings.ToLower(pattern), strings.ToLower(s))
	return err == nil && ok
}

// countWord counts occurrences of kw in text at word boundaries (checked
// by hand: RE2 has no look-around and building a regexp per keyword would
// be slow).
func countWord(text, kw string) int {
	if kw == "" {
		return 0
	}
	n := 0
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], kw)
		if j < 0 {
			break
		}
		start := i + j
		end := start + len(kw)
		if (start == 0 || !isWordByte(text[start-1]) || !isWordByte(kw[0])) &&
			(end == len(text) || !isWordByte(text[end]) || !isWordByte(kw[len(kw)-1])) {
			n++
		}
		i = end
	}
	return n
}
