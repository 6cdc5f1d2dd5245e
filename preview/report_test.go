package preview

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// validate's report: warnings and errors on one stream, the good apps on the
// other, and the count of errors.
func TestWriteReportSeparatesTheGoodFromTheProblems(t *testing.T) {
	t.Setenv("QUADLAUNCH_QUADLET", "/nonexistent")
	root := writeConfigs(t, map[string]string{
		"good.yml": "base_image: x\n",
		"bad.yml":  "base_image: x\nexpose:\n  a: b\n",
		"odd.yml":  "base_image: x\nunknown_key: 1\n",
	})
	l, err := Load(root, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if n := l.WriteReport(&out, &errs); n != 1 {
		t.Errorf("WriteReport = %d errors, want 1", n)
	}
	// Discovery order: containers/ read in name order.
	wantOut := "good: ok (" + filepath.Join(root, "containers", "good.yml") + ")\nodd: ok (" + filepath.Join(root, "containers", "odd.yml") + ")\n"
	if got := out.String(); got != wantOut {
		t.Errorf("out =\n%s\nwant\n%s", got, wantOut)
	}
	lines := strings.Split(strings.TrimSpace(errs.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "warning: ") || !strings.Contains(lines[0], "unknown_key") ||
		!strings.HasPrefix(lines[1], "error: "+filepath.Join(root, "containers", "bad.yml")+":3") {
		t.Errorf("errs = %q, want the warning then the error", lines)
	}
}

// render refuses an app with errors (naming them) and a name with no config.
func TestRenderAppRefusesAFailedOrUnknownApp(t *testing.T) {
	t.Setenv("QUADLAUNCH_QUADLET", "/nonexistent")
	root := writeConfigs(t, map[string]string{"good.yml": "base_image: x\n", "bad.yml": "base_image: x\nexpose:\n  a: b\n"})
	l, err := Load(root, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = l.RenderApp("bad")
	var nr *NotRenderedError
	if !errors.As(err, &nr) || !strings.Contains(err.Error(), "bad.yml:3") || !strings.Contains(err.Error(), "writes no unit") {
		t.Errorf("RenderApp(bad) = %v, want a NotRenderedError naming bad.yml:3", err)
	}
	if _, _, err := l.RenderApp("none"); err == nil || !strings.Contains(err.Error(), `no config for app "none"`) {
		t.Errorf("RenderApp(none) = %v", err)
	}
	files, _, err := l.RenderApp("good")
	if err != nil || len(files) == 0 {
		t.Errorf("RenderApp(good) = %d files, %v", len(files), err)
	}
}

// Every file under its title; a symlink on one line; content without a final
// newline gets one; a blank line after each.
func TestWriteFilesLaysOutEachFile(t *testing.T) {
	var b bytes.Buffer
	err := WriteFiles(&b, []RenderedFile{
		{Title: "a.service", Content: []byte("[Unit]\n")},
		{Title: "b.env (0600)", Content: []byte("X=<redacted>")},
		{Title: "c.target.wants/a.service", Content: []byte("../a.service"), Symlink: true},
		{Title: "empty"},
	})
	want := "# a.service\n[Unit]\n\n# b.env (0600)\nX=<redacted>\n\n# c.target.wants/a.service -> ../a.service\n\n# empty\n\n"
	if err != nil || b.String() != want {
		t.Errorf("WriteFiles = %q, %v\nwant %q", b.String(), err, want)
	}
}
