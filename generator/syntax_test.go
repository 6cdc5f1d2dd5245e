package generator

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The expressions the checks of syntax.go replace: they must agree on every
// input, the edge cases below and random strings over the bytes that matter.
func TestSyntaxChecksAgreeWithTheirExpressions(t *testing.T) {
	checks := []struct {
		re    *regexp.Regexp
		check func(string) bool
	}{
		{regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`), isEnvName},
		{regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`), isVolumeName},
		{regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`), isAppName},
		{regexp.MustCompile("[[:upper:]/ !@#$%^&*()+~`=]"), launcherRejects},
		{regexp.MustCompile(`^[0-9]{1,5}(-[0-9]{1,5})?$`), isPortSpec},
		{regexp.MustCompile(`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`), durationRe.MatchString},
	}
	inputs := []string{"", "a", "A", "_", "0", "9a", "a9", "a-b", "a.b", "a_b", "-a", ".a", "aB", "a b", "a/b", "é", "aé",
		"80", "8080-8090", "123456", "1-", "-1", "1--2", "1-2-3", "00000-99999",
		"1s", "1.5s", "1.s", ".5s", "1m30s", "500ms", "1µs", "1us", "1ns", "1h2m3s4ms5us6ns", "1", "s", "1ss", "1mss", "1msm", "1m1", "1.5.5s", "10S"}
	alphabet := []string{"a", "z", "A", "Z", "0", "9", "_", ".", "-", " ", "/", "=", "~", "s", "m", "h", "n", "u", "µ", "é"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		s := ""
		for range r.IntN(8) {
			s += alphabet[r.IntN(len(alphabet))]
		}
		inputs = append(inputs, s)
	}
	for _, c := range checks {
		for _, in := range inputs {
			if want := c.re.MatchString(in); c.check(in) != want {
				t.Errorf("%q on %q: %v, the expression says %v", c.re, in, !want, want)
			}
		}
	}
}

// hostName accepts what the former regexp
// ^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ (with at most 253
// characters) accepted, and nothing else.
func TestHostName(t *testing.T) {
	re := regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	label63 := strings.Repeat("a", 63)
	for _, h := range []string{
		"", "a", "www.example.com", "*.example.com", "*.*.example.com", "*", "*.", ".a", "a.", "a..b",
		"-a.com", "a-.com", "a-b.com", "A.com", "xn--bcher-kva.example", "a_b.com", "1.2.3.4",
		label63 + ".com", label63 + "a.com", strings.Repeat(label63+".", 3) + strings.Repeat("b", 61),
		strings.Repeat(label63+".", 3) + strings.Repeat("b", 62), "ex ample.com", "é.com", "*a.com",
	} {
		want := len(h) <= 253 && re.MatchString(h)
		if got := hostName(h); got != want {
			t.Errorf("hostName(%q) = %v, want %v", h, got, want)
		}
	}
}
