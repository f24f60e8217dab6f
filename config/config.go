// Package config reads errata's YAML configuration file. Unknown keys and
// bad values are errors that name the file, line and key, so a typo never
// silently turns a setting off.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole file. Every section is optional.
type Config struct {
	Sources  Sources    `yaml:"sources"`
	GitHub   GitHub     `yaml:"github"`
	Rules    *yaml.Node `yaml:"-"`     // the rules: node, decoded by the classify package, which knows its shape
	RulesRaw RawNode    `yaml:"rules"` // how Rules is read (see RawNode)
	Output   Output     `yaml:"output"`
	Schedule Schedule   `yaml:"schedule"`
	LLM      *LLM       `yaml:"llm"`

	// Path is the file the config came from ("" when none was read).
	Path string `yaml:"-"`
	// Mode is the file's permission bits, for the warning about secrets in
	// files that others can read.
	Mode os.FileMode `yaml:"-"`
}

// Sources are what errata syncs.
type Sources struct {
	Repositories []Repository `yaml:"repositories"`
	Searches     []Search     `yaml:"searches"`
}

// Repository is one "owner/name" source.
type Repository struct {
	Repo                string   `yaml:"repo"`
	Since               Date     `yaml:"since"`
	IncludePullRequests bool     `yaml:"include_pull_requests"`
	Interval            Duration `yaml:"interval"`
	Line                int      `yaml:"-"`
}

// Search is one GitHub issue search query source.
type Search struct {
	Query    string   `yaml:"query"`
	Since    Date     `yaml:"since"`
	Interval Duration `yaml:"interval"`
	Line     int      `yaml:"-"`
}

// GitHub says where GitHub is and which environment variables hold tokens.
// Tokens themselves never go in the file.
type GitHub struct {
	APIURL    string   `yaml:"api_url"`
	TokenEnv  string   `yaml:"token_env"`  // default GITHUB_TOKEN, then GH_TOKEN
	TokenEnvs []string `yaml:"token_envs"` // several tokens, used in turn
}

// Output configures pages.
type Output struct {
	Dir     string `yaml:"dir"`
	Format  string `yaml:"format"` // hugo | mkdocs | plain
	MinSize int    `yaml:"min_size"`
	BaseURL string `yaml:"base_url"`
}

// Schedule configures `errata run` and the worker.
type Schedule struct {
	Interval Duration `yaml:"interval"`
}

// LLM configures the optional language model. Off unless present.
type LLM struct {
	BaseURL        string   `yaml:"base_url"`
	Model          string   `yaml:"model"`
	APIKeyEnv      string   `yaml:"api_key_env"` // default OPENAI_API_KEY
	MaxConcurrency int      `yaml:"max_concurrency"`
	Timeout        Duration `yaml:"timeout"`
	TokenBudget    int      `yaml:"token_budget"`
	Enabled        *bool    `yaml:"enabled"`
}

// Error is a problem at a place in the file.
type Error struct {
	Path string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

// Load reads and checks the file at path.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(f, path)
	if err != nil {
		return nil, err
	}
	c.Mode = fi.Mode().Perm()
	return c, nil
}

var lineRe = regexp.MustCompile(`^line (\d+): (.*)$`)

// Errors are several problems in one file, reported together so that a
// user fixes them in one go. errors.As finds each *Error.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap gives errors.Is and errors.As each problem.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// joined returns nil, the one *Error, or Errors.
func joined(es []*Error) error {
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	}
	return Errors(es)
}

// typeError is how an UnmarshalYAML of this package reports a bad value:
// as a *yaml.TypeError, decoding goes on and the other problems of the
// file are reported too.
func typeError(line int, msg string) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", line, msg)}}
}

// Parse reads a config from r; name is used in messages. Every problem is
// reported at once, each with its line and key.
func Parse(r io.Reader, name string) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", name, err)
	}
	c := &Config{Path: name}
	if len(bytes.TrimSpace(data)) == 0 {
		return c, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := lineRe.FindStringSubmatch(msg); m != nil {
			return nil, &Error{Path: name, Line: syntaxLine(data, m[2]), Msg: m[2]}
		}
		return nil, &Error{Path: name, Msg: msg}
	}
	keys := keysByLine(&doc)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		var te *yaml.TypeError
		var ce *Error
		switch {
		case errors.As(err, &te):
			var es []*Error
			for _, e := range te.Errors {
				// "line 3: cannot unmarshal !!str `x` into int"
				m := lineRe.FindStringSubmatch(e)
				if m == nil {
					es = append(es, &Error{Path: name, Msg: e})
					continue
				}
				line, _ := strconv.Atoi(m[1]) // digits: the pattern's \d+
				msg, isKey := friendlier(m[2])
				key := keys[line]
				if isKey {
					key = "" // the message names the unknown key
				}
				es = append(es, &Error{Path: name, Line: line, Key: key, Msg: msg})
			}
			// yaml decodes what it can: check that too, so that every
			// problem is reported at once, in the order of the file.
			c.Path = name
			var ves Errors
			if verr := c.validate(lineOfKey(keys), true); !errors.As(verr, &ves) {
				if one := (*Error)(nil); errors.As(verr, &one) {
					ves = Errors{one}
				}
			}
			es = append(es, ves...)
			sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
			return nil, joined(es)
		case errors.As(err, &ce):
			ce.Path = name
			return nil, ce
		}
		return nil, &Error{Path: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	c.Path = name
	c.Rules = c.RulesRaw.Node
	return c, c.validate(lineOfKey(keys), false)
}

