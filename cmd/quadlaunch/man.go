package main

// The hidden `man` command prints the packaged man pages. Nothing is written twice:
// quadlaunch(1) walks the CLI's own command tree, quadlaunch.yml(5) and
// quadlaunch-generator(8) are built from README.md's sections (the config reference
// tables and the unit model), which the packaging script passes with --readme.
// Each page is put together as Markdown and converted to roff by go-md2man (the
// converter urfave/cli's docs tooling uses).

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cpuguy83/go-md2man/v2/md2man"
	"github.com/urfave/cli/v3"
)

func init() { commands = append(commands, manCommand()) }

// manPages maps a page name to its renderer; the name is what `man -l` files are called.
var manPages = map[string]func(root *cli.Command, readme string, date string) (string, error){
	"quadlaunch.1":           manQuadlaunch,
	"quadlaunch.yml.5":       manConfig,
	"quadlaunch-generator.8": manGenerator,
}

func manCommand() *cli.Command {
	return &cli.Command{
		Name:      "man",
		Hidden:    true,
		Usage:     "print a man page in roff (used by packaging)",
		ArgsUsage: "quadlaunch.1|quadlaunch.yml.5|quadlaunch-generator.8",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "readme", Value: "README.md", Usage: "README.md holding the config reference and unit model"},
			&cli.StringFlag{Name: "date", Usage: "page date (default: SOURCE_DATE_EPOCH, else today) for reproducible packages"},
		},
		Action: func(_ context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() != 1 {
				return cli.Exit("usage: quadlaunch man quadlaunch.1|quadlaunch.yml.5|quadlaunch-generator.8", 2)
			}
			name := cmd.Args().First()
			render, ok := manPages[name]
			if !ok {
				return cli.Exit(fmt.Sprintf("man: unknown page %q", name), 2)
			}
			var readme string
			if name != "quadlaunch.1" {
				b, err := os.ReadFile(cmd.String("readme"))
				if err != nil {
					return fmt.Errorf("man %s: %w", name, err)
				}
				readme = string(b)
			}
			date, err := manDate(cmd.String("date"))
			if err != nil {
				return err
			}
			page, err := render(cmd.Root(), readme, date)
			if err != nil {
				return fmt.Errorf("man %s: %w", name, err)
			}
			w := cmd.Root().Writer
			if w == nil {
				w = os.Stdout
			}
			_, err = io.WriteString(w, page)
			return err
		},
	}
}

// manDate: an explicit date, else SOURCE_DATE_EPOCH (reproducible builds), else today.
func manDate(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return "", fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
		}
		return time.Unix(sec, 0).UTC().Format("2006-01-02"), nil
	}
	return time.Now().UTC().Format("2006-01-02"), nil
}

// manQuadlaunch renders quadlaunch(1) from the command tree: every visible command
// (recursively) with its arguments, description and flags.
func manQuadlaunch(root *cli.Command, _ string, date string) (string, error) {
	var b strings.Builder
	manTitle(&b, "QUADLAUNCH", "1", date, root.Version)
	b.WriteString("## NAME\nquadlaunch - " + mdText(root.Usage) + "\n\n")
	b.WriteString("## SYNOPSIS\n**quadlaunch** \\[**--root** *DIR*\\] \\[**--user**\\] *COMMAND* \\[*OPTIONS*\\] \\[*ARGS*\\]\n\n")
	b.WriteString("## DESCRIPTION\n" +
		"The helper CLI does what the systemd generator must not: it builds images through\n" +
		"the Podman API, drives units through systemd's D-Bus API, keeps a version history, rolls back, and\n" +
		"runs one-off commands with an app's environment. Apps are described by launcher-style configs,\n" +
		"see **quadlaunch.yml**(5); their units come from **quadlaunch-generator**(8).\n\n")
	if desc := strings.TrimSpace(root.Description); desc != "" {
		b.WriteString(mdText(desc) + "\n\n")
	}
	b.WriteString("## GLOBAL OPTIONS\n")
	manFlags(&b, root.Flags, true)
	b.WriteString("## COMMANDS\n")
	for _, c := range root.Commands {
		manCommandSection(&b, c, "quadlaunch")
	}
	if env := manEnv(root); len(env) > 0 {
		b.WriteString("## ENVIRONMENT\n")
		for _, e := range env {
			b.WriteString("**" + mdText(e[0]) + "**\n: " + mdText(e[1]) + "\n\n")
		}
	}
	b.WriteString("## EXIT STATUS\n0 on success, 1 on errors, 2 on usage errors; 130 or 143 when SIGINT or SIGTERM ended the command.\n\n")
	b.WriteString("## FILES\n" +
		"*/etc/quadlaunch/containers/APP.yml*\n: system apps (root), see **quadlaunch.yml**(5)\n\n" +
		"*~/.config/quadlaunch/containers/APP.yml*\n: user apps (**--user**, **systemctl --user**)\n\n" +
		"*/usr/share/quadlaunch/templates/*\n: stock templates, looked up after the config root's templates/\n\n")
	b.WriteString("## SEE ALSO\n**quadlaunch.yml**(5), **quadlaunch-generator**(8), **podman-systemd.unit**(5), **systemctl**(1)\n")
	return markdownToRoff(b.String()), nil
}

