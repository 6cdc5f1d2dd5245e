//go:build remote

package podman

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/containers/common/libnetwork/types"
	"github.com/containers/podman/v5/pkg/bindings"
	"github.com/containers/podman/v5/pkg/bindings/containers"
	"github.com/containers/podman/v5/pkg/bindings/images"
	"github.com/containers/podman/v5/pkg/errorhandling"
	"github.com/containers/podman/v5/pkg/specgen"
	spec "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/quadlaunch/quadlaunch/runtime/versions"
	"github.com/quadlaunch/quadlaunch/units"
)

// PodmanSocket is the API socket of the system Podman, or the user's with user=true.
// CONTAINER_HOST (podman's own variable) overrides it.
func PodmanSocket(user bool) string {
	if h := os.Getenv("CONTAINER_HOST"); h != "" {
		return h
	}
	if user {
		dir := os.Getenv("XDG_RUNTIME_DIR")
		if dir == "" {
			dir = fmt.Sprintf("/run/user/%d", os.Getuid())
		}
		return "unix://" + filepath.Join(dir, "podman", "podman.sock")
	}
	return "unix:///run/podman/podman.sock"
}

// Connect returns a context carrying a Podman API connection. Cancelling ctx aborts
// requests in flight; cleanup code uses context.WithoutCancel on the result.
func (Bindings) Connect(ctx context.Context, user bool) (context.Context, error) {
	uri := PodmanSocket(user)
	c, err := bindings.NewConnection(ctx, uri)
	if err != nil {
		hint := "is podman.socket enabled? (systemctl enable --now podman.socket)"
		if user {
			hint = "is the user's podman.socket enabled? (systemctl --user enable --now podman.socket)"
		}
		return nil, fmt.Errorf("connect to podman at %s: %w; %s", uri, err, hint)
	}
	return c, nil
}

// isNotFound reports whether err is Podman's "no such image/container".
func isNotFound(err error) bool {
	var m *errorhandling.ErrorModel
	if errors.As(err, &m) {
		return m.ResponseCode == http.StatusNotFound
	}
	return err != nil && strings.Contains(err.Error(), "no such")
}

// imageID returns the ID of ref, or "" when it does not exist.
func imageID(ctx context.Context, ref string) (string, error) {
	img, err := images.GetImage(ctx, ref, nil)
	if err != nil {
		if isNotFound(err) {
			return "", nil
		}
		return "", fmt.Errorf("inspect image %s: %w", ref, err)
	}
	return img.ID, nil
}

// findImageByLabel returns the ID of an image carrying label=value ("" if none).
func findImageByLabel(ctx context.Context, label, value string) (string, error) {
	all := true
	list, err := images.List(ctx, &images.ListOptions{All: &all, Filters: map[string][]string{"label": {label + "=" + value}}})
	if err != nil {
		return "", fmt.Errorf("list images with %s: %w", label, err)
	}
	for _, im := range list {
		if im.Labels[label] == value {
			return im.ID, nil
		}
	}
	return "", nil
}

// listAppImages returns every image of the app (all versions and configured images).
func listAppImages(ctx context.Context, app string) ([]versions.Image, error) {
	all := true
	list, err := images.List(ctx, &images.ListOptions{All: &all, Filters: map[string][]string{"label": {versions.LabelApp + "=" + app}}})
	if err != nil {
		return nil, fmt.Errorf("list images of %s: %w", app, err)
	}
	out := make([]versions.Image, 0, len(list))
	for _, im := range list {
		out = append(out, versions.Image{ID: im.ID, RepoTags: im.RepoTags, Labels: im.Labels})
	}
	return out, nil
}

// tagImage points repo:tag at id.
func tagImage(ctx context.Context, id, app, tag string) error {
	if err := images.Tag(ctx, id, tag, units.ImageRepo(app), nil); err != nil {
		return fmt.Errorf("tag %s as %s: %w", shortID(id), units.ImageRef(app, tag), err)
	}
	return nil
}