// keysByLine maps each line of the document to the key path set there
// ("sources.repositories[0].since"), so that a type error, which yaml
// reports by line only, can name its key.
func keysByLine(doc *yaml.Node) map[int]string {
	out := map[int]string{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n.Style&yaml.FlowStyle != 0 {
			return // [a, b] and {k: v} on one line: name the key holding them
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				out[k.Line] = p
				out[v.Line] = p
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				out[c.Line] = p
				walk(c, p)
			}
		}
	}
	walk(doc, "")
	return out
}

// lineOfKey returns the first line setting a key path with its indexes
// removed ("sources.repositories.repo"), for checks made after decoding.
func lineOfKey(keys map[int]string) func(string) int {
	first := map[string]int{}
	for line, k := range keys {
		plain := indexRe.ReplaceAllString(k, "")
		if l, ok := first[plain]; !ok || line < l {
			first[plain] = line
		}
	}
	return func(k string) int { return first[k] }
}

var indexRe = regexp.MustCompile(`\[\d+\]`)

// syntaxLine finds the line of a YAML syntax error. yaml reports the line
// where the enclosing construct began (and off by one for some errors), so
// this takes the first prefix of whole lines that fails with the same
// message: its last line is where the problem is.
func syntaxLine(data []byte, msg string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	for n := 1; n <= len(lines); n++ {
		var v yaml.Node
		err := yaml.Unmarshal(bytes.Join(lines[:n], nil), &v)
		if err == nil {
			continue
		}
		if m := lineRe.FindStringSubmatch(strings.TrimPrefix(err.Error(), "yaml: ")); m != nil && m[2] == msg {
			return n
		}
	}
	return 0
}

// RawNode keeps a YAML value undecoded. yaml.v3 decodes into a *yaml.Node
// struct field as if yaml.Node were an ordinary struct (so `rules: {tools:
// ...}` failed with "field tools not found in type yaml.Node"); a field
// that must keep its subtree uses this type instead.
type RawNode struct{ Node *yaml.Node }

// UnmarshalYAML keeps the node.
func (r *RawNode) UnmarshalYAML(n *yaml.Node) error {
	r.Node = n
	return nil
}

var fieldNotFound = regexp.MustCompile(`^field (\S+) not found in type config\.(\w+)$`)

// friendlier rewrites yaml's messages for users; isKey reports an
// unknown-key message.
func friendlier(msg string) (_ string, isKey bool) {
	if m := fieldNotFound.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("unknown key %q in %s", m[1], strings.ToLower(m[2])), true
	}
	if strings.HasPrefix(msg, "unknown key ") {
		return msg, true
	}
	if m := cannotUnmarshal.FindStringSubmatch(msg); m != nil {
		// The value itself is not repeated: it may be a secret put in
		// the wrong place.
		return fmt.Sprintf("want %s, got %s", kindName(m[2]), tagName(m[1])), false
	}
	return msg, false
}

var cannotUnmarshal = regexp.MustCompile(`^cannot unmarshal (.*) into (\S+)$`)

// tagName names the kind of a YAML value from its tag ("!!str `x`").
func tagName(tagged string) string {
	tag, _, _ := strings.Cut(tagged, " ")
	switch tag {
	case "!!str":
		return "a string"
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "true or false"
	case "!!seq":
		return "a list"
	case "!!map":
		return "a mapping"
	case "!!null":
		return "nothing"
	}
	return "a " + strings.TrimPrefix(tag, "!!") + " value"
}

// kindName says which kind of value a Go type of the config wants.
func kindName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "config."):
		return "a mapping (key: value lines)"
	}
	return goType
}

// repoRe is GitHub's owner/name shape.
var repoRe = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)

// ValidRepo reports whether s has GitHub's owner/name shape. It is the one
// check for repository names wherever they enter errata (config, --repo,
// search results, imported records), and it keeps them inside the API's
// /repos/ path: only letters, digits, '-', '_' and '.', and a name that is
// not "." or "..".
func ValidRepo(s string) bool {
	if !repoRe.MatchString(s) {
		return false
	}
	_, name, _ := strings.Cut(s, "/")
	return name != "." && name != ".."
}

