package units

import (
	"fmt"
	"strconv"
	"strings"
)

// quadletKeys is the minimum Podman (Quadlet) version for every Quadlet key
// units emits, as "Group.Key" or "Group.Key=value" when only one value is new.
// Quadlet rejects a whole unit with a key it does not know (podman#27745), so
// nothing may be emitted without an entry here; emitting an unlisted key panics.
// Versions come from the supported-keys maps of pkg/systemd/quadlet/quadlet.go
// at each release tag (v4.4.0 ... v5.4.0), cross-checked with RELEASE_NOTES.md.
var quadletKeys = map[string]string{
	"Container.Image":             "4.4.0",
	"Container.ContainerName":     "4.4.0",
	"Container.Exec":              "4.4.0",
	"Container.Environment":       "4.4.0",
	"Container.ExposeHostPort":    "4.4.0",
	"Container.Label":             "4.4.0",
	"Container.Network":           "4.4.0",
	"Container.PodmanArgs":        "4.4.0",
	"Container.Secret":            "4.4.0",
	"Container.PublishPort":       "4.4.0",
	"Container.ReadOnly":          "4.4.0",
	"Container.Volume":            "4.4.0",
	"Container.HealthCmd":         "4.5.0",
	"Container.HealthInterval":    "4.5.0",
	"Container.HealthRetries":     "4.5.0",
	"Container.HealthStartPeriod": "4.5.0",
	"Container.HealthTimeout":     "4.5.0",
	"Container.Pull":              "4.6.0",
	"Container.GlobalArgs":        "4.8.0",
	"Container.StopTimeout":       "5.0.0",
	"Container.Notify=healthy":    "5.0.0",
	"Container.HealthOnFailure":   "4.6.0",
	"Container.NetworkAlias":      "5.2.0",
	"Volume.Label":                "4.4.0",
	"Volume.VolumeName":           "4.7.0",
	"Network.Label":               "4.4.0",
	"Network.NetworkName":         "4.7.0",
	// [Service] Type=oneshot in a .container: accepted since Quadlet's first release.
	"Service.Type=oneshot": "4.4.0",
}

// MinQuadletVersion is the oldest Quadlet units can write for (Quadlet's first release).
const MinQuadletVersion = "4.4.0"

// TestedQuadletVersion is assumed when Options.QuadletVersion is empty.
const TestedQuadletVersion = "5.4.2"

type version [3]int

// parseVersion reads "5.4.2", "v5.4.2", "5.4.2-dev" or "5.4".
func parseVersion(s string) (version, error) {
	var v version
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(t, "-+~ "); i >= 0 {
		t = t[:i]
	}
	parts := strings.Split(t, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return v, fmt.Errorf("parse quadlet version %q: want MAJOR.MINOR[.PATCH]", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, fmt.Errorf("parse quadlet version %q: bad number %q", s, p)
		}
		v[i] = n
	}
	return v, nil
}

func (v version) atLeast(o version) bool {
	for i := range v {
		if v[i] != o[i] {
			return v[i] > o[i]
		}
	}
	return true
}

func (v version) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

// quadletMin is quadletKeys parsed, and quadletValueKeys the "Group.Key" ids
// with an entry for some value: a unit checks every key it writes.
var quadletMin, quadletValueKeys = parseQuadletKeys()

// minQuadlet is MinQuadletVersion parsed.
var minQuadlet, _ = parseVersion(MinQuadletVersion)

func parseQuadletKeys() (map[string]version, map[string]bool) {
	mins := make(map[string]version, len(quadletKeys))
	valueKeys := map[string]bool{}
	for id, min := range quadletKeys {
		v, err := parseVersion(min)
		if err != nil {
			panic("units: bad version in quadletKeys for " + id)
		}
		mins[id] = v
		if key, _, ok := strings.Cut(id, "="); ok {
			valueKeys[key] = true
		}
	}
	return mins, valueKeys
}

// podmanSecretReplace is the first Podman whose `secret create` has --replace.
var podmanSecretReplace = version{4, 7, 0}

// SameUnits reports whether Plan writes the same units for Quadlet (Podman)
// versions a and b: every version a plan asks about (a key's minimum in
// quadletKeys, podmanSecretReplace) is on the same side for both. The
// generator plans for TestedQuadletVersion while the host's quadlet is still
// answering its version, and keeps that plan when this holds.
func SameUnits(a, b string) (bool, error) {
	va, err := parseVersion(a)
	if err != nil {
		return false, err
	}
	vb, err := parseVersion(b)
	if err != nil {
		return false, err
	}
	if va.atLeast(podmanSecretReplace) != vb.atLeast(podmanSecretReplace) {
		return false, nil
	}
	for _, min := range quadletMin {
		if va.atLeast(min) != vb.atLeast(min) {
			return false, nil
		}
	}
	// Plan refuses versions before MinQuadletVersion: the same one is refused.
	return va.atLeast(minQuadlet) == vb.atLeast(minQuadlet), nil
}

// supports reports whether Quadlet version v knows the key id ("Group.Key" or
// "Group.Key=value").
func (v version) supports(id string) bool {
	min, ok := quadletMin[id]
	if !ok {
		panic("units: Quadlet key " + id + " has no entry in quadletKeys")
	}
	return v.atLeast(min)
}