func manCommandSection(b *strings.Builder, c *cli.Command, parent string) {
	if c.Hidden || c.Name == "help" {
		return
	}
	full := parent + " " + c.Name
	b.WriteString("### " + mdText(full) + "\n")
	syn := "**" + mdText(full) + "**"
	if len(c.Flags) > 0 && !(len(c.Flags) == 1 && slices.Contains(c.Flags[0].Names(), "help")) {
		syn += " \\[*OPTIONS*\\]"
	}
	if c.ArgsUsage != "" {
		syn += " " + mdText(c.ArgsUsage)
	}
	// Two trailing spaces: a line break (.br), not a new paragraph.
	b.WriteString(syn + "  \n")
	if len(c.Aliases) > 0 {
		b.WriteString("Aliases: " + mdText(strings.Join(c.Aliases, ", ")) + ".  \n")
	}
	b.WriteString(mdText(c.Usage) + "\n\n")
	if desc := strings.TrimSpace(c.Description); desc != "" {
		for _, para := range strings.Split(desc, "\n\n") {
			b.WriteString(mdText(para) + "\n\n")
		}
	}
	manFlags(b, c.Flags, false)
	for _, sub := range c.Commands {
		manCommandSection(b, sub, full)
	}
}

// manFlags renders flags as a definition list: names (and value placeholder),
// then usage, default and env.
func manFlags(b *strings.Builder, flags []cli.Flag, top bool) {
	for _, f := range flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		if slices.Contains(f.Names(), "help") && !top {
			continue // every command has it; the global options say it once
		}
		var names []string
		for _, n := range f.Names() {
			if len(n) == 1 {
				names = append(names, "**-"+mdText(n)+"**")
			} else {
				names = append(names, "**--"+mdText(n)+"**")
			}
		}
		tag := strings.Join(names, ", ")
		var usage, def string
		var env []string
		if df, ok := f.(cli.DocGenerationFlag); ok {
			if df.TakesValue() {
				tag += " *" + mdText(strings.ToUpper(df.TypeName())) + "*"
			}
			usage = df.GetUsage()
			if df.TakesValue() && df.IsDefaultVisible() {
				def = df.GetDefaultText()
				if def == "" {
					def = df.GetValue()
				}
			}
			env = df.GetEnvVars()
		}
		text := usage
		if def != "" && def != `""` {
			text += " (default: " + def + ")"
		}
		if len(env) > 0 {
			text += " [env: " + strings.Join(env, ", ") + "]"
		}
		b.WriteString(tag + "\n: " + mdText(text) + "\n\n")
	}
}

// manEnv collects the environment variables the flags read, with the flag's usage.
func manEnv(root *cli.Command) [][2]string {
	var out [][2]string
	seen := map[string]bool{}
	var walk func(c *cli.Command)
	walk = func(c *cli.Command) {
		if c.Hidden {
			return
		}
		for _, f := range c.Flags {
			df, ok := f.(cli.DocGenerationFlag)
			if !ok {
				continue
			}
			for _, e := range df.GetEnvVars() {
				if !seen[e] {
					seen[e] = true
					out = append(out, [2]string{e, "same as --" + f.Names()[0] + ": " + df.GetUsage()})
				}
			}
		}
		for _, s := range c.Commands {
			walk(s)
		}
	}
	walk(root)
	return out
}

