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

// The converted ExecStart= of forum-web and forum-sidekiq (the case
// roles-volumes-health), split the way systemd splits it and with %% and $$
// undone, holds the exact label, volume, command and health check bytes of the
// config. (The case's expected/ shows the escaped text; this checks what
// systemd makes of it.)
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
	web := argv("forum-web.service")
	app := caseApp(t, "roles-volumes-health", "forum")
	const note = "100% \"fun\" $HOME\nsecond line \\ done"
	const uploads = "/srv/uploads/100%-$HOME"
	wantPairs := [][2]string{
		{"--label", "note=" + note},
		{"-v", uploads + `:/my uploads/50% "q" \x:ro`},
		{"--health-cmd", `["curl","-fsS","http://localhost/srv/status"]`},
		{"--env", "TZ=Europe/Berlin"},
		{"--secret", "quadlaunch-forum-DISCOURSE_HOSTNAME,type=env,target=DISCOURSE_HOSTNAME"},
		{"--memory", "2g"},
	}
	for _, w := range wantPairs {
		if !hasPair(web, w[0], w[1]) {
			t.Errorf("web ExecStart lacks %s %q:\n%q", w[0], w[1], web)
		}
	}
	// A secret never travels as --env: Podman would keep its value in db.sql.
	if hasPair(web, "--env", "DISCOURSE_HOSTNAME") {
		t.Errorf("secret DISCOURSE_HOSTNAME passed with --env:\n%q", web)
	}
	if vault := argv("vault-web.service"); hasPair(vault, "--env", "TLS_KEY") || !hasPair(vault, "--secret", "quadlaunch-vault-TLS_KEY,type=env,target=TLS_KEY") {
		t.Errorf("vault-web: TLS_KEY not a Podman secret: %q", vault)
	}
	// The alias lives on the linking app's network only (launcher's --link).
	if pg := argv("pg-web.service"); !hasPair(pg, "--network", "wiki-links:alias=db") || hasPair(pg, "--network-alias", "db") {
		t.Errorf("pg-web does not join wiki-links as db (and only there): %q", pg)
	}
	if hasPair(web, "--network-alias", "forum") {
		t.Errorf("forum-web has an alias though nobody links to it")
	}
	sidekiq := argv("forum-sidekiq.service")
	if got, want := sidekiq[len(sidekiq)-3:], app.Roles[1].Command; !reflect.DeepEqual(got, want) {
		t.Errorf("sidekiq command = %q, want %q", got, want)
	}
	migrate := argv("forum-configure.service")
	if got, want := migrate[len(migrate)-3:], app.Configure.Args; !reflect.DeepEqual(got, want) {
		t.Errorf("configure command = %q, want %q", got, want)
	}
	// mkdir gets the bind sources verbatim.
	u, _ := parser.ParseUnitFile(filepath.Join(conv.normal, "forum-web.service"))
	pre, _ := u.LookupLastArgs("Service", "ExecStartPre")
	for i := range pre {
		pre[i] = unescapeSystemd(pre[i])
	}
	if !contains(pre, uploads) || pre[0] != mkdirBin {
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
