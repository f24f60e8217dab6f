package yamlstrict_test

import (
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/errata-tool/errata/internal/yamlstrict"
)

type inner struct {
	N int `yaml:"n"`
}

type outer struct {
	Name  string           `yaml:"name"`
	Items []inner          `yaml:"items"`
	ByKey map[string]inner `yaml:"by_key"`
	Ptr   *inner           `yaml:"ptr"`
	Skip  string           `yaml:"-"`
}

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"clean", "name: a\nitems:\n  - n: 1\n", ""},
		{"unknown at the root", "nme: a\n", `1: unknown key "nme" (known: name, items, by_key, ptr)`},
		{"a yaml:\"-\" field is no key", "skip: a\n", `1: unknown key "skip" (known: name, items, by_key, ptr)`},
		{"unknown in a list item", "items:\n  - n: 1\n  - m: 2\n", `3: items[1]: unknown key "m" (known: n)`},
		{"unknown in a map value", "by_key:\n  a:\n    x: 1\n", `3: by_key.a: unknown key "x" (known: n)`},
		{"unknown behind a pointer", "ptr:\n  y: 1\n", `2: ptr: unknown key "y" (known: n)`},
		{"bad type", "items:\n  - n: many\n", `2: items[0].n: want a whole number, got a string`},
		{"both, in file order", "ptr:\n  n: x\nzzz: 1\n", "2: ptr.n: want a whole number, got a string\n3: unknown key \"zzz\" (known: name, items, by_key, ptr)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tt.in), &doc); err != nil {
				t.Fatal(err)
			}
			var v outer
			got := ""
			if es := yamlstrict.Decode(&doc, &v, ""); es != nil {
				got = es.Error()
			}
			if got != tt.want {
				t.Fatalf("errors %q, want %q", got, tt.want)
			}
		})
	}
}
