package units

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containers/podman/v5/pkg/systemd/parser"
	"github.com/quadlaunch/quadlaunch/generator"
)

// fuzzCanary is the value of a secret env var added to every fuzzed app: it
// must reach the private env file and nothing else.
const fuzzCanary = "qlfuzzcanary-5e1b"

// knownKeys are the groups and keys quadlaunch writes. Anything else in a
// unit means a value broke out of its line.
var knownKeys = map[string]map[string]bool{
	"Unit":    set("Description", "SourcePath", "Wants", "After", "Requires", "PartOf", "OnFailure"),
	"Service": set("Type", "EnvironmentFile", "ExecStartPre", "ExecStart", "ExecStopPost", "ExecReload", "KillSignal", "KillMode", "Restart", "RuntimeDirectory", "WorkingDirectory", "TimeoutStartSec", "TimeoutStopSec"),
	"Install": set("WantedBy"),
	"Container": set("ContainerName", "Environment", "Exec", "ExposeHostPort", "Image", "Label", "Network", "Notify", "PodmanArgs",
		"GlobalArgs", "PublishPort", "Pull", "ReadOnly", "Secret", "StopTimeout", "Volume",
		"HealthCmd", "HealthInterval", "HealthTimeout", "HealthRetries", "HealthStartPeriod", "HealthOnFailure"),
	"Timer":   set("OnCalendar", "Persistent", "Unit"),
	"Volume":  set("VolumeName", "Label"),
	"Network": set("NetworkName", "Label"),
}

func set(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// fuzzNeighbours are fixed apps planned next to the fuzzed one ("fuzz"):
// one whose name extends it (it owns fuzz-api-*), one it may link to.
var fuzzNeighbours = map[string]string{
	"fuzz-api": "base_image: x\nroles: {web: /bin/a, worker: /bin/b}\nvolumes:\n  - volume: {host: data, guest: /d}\n",
	"other":    "base_image: x\nenv: {A: b}\nexpose: ['8080:80']\n",
}

// FuzzPlan reaches the whole path: config bytes -> load -> plan (next to
// the neighbours) -> rendered units -> podman's unit parser. For every input
// that loads: the neighbours keep every file they have alone, every file the
// fuzzed app gets lies in its own namespace, every unit parses with only
// known keys, and the canary secret is in the private env file only.
func FuzzPlan(f *testing.F) {
	root := f.TempDir()
	var neighbours []*generator.App
	names := []string{"fuzz"}
	for name, cfg := range fuzzNeighbours {
		a, err := generator.LoadAppBytes(root, filepath.Join(root, "containers", name+".yml"), []byte(cfg))
		if err != nil {
			f.Fatal(err)
		}
		neighbours = append(neighbours, a)
		names = append(names, name)
	}
	opts := Options{PrivateDir: "/run/q/quadlaunch.private", ConfigNames: names}
	alone, err := Plan(neighbours, opts)
	if err != nil || len(alone.Diagnostics) != 0 {
		f.Fatalf("neighbours alone: %v %v", err, alone.Diagnostics)
	}
	for _, s := range []string{
		"base_image: x\n",
		"roles: {web: /bin/a, api-web: /bin/b}\n",
		"volumes:\n  - volume: {host: api-data, guest: /d}\n  - volume: {host: 'data..old', guest: /e}\n",
		"links:\n  - link: {name: other, alias: db}\n  - link: {name: fuzz-api}\n",
		"env: {DB_PASSWORD: s3cret, PATH: /bin, QUADLAUNCH_ROOT: /x, 'A': \"multi\\nline\"}\nlabels: {a: '%n$x'}\n",
		"proxy: true\nexpose: ['80:80']\nhealthcheck: {cmd: curl -f localhost, interval: 5s}\n",
		"volumes:\n  - volume: {host: '/srv/a b\\', guest: '/x:ro'}\npodman_args: [--cap-add, 'X\nY=z']\n",
		"params: &a {x: [*a, *a]}\n",
		// migrate and configure give the app its oneshot units
		"base_image: x\nmigrate: rake db:migrate\nconfigure: /bin/true\nenv: {DB_PASSWORD: s3cret}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		app, err := generator.LoadAppBytes(root, filepath.Join(root, "containers", "fuzz.yml"), data)
		if err != nil {
			var ce *generator.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is a %T, not a ConfigError", err, err)
			}
			return
		}
		app.Env = append(app.Env, generator.EnvVar{Name: "FUZZ_CANARY_TOKEN", Value: fuzzCanary, Secret: true})
		app.Secrets = append(app.Secrets, "FUZZ_CANARY_TOKEN")
		p, err := Plan(append([]*generator.App{app}, neighbours...), opts)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, f := range p.Files {
			got[f.Kind.String()+"/"+f.Name] = true
		}
		for _, f := range alone.Files {
			if !got[f.Kind.String()+"/"+f.Name] {
				t.Errorf("neighbour %s lost %s next to the fuzzed app\n%v", f.App, f.Name, p.Diagnostics)
			}
		}
		for _, d := range p.Diagnostics {
			if d.App != "fuzz" && d.Severity == Error {
				t.Errorf("neighbour refused: %s", d)
			}
			if strings.Contains(d.String(), fuzzCanary) {
				t.Errorf("canary in a diagnostic: %s", d)
			}
		}
		for _, f := range p.Files {
			if f.Kind != Private && bytes.Contains(f.Content, []byte(fuzzCanary)) {
				t.Errorf("%s (%s) holds the secret canary", f.Name, f.Kind)
			}
			if f.App == "fuzz" && !OwnsFile(f.Name, "fuzz", names) {
				t.Errorf("fuzz's file %s is outside its namespace", f.Name)
			}
			if f.Kind == Private || f.Kind == Symlink || strings.HasPrefix(f.Name, ProxyConfDir+"/") {
				continue
			}
			checkUnit(t, f)
		}
	})
}

func checkUnit(t *testing.T, f File) {
	t.Helper()
	u := parser.NewUnitFile()
	if err := u.Parse(string(f.Content)); err != nil {
		t.Errorf("%s does not parse: %v\n%s", f.Name, err, f.Content)
		return
	}
	for _, g := range u.ListGroups() {
		known, ok := knownKeys[g]
		if !ok {
			t.Errorf("%s: unknown group [%s]\n%s", f.Name, g, f.Content)
			continue
		}
		for _, k := range u.ListKeys(g) {
			if !known[k] {
				t.Errorf("%s: unknown key %s in [%s]\n%s", f.Name, k, g, f.Content)
			}
		}
	}
}

// The seed corpus in testdata/fuzz/FuzzPlan must keep parsing: go test runs
// it as part of FuzzPlan; this only checks that it is there.
func TestFuzzPlanCorpusPresent(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", "FuzzPlan"))
	if err != nil || len(entries) == 0 {
		t.Errorf("seed corpus testdata/fuzz/FuzzPlan missing: %v", err)
	}
}
