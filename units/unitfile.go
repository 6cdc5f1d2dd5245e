package units

import (
	"bytes"
	"strings"
	"sync"

	"github.com/containers/podman/v5/pkg/systemd/parser"
)

// unitBuilder writes one unit file with podman's parser (the one Quadlet reads
// with) and refuses Quadlet keys the target Quadlet version does not know.
type unitBuilder struct {
	f      *parser.UnitFile
	ver    version
	header string // comment lines written above the first group
}

func newUnit(ver version, header string) *unitBuilder {
	return &unitBuilder{f: parser.NewUnitFile(), ver: ver, header: header}
}

// set adds a systemd (non-Quadlet) setting; value must already be escaped.
func (u *unitBuilder) set(group, key, value string) { u.f.Add(group, key, value) }

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
	u.f.Add(group, key, value)
	return true
}

func (u *unitBuilder) bytes() []byte {
	// A pooled scratch buffer and one exact-size copy: the generator renders
	// hundreds of units at every boot, and its peak memory is a target.
	b := unitBufs.Get().(*bytes.Buffer)
	defer unitBufs.Put(b)
	b.Reset()
	header := false
	for _, l := range strings.Split(u.header, "\n") {
		if l != "" {
			b.WriteString("# ")
			b.WriteString(commentText(l))
			b.WriteByte('\n')
			header = true
		}
	}
	if header {
		b.WriteByte('\n')
	}
	if err := u.f.Write(b); err != nil { // writes to a bytes.Buffer do not fail
		panic(err)
	}
	return bytes.Clone(b.Bytes())
}

var unitBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// commentText keeps a comment on one line.
func commentText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
