package generator

import (
	"strings"
	"testing"
	"time"
)

// A "billion laughs" document is refused after a bounded walk.
func TestAliasBombIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("base_image: x\nl0: &l0 [a, a, a, a, a, a, a, a, a, a]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("l" + string(rune('0'+i)) + ": &l" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*l" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("params:\n  p: *l8\n")
	start := time.Now()
	_, err := newLoader(t.TempDir()).loadBytes("/x/app.yml", []byte(b.String()), 0o600)
	if err == nil || !strings.Contains(err.Error(), "document too large") || time.Since(start) > 5*time.Second {
		t.Errorf("alias bomb: %v after %v", err, time.Since(start))
	}
}
