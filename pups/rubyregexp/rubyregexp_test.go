package rubyregexp

import (
	"testing"
)

// discoursePatterns are the regex `from`s of discourse_docker's templates.
var discoursePatterns = []string{
	`/#?checkpoint_segments *=.*/`, `/#?default_text_search_config *=.*/`, `/#?listen_addresses *=.*/`,
	`/#?log_min_duration_statement *=.*/`, `/#?logging_collector *=.*/`, `/#?shared_buffers *=.*/`,
	`/#?synchronous_commit *=.*/`, `/#?work_mem *=.*/`, `/^#local +replication +postgres +peer$/`,
	`/^bind .*$/`, `/^dir .*$/`, `/^host.*all.*all.*127.*$/`, `/^host.*all.*all.*::1\/128.*$/`,
	`/^logfile.*$/`, `/^pidfile.*$/`, `/^protected-mode yes/`, `/client_max_body_size.+$/`,
	`/log_format.*$/`, `/map[^\}]+\}/m`, `/proxy_cache_path.*$/`, `/server_name.+$/`,
	`/types[^\}]+\}/m`, `/upstream[^\}]+\}/m`, `/worker_connections.+$/`,
	`/listen 443 ssl;(\nlisten \[::\]:443 ssl;)?/`, `/listen 80;(\nlisten \[::\]:80;)?/`,
}

func TestTranslate(t *testing.T) {
	for _, c := range []struct{ ruby, dotnet string }{
		{`\h+\Z`, `[0-9a-fA-F]+\Z`},
		{`[\h_]`, `[0-9a-fA-F_]`},
		{`\w\d\s`, `[a-zA-Z0-9_][0-9][ \t\n\x0B\f\r]`},
		{`a(?m).b(?-m:c)`, `a(?s).b(?-s:c)`},
		{`a{,3}`, `a{0,3}`},
		{`\/path`, `\/path`},
		{`[[:alpha:]]`, `[\p{L}\p{M}]`},
		{`(?<=a)(?<n>b)\k<n>`, `(?<=a)(?<n>b)\k<n>`},
	} {
		got, _, err := translate(c.ruby, false)
		if err != nil || got != c.dotnet {
			t.Errorf("translate %q = %q (%v), want %q", c.ruby, got, err, c.dotnet)
		}
	}
	for _, bad := range []string{`a\Kb`, `\X`, `(?~a)`, `[a&&b]`, `[a[b]]`, `#{x}`, `[\H]`, `\g<n>`,
		`(unclosed`, `a)`, `*a`, `a|*b`, `(?:+a)`, `^*`, `[z-a]`, `[abc`, `(?<n>+a)`} {
		if _, _, err := translate(bad, false); err == nil {
			t.Errorf("translate %q: no error", bad)
		}
	}
}

func TestDiscoursePatternsPassTheCheck(t *testing.T) {
	for _, p := range discoursePatterns {
		if err := Check(p); err != nil {
			t.Error(err)
		}
	}
}
