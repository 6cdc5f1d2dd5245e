package export

import (
	"fmt"
	"maps"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/units"
)

// ComposeOptions are the choices of a compose export the config cannot make.
type ComposeOptions struct {
	// Image every service runs. Default: the image quadlaunch built on this
	// host (localhost/quadlaunch/<app>:current), with a warning.
	Image string
	// Project is the compose project name. Default: the app name, made a
	// valid project name (lower case a-z, 0-9, '_', '-').
	Project string
	// SecretsFile is where the compose file expects Export.Secrets, relative
	// to the compose file. Default "<app>.secrets.env".
	SecretsFile string
}

// The compose file, as much of the compose specification as an app needs.
// Field names are the specification's keys.
type composeFile struct {
	Name     string                    `json:"name"`
	Services map[string]composeService `json:"services"`
	Volumes  map[string]composeVolume  `json:"volumes,omitempty"`
	Networks map[string]composeNetwork `json:"networks,omitempty"`
}

type composeService struct {
	Image           string                       `json:"image"`
	Command         []string                     `json:"command,omitempty"`
	Environment     map[string]string            `json:"environment,omitempty"`
	EnvFile         []string                     `json:"env_file,omitempty"`
	Ports           []string                     `json:"ports,omitempty"`
	Expose          []string                     `json:"expose,omitempty"`
	Volumes         []string                     `json:"volumes,omitempty"`
	Networks        []string                     `json:"networks,omitempty"`
	DependsOn       map[string]composeDependency `json:"depends_on,omitempty"`
	Healthcheck     *composeHealthcheck          `json:"healthcheck,omitempty"`
	Labels          map[string]string            `json:"labels,omitempty"`
	ReadOnly        bool                         `json:"read_only,omitempty"`
	Restart         string                       `json:"restart"`
	ShmSize         string                       `json:"shm_size,omitempty"`
	StopGracePeriod string                       `json:"stop_grace_period,omitempty"`
}

type composeDependency struct {
	Condition string `json:"condition"`
}

type composeHealthcheck struct {
	Test        []string `json:"test"`
	Interval    string   `json:"interval"`
	Timeout     string   `json:"timeout"`
	Retries     int      `json:"retries"`
	StartPeriod string   `json:"start_period,omitempty"`
}

type composeVolume struct{}

type composeNetwork struct {
	Name string `json:"name"`
}

// linksNetwork is the compose network key of an app's links.
const linksNetwork = "links"

// completed is the depends_on condition of a one-off step.
const completed = "service_completed_successfully"

// Compose exports app as a compose file: a service per role, migrate and
// configure as services the roles depend on (condition
// service_completed_successfully; configure depends on migrate too), named
// volumes and bind mounts, and a shared network for the links. Secret env
// is in Export.Secrets, an env file the compose file names (doc.go says why
// not compose secrets). Every '$' of the config is written "$$", so compose's
// interpolation leaves values as they are.
func Compose(app *generator.App, o ComposeOptions) (*Export, error) {
	x, err := newExporter(app)
	if err != nil {
		return nil, fmt.Errorf("export to compose: %w", err)
	}
	if o.Project == "" {
		o.Project = projectName(app.Name)
		if o.Project != app.Name {
			x.warn(generator.Pos{File: app.ConfigPath}, "", "app name %q is not a compose project name: the project is %q", app.Name, o.Project)
		}
	} else if projectName(o.Project) != o.Project {
		return nil, fmt.Errorf("export %s to compose: project name %q: use lower case a-z, 0-9, '_', '-', starting with a letter or digit", app.Name, o.Project)
	}
	if o.SecretsFile == "" {
		o.SecretsFile = app.Name + ".secrets.env"
	}
	c := &composeExporter{exporter: x, o: o, image: x.image(o.Image, "other host")}
	file, err := c.build()
	if err != nil {
		return nil, fmt.Errorf("export %s to compose: %w", app.Name, err)
	}
	y, err := yaml.Marshal(file)
	if err != nil {
		return nil, fmt.Errorf("export %s to compose: marshal: %w", app.Name, err)
	}
	main := append([]byte(c.header()), y...)
	return &Export{Main: main, Secrets: c.secrets, Warnings: c.warnings}, nil
}

