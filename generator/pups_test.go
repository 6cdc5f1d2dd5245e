package generator

import (
	"slices"
	"strings"
	"testing"
)

func TestExpandParams(t *testing.T) {
	params := map[string]string{
		"home": "/var/www", "reqs_per_second": "12", "db": "DB", "db_name": "discourse",
		"a": "$b", "b": "B", "bs": `x\\y`, "amp": `<\&>`, "grp": `\1!`,
	}
	tests := []struct{ in, want string }{
		{"cd $home/plugins", "cd /var/www/plugins"},
		{"rate=$reqs_per_secondr/s", "rate=12r/s"}, // no word boundary
		{"$db_name $db", "discourse DB"},           // longer name first (map version)
		{"no params $HOME $unknown", "no params $HOME $unknown"},
		{"$a", "B"},       // a value mentioning a later param is substituted too
		{"$bs", `x\y`},    // Ruby gsub: \\ is one backslash
		{"$amp", "<Bmp>"}, // \& is the match "$amp", whose "$a" is then expanded: sequential
		{"$grp", "!"},     // \1 is an empty group
		{"$$home", "$/var/www"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ExpandParams(tt.in, params); got != tt.want {
			t.Errorf("ExpandParams(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExpandOrderedIsPupsOrder(t *testing.T) {
	// pups goes in insertion order: with db before db_name, "$db_name"
	// becomes "<db>_name".
	p := map[string]string{"db": "X", "db_name": "Y"}
	if got := expandOrdered("$db_name", []string{"db", "db_name"}, p); got != "X_name" {
		t.Errorf("got %q", got)
	}
	if got := expandOrdered("$db_name", []string{"db_name", "db"}, p); got != "Y" {
		t.Errorf("got %q", got)
	}
	// Ruby's \` and \' are the text before and after the match.
	if got := rubyGsub("ab$xcd", "$x", "[\\`|\\']"); got != "ab[ab|cd]cd" {
		t.Errorf("got %q", got)
	}
}

func steps(specs ...string) []Step {
	// spec: "name[:tag[:hook]]"
	var out []Step
	for _, s := range specs {
		f := strings.Split(s, ":")
		st := Step{Kind: StepExec, Cmd: []string{f[0]}, RaiseOnFail: true}
		if len(f) > 1 {
			st.Tag = f[1]
		}
		if len(f) > 2 {
			st.Hook = f[2]
		}
		out = append(out, st)
	}
	return out
}

func names(s []Step) []string {
	var out []string
	for _, x := range s {
		out = append(out, x.Cmd[0])
	}
	return out
}

func TestFilterTags(t *testing.T) {
	run := steps("plain", "code:build", "db1:db", "mig:migrate", "pre:precompile", "other:other")
	tests := []struct {
		tags, skip []string
		want       []string
	}{
		{nil, nil, []string{"plain", "code", "db1", "mig", "pre", "other"}},
		{nil, BuildSkipTags, []string{"plain", "code", "other"}},
		{MigrateTags, nil, []string{"db1", "mig"}},
		{ConfigureTags, nil, []string{"db1", "pre"}},
		{[]string{"db", "build"}, []string{"db"}, []string{"code"}},
	}
	for _, tt := range tests {
		if got := names(FilterTags(run, tt.tags, tt.skip)); !slices.Equal(got, tt.want) {
			t.Errorf("FilterTags(%v, %v) = %v, want %v", tt.tags, tt.skip, got, tt.want)
		}
	}
}

func TestInjectHooks(t *testing.T) {
	run := steps("a", "code:build:code", "b", "mig:migrate:db_migrate")
	hooks := map[string][]Step{
		"before_code":       steps("bc1", "bc2"),
		"after_code":        steps("ac"),
		"before_db_migrate": steps("redis"),
		"after_missing":     steps("never"),
		"odd":               steps("never2"),
	}
	if got, want := names(InjectHooks(run, hooks)), []string{"a", "bc1", "bc2", "code", "ac", "b", "redis", "mig"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// pups filters first: hooks of a filtered-out step vanish, hook steps are not filtered.
	app := &App{Run: run, Hooks: hooks}
	if got, want := names(app.RunWithTags(MigrateTags, nil)), []string{"redis", "mig"}; !slices.Equal(got, want) {
		t.Errorf("migrate run %v, want %v", got, want)
	}
	if got, want := names(app.RunWithTags(nil, BuildSkipTags)), []string{"a", "bc1", "bc2", "code", "ac", "b"}; !slices.Equal(got, want) {
		t.Errorf("build run %v, want %v", got, want)
	}
	// The last step naming a hook anchors it.
	run2 := steps("x::h", "y::h")
	if got, want := names(InjectHooks(run2, map[string][]Step{"after_h": steps("z")})), []string{"x", "y", "z"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestExpandedRunFields(t *testing.T) {
	app := loadOne(t, map[string]string{"containers/app.yml": `base_image: x
params:
  home: /h
  cfg: {a: 1}
env:
  ONION: o.onion
run:
  - exec: {cmd: echo $home, cd: $home, stdin: "$home", tag: $home}
  - file: {path: $home/f, contents: "$home\n", chmod: $home}
  - replace: {filename: $home/r, from: $home, to: "server_name $$ENV_ONION;"}
  - merge: $home/c.yml $cfg
`})
	run := app.ExpandedRun()
	e, f, r, m := run[0], run[1], run[2], run[3]
	if e.Cmd[0] != "echo /h" || e.Cd != "/h" || e.Stdin != "/h" || e.Tag != "$home" {
		t.Errorf("exec %+v", e)
	}
	if f.Path != "/h/f" || f.Contents != "/h\n" || f.Chmod != "$home" {
		t.Errorf("file %+v", f)
	}
	if r.Filename != "$home/r" || r.From != "$home" || r.To != "server_name o.onion;" {
		t.Errorf("replace %+v", r)
	}
	if m.Path != "/h/c.yml" || m.MergeParam != "cfg" || m.MergeData["a"] != 1 {
		t.Errorf("merge %+v", m)
	}
	if app.Run[0].Cmd[0] != "echo $home" {
		t.Errorf("ExpandedRun modified App.Run: %q", app.Run[0].Cmd[0])
	}
}

func TestParsePort(t *testing.T) {
	tests := []struct {
		in   string
		want Port
		bad  bool
	}{
		{in: "80:80", want: Port{HostPort: "80", Container: "80"}},
		{in: "127.0.0.1:80:8080", want: Port{HostIP: "127.0.0.1", HostPort: "80", Container: "8080"}},
		{in: "90", want: Port{Container: "90"}},
		{in: "53:53/udp", want: Port{HostPort: "53", Container: "53", Proto: "udp"}},
		{in: "25:25/tcp", want: Port{HostPort: "25", Container: "25"}},
		{in: "[::1]:80:80", want: Port{HostIP: "::1", HostPort: "80", Container: "80"}},
		{in: "8000-8010:8000-8010", want: Port{HostPort: "8000-8010", Container: "8000-8010"}},
		{in: "80:http", bad: true}, {in: "80/icmp", bad: true}, {in: "x:80:80", bad: true},
		{in: "127.0.0.1::80", bad: true}, {in: "", bad: true}, {in: "[::1:80:80", bad: true},
	}
	for _, tt := range tests {
		got, err := parsePort(tt.in)
		if (err != nil) != tt.bad || (!tt.bad && got != tt.want) {
			t.Errorf("parsePort(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in     string
		strict bool
		want   []string
		bad    bool
	}{
		{in: "rake db:migrate", strict: true, want: []string{"rake", "db:migrate"}},
		{in: `sh -c 'a | b' "x \"y\"" z\ w`, strict: true, want: []string{"sh", "-c", "a | b", `x "y"`, "z w"}},
		{in: "a && b", strict: true, bad: true},
		{in: "echo $HOME", strict: true, bad: true},
		{in: `echo "$HOME"`, strict: true, bad: true},
		{in: `echo '$HOME'`, strict: true, want: []string{"echo", "$HOME"}},
		{in: "--env=A=$B --x", want: []string{"--env=A=$B", "--x"}},
		{in: "'open", bad: true},
		{in: `"open`, bad: true},
		{in: "  ", want: nil},
	}
	for _, tt := range tests {
		got, err := splitCommand(tt.in, tt.strict)
		if (err != nil) != tt.bad || (!tt.bad && !slices.Equal(got, tt.want)) {
			t.Errorf("splitCommand(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestSecretFlags(t *testing.T) {
	app := loadOne(t, map[string]string{"containers/app.yml": "base_image: x\nsecrets: [MINE]\nenv:\n  DISCOURSE_DB_HOST: h\n  MINE: m\n  SMTP_PASSWORD: p\n  RAILS_ENV: production\n"})
	if want := []string{"DISCOURSE_DB_HOST", "MINE", "SMTP_PASSWORD"}; !slices.Equal(app.Secrets, want) {
		t.Errorf("secrets %v, want %v", app.Secrets, want)
	}
	for _, e := range app.Env {
		if e.Secret != slices.Contains(app.Secrets, e.Name) {
			t.Errorf("%s secret=%v", e.Name, e.Secret)
		}
	}
}
