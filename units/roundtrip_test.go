package units

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/containers/podman/v5/pkg/systemd/parser"
)

// Every planned unit file parses back with Quadlet's parser and writes out
// byte-identical: the parser keeps every key/value we meant.
func TestUnitFilesRoundTrip(t *testing.T) {
	for _, c := range planCases() {
		p := mustPlan(t, c)
		for _, f := range p.Files {
			if f.Kind != Quadlet && f.Kind != Plain {
				continue
			}
			u := parser.NewUnitFile()
			if err := u.Parse(string(f.Content)); err != nil {
				t.Fatalf("%s/%s: %v", c.name, f.Name, err)
			}
			again, _ := u.ToString()
			if again != string(f.Content) {
				t.Errorf("%s/%s: does not round-trip:\n%s\n---\n%s", c.name, f.Name, f.Content, again)
			}
		}
	}
}

// The converted ExecStart= of discourse-web and discourse-sidekiq, split the way
// systemd splits it and with %% and $$ undone, holds the exact label, volume,
// command and health check bytes of the config.
func TestEscapingSurvivesQuadletAndSystemd(t *testing.T) {
	bin := quadletBin(t)
	c := planCases()[0]
	conv := convert(t, bin, mustPlan(t, c), false)
	argv := func(svc string) []string {
		u, err := parser.ParseUnitFile(filepath.Join(conv.normal, svc))
		if err != nil {
			t.Fatal(err)
		}
		args, ok := u.LookupLastArgs("Service", "ExecStart")
		if !ok {
			t.Fatalf("%s: no ExecStart", svc)
		}
		for i := range args {
			args[i] = unescapeSystemd(args[i])
		}
		return args
	}
	web := argv("discourse-web.service")
	app := discourseApp()
	wantPairs := [][2]string{
		{"--label", "note=" + app.Labels[1].Value},
		{"-v", app.Volumes[2].Host + ":" + app.Volumes[2].Guest + ":ro"},
		{"--health-cmd", `["curl","-fsS","http://localhost/srv/status"]`},
		{"--env", "TZ=Europe/Berlin"},
		{"--secret", "quadlaunch-discourse-DISCOURSE_SMTP_KEY,type=env,target=DISCOURSE_SMTP_KEY"},
	}
	for _, w := range wantPairs {
		if !hasPair(web, w[0], w[1]) {
			t.Errorf("web ExecStart lacks %s %q:\n%q", w[0], w[1], web)
		}
	}
	// A secret never travels as --env: Podman would keep its value in db.sql.
	if hasPair(web, "--env", "DISCOURSE_SMTP_KEY") {
		t.Errorf("secret DISCOURSE_SMTP_KEY passed with --env:\n%q", web)
	}
	// The alias lives on the linking app's network only (launcher's --link).
	if data := argv("data-web.service"); !hasPair(data, "--network", "discourse-links:alias=db") || hasPair(data, "--network-alias", "db") {
		t.Errorf("data-web does not join discourse-links as db (and only there): %q", data)
	}
	if hasPair(web, "--network-alias", "discourse") {
		t.Errorf("discourse-web has an alias though nobody links to it")
	}
	sidekiq := argv("discourse-sidekiq.service")
	if got, want := sidekiq[len(sidekiq)-3:], app.Roles[1].Command; !reflect.DeepEqual(got, want) {
		t.Errorf("sidekiq command = %q, want %q", got, want)
	}
	migrate := argv("discourse-configure.service")
	if got, want := migrate[len(migrate)-3:], app.Configure.Args; !reflect.DeepEqual(got, want) {
		t.Errorf("configure command = %q, want %q", got, want)
	}
	// mkdir gets the bind sources verbatim.
	u, _ := parser.ParseUnitFile(filepath.Join(conv.normal, "discourse-web.service"))
	pre, _ := u.LookupLastArgs("Service", "ExecStartPre")
	for i := range pre {
		pre[i] = unescapeSystemd(pre[i])
	}
	if !contains(pre, app.Volumes[2].Host) || pre[0] != mkdirBin {
		t.Errorf("ExecStartPre = %q", pre)
	}
	if _, err := os.Stat(mkdirBin); err != nil {
		t.Logf("note: %s missing on this host (%v); Debian 13 has it", mkdirBin, err)
	}
}

func hasPair(args []string, flag, value string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag && args[i+1] == value {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestQuoteWordRoundTrip(t *testing.T) {
	words := []string{"plain", "with space", `q"uote`, `back\slash`, "new\nline", "tab\there", "it's", "100%", "$HOME", "ünï", "\x01ctl", `trailing\`}
	line, err := commandLine(words)
	if err != nil {
		t.Fatal(err)
	}
	u := parser.NewUnitFile()
	if err := u.Parse("[Container]\nExec=" + line + "\n"); err != nil {
		t.Fatal(err)
	}
	got, _ := u.LookupLastArgs("Container", "Exec")
	for i := range got {
		got[i] = unescapeSystemd(got[i])
	}
	if !reflect.DeepEqual(got, words) {
		t.Errorf("round trip:\n got %q\nwant %q", got, words)
	}
	for _, bad := range [][]string{{""}, {";"}, {"a", "\xff"}} {
		if _, err := commandLine(bad); err == nil {
			t.Errorf("commandLine(%q) accepted", bad)
		}
	}
}

func TestRawValueRefusesWhatQuadletMangles(t *testing.T) {
	for _, bad := range []string{"", "a\nb", " lead", "trail ", `"quoted"`, `end\`} {
		if _, err := rawValue(bad); err == nil {
			t.Errorf("rawValue(%q) accepted", bad)
		}
	}
	if got, _ := rawValue("/a b/50%/$x"); got != "/a b/50%%/$$x" {
		t.Errorf("rawValue escapes to %q", got)
	}
}

func TestLineValueStaysOnOneLine(t *testing.T) {
	if got := lineValue("a\nb 100%\\"); strings.Contains(got, "\n") || got != "a?b 100%%" {
		t.Errorf("lineValue = %q", got)
	}
}
