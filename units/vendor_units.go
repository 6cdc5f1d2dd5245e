package units

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// ConfigNames are the app names of config paths (containers/<app>.yml|.yaml),
// loaded or not: Options.ConfigNames, so a broken config keeps its namespace.
func ConfigNames(paths []string) []string {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		base := filepath.Base(p)
		if s, ok := strings.CutSuffix(base, ".yml"); ok {
			out = append(out, s)
		} else if s, ok := strings.CutSuffix(base, ".yaml"); ok {
			out = append(out, s)
		}
	}
	return out
}

// vendorUnitDirs are where packages install units. A unit in the generator
// dir overrides theirs (only /etc and /run/systemd/system come first), so an
// app must not make one of these names. /etc is left out on purpose: a unit
// there overrides the generated one, and a masked app unit (a symlink to
// /dev/null) is the operator's choice.
var vendorUnitDirs = map[bool][]string{
	false: {"/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"},
	true:  {"/usr/local/lib/systemd/user", "/usr/lib/systemd/user"},
}

// VendorUnits returns whether a unit of a given name is installed by a
// package (Options.UnitExists). The dirs are listed once, on the first
// question (a stat per name would cost more for 100 apps).
func VendorUnits(user bool) func(string) bool {
	var once sync.Once
	names := map[string]bool{}
	return func(name string) bool {
		once.Do(func() {
			seen := map[string]bool{}
			for _, dir := range vendorUnitDirs[user] {
				// /lib is /usr/lib on merged-/usr systems: list it once.
				if real, err := filepath.EvalSymlinks(dir); err != nil || seen[real] {
					continue
				} else {
					seen[real] = true
				}
				entries, _ := os.ReadDir(dir)
				for _, e := range entries {
					if e.Type().IsRegular() {
						names[e.Name()] = true
					}
				}
			}
		})
		return names[name]
	}
}