// validate checks the decoded config. partial is set when decoding failed
// somewhere: an entry whose decoding failed is left empty and is not
// reported twice.
func (c *Config) validate(lineOf func(string) int, partial bool) error {
	var es []*Error
	add := func(line int, key, msg string) {
		if line == 0 {
			line = lineOf(key)
		}
		es = append(es, &Error{Path: c.Path, Line: line, Key: key, Msg: msg})
	}
	seen := map[string]int{}
	for _, r := range c.Sources.Repositories {
		if partial && r.Repo == "" {
			continue
		}
		if !ValidRepo(r.Repo) {
			add(r.Line, "sources.repositories.repo", fmt.Sprintf("want owner/name, got %q", r.Repo))
			continue
		}
		k := strings.ToLower(r.Repo)
		if prev, dup := seen[k]; dup {
			add(r.Line, "sources.repositories.repo", fmt.Sprintf("%s is already listed on line %d", r.Repo, prev))
			continue
		}
		seen[k] = r.Line
	}
	for _, s := range c.Sources.Searches {
		if partial && s.Query == "" {
			continue
		}
		if strings.TrimSpace(s.Query) == "" {
			add(s.Line, "sources.searches.query", "must not be empty")
		}
	}
	switch c.Output.Format {
	case "", "hugo", "mkdocs", "plain":
	default:
		add(0, "output.format", fmt.Sprintf("want hugo, mkdocs or plain, got %q", c.Output.Format))
	}
	if c.Output.MinSize < 0 {
		add(0, "output.min_size", "must not be negative")
	}
	if c.LLM != nil && c.LLM.MaxConcurrency < 0 {
		add(0, "llm.max_concurrency", "must not be negative")
	}
	if c.LLM != nil && c.LLM.TokenBudget < 0 {
		add(0, "llm.token_budget", "must not be negative")
	}
	return joined(es)
}

// UnmarshalYAML records the line of a repository entry and accepts the
// short form "- owner/name".
func (r *Repository) UnmarshalYAML(n *yaml.Node) error {
	r.Line = n.Line
	if n.Kind == yaml.ScalarNode {
		r.Repo = n.Value
		return nil
	}
	type plain Repository
	var p plain
	if err := strictDecode(n, &p, "repository"); err != nil {
		return err
	}
	*r = Repository(p)
	r.Line = n.Line
	return nil
}

// UnmarshalYAML records the line of a search entry and accepts the short
// form "- query text".
func (s *Search) UnmarshalYAML(n *yaml.Node) error {
	s.Line = n.Line
	if n.Kind == yaml.ScalarNode {
		s.Query = n.Value
		return nil
	}
	type plain Search
	var p plain
	if err := strictDecode(n, &p, "search"); err != nil {
		return err
	}
	*s = Search(p)
	s.Line = n.Line
	return nil
}

// strictDecode decodes a mapping node into v, rejecting keys that v's
// struct does not have (Node.Decode does not inherit the decoder's
// KnownFields setting). Node lines are absolute, so errors name the line in
// the file.
func strictDecode(n *yaml.Node, v any, what string) error {
	if n.Kind == yaml.MappingNode {
		known := map[string]bool{}
		t := reflect.TypeOf(v).Elem()
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if name != "" && name != "-" {
				known[name] = true
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if !known[k.Value] {
				return typeError(k.Line, fmt.Sprintf("unknown key %q in %s", k.Value, what))
			}
		}
	}
	return n.Decode(v)
}

// Date is a calendar day (YYYY-MM-DD) or an RFC 3339 time, in UTC.
type Date struct{ time.Time }

// UnmarshalYAML parses a date, naming the line when it is not one.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	t, err := ParseDate(n.Value)
	if err != nil {
		return typeError(n.Line, err.Error())
	}
	d.Time = t
	return nil
}

// ParseDate parses YYYY-MM-DD or RFC 3339, in UTC.
func ParseDate(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("want a date like 2025-01-31 or an RFC 3339 time, got %q", s)
}

// Duration is a Go duration ("15m") or a number of days ("7d").
type Duration struct{ time.Duration }

// UnmarshalYAML parses a duration, naming the line when it is not one.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return typeError(n.Line, err.Error())
	}
	d.Duration = v
	return nil
}

// ParseDuration parses Go durations plus a "d" (days) and "w" (weeks) suffix.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			var v int
			if _, err := fmt.Sscanf(n, "%d", &v); err == nil && fmt.Sprint(v) == n && v > 0 {
				return time.Duration(v) * unit, nil
			}
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a positive duration like 15m, 6h or 28d, got %q", s)
	}
	return d, nil
}
