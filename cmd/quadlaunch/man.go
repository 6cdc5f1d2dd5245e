package main

// The hidden `man` command prints the packaged man pages. Nothing is written twice:
// quadlaunch(1) walks the CLI's own command tree, quadlaunch.yml(5) and
// quadlaunch-generator(8) are built from README.md's sections (the config reference
// tables and the unit model), which the packaging script passes with --readme.

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
	manHeader(&b, "QUADLAUNCH", "1", date, root.Version)
	b.WriteString(".SH NAME\nquadlaunch \\- " + roffText(root.Usage) + "\n")
	b.WriteString(".SH SYNOPSIS\n.B quadlaunch\n[\\fB\\-\\-root\\fR \\fIDIR\\fR] [\\fB\\-\\-user\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n")
	b.WriteString(".SH DESCRIPTION\n")
	b.WriteString("The helper CLI does what the systemd generator must not: it builds images through\n" +
		"the Podman API, drives units through systemd's D\\-Bus API, keeps a version history, rolls back, and\n" +
		"runs one\\-off commands with an app's environment. Apps are described by launcher\\-style configs,\n" +
		"see \\fBquadlaunch.yml\\fR(5); their units come from \\fBquadlaunch\\-generator\\fR(8).\n")
	if desc := strings.TrimSpace(root.Description); desc != "" {
		b.WriteString(".PP\n" + roffText(desc) + "\n")
	}
	b.WriteString(".SH GLOBAL OPTIONS\n")
	manFlags(&b, root.Flags, true)
	b.WriteString(".SH COMMANDS\n")
	for _, c := range root.Commands {
		manCommandSection(&b, c, "quadlaunch")
	}
	if env := manEnv(root); len(env) > 0 {
		b.WriteString(".SH ENVIRONMENT\n")
		for _, e := range env {
			b.WriteString(".TP\n.B " + roffText(e[0]) + "\n" + roffText(e[1]) + "\n")
		}
	}
	b.WriteString(".SH EXIT STATUS\n0 on success, 1 on errors, 2 on usage errors; 130 or 143 when SIGINT or SIGTERM ended the command.\n")
	b.WriteString(".SH FILES\n" +
		".TP\n.I /etc/quadlaunch/containers/APP.yml\nsystem apps (root), see \\fBquadlaunch.yml\\fR(5)\n" +
		".TP\n.I ~/.config/quadlaunch/containers/APP.yml\nuser apps (\\fB\\-\\-user\\fR, \\fBsystemctl \\-\\-user\\fR)\n" +
		".TP\n.I /usr/share/quadlaunch/templates/\nstock templates, looked up after the config root's templates/\n")
	b.WriteString(".SH SEE ALSO\n\\fBquadlaunch.yml\\fR(5), \\fBquadlaunch\\-generator\\fR(8), \\fBpodman\\-systemd.unit\\fR(5), \\fBsystemctl\\fR(1)\n")
	return b.String(), nil
}

func manCommandSection(b *strings.Builder, c *cli.Command, parent string) {
	if c.Hidden || c.Name == "help" {
		return
	}
	full := parent + " " + c.Name
	b.WriteString(".SS \"" + roffQuoted(full) + "\"\n")
	syn := "\\fB" + roffText(full) + "\\fR"
	if len(c.Flags) > 0 && !(len(c.Flags) == 1 && slices.Contains(c.Flags[0].Names(), "help")) {
		syn += " [\\fIOPTIONS\\fR]"
	}
	if c.ArgsUsage != "" {
		syn += " " + roffText(c.ArgsUsage)
	}
	b.WriteString(syn + "\n.br\n")
	if len(c.Aliases) > 0 {
		b.WriteString("Aliases: " + roffText(strings.Join(c.Aliases, ", ")) + ".\n.br\n")
	}
	b.WriteString(roffText(c.Usage) + "\n")
	if desc := strings.TrimSpace(c.Description); desc != "" {
		for _, para := range strings.Split(desc, "\n\n") {
			b.WriteString(".PP\n" + roffText(para) + "\n")
		}
	}
	if len(c.Flags) > 0 {
		b.WriteString(".RS\n")
		manFlags(b, c.Flags, false)
		b.WriteString(".RE\n")
	}
	for _, sub := range c.Commands {
		manCommandSection(b, sub, full)
	}
}

