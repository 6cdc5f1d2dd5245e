package versions

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/quadlaunch/quadlaunch/units"
)

// Version is one built version of an app.
type Version struct {
	Version      string `json:"version"`
	ImageID      string `json:"image_id"`
	Created      string `json:"created"`
	ConfigDigest string `json:"config_digest"`
	BaseDigest   string `json:"base_digest,omitempty"` // of the base_image it was built from
	Current      bool   `json:"current"`
	Previous     bool   `json:"previous"`
	InUse        bool   `json:"in_use"`
}

// FromImages turns the app's images into versions, oldest first. A version is
// a tag of the app's repo other than current/previous.
func FromImages(app string, list []Image, inUse map[string]bool) []Version {
	repo := units.ImageRepo(app) + ":"
	var out []Version
	for _, im := range list {
		var tags []string
		cur, prev := false, false
		for _, t := range im.RepoTags {
			if !strings.HasPrefix(t, repo) {
				continue
			}
			switch tag := strings.TrimPrefix(t, repo); tag {
			case units.CurrentTag:
				cur = true
			case TagPrevious:
				prev = true
			default:
				tags = append(tags, tag)
			}
		}
		for _, tag := range tags {
			out = append(out, Version{Version: tag, ImageID: im.ID, Created: im.Labels[LabelCreated],
				ConfigDigest: im.Labels[LabelConfigDigest], BaseDigest: im.Labels[LabelBaseDigest], Current: cur, Previous: prev, InUse: inUse[im.ID]})
		}
	}
	SortVersions(out)
	return out
}

// SortVersions orders versions oldest first. Version ids are sortable strings; the
// numeric suffix of a same-second build (-2, -10) is compared as a number.
func SortVersions(v []Version) {
	sort.Slice(v, func(i, j int) bool { return versionLess(v[i].Version, v[j].Version) })
}

func versionLess(a, b string) bool {
	ab, as := splitSuffix(a)
	bb, bs := splitSuffix(b)
	if ab != bb {
		return ab < bb
	}
	return as < bs
}

// splitSuffix splits "20250101-120304-3" into ("20250101-120304", 3).
func splitSuffix(v string) (string, int) {
	parts := strings.Split(v, "-")
	if len(parts) == 3 {
		var n int
		if _, err := fmt.Sscanf(parts[2], "%d", &n); err == nil {
			return parts[0] + "-" + parts[1], n
		}
	}
	return v, 1
}

// RollbackTarget picks the version to roll back to: the one asked for (it must
// exist and not be current already), else the previous version, else the newest
// version older than current.
func RollbackTarget(vs []Version, want string) (Version, error) {
	var cur *Version
	for i := range vs {
		if vs[i].Current {
			cur = &vs[i]
		}
	}
	if want != "" {
		for _, v := range vs {
			if v.Version == want {
				if cur != nil && v.ImageID == cur.ImageID {
					return Version{}, fmt.Errorf("version %s is already current", want)
				}
				return v, nil
			}
		}
		var known []string
		for _, v := range vs {
			known = append(known, v.Version)
		}
		return Version{}, fmt.Errorf("unknown version %q (known: %s)", want, strings.Join(known, ", "))
	}
	for _, v := range vs {
		if v.Previous && (cur == nil || v.ImageID != cur.ImageID) {
			return v, nil
		}
	}
	if cur != nil {
		for i := len(vs) - 1; i >= 0; i-- {
			if versionLess(vs[i].Version, cur.Version) && vs[i].ImageID != cur.ImageID {
				return vs[i], nil
			}
		}
	}
	return Version{}, fmt.Errorf("no version to roll back to")
}

// CleanupSelection returns the versions cleanup removes: all but the newest keep,
// never current, previous or one a container uses.
func CleanupSelection(vs []Version, keep int) []Version {
	sorted := append([]Version(nil), vs...)
	SortVersions(sorted)
	var out []Version
	for i, v := range sorted {
		newest := i >= len(sorted)-keep
		if newest || v.Current || v.Previous || v.InUse {
			continue
		}
		out = append(out, v)
	}
	return out
}

// Tags is where current and previous point ("" = absent).
type Tags struct{ Current, Previous string }

// Image is what versions are read from: one image of the app's repo.
type Image struct {
	ID       string
	RepoTags []string
	Labels   map[string]string
}

// VersionID is the version name for a build started at t: sortable as a string.
func VersionID(t time.Time) string { return t.UTC().Format("20060102-150405") }
