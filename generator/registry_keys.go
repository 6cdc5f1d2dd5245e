package generator

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Registry keys (issue #19): image:, an app that runs a prebuilt image from
// a registry instead of building one.

// ImageSource is the app's image:.
type ImageSource struct {
	Ref       string // pinned by tag or digest: registry.example/app:1.2, ...@sha256:...
	Pull      string // always, missing or newer (default always: a moved tag is seen)
	TLSVerify bool   // default true
	Pos       Pos
}

// ImagePullPolicies are the values image.pull takes.
var ImagePullPolicies = []string{"always", "missing", "newer"}

// decodeImage reads `image: REF` or `image: {ref, pull, tls_verify}`.
func decodeImage(d *doc, l *layer, p pair) error {
	l.imageSet = true
	if isNull(p.value) {
		l.image = nil
		return nil
	}
	src := &ImageSource{Pull: "always", TLSVerify: true, Pos: posOf(d.file, p.keyN)}
	refNode := p.value
	if p.value.Kind == yaml.MappingNode {
		f, err := d.strictFields(p.value, p.key, "ref", "pull", "tls_verify")
		if err != nil {
			return err
		}
		if refNode = f["ref"]; refNode == nil {
			return errAt(d.file, p.value, p.key+".ref", "required: the image reference, pinned by tag or digest")
		}
		if n := f["pull"]; n != nil {
			s, err := d.scalar(n, p.key+".pull")
			if err != nil {
				return err
			}
			if !slices.Contains(ImagePullPolicies, s) {
				return errAt(d.file, n, p.key+".pull", "%q: use one of %s", s, strings.Join(ImagePullPolicies, ", "))
			}
			src.Pull = s
		}
		if n := f["tls_verify"]; n != nil {
			b, err := d.boolean(n, p.key+".tls_verify")
			if err != nil {
				return err
			}
			src.TLSVerify = b
		}
	}
	ref, err := d.scalar(refNode, p.key)
	if err != nil {
		return err
	}
	if err := checkImageRef(ref); err != nil {
		return errAt(d.file, refNode, p.key, "%v", err)
	}
	src.Ref = ref
	l.image = src
	return nil
}

// checkImageRef refuses what cannot be a pinned image reference: a name
// without a tag or digest would follow :latest.
func checkImageRef(ref string) error {
	switch {
	case ref == "" || strings.ContainsAny(ref, " \t\n\\$"):
		return fmt.Errorf("%q is not an image reference", ref)
	case strings.Contains(ref, "@sha256:"):
		return nil
	}
	last := ref[strings.LastIndex(ref, "/")+1:]
	if !strings.Contains(last, ":") {
		return fmt.Errorf("%q has no tag or digest: pin it (name:tag or name@sha256:...)", ref)
	}
	return nil
}

// AutoUpdate is the app's auto_update:: a timer that looks for a new image
// behind image:'s reference and deploys it health-gated (rolled back on
// failure), on schedule (an OnCalendar= expression, as timers: take).
type AutoUpdate struct {
	Schedule    string
	SchedulePos Pos
	Pos         Pos
}

// decodeAutoUpdate reads `auto_update: {schedule: ...}` (or `auto_update:
// SCHEDULE`).
func decodeAutoUpdate(d *doc, l *layer, p pair) error {
	l.autoUpdateSet = true
	if isNull(p.value) {
		l.autoUpdate = nil
		return nil
	}
	n := p.value
	if p.value.Kind == yaml.MappingNode {
		f, err := d.strictFields(p.value, p.key, "schedule")
		if err != nil {
			return err
		}
		if n = f["schedule"]; n == nil {
			return errAt(d.file, p.value, p.key+".schedule", "required: an OnCalendar expression, e.g. hourly")
		}
	}
	s, err := d.scalar(n, p.key+".schedule")
	if err != nil {
		return err
	}
	if strings.TrimSpace(s) == "" || strings.ContainsAny(s, "\n%") {
		return errAt(d.file, n, p.key+".schedule", "not an OnCalendar expression: %q", s)
	}
	l.autoUpdate = &AutoUpdate{Schedule: s, SchedulePos: posOf(d.file, n), Pos: posOf(d.file, p.keyN)}
	return nil
}
