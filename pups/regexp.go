package pups

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/dlclark/regexp2/v2"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/pups/rubyregexp"
)

// Regexp is a compiled Ruby regex literal.
type Regexp struct {
	Literal string // as written: /source/flags
	re      *regexp2.Regexp
	named   bool // has named groups: Ruby's \1..\9 in a replacement then expand to nothing

	// anchored is \G(?:source), matching only at the start position (rindex);
	// compiled on first use, so checking a config compiles each pattern once.
	anchoredOnce sync.Once
	anchored     *regexp2.Regexp
	anchoredErr  error
	anchoredText string
	options      regexp2.RegexOptions
}

var regexpCache sync.Map // literal -> compiled (*Regexp or error): templates share patterns across apps

type cachedRegexp struct {
	re  *Regexp
	err error
}

// compileRegexp translates and compiles a Ruby regex literal. Results are cached by
// literal: the generator checks the same template patterns for every app.
func compileRegexp(lit string) (*Regexp, error) {
	if c, ok := regexpCache.Load(lit); ok {
		return c.(cachedRegexp).re, c.(cachedRegexp).err
	}
	re, err := compile(lit)
	regexpCache.Store(lit, cachedRegexp{re, err})
	return re, err
}

func compile(lit string) (*Regexp, error) {
	tr, err := rubyregexp.Translate(lit)
	if err != nil {
		return nil, err
	}
	opts := regexp2.Multiline
	if tr.IgnoreCase {
		opts |= regexp2.IgnoreCase
	}
	if tr.Dotall {
		opts |= regexp2.Singleline
	}
	if tr.Extended {
		opts |= regexp2.IgnorePatternWhitespace
	}
	if tr.Named {
		opts |= regexp2.ExplicitCapture
	}
	re, err := regexp2.Compile(tr.Pattern, opts)
	if err != nil {
		return nil, fmt.Errorf("regex %s: %v", lit, err)
	}
	end := ")"
	if tr.Extended {
		end = "\n)" // ends a trailing # comment before the group closes
	}
	return &Regexp{Literal: lit, re: re, named: tr.Named, anchoredText: `\G(?:` + tr.Pattern + end, options: opts}, nil
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
	r.anchoredOnce.Do(func() { r.anchored, r.anchoredErr = regexp2.Compile(r.anchoredText, r.options) })
	if r.anchoredErr != nil {
		return nil, fmt.Errorf("regex %s: %v", r.Literal, r.anchoredErr)
	}
	return r.find(r.anchored, text, at)
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
func literalMatch(start, end int) *Match {
	return &Match{Start: start, End: end, groups: [][2]int{{start, end}}}
}

// PatternProblems compiles every regex `from` of app's steps and hooks with
// regexp2, as a build will: `quadlaunch validate` reports what the
// generator's cheaper syntax check (rubyregexp.Check) lets through.
func PatternProblems(app *generator.App) []error {
	var errs []error
	check := func(steps []generator.Step) {
		for _, s := range steps {
			if s.Kind != generator.StepReplace || !rubyregexp.IsLiteral(s.From) {
				continue
			}
			if _, err := compileRegexp(s.From); err != nil {
				errs = append(errs, &generator.ConfigError{Diagnostic: generator.Diagnostic{Pos: s.Pos, Key: "replace.from", Msg: err.Error()}})
			}
		}
	}
	check(app.Run)
	for _, name := range slices.Sorted(maps.Keys(app.Hooks)) {
		check(app.Hooks[name])
	}
	return errs
}
