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
	if !strings.HasPrefix(page, ".TH QUADLAUNCH 1 2026-01-02 ") {
		t.Fatalf("header: %q", strings.SplitN(page, "\n", 2)[0])
	}
	for _, c := range newApp().Commands {
		want := `.SS "quadlaunch ` + roffEscape(c.Name) + `"`
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
	for _, want := range []string{`\fB\-\-root\fR`, `\fB\-\-user\fR`, ".B QUADLAUNCH_ROOT"} {
		if !strings.Contains(page, want) {
			t.Errorf("quadlaunch(1) lacks %q", want)
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
	for _, k := range keys {
		if want := ".TP\n\\fB" + roffEscape(k[1]) + "\\fR\n"; !strings.Contains(page, want) {
			t.Errorf("key %q missing from quadlaunch.yml(5)", k[1])
		}
	}
}

func TestManGeneratorHasUnitModel(t *testing.T) {
	page := runMan(t, "quadlaunch-generator.8")
	for _, want := range []string{".TH QUADLAUNCH-GENERATOR 8", ".SH UNITS", `\fBA\-migrate.service\fR`, "quadlaunch\\-user\\-generator"} {
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

func TestMarkdownToRoff(t *testing.T) {
	got := markdownToRoff("Intro `a-b` **c**\nmore\n\n| k | v |\n|---|---|\n| `x` | y \\| z |\n\n- item\n  cont\n\n```\n.dot\n```\n")
	want := ".PP\nIntro \\fBa\\-b\\fR \\fBc\\fR more\n" +
		".TP\n\\fBx\\fR\ny | z\n" +
		".IP \\(bu 2\nitem cont\n" +
		".PP\n.RS 2\n.nf\n\\&.dot\n.fi\n.RE\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
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
		".TH QUADLAUNCH 1 2026-01-02 \"quadlaunch 1.0\"",
		`.SS "quadlaunch deploy"` + "\n" + `\fBquadlaunch deploy\fR [\fIOPTIONS\fR] APP`,
		".TP\n\\fB\\-\\-keep\\fR \\fIINT\\fR\nversions to keep (default: 3)\n",
		`.SS "quadlaunch deploy status"`,
		".TP\n.B QUADLAUNCH_ROOT\nsame as \\-\\-root: config root\n",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "secret") {
		t.Errorf("hidden command documented:\n%s", page)
	}
}
