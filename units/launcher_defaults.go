package units

import (
	"strings"

	"github.com/quadlaunch/quadlaunch/generator"
)

// The bash launcher (discourse_docker/launcher) adds these to the containers it
// runs; an app can notice them, so every container quadlaunch runs gets them too
// unless the config's podman_args/docker_args say otherwise.

// LauncherShmSize is launcher's --shm-size on every container it runs (start,
// bootstrap, run): PostgreSQL's parallel workers need more than Podman's 64m.
const LauncherShmSize = "512m"

// ShmSizeArgs is the --shm-size argument a container of app gets: launcher's,
// unless the config passes its own.
func ShmSizeArgs(app *generator.App) []string {
	if hasOption(app, "--shm-size") {
		return nil
	}
	return []string{"--shm-size=" + LauncherShmSize}
}

// HostName is launcher's -h for a started container: the host's short name and
// the app's, joined with "-" ("web1-app"), or DISCOURSE_HOSTNAME when
// DOCKER_USE_HOSTNAME is "true"; underscores become "-" (Docker's rule). With
// shortHost the name is suffix appended to the host's short name, which the
// unit reads through systemd's %l specifier when it starts, as launcher reads
// `hostname -s` when it runs. ok is false when the config sets its own
// hostname (or asks for DISCOURSE_HOSTNAME and has none).
func HostName(app *generator.App) (shortHost bool, suffix string, ok bool) {
	if hasOption(app, "--hostname", "-h") {
		return false, "", false
	}
	var useHostname, discourseHostname string
	for _, e := range app.Env {
		switch e.Name {
		case "DOCKER_USE_HOSTNAME":
			useHostname = e.Value
		case "DISCOURSE_HOSTNAME":
			discourseHostname = e.Value
		}
	}
	if useHostname == "true" {
		h := strings.ReplaceAll(discourseHostname, "_", "-")
		return false, h, h != ""
	}
	return true, "-" + strings.ReplaceAll(app.Name, "_", "-"), true
}

// hasOption reports whether podman_args or docker_args set one of the options
// (as "--opt", "--opt=v", or "-h v" for a short one).
func hasOption(app *generator.App, names ...string) bool {
	args := append(append([]string(nil), app.PodmanArgs...), strings.Fields(app.DockerArgs)...)
	for _, a := range args {
		for _, n := range names {
			if a == n || strings.HasPrefix(a, n+"=") || (len(n) == 2 && strings.HasPrefix(a, n) && !strings.HasPrefix(a, "--")) {
				return true
			}
		}
	}
	return false
}
