package pups

import (
	"fmt"
	"strings"

	"github.com/quadlaunch/quadlaunch/pups/rubyregexp"
)

// pattern is a replace step's `from`: a Ruby regex literal or plain text,
// searched in rune offsets like Ruby's String methods.
type pattern struct {
	re   *Regexp // nil: literal text
	text []rune
}

func compilePattern(from string) (*pattern, error) {
	if rubyregexp.IsLiteral(from) {
		re, err := compileRegexp(from)
		if err != nil {
			return nil, err
		}
		return &pattern{re: re}, nil
	}
	return &pattern{text: []rune(from)}, nil
}

// findAt is the first match at or after start.
func (p *pattern) findAt(s []rune, start int) (*Match, error) {
	if p.re != nil {
		return p.re.FindAt(s, start)
	}
	for i := start; i+len(p.text) <= len(s); i++ {
		if runesEqual(s[i:i+len(p.text)], p.text) {
			return literalMatch(i, i+len(p.text)), nil
		}
	}
	return nil, nil
}

// rindex is Ruby's String#rindex: the last position where a match starts.
func (p *pattern) rindex(s []rune) (int, error) {
	for i := len(s); i >= 0; i-- {
		if p.re != nil {
			m, err := p.re.MatchAt(s, i)
			if err != nil {
				return -1, err
			}
			if m != nil {
				return i, nil
			}
		} else if i+len(p.text) <= len(s) && runesEqual(s[i:i+len(p.text)], p.text) {
			return i, nil
		}
	}
	return -1, nil
}

func runesEqual(a, b []rune) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// substitute is Ruby's sub (global false) and gsub (global true). After an
// empty match the search moves on by one character, which is copied; after a
// non-empty match an empty match right at its end still counts ("abc" with
// /b*/ -> "-a--c-"), as in Onigmo and unlike Go's regexp.
func (p *pattern) substitute(s []rune, to string, global bool) (string, error) {
	var b strings.Builder
	last, pos := 0, 0
	for pos <= len(s) {
		m, err := p.findAt(s, pos)
		if err != nil {
			return "", err
		}
		if m == nil {
			break
		}
		b.WriteString(string(s[last:m.Start]))
		if err := p.expand(&b, to, s, m); err != nil {
			return "", err
		}
		last = m.End
		if !global {
			break
		}
		if m.End == m.Start {
			if m.Start >= len(s) {
				break
			}
			b.WriteRune(s[m.Start])
			last = m.Start + 1
		}
		pos = last
	}
	b.WriteString(string(s[min(last, len(s)):]))
	return b.String(), nil
}

// expand writes Ruby's replacement text for one match: \0 and \& the match,
// \1..\9 a group (nothing when the pattern has named groups: Ruby then does
// not number its groups), \k<name> a named group (an error when there is no
// such group, as in Ruby), \` and \' the text before and after the match, \\
// one backslash; any other backslash stays as written.
func (p *pattern) expand(b *strings.Builder, to string, s []rune, m *Match) error {
	for i := 0; i < len(to); i++ {
		c := to[i]
		if c != '\\' || i+1 == len(to) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := to[i]; {
		case e == '0' || e == '&':
			b.WriteString(string(s[m.Start:m.End]))
		case e >= '1' && e <= '9':
			if p.re != nil && !p.re.HasNamedGroups() {
				g, _ := m.Group(s, int(e-'0'))
				b.WriteString(g)
			}
		case e == 'k':
			end := strings.IndexByte(to[i:], '>')
			if i+1 >= len(to) || to[i+1] != '<' || end < 0 {
				b.WriteString(`\k`)
				continue
			}
			name := to[i+2 : i+end]
			n, ok := -1, false
			if p.re != nil {
				n, ok = m.Named(name)
			}
			if !ok {
				return fmt.Errorf("undefined group name reference: %s", name)
			}
			g, _ := m.Group(s, n)
			b.WriteString(g)
			i += end
		case e == '`':
			b.WriteString(string(s[:m.Start]))
		case e == '\'':
			b.WriteString(string(s[m.End:]))
		case e == '\\':
			b.WriteByte('\\')
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return nil
}

// ReplaceText is pups' replace step on a file's text: `from` is plain text or a
// Ruby regex literal, `to` a Ruby replacement string. global replaces every
// match (gsub); otherwise direction "reverse" replaces the last match and
// anything else the first (sub).
//
// Reverse is pups' exact arithmetic: with i the last match position (rindex),
// the result is text[0..i-1] + text[i..].sub(from, to), the sub running on the
// tail alone (so ^ and \A match at i, lookbehind sees nothing before it). In
// Ruby text[0..-1] is the whole text, so a last match at position 0 keeps the
// original text in front of the replaced one; no match at all is an error
// (pups fails with NoMethodError on nil).
func ReplaceText(text, from, to string, global bool, direction string) (string, error) {
	p, err := compilePattern(from)
	if err != nil {
		return "", err
	}
	s := []rune(text)
	switch {
	case global:
		return p.substitute(s, to, true)
	case direction == "reverse":
		i, err := p.rindex(s)
		if err != nil {
			return "", err
		}
		if i < 0 {
			return "", fmt.Errorf("direction reverse: %s does not occur (pups fails here too)", from)
		}
		tail, err := p.substitute(s[i:], to, false)
		if err != nil {
			return "", err
		}
		head := string(s[:i])
		if i == 0 {
			head = text // Ruby's text[0..-1]
		}
		return head + tail, nil
	}
	return p.substitute(s, to, false)
}
