package rubyregexp

import (
	"fmt"
	"strings"
)

// ASCII classes Onigmo uses for Ruby's \d \w \s \h (\s has \v since Ruby 2.2).
const (
	digitClass = `0-9`
	wordClass  = `a-zA-Z0-9_`
	spaceClass = ` \t\n\x0B\f\r`
	hexClass   = `0-9a-fA-F`
)

// posixClasses maps Ruby's POSIX brackets, which are Unicode-aware on UTF-8
// strings, to .NET class items.
var posixClasses = map[string]string{
	"alpha":  `\p{L}\p{M}`,
	"alnum":  `\p{L}\p{M}\p{Nd}`,
	"digit":  `\p{Nd}`,
	"upper":  `\p{Lu}`,
	"lower":  `\p{Ll}`,
	"space":  `\s`,
	"blank":  ` \t`,
	"punct":  `\p{P}`,
	"cntrl":  `\p{Cc}`,
	"xdigit": hexClass,
	"word":   `\w`,
}

// translate rewrites Onigmo (Ruby) syntax into regexp2's .NET syntax; named
// reports whether the pattern has named groups.
func translate(src string, extended bool) (out string, named bool, err error) {
	var b strings.Builder
	rs := []rune(src)
	inClass := false
	classStart := 0 // index in rs of the first item of the current class
	depth := 0      // open groups
	// canRepeat: a quantifier here has a target (Onigmo's "target of repeat
	// operator is not specified" otherwise).
	canRepeat := false
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		if !inClass {
			switch {
			case c == '*' || c == '+' || c == '?':
				if !canRepeat {
					return "", false, fmt.Errorf("target of repeat operator is not specified")
				}
			case c == '|':
				canRepeat = false
			case c == ')':
				if depth == 0 {
					return "", false, fmt.Errorf("unmatched close parenthesis")
				}
				depth--
				canRepeat = true
			case c == '^' || c == '$':
				canRepeat = false
			case extended && (c == ' ' || c == '\t' || c == '\n' || c == '#'):
				// /x layout: no atom
			case c == '(' || c == '[' || c == '{' || c == '\\':
				// set below
			default:
				canRepeat = true
			}
		}
		switch {
		case c == '\\':
			if i+1 >= len(rs) {
				return "", false, fmt.Errorf("trailing backslash")
			}
			i++
			e := rs[i]
			if inClass {
				if err := classEscape(&b, e); err != nil {
					return "", false, err
				}
				continue
			}
			canRepeat = !strings.ContainsRune("AzZbBG", e)
			switch e {
			case 'd':
				b.WriteString("[" + digitClass + "]")
			case 'D':
				b.WriteString("[^" + digitClass + "]")
			case 'w':
				b.WriteString("[" + wordClass + "]")
			case 'W':
				b.WriteString("[^" + wordClass + "]")
			case 's':
				b.WriteString("[" + spaceClass + "]")
			case 'S':
				b.WriteString("[^" + spaceClass + "]")
			case 'h':
				b.WriteString("[" + hexClass + "]")
			case 'H':
				b.WriteString("[^" + hexClass + "]")
			case 'R':
				b.WriteString(`(?>\r\n|[\n\x0B\f\r\u0085\u2028\u2029])`)
			case 'K', 'X', 'g', 'y', 'Y':
				return "", false, fmt.Errorf(`\%c is not supported (no .NET equivalent)`, e)
			case 'k':
				if i+1 < len(rs) && (rs[i+1] == '<' || rs[i+1] == '\'') {
					b.WriteString(`\k`)
				} else {
					return "", false, fmt.Errorf(`\k must be followed by <name>`)
				}
			case 'A', 'z', 'Z', 'b', 'B', 'G', 't', 'n', 'r', 'f', 'v', 'a', 'e', 'x', 'u', 'c', 'p', 'P',
				'0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
				b.WriteRune('\\')
				b.WriteRune(e)
			default:
				writeLiteral(&b, e) // Ruby: an unknown escape is the character itself
			}
		case inClass:
			switch {
			case c == ']' && i > classStart:
				inClass = false
				b.WriteRune(c)
			case c == '[' && i+1 < len(rs) && rs[i+1] == ':':
				end := strings.Index(string(rs[i:]), ":]")
				if end < 0 {
					return "", false, fmt.Errorf("unterminated POSIX bracket")
				}
				name := string(rs[i+2 : i+end])
				cls, ok := posixClasses[name]
				if !ok {
					return "", false, fmt.Errorf("POSIX bracket [:%s:] is not supported", name)
				}
				b.WriteString(cls)
				i += len([]rune(string(rs[i:])[:end+2])) - 1
			case c == '[':
				return "", false, fmt.Errorf("nested character classes are not supported")
			case c == '&' && i+1 < len(rs) && rs[i+1] == '&':
				return "", false, fmt.Errorf("character class intersection (&&) is not supported")
			case c == '-' && i > classStart && i+1 < len(rs) && rs[i+1] != ']' && rs[i+1] != '\\' && rs[i-1] != '\\' && rs[i+1] < rs[i-1]:
				return "", false, fmt.Errorf("empty range in char class: %c-%c", rs[i-1], rs[i+1])
			default:
				b.WriteRune(c)
			}
		case c == '[':
			canRepeat = true
			inClass = true
			b.WriteRune(c)
			classStart = i + 1
			if classStart < len(rs) && rs[classStart] == '^' {
				b.WriteRune('^')
				i++
				classStart++
			}
		case c == '(':
			n, isNamed, err := group(&b, rs, i)
			if err != nil {
				return "", false, err
			}
			named = named || isNamed
			if i+1 < len(rs) && rs[i+1] == '?' && i+2 < len(rs) && rs[i+2] == '#' {
				i = n // a comment opens no group
				continue
			}
			if optionsOnly(rs[i:]) {
				// (?imx) sets options and opens no group
				b.WriteRune(')')
				i = n + 1
				canRepeat = false
				continue
			}
			depth++
			canRepeat = false
			i = n
		case c == '{' && i+1 < len(rs) && rs[i+1] == ',':
			// Ruby's {,n} is {0,n}; .NET would read it as text.
			j := i + 2
			for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
				j++
			}
			if j > i+2 && j < len(rs) && rs[j] == '}' {
				if !canRepeat {
					return "", false, fmt.Errorf("target of repeat operator is not specified")
				}
				b.WriteString("{0,")
				i++
			} else {
				b.WriteString(`\{`)
			}
		case c == '#' && i+1 < len(rs) && (rs[i+1] == '{' || rs[i+1] == '@' || rs[i+1] == '$'):
			//lint:ignore ST1005 "Ruby" is a proper noun; the message is part of validate's output
			return "", false, fmt.Errorf("Ruby interpolation (#%c) is not supported", rs[i+1])
		case c == '#' && extended:
			// a /x comment runs to the end of the line: copied, not parsed
			for ; i < len(rs) && rs[i] != '\n'; i++ {
				b.WriteRune(rs[i])
			}
			if i < len(rs) {
				b.WriteRune('\n')
			}
		default:
			b.WriteRune(c)
		}
	}
	if inClass {
		return "", false, fmt.Errorf("premature end of char-class")
	}
	if depth > 0 {
		return "", false, fmt.Errorf("end pattern with unmatched parenthesis")
	}
	return b.String(), named, nil
}

