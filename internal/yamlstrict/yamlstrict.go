// Package yamlstrict is errata's one strict YAML decoder, used by the
// config file (package config) and by the classification rules it holds
// (package classify). It decodes a yaml.v3 node into a Go value and
// reports every problem at once, each with the line, the key path
// ("sources.repositories[0].since") and what is wrong: keys the Go
// structs do not have, and values of the wrong type.
//
// yaml.v3's Decoder.KnownFields(true) is not enough: it applies only to a
// document decoded from bytes, and Node.Decode (which UnmarshalYAML
// methods and the decoding of a kept subtree such as the config's rules:
// use) does not inherit it. So unknown keys are found here by walking the
// node against the target type's yaml tags, and type errors come from
// Node.Decode, whose messages ("line 3: cannot unmarshal !!str `x` into
// int") are given their key path and said in words.
package yamlstrict

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is one problem in a YAML document.
type Error struct {
	Line int    // 1-based line in the file, 0 when unknown
	Key  string // key path of the value ("rules.topics[0].keywords"), or of the mapping holding an unknown key
	Msg  string
}

// Error returns "line: key: msg", leaving out what is unknown; callers
// put the file name in front.
func (e *Error) Error() string {
	var parts []string
	if e.Line > 0 {
		parts = append(parts, strconv.Itoa(e.Line))
	}
	if e.Key != "" {
		parts = append(parts, e.Key)
	}
	return strings.Join(append(parts, e.Msg), ": ")
}

// Errors are the problems of one decoding, in the order of the file.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// TypeError returns a *yaml.TypeError with one "line N: msg" per problem.
// An UnmarshalYAML method returns it so that the decoding around it goes
// on and reports the file's other problems too; Decode turns the lines
// back into Errors with their key paths.
func TypeError(line int, msg string) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", line, msg)}}
}

// Decode decodes n (a document or any node in it) into v, a non-nil
// pointer, and returns every problem found, sorted by line (nil when
// there is none); v keeps whatever could be decoded, so callers may check
// it further. path is the key path of n itself ("" for a document,
// "rules" for the subtree of a rules: key).
//
// A struct type says its keys with yaml tags. A type with its own
// UnmarshalYAML method is checked by its tags too when it has any (so
// config.Repository's mapping form is checked, while a type holding a
// kept node, or a date, is left to its method).
func Decode(n *yaml.Node, v any, path string) Errors {
	var es Errors
	checkKeys(n, reflect.TypeOf(v), path, &es)
	if err := n.Decode(v); err != nil {
		es = append(es, fromDecode(n, path, err)...)
	}
	if len(es) == 0 {
		return nil
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
	return es
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// checkKeys reports the mapping keys under n that t has no field for.
func checkKeys(n *yaml.Node, t reflect.Type, path string, es *Errors) {
	if n == nil || t == nil {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			checkKeys(c, t, path, es)
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		return // checked where the anchor is
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for i, c := range n.Content {
				checkKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), es)
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				checkKeys(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), es)
			}
		}
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // a type error, which Node.Decode reports
		}
		fields, names := structKeys(t)
		if len(names) == 0 && reflect.PointerTo(t).Implements(unmarshalerType) {
			return // its UnmarshalYAML decides
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				*es = append(*es, &Error{Line: k.Line, Key: path,
					Msg: fmt.Sprintf("unknown key %q (known: %s)", k.Value, strings.Join(names, ", "))})
				continue
			}
			checkKeys(val, ft, join(path, k.Value), es)
		}
	}
}

// structKeys returns the keys a struct type accepts, with their field
// types, and their names in field order.
func structKeys(t reflect.Type) (map[string]reflect.Type, []string) {
	fields := map[string]reflect.Type{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		fields[name] = f.Type
		names = append(names, name)
	}
	return fields, names
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var lineRe = regexp.MustCompile(`^line (\d+): (.*)$`)

// fromDecode turns an error of Node.Decode into Errors naming key paths.
func fromDecode(n *yaml.Node, path string, err error) Errors {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return Errors{{Line: n.Line, Key: path, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	keys, colls := keysByLine(n, path)
	var es Errors
	for _, e := range te.Errors {
		m := lineRe.FindStringSubmatch(e)
		if m == nil {
			es = append(es, &Error{Key: path, Msg: e})
			continue
		}
		line, _ := strconv.Atoi(m[1])
		key := keys[line]
		if g := collectionGiven.FindStringSubmatch(m[2]); g != nil {
			if c, ok := colls[g[1]+strconv.Itoa(line)]; ok {
				key = c // "a: b" where a list was wanted: the mapping, not a
			}
		}
		es = append(es, &Error{Line: line, Key: key, Msg: friendlier(m[2])})
	}
	return es
}

var collectionGiven = regexp.MustCompile("^cannot unmarshal !!(map|seq) ")

// keysByLine maps each line under n to the (innermost) key path set
// there, so that a type error, which yaml reports by line only, can name
// its key; colls maps "map" or "seq" and the line where a mapping or
// list begins to the (innermost) key path holding it, for errors about
// that collection.
func keysByLine(n *yaml.Node, path string) (keys map[int]string, colls map[string]string) {
	out := map[int]string{}
	colls = map[string]string{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch {
		case path == "":
		case n.Kind == yaml.MappingNode:
			colls["map"+strconv.Itoa(n.Line)] = path
		case n.Kind == yaml.SequenceNode:
			colls["seq"+strconv.Itoa(n.Line)] = path
		}
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
				p := join(path, k.Value)
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
	if _, ok := out[n.Line]; !ok && path != "" {
		out[n.Line] = path
	}
	walk(n, path)
	return out, colls
}

var cannotUnmarshal = regexp.MustCompile(`^cannot unmarshal (.*) into (\S+)$`)

// friendlier says yaml's type errors in words. The value itself is not
// repeated: it may be a secret put in the wrong place.
func friendlier(msg string) string {
	if m := cannotUnmarshal.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("want %s, got %s", kindName(m[2]), tagName(m[1]))
	}
	return msg
}

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

// kindName says which kind of value a Go type wants.
func kindName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "map["), strings.Contains(goType, "."):
		return "a mapping (key: value lines)"
	}
	return goType
}
