package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v3"
)

// runMan runs the real command tree's hidden man command and returns the page.
func runMan(t *testing.T, page string) string {
	t.Helper()
	app := newApp()
	var out bytes.Buffer
	app.Writer = &out
	app.ExitErrHandler = func(context.Context, *cli.Command, error) {}
	readme := filepath.Join("..", "..", "README.md")
	if err := app.Run(context.Background(), []string{"quadlaunch", "man", "--readme", readme, "--date", "2026-01-02", page}); err != nil {
		t.Fatalf("man %s: %v", page, err)
	}
	return out.String()
}

func TestManQuadlaunchListsEveryVisibleCommand(t *testing.T) {
	page := runMan(t, "quadlaunch.1")
	if !strings.Contains(page, "\n.TH QUADLAUNCH 1 \"2026-01-02\" ") {
		t.Fatalf("no .TH with the date:\n%s", head(page))
	}
	for _, c := range newApp().Commands {
		want := "\n.SS quadlaunch " + c.Name + "\n"
		if c.Hidden {
			if strings.Contains(page, want) {
				t.Errorf("hidden command %q is documented", c.Name)
			}
			continue
		}
		if !strings.Contains(page, want) {
			t.Errorf("command %q missing from quadlaunch(1)", c.Name)
		}
	}
	for _, want := range []string{".TP\n\\fB\\-\\-root\\fP", ".TP\n\\fB\\-\\-user\\fP", ".SH ENVIRONMENT\n", ".TP\n\\fBQUADLAUNCH_ROOT\\fP\n"} {
		if !strings.Contains(page, want) {
			t.Errorf("quadlaunch(1) lacks %q", want)
		}
	}
	// What a reader sees: every visible command, with options that can be
	// copied (ASCII hyphen-minus, not groff's hyphen).
	if text := renderText(t, page); text != "" {
		for _, want := range []string{"quadlaunch deploy [OPTIONS] APP", "--root DIR", "--lock-timeout DURATION"} {
			if !strings.Contains(text, want) {
				t.Errorf("rendered quadlaunch(1) lacks %q", want)
			}
		}
	}
}

// Every key of the README's config reference tables is a tagged paragraph in quadlaunch.yml(5).
func TestManConfigHasEveryReadmeKey(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := markdownSection(string(readme), "Config reference")
	if err != nil {
		t.Fatal(err)
	}
	keys := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(ref, -1)
	if len(keys) < 10 {
		t.Fatalf("found only %d keys in the README's config reference", len(keys))
	}
	page := runMan(t, "quadlaunch.yml.5")
	if strings.Contains(page, ".TS") {
		t.Errorf("a README table became a tbl table (too wide for 80 columns):\n%s", page)
	}
	for _, k := range keys {
		if want := ".TP\n\\fB" + k[1] + "\\fR\n"; !strings.Contains(page, want) {
			t.Errorf("key %q missing from quadlaunch.yml(5)", k[1])
		}
	}
	if text := renderText(t, page); text != "" && !strings.Contains(text, "healthcheck {cmd, interval, timeout, retries, start_period} — Podman health check") {
		t.Errorf("rendered quadlaunch.yml(5) has no healthcheck entry")
	}
}

func TestManGeneratorHasUnitModel(t *testing.T) {
	page := runMan(t, "quadlaunch-generator.8")
	for _, want := range []string{".TH QUADLAUNCH-GENERATOR 8", "\n.SH UNITS\n", "\\fBA\\-migrate.service\\fR", "quadlaunch\\-user\\-generator",
		"\n.SS What the generator writes\n"} {
		if !strings.Contains(page, want) {
			t.Errorf("quadlaunch-generator(8) lacks %q", want)
		}
	}
}

func TestMarkdownSectionMissing(t *testing.T) {
	if _, err := markdownSection("# x\n## Other\ntext\n", "Config reference"); err == nil {
		t.Fatal("want an error for a missing section")
	}
}

