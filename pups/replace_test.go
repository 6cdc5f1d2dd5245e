package pups

import (
	"strings"
	"testing"
)

// Cases beyond the conformance suite, for the Ruby corners that need no oracle run.
func TestReplaceText(t *testing.T) {
	cases := []struct {
		in, from, to string
		global       bool
		direction    string
		want         string
	}{
		{"a a a", "a", "b", false, "", "b a a"},
		{"a a a", "a", "b", true, "", "b b b"},
		{"a a a", "a", "b", false, "reverse", "a a b"},
		{"x: 1\ny: 2\n", `/^y: (\d)$/`, `y: \1\1`, false, "", "x: 1\ny: 22\n"},
		{"k=1 k=2", `/k=(\d)/`, `v=\1$`, true, "", "v=1$ v=2$"},
		{"ABC", `/b/i`, "x", false, "", "AxC"},
		{"a\nb", `/a.b/m`, "z", false, "", "z"},
		{"a\nb", `/a.b/`, "z", false, "", "a\nb"},
		{"abc", `/b*/`, "-", true, "", "-a--c-"},
		{"0xBEEF g", `/\h+/`, "H", true, "", "HxH g"},
		{"aaa", `/a++a/`, "X", false, "", "aaa"},
		{"ab", `/(?<n>a)(b)/`, `[\1|\2|\k<n>]`, false, "", "[||a]"},
		{"only", "only", "X", false, "reverse", "onlyX"},
		{"xa ya", `/(?<=x)a/`, "A", false, "reverse", "xa ya"},
	}
	for _, c := range cases {
		got, err := ReplaceText(c.in, c.from, c.to, c.global, c.direction)
		if err != nil || got != c.want {
			t.Errorf("replace %q %s -> %s (global %v, %q): got %q (%v), want %q", c.in, c.from, c.to, c.global, c.direction, got, err, c.want)
		}
	}
}

func TestReplaceTextFailures(t *testing.T) {
	for _, c := range []struct{ from, to, direction, want string }{
		{"absent", "x", "reverse", "does not occur"},
		{`/(a)/`, `\k<b>`, "", "undefined group name"},
		{`/(unclosed/`, "x", "", "regex /(unclosed/"},
		{`/a\Kb/`, "x", "", `\K is not supported`},
		{`/a/ or true`, "x", "", "not just a regex literal"},
	} {
		_, err := ReplaceText("a b", c.from, c.to, false, c.direction)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("replace %s -> %s: error %v, want one containing %q", c.from, c.to, err, c.want)
		}
	}
}

func TestMergeYAMLKeepsValuesAgainstNull(t *testing.T) {
	out, err := mergeYAML([]byte("a: 1\nb:\n  c: 2\n  d: 3\nl: [1, 2]\n"), map[string]any{"b": map[string]any{"c": 9, "d": nil}, "e": "x", "l": []any{3}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a: 1", "c: 9", "d: 3", "e: x", "- 3"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("merged doc lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "- 1") {
		t.Errorf("a list must replace the list (pups deep_merge):\n%s", out)
	}
}
