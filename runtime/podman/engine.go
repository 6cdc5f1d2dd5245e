package podman

import (
	"context"
	"io"
	"time"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/pass"
	"github.com/quadlaunch/quadlaunch/runtime/versions"
	"github.com/quadlaunch/quadlaunch/units"
)

// Engine is everything quadlaunch asks of Podman. Package runtime/podman
// implements it over the Podman bindings; it is the only package built with
// their tags (remote ...), and cmd/quadlaunch wires it in (podman.go). Every
// ctx given to a method carries the Podman connection: the context Connect
// returned, or one made from it.
type Engine interface {
	// Connect returns a context carrying a Podman API connection: the
	// system's, or the user's with user=true. Cancelling ctx aborts requests
	// in flight; cleanup code uses context.WithoutCancel on the result.
	Connect(ctx context.Context, user bool) (context.Context, error)

	// Build runs the plan's steps on its base image, one committed layer per
	// step, and tags the result localhost/quadlaunch/APP:<version>. It does
	// not move current (see Promote). On any error or cancellation the work
	// container is removed and no version tag exists.
	Build(ctx context.Context, p *pass.Plan, opt BuildOptions) (*BuildResult, error)
	// PreviewBuild is what Build would do with p, without doing any of it
	// (nothing runs, nothing is pulled, the cache is not touched).
	PreviewBuild(ctx context.Context, p *pass.Plan) (*BuildPreview, error)
	// ImportImage pulls ref and makes it a version of app (image: in the
	// config, deploy --image) without moving current.
	ImportImage(ctx context.Context, app, ref string, o RegistryOptions, b BuildOptions) (*BuildResult, error)
	// PullDigest pulls ref and returns the digest it now names.
	PullDigest(ctx context.Context, ref string, o RegistryOptions) (string, error)
	// Push pushes a version of app (current when "") to dest, returning the
	// pushed digest.
	Push(ctx context.Context, app, version, dest string, o RegistryOptions) (string, error)
	// ListVersions is the app's versions (versions.FromImages of its images).
	ListVersions(ctx context.Context, app string) ([]versions.Version, error)
	// Promote makes id current; the old current becomes previous. It returns
	// the tags as they were, for RestoreTags.
	Promote(ctx context.Context, app, id string) (versions.Tags, error)
	// RestoreTags puts current and previous back as they were.
	RestoreTags(ctx context.Context, app string, t versions.Tags) error
	// RemoveVersion untags a version and deletes the image if nothing else uses it.
	RemoveVersion(ctx context.Context, app string, v versions.Version) error

	// RunMigrate runs the migrate plan's steps in a one-off container of
	// current, with the app's volumes and network.
	RunMigrate(ctx context.Context, app *generator.App, p *pass.Plan, opt PassOptions) error
	// Configured reports whether current already is the result of the
	// configure plan p, and says why in reason.
	Configured(ctx context.Context, app *generator.App, p *pass.Plan) (ok bool, reason string, err error)
	// RunConfigure runs the configure plan's steps on current and commits the
	// result as the new current (and its version tag); changed=false when
	// current already was that result.
	RunConfigure(ctx context.Context, app *generator.App, p *pass.Plan, opt PassOptions) (changed bool, err error)
	// RunOneOff runs args in a one-off container of current with the app's
	// volumes and network, stdin/stdout/stderr attached; it returns the exit code.
	RunOneOff(ctx context.Context, app *generator.App, args []string, env pass.Env) (int, error)
	// Enter runs a shell (or args) in the running container of role.
	Enter(ctx context.Context, app *generator.App, role string, args, publicEnv []string) (int, error)

	// ContainerHealth is a container's state and health ("" when it has no
	// health check) and image; state "absent" when there is no such container.
	ContainerHealth(ctx context.Context, name string) (state, health, image string)
	// HealthOf is a container's ID and health status ("" when absent or
	// without a health check).
	HealthOf(ctx context.Context, name string) (id, health string)
	// RunHealthCheck runs a container's health check now, as its timer
	// would, and returns the health status that results.
	RunHealthCheck(ctx context.Context, name string) (string, error)
	// HealthReport describes a container's health check state and its last
	// results, for a deploy's failure report ("" when it has no health check).
	HealthReport(ctx context.Context, name string) string
}

// BuildOptions tune a build.
type BuildOptions struct {
	Out          io.Writer
	NoCache      bool             // --no-cache: run every step again
	Pull         bool             // --pull, base_image_pull: pull a newer base_image first
	ConfigDigest string           // ImportImage: the config's digest, for the version's label
	ToolVersion  string           // quadlaunch's version, for the label
	Now          func() time.Time // for tests; time.Now when nil
}

// RegistryOptions say how to reach a registry. Credentials come from
// Podman's auth file (Authfile, or its default), never from quadlaunch.
type RegistryOptions struct {
	TLSVerify bool
	Authfile  string
	Policy    string // pull policy: always, missing, newer ("" = Podman's default, always)
}

// outOf is b's progress writer.
func outOf(b BuildOptions) io.Writer {
	if b.Out == nil {
		return io.Discard
	}
	return b.Out
}

// BuildPreview is what a build would do: Cached[i] says whether step i
// would come from the layer cache. Without the base image (BasePresent
// false) every step runs after a pull. Reuses is the existing version a
// build would make current again ("" when it would make a new one).
type BuildPreview struct {
	BasePresent bool
	Cached      []bool
	Reuses      string
}

// BuildResult is the outcome of a build.
type BuildResult struct {
	Version string
	ImageID string
	Reused  bool // an existing version matched the config exactly
	Steps   int
	Cached  int
}

// PassOptions configure a migrate or configure pass run in a one-off container.
type PassOptions struct {
	Out io.Writer
	Env pass.Env // public env to exec sessions; secrets as Podman env secrets
}

// Mount is a bind mount or named volume for a one-off container.
type Mount struct {
	Source, Dest string
	Named        bool
	Options      []string
}

// AppMounts are the app's volumes as mounts for a one-off container.
func AppMounts(app *generator.App) []Mount {
	var ms []Mount
	for _, v := range app.Volumes {
		m := Mount{Source: v.Host, Dest: v.Guest, Named: v.Named()}
		if m.Named {
			m.Source = units.VolumeName(app.Name, v.Host)
		}
		if v.Options != "" {
			m.Options = []string{v.Options}
		}
		ms = append(ms, m)
	}
	return ms
}

// AppNetwork is the network a one-off container joins so links resolve.
func AppNetwork(app *generator.App) string {
	if len(app.Links) > 0 {
		return units.LinkNetworkName(app.Name)
	}
	return ""
}