// untagImage removes repo:tag; a missing tag is not an error.
func untagImage(ctx context.Context, app, tag string) error {
	ref := units.ImageRef(app, tag)
	id, err := imageID(ctx, ref)
	if err != nil || id == "" {
		return err
	}
	if err := images.Untag(ctx, id, tag, units.ImageRepo(app), nil); err != nil && !isNotFound(err) {
		return fmt.Errorf("untag %s: %w", ref, err)
	}
	return nil
}

// ensureImage makes ref available locally, pulling it when missing, and
// says whether it pulled.
func ensureImage(ctx context.Context, ref string) (id string, pulled bool, err error) {
	id, err = imageID(ctx, ref)
	if err != nil || id != "" {
		return id, false, err
	}
	quiet := true
	if _, err := images.Pull(ctx, ref, &images.PullOptions{Quiet: &quiet}); err != nil {
		return "", false, fmt.Errorf("pull %s: %w", ref, err)
	}
	id, err = imageID(ctx, ref)
	return id, true, err
}

// keepAlive is the command of a work container: it idles until removed, so steps
// can be exec'd into it. Only /bin/sh is needed, like pups' own exec steps.
var keepAlive = []string{"/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"}

// workSpec is a container of image that idles, with env (never secret: commit
// copies container env into the image, and Podman's database keeps it) and env
// secrets (target variable -> Podman secret; commit leaves them out, the
// database holds only the secret's name).
type workSpec struct {
	Image      string
	Name       string
	Env        map[string]string
	EnvSecrets map[string]string
	Mounts     []Mount
	Network    string
}

func startWorkContainer(ctx context.Context, w workSpec) (string, error) {
	id, err := createWorkContainer(ctx, w)
	if err != nil {
		return "", err
	}
	if err := containers.Start(ctx, id, nil); err != nil {
		removeContainer(ctx, id)
		return "", fmt.Errorf("start work container: %w", err)
	}
	return id, nil
}

// createWorkContainer creates (without starting) a work container; enough for a
// commit that only changes the image config.
func createWorkContainer(ctx context.Context, w workSpec) (string, error) {
	s := specgen.NewSpecGenerator(w.Image, false)
	s.Name = w.Name
	s.Entrypoint = keepAlive[:2]
	s.Command = keepAlive[2:]
	s.Env = w.Env
	s.EnvSecrets = w.EnvSecrets
	// launcher runs its bootstrap and `run` containers with --shm-size=512m too.
	shm := int64(512 << 20)
	s.ShmSize = &shm
	addMounts(s, w.Mounts)
	if w.Network != "" {
		s.Networks = map[string]types.PerNetworkOptions{w.Network: {}}
		s.NetNS = specgen.Namespace{NSMode: specgen.Bridge}
	}
	resp, err := containers.CreateWithSpec(ctx, s, nil)
	if err != nil {
		return "", fmt.Errorf("create work container from %s: %w", shortID(w.Image), err)
	}
	return resp.ID, nil
}

// removeContainer force-removes a container, even when ctx was cancelled: a work
// container must never outlive the command that made it.
func removeContainer(ctx context.Context, id string) {
	if id == "" {
		return
	}
	c := context.WithoutCancel(ctx)
	force, vols, t := true, true, uint(0)
	if _, err := containers.Remove(c, id, &containers.RemoveOptions{Force: &force, Volumes: &vols, Timeout: &t}); err != nil && !isNotFound(err) {
		fmt.Fprintf(os.Stderr, "quadlaunch: remove container %s: %v\n", shortID(id), err)
	}
}

func addMounts(s *specgen.SpecGenerator, mounts []Mount) {
	for _, m := range mounts {
		if m.Named {
			s.Volumes = append(s.Volumes, &specgen.NamedVolume{Name: m.Source, Dest: m.Dest, Options: m.Options})
			continue
		}
		opts := append([]string{"rbind"}, m.Options...)
		s.Mounts = append(s.Mounts, spec.Mount{Type: "bind", Source: m.Source, Destination: m.Dest, Options: opts})
	}
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
