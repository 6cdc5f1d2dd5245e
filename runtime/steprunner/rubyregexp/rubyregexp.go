// Package rubyregexp compiles the Ruby regex literals pups evaluates in a
// replace step (`from: /pattern/flags`) into regexp2 patterns that match the
// way Onigmo does, and refuses what it cannot translate faithfully.
//
// pups turns a `from` that starts with "/" into a Regexp with Ruby's eval.
// regexp2 speaks .NET syntax, which shares lookaround, backreferences, atomic
// groups and possessive quantifiers with Onigmo but differs in details this
// package translates:
//
//   - ^ and $ are always line anchors in Ruby (regexp2.Multiline);
//   - Ruby's /m is .NET's Singleline (dot matches newline), also inline: (?m) -> (?s);
//   - \d \w \s \h are ASCII in Ruby (\s includes \v), Unicode in .NET: spelled out;
//   - \h/\H (hex digit) and \R (line break) do not exist in .NET: spelled out;
//   - {,n} means {0,n} in Ruby and is literal text in .NET;
//   - with named groups, Ruby's plain (...) groups do not capture (regexp2.ExplicitCapture);
//   - POSIX brackets ([[:alpha:]]) are Unicode classes in Ruby: mapped to \p{..}.
//
// Things it cannot express (\K, \X, \g<name> calls, absence operator, class
// intersection, #{} interpolation) are errors, so a config that uses them is
// refused when it loads rather than at build step N.
package rubyregexp

import (
	"fmt"
	"strings"
	"sync"

	"github.com/dlclark/regexp2/v2"
)

// Regexp is a compiled Ruby regex literal.
type Regexp struct {
	Literal string // as written: /source/flags
	re      *regexp2.Regexp
	anchor  *regexp2.Regexp // \G(?:source): matches only at the start position (rindex)
	named   bool            // has named groups: Ruby's \1..\9 in a replacement then expand to nothing
}

// IsLiteral reports whether pups evaluates s as a Ruby regex literal: it does
// for every `from` that starts with "/".
func IsLiteral(s string) bool { return strings.HasPrefix(s, "/") }

// split parses "/source/flags". Ruby's lexer ends the literal at the first
// unescaped "/"; anything after the flags would be more Ruby code, which eval
// runs and we refuse.
func split(lit string) (source, flags string, err error) {
	if !IsLiteral(lit) {
		return "", "", fmt.Errorf("%q is not a regex literal (it must start with /)", lit)
	}
	end := -1
	for i := 1; i < len(lit); i++ {
		if lit[i] == '\\' {
			i++
			continue
		}
		if lit[i] == '/' {
			end = i
			break
		}
	}
	if end < 0 {
		return "", "", fmt.Errorf("pups evaluates a value starting with / as a Ruby regex literal, and %q has no closing /", lit)
	}
	source, flags = lit[1:end], lit[end+1:]
	for _, f := range flags {
		if !strings.ContainsRune("imxonesu", f) {
			return "", "", fmt.Errorf("pups evaluates a value starting with / as Ruby code, and %q is not just a regex literal (unexpected %q after the closing /)", lit, flags)
		}
	}
	return source, flags, nil
}

var cache sync.Map // literal -> compiled (*Regexp or error): templates share patterns across apps

type cached struct {
	re  *Regexp
	err error
}

// Compile translates and compiles a Ruby regex literal. Results are cached by
// literal: the generator checks the same template patterns for every app.
func Compile(lit string) (*Regexp, error) {
	if c, ok := cache.Load(lit); ok {
		return c.(cached).re, c.(cached).err
	}
	re, err := compile(lit)
	cache.Store(lit, cached{re, err})
	return re, err
}

// Check reports whether lit is a regex literal this package can run as
// Onigmo would.
func Check(lit string) error {
	_, err := Compile(lit)
	return err
}

func compile(lit string) (*Regexp, error) {
	source, flags, err := split(lit)
	if err != nil {
		return nil, err
	}
	pattern, named, err := translate(source)
	if err != nil {
		return nil, fmt.Errorf("regex %s: %w", lit, err)
	}
	opts := regexp2.Multiline
	if strings.Contains(flags, "i") {
		opts |= regexp2.IgnoreCase
	}
	if strings.Contains(flags, "m") {
		opts |= regexp2.Singleline
	}
	if strings.Contains(flags, "x") {
		opts |= regexp2.IgnorePatternWhitespace
	}
	if named {
		opts |= regexp2.ExplicitCapture
	}
	re, err := regexp2.Compile(pattern, opts)
	if err != nil {
		return nil, fmt.Errorf("regex %s: %v", lit, err)
	}
	end := ")"
	if opts&regexp2.IgnorePatternWhitespace != 0 {
		end = "\n)" // ends a trailing # comment before the group closes
	}
	anchor, err := regexp2.Compile(`\G(?:`+pattern+end, opts)
	if err != nil {
		return nil, fmt.Errorf("regex %s: %v", lit, err)
	}
	return &Regexp{Literal: lit, re: re, anchor: anchor, named: named}, nil
}

// Match is one match: rune offsets into the searched text.
type Match struct {
	Start, End int
	groups     [][2]int // by number; {-1,-1}: did not participate
	names      map[string]int
}

// Group is group n's text, and whether it participated.
func (m *Match) Group(text []rune, n int) (string, bool) {
	if n < 0 || n >= len(m.groups) || m.groups[n][0] < 0 {
		return "", false
	}
	return string(text[m.groups[n][0]:m.groups[n][1]]), true
}

// Named is the number of the group called name, if there is one.
func (m *Match) Named(name string) (int, bool) {
	n, ok := m.names[name]
	return n, ok
}

// HasNamedGroups reports whether Ruby disables numbered captures for this pattern.
func (r *Regexp) HasNamedGroups() bool { return r.named }

// FindAt finds the first match starting at or after rune offset start; the
// pattern still sees the text before start (lookbehind, \b), as in Ruby's gsub.
func (r *Regexp) FindAt(text []rune, start int) (*Match, error) {
	return r.find(r.re, text, start)
}

// MatchAt matches only at rune offset at (Ruby's rindex tries positions from the end).
func (r *Regexp) MatchAt(text []rune, at int) (*Match, error) {
	return r.find(r.anchor, text, at)
}

func (r *Regexp) find(re *regexp2.Regexp, text []rune, start int) (*Match, error) {
	m, err := re.FindRunesMatchStartingAt(text, start)
	if err != nil || m == nil {
		return nil, err
	}
	out := &Match{Start: m.RuneIndex, End: m.RuneIndex + m.RuneLength}
	nums := re.GetGroupNumbers()
	max := 0
	for _, n := range nums {
		max = maxInt(max, n)
	}
	out.groups = make([][2]int, max+1)
	for i := range out.groups {
		out.groups[i] = [2]int{-1, -1}
	}
	for _, n := range nums {
		if g := m.GroupByNumber(n); g != nil && len(g.Captures) > 0 {
			out.groups[n] = [2]int{g.RuneIndex, g.RuneIndex + g.RuneLength}
		}
	}
	for _, name := range re.GetGroupNames() {
		if n := re.GroupNumberFromName(name); fmt.Sprint(n) != name {
			if out.names == nil {
				out.names = map[string]int{}
			}
			out.names[name] = n
		}
	}
	return out, nil
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// LiteralMatch is a match of plain text (a `from` that is not a regex): it has
// group 0 only and no names.
func LiteralMatch(start, end int) *Match {
	return &Match{Start: start, End: end, groups: [][2]int{{start, end}}}
}