// manConfig renders quadlaunch.yml(5) from README.md's "Layout of a config root" and
// "Config reference" sections.
func manConfig(root *cli.Command, readme string, date string) (string, error) {
	layout, err := markdownSection(readme, "Layout of a config root")
	if err != nil {
		return "", err
	}
	ref, err := markdownSection(readme, "Config reference")
	if err != nil {
		return "", err
	}
	if !strings.Contains(ref, "|") {
		return "", fmt.Errorf("README section %q has no table", "Config reference")
	}
	var b strings.Builder
	manTitle(&b, "QUADLAUNCH.YML", "5", date, root.Version)
	b.WriteString("## NAME\nquadlaunch.yml - launcher-style container configs run by quadlaunch\n\n")
	b.WriteString("## SYNOPSIS\n*/etc/quadlaunch/containers/APP.yml*  \n*~/.config/quadlaunch/containers/APP.yml*  \n" +
		"*/etc/quadlaunch/templates/\\*.yml*  \n*/usr/share/quadlaunch/templates/\\*.yml*\n\n")
	b.WriteString("## DESCRIPTION\n" + tablesToDefinitions(layout) + "\n\n")
	b.WriteString("## KEYS\n" + tablesToDefinitions(ref) + "\n\n")
	b.WriteString("## SEE ALSO\n**quadlaunch**(1), **quadlaunch-generator**(8), **podman-systemd.unit**(5)\n")
	return markdownToRoff(b.String()), nil
}

// manGenerator renders quadlaunch-generator(8); the unit model and the secret
// handling come from README.md, the invocation facts from the generator's contract.
func manGenerator(root *cli.Command, readme string, date string) (string, error) {
	unitsSec, err := markdownSectionPrefix(readme, "Units for app")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	manTitle(&b, "QUADLAUNCH-GENERATOR", "8", date, root.Version)
	b.WriteString("## NAME\nquadlaunch-generator - turn launcher-style configs into Podman Quadlet units\n\n")
	b.WriteString("## SYNOPSIS\n**/usr/lib/systemd/system-generators/quadlaunch-generator** *normal-dir* \\[*early-dir* *late-dir*\\]  \n" +
		"**/usr/lib/systemd/user-generators/quadlaunch-user-generator** *normal-dir* \\[*early-dir* *late-dir*\\]\n\n")
	b.WriteString("## DESCRIPTION\n" +
		"A **systemd.generator**(7). At boot and at every **systemctl daemon-reload** it reads\n" +
		"*containers/APP.yml* under the config root (see **quadlaunch.yml**(5)) and writes Podman Quadlet\n" +
		"units, converted by the host's **quadlet**, plus oneshot migrate/configure units and a target per app\n" +
		"into *normal-dir*. Run from *user-generators/* (a name containing \"user\") it generates\n" +
		"user units from *$XDG\\_CONFIG\\_HOME/quadlaunch* for **systemctl --user**.\n\n" +
		"One bad config never stops the others: errors name *file:line* and the key and are logged to the\n" +
		"kernel log (system) or the journal (user); the generator exits non-zero only when nothing could be done.\n" +
		"Check configs before a reload with **quadlaunch validate**.\n\n")
	b.WriteString("## UNITS\n" + tablesToDefinitions(unitsSec) + "\n\n")
	b.WriteString("## ENVIRONMENT\n" +
		"**QUADLAUNCH\\_ROOT**\n: config root instead of */etc/quadlaunch* (system) or *$XDG\\_CONFIG\\_HOME/quadlaunch* (user)\n\n" +
		"**QUADLAUNCH\\_QUADLET**\n: the quadlet binary (default */usr/libexec/podman/quadlet*)\n\n" +
		"**QUADLAUNCH\\_BIN**\n: the quadlaunch binary the migrate/configure units run (default */usr/bin/quadlaunch*)\n\n" +
		"**QUADLAUNCH\\_RUNTIME\\_DIR**\n: where the system generator keeps quadlet's version and its conversions between runs (default */run*: " +
		"*/run/quadlaunch/generator/*); the user generator keeps them under *$XDG\\_RUNTIME\\_DIR*\n\n")
	b.WriteString("## SEE ALSO\n**quadlaunch**(1), **quadlaunch.yml**(5), **systemd.generator**(7), **podman-systemd.unit**(5)\n")
	return markdownToRoff(b.String()), nil
}

// manTitle starts a page: go-md2man turns the first level-1 heading into .TH.
func manTitle(b *strings.Builder, title, section, date, version string) {
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `'`) + `"` }
	fmt.Fprintf(b, "# %s %s %s %s %s\n\n", title, section, q(date), q("quadlaunch "+version), q("quadlaunch"))
}

