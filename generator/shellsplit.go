package generator

import (
	"fmt"
	"strings"
)

// splitCommand splits s into words the way a POSIX shell would quote them
// (whitespace separates; '...' is literal; "..." allows \" \\ \$ \`;
// a backslash outside quotes escapes the next character) but expands
// nothing. With strict set, unquoted shell operators and expansions
// (| & ; < > ( ) $ `) are an error rather than a silently literal argument:
// write the command as a list, e.g. [sh, -c, "a | b"], to get a shell.
func splitCommand(s string, strict bool) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\\':
			inWord = true
			if i+1 < len(s) {
				i++
				if s[i] != '\n' { // backslash-newline is a line continuation
					cur.WriteByte(s[i])
				}
			}
		case c == '\'':
			inWord = true
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated ' quote")
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case c == '"':
			inWord = true
			closed := false
			for i++; i < len(s); i++ {
				if s[i] == '"' {
					closed = true
					break
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
					i++
					if s[i] != '\n' {
						cur.WriteByte(s[i])
					}
					continue
				}
				if strict && (s[i] == '$' || s[i] == '`') {
					return nil, fmt.Errorf("%q would be expanded by a shell; quadlaunch runs no shell here (write the command as a list)", s[i:i+1])
				}
				cur.WriteByte(s[i])
			}
			if !closed {
				return nil, fmt.Errorf("unterminated \" quote")
			}
		case strict && strings.IndexByte("|&;<>()$`", c) >= 0:
			return nil, fmt.Errorf("shell syntax %q needs a shell; quadlaunch runs no shell here (write the command as a list, e.g. [sh, -c, \"...\"])", string(c))
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
