//go:build remote

package runtime

import "fmt"

// Unit and image names of the decided design (brief, "Decided design"). They mirror
// package units' naming; kept here so runtime does not depend on the renderer.

// ImageRepo is the local repository holding every version of an app's image.
func ImageRepo(app string) string { return "localhost/quadlaunch/" + app }

// ImageRef is repo:tag for an app's image.
func ImageRef(app, tag string) string { return ImageRepo(app) + ":" + tag }

// RoleUnit is the service of one role's container (A-web.service).
func RoleUnit(app, role string) string { return fmt.Sprintf("%s-%s.service", app, role) }

// RoleContainer is the container name of one role (A-web).
func RoleContainer(app, role string) string { return app + "-" + role }

// MigrateUnit and ConfigureUnit are the oneshot units run before the roles.
func MigrateUnit(app string) string   { return app + "-migrate.service" }
func ConfigureUnit(app string) string { return app + "-configure.service" }

// TargetUnit groups the app's roles.
func TargetUnit(app string) string { return app + ".target" }

// Tags with a meaning of their own; every other tag of the repo is a version.
const (
	TagCurrent  = "current"
	TagPrevious = "previous"
)

// Image labels quadlaunch sets.
const (
	LabelApp          = "io.quadlaunch.app"
	LabelVersion      = "io.quadlaunch.version"
	LabelCreated      = "io.quadlaunch.created"
	LabelConfigDigest = "io.quadlaunch.config-digest"
	LabelTool         = "io.quadlaunch.tool-version"
	LabelCacheKey     = "io.quadlaunch.cache-key"     // on every step layer
	LabelFinalKey     = "io.quadlaunch.final-key"     // on a version image: what it was built from
	LabelConfigureKey = "io.quadlaunch.configure-key" // on a configured image
)

// VolumeName is the Podman volume of a named volume (units.VolumeName).
func VolumeName(app, name string) string { return app + "-" + name }

// NetworkName is the Podman network shared by apps with links (units.NetworkName).
const NetworkName = "quadlaunch"