// classEscape translates an escape inside [...].
func classEscape(b *strings.Builder, e rune) error {
	switch e {
	case 'd':
		b.WriteString(digitClass)
	case 'w':
		b.WriteString(wordClass)
	case 's':
		b.WriteString(spaceClass)
	case 'h':
		b.WriteString(hexClass)
	case 'D', 'W', 'S', 'H':
		return fmt.Errorf(`\%c inside a character class is not supported`, e)
	case 't', 'n', 'r', 'f', 'v', 'a', 'e', 'x', 'u', 'c', 'p', 'P', 'b',
		'0', '1', '2', '3', '4', '5', '6', '7':
		b.WriteRune('\\')
		b.WriteRune(e)
	default:
		writeLiteral(b, e)
	}
	return nil
}

func writeLiteral(b *strings.Builder, c rune) {
	if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c > 0x7f {
		b.WriteRune(c)
		return
	}
	b.WriteRune('\\')
	b.WriteRune(c)
}

// group translates the opening of a group at rs[i] == '(' and returns the
// index of its last rune consumed.
func group(b *strings.Builder, rs []rune, i int) (int, bool, error) {
	if i+1 >= len(rs) || rs[i+1] != '?' {
		b.WriteRune('(')
		return i, false, nil
	}
	rest := string(rs[i+2:])
	switch {
	case strings.HasPrefix(rest, "<=") || strings.HasPrefix(rest, "<!"):
		b.WriteString("(?" + rest[:2])
		return i + 3, false, nil
	case strings.HasPrefix(rest, "<") || strings.HasPrefix(rest, "'"):
		closer := ">"
		if rest[0] == '\'' {
			closer = "'"
		}
		end := strings.Index(rest[1:], closer)
		if end < 0 {
			return 0, false, fmt.Errorf("invalid group name")
		}
		b.WriteString("(?" + rest[:end+2])
		return i + 1 + len([]rune(rest[:end+2])), true, nil
	case strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "=") || strings.HasPrefix(rest, "!") || strings.HasPrefix(rest, ">"):
		b.WriteString("(?" + rest[:1])
		return i + 2, false, nil
	case strings.HasPrefix(rest, "~"):
		return 0, false, fmt.Errorf("the absence operator (?~...) is not supported")
	case strings.HasPrefix(rest, "#"):
		// comment: copy through the closing parenthesis untouched
		end := strings.IndexRune(rest, ')')
		if end < 0 {
			return 0, false, fmt.Errorf("end pattern in group")
		}
		b.WriteString("(?" + rest[:end+1])
		return i + 1 + len([]rune(rest[:end+1])), false, nil
	}
	// Option groups: (?imx-imx) and (?imx-imx:...). Ruby's m is .NET's s.
	j := i + 2
	for j < len(rs) && strings.ContainsRune("imx-", rs[j]) {
		j++
	}
	if j > i+2 && j < len(rs) && (rs[j] == ')' || rs[j] == ':') {
		b.WriteString("(?")
		for _, o := range rs[i+2 : j] {
			if o == 'm' {
				o = 's'
			}
			b.WriteRune(o)
		}
		return j - 1, false, nil
	}
	b.WriteString("(?")
	return i + 1, false, nil
}

// optionsOnly reports whether rs starts with an option group such as (?i) or (?-mx).
func optionsOnly(rs []rune) bool {
	if len(rs) < 4 || rs[0] != '(' || rs[1] != '?' {
		return false
	}
	for j := 2; j < len(rs); j++ {
		switch {
		case rs[j] == ')':
			return j > 2
		case !strings.ContainsRune("imx-", rs[j]):
			return false
		}
	}
	return false
}
