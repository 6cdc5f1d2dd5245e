package session

import (
	"bytes"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
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

// image: and deploy --image pick the image a build takes instead, with
// image:'s registry settings; without either, the app builds.
func TestImageSource(t *testing.T) {
	s := &Session{App: &generator.App{Name: "shop"}}
	if ref, _ := s.imageSource(); ref != "" {
		t.Errorf("an app without image: imports %q", ref)
	}
	s.Image = "registry.example/shop:2"
	if ref, o := s.imageSource(); ref != "registry.example/shop:2" || !o.TLSVerify || o.Policy != "always" {
		t.Errorf("--image alone: %q %+v", ref, o)
	}
	s.App.Image = &generator.ImageSource{Ref: "127.0.0.1:5000/shop:1", Pull: "missing", TLSVerify: false}
	if ref, o := s.imageSource(); ref != "registry.example/shop:2" || o.TLSVerify || o.Policy != "missing" {
		t.Errorf("--image over image:: %q %+v", ref, o)
	}
	s.Image = ""
	if ref, _ := s.imageSource(); ref != "127.0.0.1:5000/shop:1" {
		t.Errorf("image: alone: %q", ref)
	}
}
