package generator

import (
	"regexp"
	"strings"
	"testing"
)

// The hand-written checks accept exactly what the patterns they replace do.
func TestNameChecksMatchTheirPatterns(t *testing.T) {
	role := regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	host := regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.-]{0,252})$`)
	inputs := []string{"", "a", "web", "Web", "9x", "_x", "-x", "x_y-z", "x.y", "a b", "é", "x/", "DB", "db.example.com",
		"a" + strings.Repeat("b", 61), "a" + strings.Repeat("b", 62), "a" + strings.Repeat("b", 63),
		"h" + strings.Repeat(".", 251), "h" + strings.Repeat(".", 252), "h" + strings.Repeat(".", 253)}
	for c := 0; c < 256; c++ {
		inputs = append(inputs, string([]byte{byte(c)}), "a"+string([]byte{byte(c)}))
	}
	for _, s := range inputs {
		if got, want := isRoleName(s), role.MatchString(s); got != want {
			t.Errorf("isRoleName(%q) = %v, pattern says %v", s, got, want)
		}
		if got, want := isHostname(s), host.MatchString(s); got != want {
			t.Errorf("isHostname(%q) = %v, pattern says %v", s, got, want)
		}
	}
}
