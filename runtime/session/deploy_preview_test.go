package session

import (
	"bytes"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/preview"
)

func TestDeployPreviewChanged(t *testing.T) {
	same := DeployPreview{App: "shop", ConfigDigest: "sha256:a", CurrentVersion: "1", CurrentDigest: "sha256:a", Reuses: "1", BasePresent: true}
	for _, c := range []struct {
		name string
		edit func(*DeployPreview)
		want bool
	}{
		{"nothing", func(*DeployPreview) {}, false},
		{"a unit", func(p *DeployPreview) { p.Units = []preview.FileChange{{Name: "shop-web.service"}} }, true},
		{"the config", func(p *DeployPreview) { p.ConfigDigest = "sha256:b" }, true},
		{"a new image", func(p *DeployPreview) { p.Reuses = "" }, true},
		{"an older image", func(p *DeployPreview) { p.Reuses = "0" }, true},
		{"no current yet", func(p *DeployPreview) { p.CurrentVersion, p.CurrentDigest, p.Reuses = "", "", "" }, true},
	} {
		p := same
		c.edit(&p)
		if got := p.Changed(); got != c.want {
			t.Errorf("%s: Changed() = %v, want %v", c.name, got, c.want)
		}
		var out bytes.Buffer
		p.WriteText(&out)
		last := out.String()[strings.LastIndex(strings.TrimSuffix(out.String(), "\n"), "\n")+1:]
		if strings.HasPrefix(last, "shop: none") == c.want {
			t.Errorf("%s: last line %q does not say what Changed says", c.name, last)
		}
	}
}
