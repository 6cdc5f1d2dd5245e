package generator

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// doc is one parsed YAML file with the bookkeeping that every error needs.
type doc struct {
	file   string
	budget int // nodes we may still visit; bounds alias fan-out ("billion laughs")
	bytes  int // bytes of keys and values we may still materialize
	depth  int // nesting of the walk right now
}

// Limits of one file's walk, aliases included. yaml.v3 keeps an alias as one
// node, so a 35-byte document can name a structure of any size; what the
// walk builds from it (values, key paths for errors) is what costs memory.
// Real configs are a few thousand nodes of a few KB; these only stop hostile
// input, each with an error naming the place.
const (
	nodeBudget = 100_000
	byteBudget = 4 << 20
	maxDepth   = 64
)

// maxYAMLIndicators bounds yaml.v3's own work before it starts: it builds a
// node (about 250 bytes with its events) per element, and an element needs
// one of these structural characters, so their count bounds the parser's
// memory (20000 -> about 10 MB). Discourse's largest template has 1230.
const maxYAMLIndicators = 20_000

func newDoc(file string) *doc {
	return &doc{file: file, budget: nodeBudget, bytes: byteBudget}
}

// yamlIndicators counts the bytes that can start or separate a YAML node.
func yamlIndicators(data []byte) int {
	n := 0
	for _, c := range data {
		switch c {
		case ',', ':', '-', '[', '{', '?', '\n', '*':
			n++
		}
	}
	return n
}

// yamlLineRe finds the line in yaml.v3's messages (compiled on the first
// error: syntax.go says why not at start).
var yamlLineRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`line (\d+)`) })

// parseYAML parses data into its root mapping. An empty file or a document
// that is only null is an empty config.
func parseYAML(file string, data []byte) (*yaml.Node, error) {
	if n := yamlIndicators(data); n > maxYAMLIndicators {
		return nil, &ConfigError{Diagnostic{Pos: Pos{File: file}, Msg: fmt.Sprintf(
			"too many YAML elements to parse safely (%d lines, list items and separators; the limit is %d)", n, maxYAMLIndicators)}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, nil
	}
	n := root.Content[0]
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, errAt(file, n, "", "the file must be a YAML mapping (key: value), not a %s", kindName(n))
	}
	return n, nil
}

// yamlError turns a yaml.v3 error into a ConfigError with the line it names.
func yamlError(file string, err error) *ConfigError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineRe().FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		// "line 3: did not find ..." -> "did not find ..."; the position says the line.
		if i := strings.Index(msg, m[0]+": "); i == 0 {
			msg = msg[len(m[0])+2:]
		}
	}
	return &ConfigError{Diagnostic{Pos: Pos{File: file, Line: line}, Msg: "invalid YAML: " + msg}}
}

func errAt(file string, n *yaml.Node, key, format string, args ...any) *ConfigError {
	return &ConfigError{Diagnostic{Pos: posOf(file, n), Key: key, Msg: fmt.Sprintf(format, args...)}}
}