// manFlags renders flags as tagged paragraphs: names (and value placeholder), usage, default, env.
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
				names = append(names, "\\fB\\-"+roffText(n)+"\\fR")
			} else {
				names = append(names, "\\fB\\-\\-"+roffText(n)+"\\fR")
			}
		}
		tag := strings.Join(names, ", ")
		var usage, def string
		var env []string
		if df, ok := f.(cli.DocGenerationFlag); ok {
			if df.TakesValue() {
				tag += " \\fI" + roffText(strings.ToUpper(df.TypeName())) + "\\fR"
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
		b.WriteString(".TP\n" + tag + "\n" + roffText(usage))
		if def != "" && def != `""` {
			b.WriteString(" (default: " + roffText(def) + ")")
		}
		if len(env) > 0 {
			b.WriteString(" [env: " + roffText(strings.Join(env, ", ")) + "]")
		}
		b.WriteString("\n")
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
	manHeader(&b, "QUADLAUNCH.YML", "5", date, root.Version)
	b.WriteString(".SH NAME\nquadlaunch.yml \\- launcher\\-style container configs run by quadlaunch\n")
	b.WriteString(".SH SYNOPSIS\n.I /etc/quadlaunch/containers/APP.yml\n.br\n.I ~/.config/quadlaunch/containers/APP.yml\n.br\n.I /etc/quadlaunch/templates/*.yml\n.br\n.I /usr/share/quadlaunch/templates/*.yml\n")
	b.WriteString(".SH DESCRIPTION\n")
	b.WriteString(markdownToRoff(layout))
	b.WriteString(".SH KEYS\n")
	b.WriteString(markdownToRoff(ref))
	b.WriteString(".SH SEE ALSO\n\\fBquadlaunch\\fR(1), \\fBquadlaunch\\-generator\\fR(8), \\fBpodman\\-systemd.unit\\fR(5)\n")
	return b.String(), nil
}

// manGenerator renders quadlaunch-generator(8); the unit model and the secret
// handling come from README.md, the invocation facts from the generator's contract.
func manGenerator(root *cli.Command, readme string, date string) (string, error) {
	unitsSec, err := markdownSectionPrefix(readme, "Units for app")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	manHeader(&b, "QUADLAUNCH-GENERATOR", "8", date, root.Version)
	b.WriteString(".SH NAME\nquadlaunch\\-generator \\- turn launcher\\-style configs into Podman Quadlet units\n")
	b.WriteString(".SH SYNOPSIS\n.B /usr/lib/systemd/system\\-generators/quadlaunch\\-generator\n\\fInormal\\-dir\\fR [\\fIearly\\-dir\\fR \\fIlate\\-dir\\fR]\n" +
		".br\n.B /usr/lib/systemd/user\\-generators/quadlaunch\\-user\\-generator\n\\fInormal\\-dir\\fR [\\fIearly\\-dir\\fR \\fIlate\\-dir\\fR]\n")
	b.WriteString(".SH DESCRIPTION\n" +
		"A \\fBsystemd.generator\\fR(7). At boot and at every \\fBsystemctl daemon\\-reload\\fR it reads\n" +
		"\\fIcontainers/APP.yml\\fR under the config root (see \\fBquadlaunch.yml\\fR(5)) and writes Podman Quadlet\n" +
		"units, converted by the host's \\fBquadlet\\fR, plus oneshot migrate/configure units and a target per app\n" +
		"into \\fInormal\\-dir\\fR. Run from \\fIuser\\-generators/\\fR (a name containing \"user\") it generates\n" +
		"user units from \\fI$XDG_CONFIG_HOME/quadlaunch\\fR for \\fBsystemctl \\-\\-user\\fR.\n" +
		".PP\nOne bad config never stops the others: errors name \\fIfile:line\\fR and the key and are logged to the\n" +
		"kernel log (system) or the journal (user); the generator exits non\\-zero only when nothing could be done.\n" +
		"Check configs before a reload with \\fBquadlaunch validate\\fR.\n")
	b.WriteString(".SH UNITS\n")
	b.WriteString(markdownToRoff(unitsSec))
	b.WriteString(".SH ENVIRONMENT\n" +
		".TP\n.B QUADLAUNCH_ROOT\nconfig root instead of \\fI/etc/quadlaunch\\fR (system) or \\fI$XDG_CONFIG_HOME/quadlaunch\\fR (user)\n" +
		".TP\n.B QUADLAUNCH_QUADLET\nthe quadlet binary (default \\fI/usr/libexec/podman/quadlet\\fR)\n" +
		".TP\n.B QUADLAUNCH_BIN\nthe quadlaunch binary the migrate/configure units run (default \\fI/usr/bin/quadlaunch\\fR)\n")
	b.WriteString(".SH SEE ALSO\n\\fBquadlaunch\\fR(1), \\fBquadlaunch.yml\\fR(5), \\fBsystemd.generator\\fR(7), \\fBpodman\\-systemd.unit\\fR(5)\n")
	return b.String(), nil
}

func manHeader(b *strings.Builder, title, section, date, version string) {
	fmt.Fprintf(b, ".TH %s %s %s \"quadlaunch %s\" \"quadlaunch\"\n", title, section, date, roffQuoted(version))
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

// markdownToRoff converts the small Markdown subset the README uses: paragraphs,
// "### " headings, "- " lists, fenced code and pipe tables (rendered as tagged
// paragraphs: first column as the tag, the others joined).
func markdownToRoff(md string) string {
	var b strings.Builder
	var para []string
	flush := func() {
		if len(para) > 0 {
			b.WriteString(".PP\n" + roffText(strings.Join(para, " ")) + "\n")
			para = nil
		}
	}
	lines := strings.Split(md, "\n")
	var header []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "```"):
			flush()
			b.WriteString(".PP\n.RS 2\n.nf\n")
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
				b.WriteString(roffLine(roffEscape(lines[i])) + "\n")
			}
			b.WriteString(".fi\n.RE\n")
		case t == "":
			flush()
			header = nil
		case strings.HasPrefix(t, "### "):
			flush()
			b.WriteString(".SS \"" + roffQuoted(stripInline(t[4:])) + "\"\n")
		case strings.HasPrefix(t, "|"):
			flush()
			cells := tableCells(t)
			if header == nil {
				header = cells
				continue
			}
			if isTableRule(cells) {
				continue
			}
			tag := cells[0]
			rest := cells[1:]
			var body string
			if len(rest) == 2 && len(header) == 3 {
				body = rest[0] + " \u2014 " + rest[1]
			} else {
				body = strings.Join(rest, " \u2014 ")
			}
			b.WriteString(".TP\n" + roffText(tag) + "\n" + roffText(body) + "\n")
		case strings.HasPrefix(t, "- "):
			flush()
			item := []string{t[2:]}
			for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "  ") && strings.TrimSpace(lines[i+1]) != "" &&
				!strings.HasPrefix(strings.TrimSpace(lines[i+1]), "- ") {
				i++
				item = append(item, strings.TrimSpace(lines[i]))
			}
			b.WriteString(".IP \\(bu 2\n" + roffText(strings.Join(item, " ")) + "\n")
		default:
			para = append(para, t)
		}
	}
	flush()
	return b.String()
}

