package units

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Three ways a value reaches systemd through a unit file, each with its own
// escaping. The parser Quadlet reads with (podman pkg/systemd/parser) is the
// reference; escape_test.go round-trips every form through it.
//
//  1. Words of a command line (Exec=, PodmanArgs=, ExecStart=, and the K=V
//     words of Label=/Environment=): Quadlet and systemd split them with C
//     unescaping and quote removal. quoteWord quotes; execEscape doubles % and
//     $ because Quadlet copies the words verbatim into ExecStart=, where
//     systemd expands %specifiers and $VARIABLES.
//  2. Raw values (Volume=, PublishPort=, HealthCmd=, ...): Quadlet takes the
//     text as one word, without unquoting or unescaping, so it cannot carry a
//     newline, leading/trailing space or quotes, or a trailing backslash
//     (a line continuation). rawValue checks that and escapes % and $.
//  3. Plain systemd settings that expand specifiers only (Description=,
//     EnvironmentFile=, unit names): specifierEscape.

// execEscape doubles the characters systemd expands in ExecStart= words.
func execEscape(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	return strings.ReplaceAll(s, "$", "$$")
}

// specifierEscape doubles % for settings that expand specifiers.
func specifierEscape(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// quoteWord quotes one word so that systemd's and Quadlet's word splitter
// (extract_first_word with unquoting and C unescaping) return it unchanged.
// It does not touch % or $ (see execEscape).
func quoteWord(w string) string {
	if w != "" && !strings.ContainsFunc(w, wordNeedsQuote) {
		return w
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range w {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func wordNeedsQuote(r rune) bool {
	return r <= ' ' || r == 0x7f || r == '"' || r == '\'' || r == '\\'
}

// commandLine renders args as one command-line value (Exec=, PodmanArgs=,
// ExecStart=): each word quoted and % and $ doubled. It refuses what cannot
// survive the trip: empty words (Quadlet's splitter drops them), a lone ";"
// (systemd's command separator) and invalid UTF-8.
func commandLine(args []string) (string, error) {
	words := make([]string, len(args))
	for i, a := range args {
		switch {
		case a == "":
			return "", fmt.Errorf("argument %d is empty, which a unit file cannot pass on", i+1)
		case a == ";":
			return "", fmt.Errorf("argument %d is a lone \";\", which systemd reads as a command separator", i+1)
		case !utf8.ValidString(a):
			return "", fmt.Errorf("argument %d is not valid UTF-8", i+1)
		case strings.ContainsRune(a, 0):
			return "", fmt.Errorf("argument %d contains a NUL byte", i+1)
		}
		words[i] = quoteWord(execEscape(a))
	}
	return strings.Join(words, " "), nil
}

// keyValueWord renders one NAME=VALUE word for Label= and Environment=.
func keyValueWord(name, value string) (string, error) {
	if name == "" || strings.ContainsAny(name, "=\n") {
		return "", fmt.Errorf("name %q cannot contain '=' or a newline and must not be empty", name)
	}
	s, err := commandLine([]string{name + "=" + value})
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// rawValue renders a value Quadlet passes on as a single word without
// unquoting (see form 2 above).
func rawValue(s string) (string, error) {
	switch {
	case s == "":
		return "", fmt.Errorf("value is empty")
	case strings.ContainsAny(s, "\n\r\x00"):
		return "", fmt.Errorf("value %q contains a newline or NUL, which this setting cannot hold", s)
	case strings.TrimSpace(s) != s:
		return "", fmt.Errorf("value %q starts or ends with white space, which the unit parser strips", s)
	case strings.HasPrefix(s, `"`) || strings.HasSuffix(s, `"`):
		return "", fmt.Errorf("value %q starts or ends with a double quote, which Quadlet strips", s)
	case strings.HasSuffix(s, `\`):
		return "", fmt.Errorf("value %q ends with a backslash, which the unit parser reads as a line continuation", s)
	case !utf8.ValidString(s):
		return "", fmt.Errorf("value %q is not valid UTF-8", s)
	}
	return execEscape(s), nil
}

// lineValue renders a plain systemd setting value that expands specifiers
// (Description=, EnvironmentFile=): newlines are replaced, % doubled.
func lineValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, `\`)
	return specifierEscape(s)
}