func TestTablesToDefinitions(t *testing.T) {
	got := tablesToDefinitions("Intro\n\n| k | type | v |\n|---|---|---|\n| `x` | map | y \\| z `a|b` |\n\n```\n| not | a table |\n|---|---|\n```\n")
	want := "Intro\n\n`x`\n: map \u2014 y | z `a|b`\n\n\n```\n| not | a table |\n|---|---|\n```\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

// go-md2man's roff, with the hyphens a reader copies written as \-, and the
// roff requests of the page left alone.
func TestMarkdownToRoff(t *testing.T) {
	got := markdownToRoff("# T 1 \"2026-01-02\"\n\n## NAME\nt - a tool\n\n" +
		"Run `quadlaunch --user` on a **well-known** host.\n\n" +
		"```\n.dot first\nx --y\n```\n\n`key`\n: a value\n")
	for _, want := range []string{
		".TH T 1 \"2026-01-02\"\n",
		".SH NAME\nt \\- a tool\n",
		"Run \\fBquadlaunch \\-\\-user\\fR on a \\fBwell\\-known\\fP host.\n",
		".EX\n\\&.dot first\nx \\-\\-y\n.EE\n",
		".TP\n\\fBkey\\fR\na value\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("roff lacks %q:\n%s", want, got)
		}
	}
	if got := mdText("*a* _b_ `c` [d] <e> | - f\n- g\n:h"); got != "\\*a\\* \\_b\\_ \\`c\\` \\[d\\] \\<e\\> \\| - f\n\\- g\n\\:h" {
		t.Errorf("mdText = %q", got)
	}
	if r := markdownToRoff("# T 1\n\n" + mdText("*not emphasis* and [no link](x) - ok") + "\n"); !strings.Contains(r, "*not emphasis* and [no link](x) \\- ok") {
		t.Errorf("CLI text not literal:\n%s", r)
	}
}

// renderText is the page as man(1) shows it, in plain text (no hyphenation
// or justification to match against), or "" without man.
func renderText(t *testing.T, page string) string {
	t.Helper()
	if _, err := exec.LookPath("man"); err != nil {
		t.Log("man not installed (apt-get install man-db): rendered text not checked")
		return ""
	}
	p := filepath.Join(t.TempDir(), "page.1")
	if err := os.WriteFile(p, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("man", "-E", "UTF-8", "-l", p)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "MANWIDTH=1000", "MAN_KEEP_FORMATTING=", "MANPAGER=cat", "PAGER=cat")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("man -l: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ") // white space collapsed
}

// The pages render without warnings where man-db is installed (lintian runs the same check).
func TestManPagesRenderCleanly(t *testing.T) {
	if _, err := exec.LookPath("man"); err != nil {
		t.Skip("man not installed (apt-get install man-db)")
	}
	dir := t.TempDir()
	for page := range manPages {
		p := filepath.Join(dir, page)
		if err := os.WriteFile(p, []byte(runMan(t, page)), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", p)
		cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "MANWIDTH=80")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("man %s: %v: %s", page, err, stderr.String())
		}
	}
}

// The same sources and SOURCE_DATE_EPOCH give the same bytes (reproducible packages).
func TestManReproducible(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1764547200")
	d, err := manDate("")
	if err != nil || d != "2025-12-01" {
		t.Fatalf("manDate = %q, %v", d, err)
	}
	if d, _ := manDate("2026-01-02"); d != "2026-01-02" {
		t.Errorf("--date ignored: %q", d)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "")
	if d, _ := manDate(""); d != time.Now().UTC().Format("2006-01-02") {
		t.Errorf("default date %q", d)
	}
	for page := range manPages {
		if a, b := runMan(t, page), runMan(t, page); a != b {
			t.Errorf("%s differs between two runs", page)
		}
	}
}

// A tree of its own, so the test does not depend on which commands exist yet.
func TestManQuadlaunchTree(t *testing.T) {
	root := &cli.Command{
		Name: "quadlaunch", Usage: "u", Version: "1.0",
		Flags: []cli.Flag{&cli.StringFlag{Name: "root", Usage: "config root", Sources: cli.EnvVars("QUADLAUNCH_ROOT")}},
		Commands: []*cli.Command{
			{Name: "deploy", Usage: "roll out", ArgsUsage: "APP", Flags: []cli.Flag{&cli.IntFlag{Name: "keep", Value: 3, Usage: "versions to keep"}},
				Commands: []*cli.Command{{Name: "status", Usage: "deploy state"}}},
			{Name: "secret", Usage: "internal", Hidden: true},
		},
	}
	page, err := manQuadlaunch(root, "", "2026-01-02")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		".TH QUADLAUNCH 1 \"2026-01-02\" \"quadlaunch 1.0\" \"quadlaunch\"\n",
		".SS quadlaunch deploy\n\\fBquadlaunch deploy\\fP [\\fIOPTIONS\\fP] APP\n.br\nroll out\n",
		".TP\n\\fB\\-\\-keep\\fP \\fIINT\\fP\nversions to keep (default: 3)\n",
		".SS quadlaunch deploy status\n",
		".TP\n\\fBQUADLAUNCH_ROOT\\fP\nsame as \\-\\-root: config root\n",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "secret") {
		t.Errorf("hidden command documented:\n%s", page)
	}
}

func head(s string) string {
	if len(s) > 400 {
		return s[:400]
	}
	return s
}
