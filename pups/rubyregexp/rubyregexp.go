// Package rubyregexp translates the Ruby regex literals pups evaluates in a
// replace step (`from: /pattern/flags`) into regexp2 (.NET syntax) patterns
// that match the way Onigmo does, and refuses what it cannot translate
// faithfully. It does not import regexp2 (whose tables cost the generator
// about 10 ms at every boot): the generator checks syntax with it, and
// package pups compiles the translation. It imports nothing of quadlaunch's:
// it is the floor below the generator.
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
)

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

// Translation is a literal in regexp2's terms.
type Translation struct {
	Pattern    string // .NET syntax
	IgnoreCase bool   // /i
	Dotall     bool   // Ruby /m: regexp2.Singleline
	Extended   bool   // /x: regexp2.IgnorePatternWhitespace
	Named      bool   // named groups: plain groups do not capture (regexp2.ExplicitCapture)
	// ^ and $ are always line anchors: regexp2.Multiline, always.
}

// Translate parses a Ruby regex literal and checks its syntax.
func Translate(lit string) (Translation, error) {
	source, flags, err := split(lit)
	if err != nil {
		return Translation{}, err
	}
	pattern, named, err := translate(source, strings.Contains(flags, "x"))
	if err != nil {
		return Translation{}, fmt.Errorf("regex %s: %w", lit, err)
	}
	return Translation{Pattern: pattern, Named: named, IgnoreCase: strings.Contains(flags, "i"),
		Dotall: strings.Contains(flags, "m"), Extended: strings.Contains(flags, "x")}, nil
}

// Check reports what makes lit unusable: not a plain regex literal, Onigmo
// syntax without a faithful translation, or a syntax error Onigmo reports
// too (unbalanced parentheses, a quantifier with nothing to repeat, an empty
// class range). The generator calls it at boot; what else regexp2 would
// reject is reported by `quadlaunch validate` and the build.
func Check(lit string) error {
	_, err := Translate(lit)
	return err
}
