package units

import (
	"slices"
	"strings"
	"sync"
)

// unitBuilder writes one unit file in the format of podman's parser (the one
// Quadlet reads with: TestUnitFilesRoundTrip parses every planned file with it
// and gets the same bytes back) and refuses Quadlet keys the target Quadlet
// version does not know. It writes the text itself rather than through
// parser.UnitFile, which allocates an object per line and formats each with
// fmt: the generator renders hundreds of units at every boot, and its time
// and peak memory are targets.
type unitBuilder struct {
	ver    version
	header string   // comment lines written above the first group
	groups []string // group names, in order of first use (the parser's order)
	lines  []unitLine
	text   []byte // every line's "Key=value\n"
}

// unitLine is one line of the unit: its group (index into groups) and where
// its text is.
type unitLine struct{ group, start, end int }

// The builders' scratch space is reused: each unit's only allocation is then
// its final text.
var unitBuilders = sync.Pool{New: func() any { return new(unitBuilder) }}

func newUnit(ver version, header string) *unitBuilder {
	u := unitBuilders.Get().(*unitBuilder)
	u.ver, u.header = ver, header
	return u
}

// set adds a systemd (non-Quadlet) setting; value must already be escaped.
func (u *unitBuilder) set(group, key, value string) { u.add(group, key, value) }

func (u *unitBuilder) add(group, key, value string) {
	g := slices.Index(u.groups, group)
	if g < 0 {
		g = len(u.groups)
		u.groups = append(u.groups, group)
	}
	start := len(u.text)
	u.text = append(u.text, key...)
	u.text = append(u.text, '=')
	u.text = append(u.text, value...)
	u.text = append(u.text, '\n')
	u.lines = append(u.lines, unitLine{g, start, len(u.text)})
}

// quadlet adds a Quadlet setting if this Quadlet version knows it and reports
// whether it did; the caller falls back (PodmanArgs) or reports. The version
// table is keyed by "Group.Key", or "Group.Key=value" for a value newer than
// its key.
func (u *unitBuilder) quadlet(group, key, value string) bool {
	id := group + "." + key
	if quadletValueKeys[id] {
		if _, ok := quadletMin[id+"="+value]; ok {
			id += "=" + value
		}
	}
	if !u.ver.supports(id) {
		return false
	}
	u.add(group, key, value)
	return true
}

// bytes returns the unit's text and ends the builder (its scratch space goes
// back to the pool).
func (u *unitBuilder) bytes() []byte {
	var header []string
	for _, l := range strings.Split(u.header, "\n") {
		if l != "" {
			header = append(header, commentText(l))
		}
	}
	n := len(u.text) + 1
	for _, l := range header {
		n += len(l) + 3
	}
	for _, g := range u.groups {
		n += len(g) + 4
	}
	b := make([]byte, 0, n)
	for _, l := range header {
		b = append(b, "# "...)
		b = append(b, l...)
		b = append(b, '\n')
	}
	if len(header) > 0 {
		b = append(b, '\n')
	}
	for g, name := range u.groups {
		if g > 0 {
			b = append(b, '\n') // the parser puts an empty line between groups
		}
		b = append(b, '[')
		b = append(b, name...)
		b = append(b, "]\n"...)
		for _, l := range u.lines {
			if l.group == g {
				b = append(b, u.text[l.start:l.end]...)
			}
		}
	}
	*u = unitBuilder{groups: u.groups[:0], lines: u.lines[:0], text: u.text[:0]}
	unitBuilders.Put(u)
	return b
}

// commentText keeps a comment on one line.
func commentText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