type composeExporter struct {
	*exporter
	o       ComposeOptions
	image   string
	shared  composeService // what every service of the app gets
	secrets []byte
}

func (c *composeExporter) build() (*composeFile, error) {
	app := c.app
	c.unsupportedArgs("compose")
	file := &composeFile{Name: c.o.Project, Services: map[string]composeService{}}
	c.shared = composeService{Image: c.image, ReadOnly: app.ReadOnly, StopGracePeriod: fmt.Sprintf("%ds", launcherStopTimeout)}
	if units.ShmSizeArgs(app) != nil {
		c.shared.ShmSize = units.LauncherShmSize
	}
	c.env()
	c.labels()
	file.Volumes = c.volumes()
	if len(app.Links) > 0 {
		c.shared.Networks = []string{"default", linksNetwork}
		file.Networks = map[string]composeNetwork{linksNetwork: {Name: units.LinkNetworkName(app.Name)}}
		c.linkWarnings()
	}

	migrate := c.service(c.oneOffCommand(stepMigrate, "service"), "no")
	file.Services[stepMigrate] = migrate
	configure := c.service(c.oneOffCommand(stepConfigure, "service"), "no")
	configure.DependsOn = map[string]composeDependency{stepMigrate: {completed}}
	file.Services[stepConfigure] = configure

	primary := app.PrimaryRole().Name
	for _, role := range app.RunningRoles() {
		if _, taken := file.Services[role.Name]; taken {
			return nil, fmt.Errorf("%s: roles.%s: the role would replace the %s service", role.Pos, role.Name, role.Name)
		}
		s := c.service(app.RoleCommand(role), "on-failure")
		s.DependsOn = map[string]composeDependency{stepMigrate: {completed}, stepConfigure: {completed}}
		if role.Name == primary {
			// As on one host, the primary role publishes the ports and
			// carries the healthcheck.
			s.Ports, s.Expose = c.ports()
			hc, err := c.healthcheck()
			if err != nil {
				return nil, err
			}
			s.Healthcheck = hc
		}
		file.Services[role.Name] = s
	}
	return file, nil
}

func (c *composeExporter) header() string {
	return commentBlock(
		fmt.Sprintf("Compose file of app %s, exported by quadlaunch from", c.app.Name), c.app.ConfigPath,
		"",
		"Secret env is not in this file: it is in the env file "+c.o.SecretsFile+" (mode 0600).",
		"migrate and configure run once; the roles start when both completed successfully.",
		"Every '$' of the config is written as '$$' so that compose does not interpolate it.",
	)
}

// service is one service running args (nil: the image's CMD) with what
// every service of the app shares.
func (c *composeExporter) service(args []string, restart string) composeService {
	s := c.shared
	s.Command = dollarEscapedAll(args)
	s.Restart = restart
	s.Environment = maps.Clone(c.shared.Environment)
	s.Labels = maps.Clone(c.shared.Labels)
	return s
}