func tableCells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	row = strings.TrimSuffix(row, "|")
	// A pipe inside backticks or escaped as \| is content, not a column separator.
	var cells []string
	var cur strings.Builder
	inCode := false
	escaped := false
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
	return true
}

var (
	inlineCode = regexp.MustCompile("`([^`]*)`")
	inlineBold = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	inlineLink = regexp.MustCompile(`\[([^\]]+)\]\([^)]*\)`)
)

func stripInline(s string) string {
	s = inlineLink.ReplaceAllString(s, "$1")
	s = inlineBold.ReplaceAllString(s, "$1")
	return strings.ReplaceAll(s, "`", "")
}

// roffText escapes text for roff and turns `code` and **bold** into bold, links into their text.
func roffText(s string) string {
	s = inlineLink.ReplaceAllString(s, "$1")
	// Escape first, then add font escapes, so they are not escaped themselves.
	var out strings.Builder
	last := 0
	for _, m := range inlineCode.FindAllStringSubmatchIndex(s, -1) {
		out.WriteString(roffBold(s[last:m[0]]))
		out.WriteString("\\fB" + roffEscape(s[m[2]:m[3]]) + "\\fR")
		last = m[1]
	}
	out.WriteString(roffBold(s[last:]))
	return roffLine(out.String())
}

func roffBold(s string) string {
	var out strings.Builder
	last := 0
	for _, m := range inlineBold.FindAllStringSubmatchIndex(s, -1) {
		out.WriteString(roffEscape(s[last:m[0]]))
		out.WriteString("\\fB" + roffEscape(s[m[2]:m[3]]) + "\\fR")
		last = m[1]
	}
	out.WriteString(roffEscape(s[last:]))
	return out.String()
}

// roffEscape escapes backslashes and hyphens and maps typographic characters to roff glyphs.
func roffEscape(s string) string {
	r := strings.NewReplacer(
		`\`, `\e`,
		"-", `\-`,
		"\u2014", `\(em`,
		"\u2013", `\(en`,
		"\u2192", `\(->`,
		"\u2190", `\(<-`,
		"\u2026", `...`,
		"\u2018", `'`, "\u2019", `'`,
		"\u201c", `"`, "\u201d", `"`,
	)
	return r.Replace(s)
}

// roffLine protects a line that would start with a roff control character.
func roffLine(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}

// roffQuoted is text for a quoted macro argument: escaped, inner quotes doubled.
func roffQuoted(s string) string {
	return strings.ReplaceAll(roffEscape(s), `"`, `""`)
}