func posOf(file string, n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: file}
	}
	return Pos{File: file, Line: n.Line}
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// resolve follows an alias and charges the walk budget.
func (d *doc) resolve(n *yaml.Node) (*yaml.Node, error) {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 100 {
			return nil, errAt(d.file, n, "", "alias chain too long")
		}
		n = n.Alias
	}
	d.budget--
	if d.budget < 0 {
		return nil, errAt(d.file, n, "", "document too large (aliases expand past %d nodes)", nodeBudget)
	}
	if n != nil && n.Kind == yaml.ScalarNode {
		if err := d.charge(n, len(n.Value)); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// charge takes size bytes from the walk's byte budget.
func (d *doc) charge(n *yaml.Node, size int) error {
	d.bytes -= size
	if d.bytes < 0 {
		return errAt(d.file, n, "", "document too large (aliases expand past %d bytes)", byteBudget)
	}
	return nil
}

// enter goes one level deeper into the document; leave comes back.
func (d *doc) enter(n *yaml.Node, key string) error {
	d.depth++
	if d.depth > maxDepth {
		return errAt(d.file, n, truncateKey(key), "nested deeper than %d levels (an alias that contains itself?)", maxDepth)
	}
	return nil
}

func (d *doc) leave() { d.depth-- }

// truncateKey keeps an error's key path readable when it is long.
func truncateKey(key string) string {
	if len(key) > 200 {
		return key[:200] + "..."
	}
	return key
}

// pair is one key/value of a mapping, aliases resolved.
type pair struct {
	key   string
	keyN  *yaml.Node
	value *yaml.Node
}

// pairs lists a mapping's entries in order, resolving aliases and YAML merge
// keys (`<<: *base`, which Ruby's Psych honours too): keys written in the
// mapping itself win over merged ones.
func (d *doc) pairs(n *yaml.Node, key string) ([]pair, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(d.file, n, key, "must be a mapping, not a %s", kindName(n))
	}
	if err := d.enter(n, key); err != nil {
		return nil, err
	}
	defer d.leave()
	var out []pair
	var merged []pair
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, err := d.resolve(n.Content[i])
		if err != nil {
			return nil, err
		}
		vn, err := d.resolve(n.Content[i+1])
		if err != nil {
			return nil, err
		}
		if kn.Kind != yaml.ScalarNode {
			return nil, errAt(d.file, kn, key, "mapping keys must be plain strings, not a %s", kindName(kn))
		}
		if kn.Tag == "!!merge" {
			var sources []*yaml.Node
			switch vn.Kind {
			case yaml.MappingNode:
				sources = []*yaml.Node{vn}
			case yaml.SequenceNode:
				for _, s := range vn.Content {
					s, err := d.resolve(s)
					if err != nil {
						return nil, err
					}
					sources = append(sources, s)
				}
			default:
				return nil, errAt(d.file, vn, key, "a merge key (<<) needs a mapping or a list of mappings")
			}
			for _, s := range sources {
				ps, err := d.pairs(s, key)
				if err != nil {
					return nil, err
				}
				merged = append(merged, ps...)
			}
			continue
		}
		if seen[kn.Value] {
			return nil, errAt(d.file, kn, joinKey(key, kn.Value), "duplicate key")
		}
		seen[kn.Value] = true
		out = append(out, pair{key: kn.Value, keyN: kn, value: vn})
	}
	for _, p := range merged {
		if !seen[p.key] {
			seen[p.key] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// items lists a sequence's elements, aliases resolved.
func (d *doc) items(n *yaml.Node, key string) ([]*yaml.Node, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(d.file, n, key, "must be a list, not a %s", kindName(n))
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		c, err := d.resolve(c)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// scalar returns a scalar's text exactly as written (after YAML unquoting and
// block-scalar folding): `3` stays "3", `1.50` stays "1.50", `true` stays
// "true". This differs from Ruby's Psych on purpose only where Psych would
// reformat a value (1.50 -> "1.5", off -> "false"): what the operator wrote is
// what the container gets.
func (d *doc) scalar(n *yaml.Node, key string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", errAt(d.file, n, key, "must be a single value, not a %s", kindName(n))
	}
	if n.Tag == "!!binary" {
		return "", errAt(d.file, n, key, "binary values are not supported")
	}
	return n.Value, nil
}

// boolean accepts YAML 1.1 booleans as Psych (and so pups) does.
func (d *doc) boolean(n *yaml.Node, key string) (bool, error) {
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on":
			return true, nil
		case "false", "no", "off":
			return false, nil
		}
	}
	return false, errAt(d.file, n, key, "must be true or false")
}

// strList accepts a string (one element) or a list of strings.
func (d *doc) strList(n *yaml.Node, key string) ([]string, bool, error) {
	if n.Kind == yaml.ScalarNode {
		s, err := d.scalar(n, key)
		return []string{s}, false, err
	}
	items, err := d.items(n, key)
	if err != nil {
		return nil, true, errAt(d.file, n, key, "must be a string or a list of strings, not a %s", kindName(n))
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, err := d.scalar(it, fmt.Sprintf("%s[%d]", key, i))
		if err != nil {
			return nil, true, err
		}
		out = append(out, s)
	}
	return out, true, nil
}

// toAny converts a node to plain Go values for data that is passed through
// (merge step data): mappings become map[string]any, lists []any, scalars
// their decoded YAML type.
func (d *doc) toAny(n *yaml.Node, key string) (any, error) {
	n, err := d.resolve(n)
	if err != nil {
		return nil, err
	}
	if err := d.enter(n, key); err != nil {
		return nil, err
	}
	defer d.leave()
	// Key paths are built for error messages at every level: charge them, or
	// deep nesting with long keys costs the square of the file's size.
	if err := d.charge(n, len(key)); err != nil {
		return nil, err
	}
	switch n.Kind {
	case yaml.MappingNode:
		ps, err := d.pairs(n, key)
		if err != nil {
			return nil, err
		}
		m := make(map[string]any, len(ps))
		for _, p := range ps {
			v, err := d.toAny(p.value, joinKey(key, p.key))
			if err != nil {
				return nil, err
			}
			m[p.key] = v
		}
		return m, nil
	case yaml.SequenceNode:
		items, err := d.items(n, key)
		if err != nil {
			return nil, err
		}
		l := make([]any, 0, len(items))
		for i, it := range items {
			v, err := d.toAny(it, fmt.Sprintf("%s[%d]", key, i))
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case yaml.ScalarNode:
		if isNull(n) {
			return nil, nil
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return n.Value, nil
		}
		return v, nil
	}
	return nil, errAt(d.file, n, key, "unsupported YAML node")
}

func joinKey(parent, k string) string {
	if parent == "" {
		return k
	}
	if strings.ContainsAny(k, ". []") || k == "" {
		var b bytes.Buffer
		b.WriteString(parent)
		b.WriteString("[")
		b.WriteString(strconv.Quote(k))
		b.WriteString("]")
		return b.String()
	}
	return parent + "." + k
}
