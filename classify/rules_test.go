package classify

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestDefaultRulesLoad(t *testing.T) {
	t.Parallel()
	r := DefaultRules()
	if len(r.Topics) < 7 || len(r.Categories) == 0 || len(r.Tools) == 0 {
		t.Fatalf("rules: %d topics, %d categories, %d tools", len(r.Topics), len(r.Categories), len(r.Tools))
	}
	if !strings.HasPrefix(r.Version(), FingerprintVersion+"-") {
		t.Errorf("version %q", r.Version())
	}
}

func node(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func TestLoadRulesExtends(t *testing.T) {
	t.Parallel()
	n := node(t, `
topics:
  - id: billing
    name: Billing
    codes: ["api:insufficient_quota"]
    keywords: [invoice]
tools:
  - name: Acme Agent
    repositories: ["acme/*"]
`)
	r, err := LoadRules(n, "errata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r.Version() == DefaultRules().Version() {
		t.Error("extended rules keep the default version")
	}
	l := r.Label("api:insufficient_quota", "you exceeded your current quota", []MemberFacts{{Repository: "acme/agent", Title: "Quota error"}})
	// rate-limits comes first in the defaults and also lists the code
	if l.Topic != "rate-limits" {
		t.Errorf("topic %q (%s)", l.Topic, l.TopicReason)
	}
	if len(l.Tools) != 1 || l.Tools[0] != "Acme Agent" || !strings.Contains(l.ToolsReason, "acme/agent") {
		t.Errorf("tools %v (%s)", l.Tools, l.ToolsReason)
	}
	l = r.Label("", "could not create invoice", []MemberFacts{{Repository: "x/y", Title: "Invoice export fails"}})
	if l.Topic != "billing" || !strings.Contains(l.TopicReason, "errata.yaml:3") {
		t.Errorf("topic %q reason %q", l.Topic, l.TopicReason)
	}
}

func TestLoadRulesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ src, want string }{
		{"topics:\n  - id: x\n    kewords: [a]\n", `errata.yaml:3: rules.topics[0]: unknown key "kewords" (known: id, name, codes, keywords)`},
		{"colors: []\n", `errata.yaml:1: rules: unknown key "colors" (known: version, topics, categories, tools)`},
		{"tools:\n  - name: a\n  - name: b\n    label: [x]\n", `errata.yaml:4: rules.tools[1]: unknown key "label" (known: name, repositories, labels, keywords)`},
		{"topics:\n  - name: no id\n", "id is required"},
		{"topics: 3\n", `errata.yaml:1: rules.topics: want a list, got a number`},
		{"categories:\n  - id: c\n    labels: bug\n", `errata.yaml:3: rules.categories[0].labels: want a list, got a string`},
		{"tools:\n  - name:\n      x: y\n", `errata.yaml:3: rules.tools[0].name: want a string, got a mapping`},
		{"topics:\n  - key\n", `errata.yaml:2: rules.topics[0]: want a mapping (key: value lines), got a string`},
		// Every problem at once, in the order of the file.
		{"version: x\ntopics:\n  - id: a\n    kw: [b]\n", "errata.yaml:1: rules.version: want a whole number, got a string\nerrata.yaml:4: rules.topics[0]: unknown key \"kw\""},
	}
	for _, tt := range tests {
		_, err := LoadRules(node(t, tt.src), "errata.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err %v, want %q", tt.src, err, tt.want)
		}
	}
}

func TestLabelRecordsWhy(t *testing.T) {
	t.Parallel()
	r := DefaultRules()
	l := r.Label("errno:ECONNREFUSED", "connect econnrefused <ip>", []MemberFacts{
		{Repository: "someone/some-mcp-server", Title: "Cannot reach local model"},
		{Repository: "other/app", Title: "ECONNREFUSED on start"},
	})
	if l.Topic != "network" || !strings.Contains(l.TopicReason, "errno:ECONNREFUSED") {
		t.Errorf("topic %q reason %q", l.Topic, l.TopicReason)
	}
	if l.Category != "mcp" || !strings.Contains(l.CategoryReason, "someone/some-mcp-server") {
		t.Errorf("category %q reason %q", l.Category, l.CategoryReason)
	}
}