// env puts the plain env in the compose file and the secret env in the env
// file. Env file values are double-quoted with '\', '"' and '$' escaped:
// compose expands escapes and ${VAR} inside double quotes and nowhere else,
// but an unquoted value cannot hold a newline and a single-quoted one
// cannot end in a backslash.
func (c *composeExporter) env() {
	plain, secret := splitEnv(c.app)
	for _, e := range plain {
		if c.shared.Environment == nil {
			c.shared.Environment = map[string]string{}
		}
		c.shared.Environment[e.Name] = dollarEscaped(e.Value)
	}
	var b strings.Builder
	for _, e := range secret {
		if !envFileKey(e.Name) {
			c.warn(e.Pos, "env."+e.Name, "an env file cannot hold this name: left out")
			continue
		}
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`)
		fmt.Fprintf(&b, "%s=\"%s\"\n", e.Name, r.Replace(e.Value))
	}
	if b.Len() == 0 {
		return
	}
	c.secrets = []byte(commentBlock(
		fmt.Sprintf("Secret env of app %s, exported by quadlaunch from", c.app.Name), c.app.ConfigPath,
		"Keep this file mode 0600 and out of version control.",
	) + b.String())
	c.shared.EnvFile = []string{c.o.SecretsFile}
}

// envFileKey reports whether compose's env file parser reads name as a key.
func envFileKey(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !(r == '_' || r == '.' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func (c *composeExporter) labels() {
	for _, l := range c.app.Labels {
		if c.shared.Labels == nil {
			c.shared.Labels = map[string]string{}
		}
		c.shared.Labels[l.Name] = dollarEscaped(l.Value)
	}
}

// composeVolumeOptions are the short-syntax volume options compose reads;
// it ignores any other without a word.
var composeVolumeOptions = map[string]bool{"ro": true, "rw": true, "z": true, "Z": true, "nocopy": true,
	"private": true, "rprivate": true, "shared": true, "rshared": true, "slave": true, "rslave": true}

func (c *composeExporter) volumes() map[string]composeVolume {
	var named map[string]composeVolume
	for i, v := range c.app.Volumes {
		key := fmt.Sprintf("volumes[%d]", i)
		spec := v.Host + ":" + v.Guest
		var opts []string
		for _, opt := range strings.Split(v.Options, ",") {
			if opt == "" {
				continue
			}
			if !composeVolumeOptions[opt] {
				c.warn(v.Pos, key, "volume option %q has no compose equivalent and is left out", opt)
				continue
			}
			opts = append(opts, opt)
		}
		if len(opts) > 0 {
			spec += ":" + strings.Join(opts, ",")
		}
		c.shared.Volumes = append(c.shared.Volumes, dollarEscaped(spec))
		if v.Named() {
			if named == nil {
				named = map[string]composeVolume{}
			}
			named[v.Host] = composeVolume{}
		} else {
			c.warn(v.Pos, key, "bind mount %s:%s is kept as a bind mount: the directory must exist, with the data, on the host compose runs on", v.Host, v.Guest)
		}
	}
	return named
}

// linkWarnings: the app's side of a link is the shared network; the linked
// app's compose file must join it, which this app's export cannot write.
func (c *composeExporter) linkWarnings() {
	network := units.LinkNetworkName(c.app.Name)
	for i, l := range c.app.Links {
		alias := l.Alias
		if alias == "" {
			alias = l.Name
		}
		c.warn(l.Pos, fmt.Sprintf("links[%d]", i), "link to app %s as %q: compose links stay inside one project, so the services join network %q; in %s's compose file declare that network `external: true` and give its web service the alias %q on it", l.Name, alias, network, l.Name, alias)
	}
}

// ports maps expose entries to compose's ports (published) and expose
// (exposed only) in compose's short syntax, which reads docker's -p forms.
func (c *composeExporter) ports() (ports, expose []string) {
	for _, p := range c.app.Expose {
		spec := p.Container
		if p.Proto != "" {
			spec += "/" + p.Proto
		}
		if p.HostPort == "" {
			expose = append(expose, spec)
			continue
		}
		spec = p.HostPort + ":" + spec
		switch {
		case strings.Contains(p.HostIP, ":"):
			spec = "[" + p.HostIP + "]:" + spec
		case p.HostIP != "":
			spec = p.HostIP + ":" + spec
		}
		ports = append(ports, spec)
	}
	return ports, expose
}

// healthcheck maps the healthcheck, Podman's defaults written out (they are
// compose's too, but the file then says what runs).
func (c *composeExporter) healthcheck() (*composeHealthcheck, error) {
	argv, shell, ok := healthCommand(c.app.Healthcheck)
	if !ok {
		return nil, nil
	}
	t, err := healthTimings(c.app.Healthcheck)
	if err != nil {
		return nil, err
	}
	test := append([]string{"CMD"}, dollarEscapedAll(argv)...)
	if shell {
		test = []string{"CMD-SHELL", dollarEscaped(argv[0])}
	}
	hc := &composeHealthcheck{Test: test, Interval: t.interval.String(), Timeout: t.timeout.String(), Retries: t.retries}
	if t.startPeriod > 0 {
		hc.StartPeriod = t.startPeriod.String()
	}
	return hc, nil
}

// projectName makes s a compose project name: lower case a-z, 0-9, '_' and
// '-', starting with a letter or digit.
func projectName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case (r == '_' || r == '-') && b.Len() > 0:
			b.WriteRune(r)
		case b.Len() > 0:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "app-" + shortHash(s)
	}
	return b.String()
}
