//go:build remote

package runtime

import (
	"strings"
	"testing"
)

func TestReplaceText(t *testing.T) {
	cases := []struct {
		in, from, to string
		global       bool
		want         string
	}{
		{"a a a", "a", "b", false, "b a a"},
		{"a a a", "a", "b", true, "b b b"},
		{"x: 1\ny: 2\n", `/^y: (\d)$/`, `y: \1\1`, false, "x: 1\ny: 22\n"},
		{"k=1 k=2", `/k=(\d)/`, `v=\1$`, true, "v=1$ v=2$"},
		{"ABC", `/b/i`, "x", false, "AxC"},
		{"a\nb", `/a.b/m`, "z", false, "z"},
	}
	for _, c := range cases {
		got, err := replaceText([]byte(c.in), c.from, c.to, c.global)
		if err != nil || string(got) != c.want {
			t.Errorf("replace %q %s -> %s: got %q (%v), want %q", c.in, c.from, c.to, got, err, c.want)
		}
	}
}

func TestMergeYAML(t *testing.T) {
	out, err := mergeYAML([]byte("a: 1\nb:\n  c: 2\n  d: 3\n"), map[string]any{"b": map[string]any{"c": 9}, "e": "x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a: 1", "c: 9", "d: 3", "e: x"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("merged doc lacks %q:\n%s", want, out)
		}
	}
}
