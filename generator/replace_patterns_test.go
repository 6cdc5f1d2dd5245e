package generator

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// An unusable replace pattern fails its app when the config loads, named by
// file:line and key; the other apps load.
func TestReplacePatternsCheckedAtLoad(t *testing.T) {
	step := func(from, to string) string {
		return "base_image: x\nrun:\n  - exec: echo hi\n  - replace:\n      filename: /etc/a.conf\n      from: " + from + "\n      to: " + to + "\n"
	}
	root := writeRoot(t, map[string]string{
		"containers/good.yml":        step(`/(?<=foo)bar(?!baz)\h+\Z/`, `"\\k<x>"`),
		"containers/unclosed.yml":    step(`/(unclosed/`, "x"),
		"containers/unsupported.yml": step(`/a\Kb/`, "x"),
		"containers/rubycode.yml":    step(`"/a/ && system('x')"`, "x"),
		"containers/toslash.yml":     step("old", "/var/www"),
		"containers/signal.yml":      "base_image: x\nrun:\n  - exec:\n      background: true\n      stop_signal: NOPE\n      cmd: sleep 1\n",
	})
	apps, errs := LoadAll(root)
	var names []string
	for _, a := range apps {
		names = append(names, a.Name)
	}
	if !slices.Equal(names, []string{"good"}) {
		t.Errorf("loaded %v, want only good", names)
	}
	want := map[string]string{
		"unclosed.yml:6: run[1].replace.from: regex /(unclosed/":                      "",
		"unsupported.yml:6: run[1].replace.from: regex /a\\Kb/: \\K is not supported": "",
		"rubycode.yml:6: run[1].replace.from: pups evaluates":                         "",
		"toslash.yml:7: run[1].replace.to: pups evaluates a value starting with /":    "",
		"signal.yml:5: run[0].exec.stop_signal: unknown signal \"NOPE\"":              "",
	}
	for _, e := range errs {
		msg := strings.TrimPrefix(e.Error(), filepath.Join(root, "containers")+"/")
		found := false
		for w := range want {
			if strings.HasPrefix(msg, w) {
				delete(want, w)
				found = true
			}
		}
		if !found {
			t.Errorf("unexpected error %q", msg)
		}
	}
	for w := range want {
		t.Errorf("no error starting with %q", w)
	}
}