// mdText makes CLI text (usage strings, descriptions) literal Markdown: the
// characters Markdown gives a meaning are backslash-escaped.
func mdText(s string) string {
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		line = strings.TrimLeft(line, " \t") // no indented code blocks
		if line != "" && strings.ContainsRune("-+:=", rune(line[0])) {
			b.WriteByte('\\') // no list, definition or setext heading
		}
		for _, r := range line {
			if strings.ContainsRune("\\`*_[]<>|#", r) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// markdownToRoff converts with go-md2man, then writes each '-' in text as \-:
// go-md2man leaves it as is, which groff prints as a hyphen (U+2010), so an
// option or a command copied from the page would not work. Request lines
// (.TH, .SH, tbl's format lines) are left alone.
func markdownToRoff(md string) string {
	out := md2man.Render([]byte(md))
	var b strings.Builder
	for _, line := range strings.SplitAfter(string(out), "\n") {
		if strings.HasPrefix(line, ".") || strings.HasPrefix(line, "'") {
			b.WriteString(line)
			continue
		}
		for i := 0; i < len(line); i++ {
			switch c := line[i]; {
			case c == '\\' && i+1 < len(line):
				b.WriteString(line[i : i+2]) // an escape: \-, \\, \f, \( ... as they are
				i++
			case c == '-':
				b.WriteString(`\-`)
			default:
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}

// markdownSection returns the body of the "## title" section (up to the next "## ").
func markdownSection(md, title string) (string, error) {
	return findSection(md, func(h string) bool { return h == title }, title)
}

func markdownSectionPrefix(md, prefix string) (string, error) {
	return findSection(md, func(h string) bool { return strings.HasPrefix(h, prefix) }, prefix)
}

func findSection(md string, match func(string) bool, what string) (string, error) {
	lines := strings.Split(md, "\n")
	inCode := false
	for i, l := range lines {
		if strings.HasPrefix(l, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(l, "## ") || !match(strings.TrimSpace(l[3:])) {
			continue
		}
		end := len(lines)
		code := false
		for j := i + 1; j < len(lines); j++ {
			if strings.HasPrefix(lines[j], "```") {
				code = !code
			}
			if !code && strings.HasPrefix(lines[j], "## ") {
				end = j
				break
			}
		}
		return strings.Join(lines[i+1:end], "\n"), nil
	}
	return "", fmt.Errorf("README has no section %q", what)
}

// tablesToDefinitions rewrites the pipe tables of README Markdown as definition
// lists: the first column is the term, the others (joined by an em dash) its
// definition; go-md2man renders them as tagged paragraphs (.TP). go-md2man
// renders a table as tbl(1) and wraps a cell in T{ T} only when its first text
// is over 30 bytes, so the README's tables, whose cells start with code, come
// out wider than 80 columns (groff warns, and man wraps them badly).
func tablesToDefinitions(md string) string {
	lines := strings.Split(md, "\n")
	var out []string
	inCode := false
	for i := 0; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if strings.HasPrefix(t, "```") {
			inCode = !inCode
		}
		// A table: a row, a rule row, then rows.
		if inCode || !strings.HasPrefix(t, "|") || i+1 >= len(lines) || !isTableRule(tableCells(lines[i+1])) {
			out = append(out, lines[i])
			continue
		}
		i += 2
		for ; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i++ {
			cells := tableCells(lines[i])
			out = append(out, cells[0], ": "+strings.Join(cells[1:], " \u2014 "), "")
		}
		i--
	}
	return strings.Join(out, "\n")
}

// tableCells splits a table row. A pipe inside backticks or escaped as \| is
// content, not a column separator (and loses its backslash: outside a table it
// needs none).
func tableCells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	row = strings.TrimSuffix(row, "|")
	var cells []string
	var cur strings.Builder
	inCode, escaped := false, false
	for _, r := range row {
		switch {
		case escaped:
			if r != '|' {
				cur.WriteRune('\\')
			}
			cur.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped = true
		case r == '`':
			inCode = !inCode
			cur.WriteRune(r)
		case r == '|' && !inCode:
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

var tableRule = regexp.MustCompile(`^:?-+:?$`)

func isTableRule(cells []string) bool {
	for _, c := range cells {
		if !tableRule.MatchString(c) {
			return false
		}
	}
	return len(cells) > 0
}
