package pups

import (
	"strings"
	"testing"
)

// discoursePatterns are the regex `from`s of discourse_docker's templates.
var discoursePatterns = []string{
	`/#?checkpoint_segments *=.*/`, `/#?default_text_search_config *=.*/`, `/#?listen_addresses *=.*/`,
	`/^#local +replication +postgres +peer$/`, `/^host.*all.*all.*::1\/128.*$/`,
	`/map[^\}]+\}/m`, `/upstream[^\}]+\}/m`, `/worker_connections.+$/`,
	`/listen 443 ssl;(\nlisten \[::\]:443 ssl;)?/`, `/listen 80;(\nlisten \[::\]:80;)?/`,
}

func TestDiscoursePatternsCompile(t *testing.T) {
	for _, p := range discoursePatterns {
		if _, err := compileRegexp(p); err != nil {
			t.Error(err)
		}
	}
	if _, err := compileRegexp("/" + strings.Repeat("(", 3) + "/"); err == nil {
		t.Error("((( compiled")
	}
}

// The generator checks every pattern at boot: what a cold start costs.
// The build compiles each pattern of a config once.
func BenchmarkCompileDiscoursePatternsCold(b *testing.B) {
	for i := 0; i < b.N; i++ {
		for _, p := range discoursePatterns {
			if _, err := compile(p); err != nil {
				b.Fatal(err)
			}
		}
	}
}
