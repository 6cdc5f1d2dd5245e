package units

import (
	"slices"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
)

// The bash launcher's run-time defaults: every container gets --shm-size=512m,
// a started one -h <short host>-<app> (or DISCOURSE_HOSTNAME with
// DOCKER_USE_HOSTNAME=true), unless the config sets its own.
func TestLauncherRunDefaults(t *testing.T) {
	env := func(kv ...string) []generator.EnvVar {
		var e []generator.EnvVar
		for i := 0; i < len(kv); i += 2 {
			e = append(e, generator.EnvVar{Name: kv[i], Value: kv[i+1]})
		}
		return e
	}
	cases := []struct {
		name      string
		app       generator.App
		shm       []string
		shortHost bool
		host      string
		hostOK    bool
	}{
		{"defaults", generator.App{Name: "my_app"}, []string{"--shm-size=512m"}, true, "-my-app", true},
		{"docker_args shm", generator.App{Name: "a", DockerArgs: "--shm-size 1g"}, nil, true, "-a", true},
		{"podman_args shm=", generator.App{Name: "a", PodmanArgs: []string{"--shm-size=2g"}}, nil, true, "-a", true},
		{"own hostname", generator.App{Name: "a", DockerArgs: "-h box"}, []string{"--shm-size=512m"}, false, "", false},
		{"own hostname long", generator.App{Name: "a", PodmanArgs: []string{"--hostname=box"}}, []string{"--shm-size=512m"}, false, "", false},
		{"DOCKER_USE_HOSTNAME", generator.App{Name: "a", Env: env("DOCKER_USE_HOSTNAME", "true", "DISCOURSE_HOSTNAME", "forum_x.example.com")},
			[]string{"--shm-size=512m"}, false, "forum-x.example.com", true},
		{"DOCKER_USE_HOSTNAME not true", generator.App{Name: "a", Env: env("DOCKER_USE_HOSTNAME", "yes", "DISCOURSE_HOSTNAME", "f.example.com")},
			[]string{"--shm-size=512m"}, true, "-a", true},
		{"-hv is not --help", generator.App{Name: "a", PodmanArgs: []string{"--health-cmd", "x"}}, []string{"--shm-size=512m"}, true, "-a", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ShmSizeArgs(&c.app); !slices.Equal(got, c.shm) {
				t.Errorf("ShmSizeArgs = %q, want %q", got, c.shm)
			}
			short, host, ok := HostName(&c.app)
			if short != c.shortHost || host != c.host || ok != c.hostOK {
				t.Errorf("HostName = %v %q %v, want %v %q %v", short, host, ok, c.shortHost, c.host, c.hostOK)
			}
		})
	}
}
