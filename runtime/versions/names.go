package versions

// Unit, container and image names come from package units (units/naming.go), the
// one place the generator and the CLI agree on them. What only the CLI needs
// lives here.

// TagPrevious marks the version current pointed to before the last promote; every
// tag of an app's repo other than current and previous is a version.
const TagPrevious = "previous"

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
	LabelBaseDigest   = "io.quadlaunch.base-digest"   // the base_image a version was built from (or the pulled image)
	LabelSource       = "io.quadlaunch.source"        // an imported version: the reference it was pulled from
)
