package versions

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteTable(t *testing.T) {
	var out bytes.Buffer
	vs := []Version{
		{Version: "20261206-101010", ImageID: "0123456789abcdef", Created: "2026-12-06T10:10:10Z", ConfigDigest: "sha256:0123456789abcdef", BaseDigest: "sha256:fedcba9876543210ff", Previous: true},
		{Version: "20261206-111111", ImageID: "fedcba9876543210", Created: "2026-12-06T11:11:11Z", Current: true, InUse: true},
	}
	if err := WriteTable(&out, vs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "VERSION") {
		t.Fatalf("table:\n%s", out.String())
	}
	if f := strings.Fields(lines[1]); len(f) != 6 || f[1] != "0123456789ab" || f[3] != "sha256:0123456789ab" || f[4] != "sha256:fedcba987654" || f[5] != "previous" {
		t.Errorf("row 1 %q: want a 12-character ID, 19-character config and base digests and previous", f)
	}
	if f := strings.Fields(lines[2]); len(f) != 7 || f[3] != "-" || f[4] != "-" || f[5] != "current" || f[6] != "in-use" {
		t.Errorf("row 2 %q: want no digests shown as -, current and in-use tags", f)
	}
}
