package units

// What every container of an app shares, worked out once per app render:
// volumes (and their .volume files), podman arguments, labels, links and the
// host name, and the base of every .container file.

import (
	"fmt"
	"path"
	"strings"

	"github.com/quadlaunch/quadlaunch/generator"
)

// mkdirBin creates bind-mount sources before podman needs them. Debian 13
// (usr-merged) ships it at /usr/bin/mkdir; /bin is a symlink to usr/bin.
const mkdirBin = "/usr/bin/mkdir"

func (r *appRender) prepareVolumes() {
	for i, v := range r.app.Volumes {
		key := fmt.Sprintf("volumes[%d]", i)
		if !path.IsAbs(v.Guest) || strings.Contains(v.Guest, ":") {
			r.errorf(v.Pos, key, "guest path %q must be absolute and contain no ':'", v.Guest)
			continue
		}
		if strings.Contains(v.Options, ":") {
			r.errorf(v.Pos, key, "volume options %q contain ':'", v.Options)
			continue
		}
		source := v.Host
		if v.Named() {
			if !unitName(v.Host) {
				r.errorf(v.Pos, key, "volume name %q may only hold letters, digits, '_', '-' and '.'", v.Host)
				continue
			}
			r.named = appendUnique(r.named, v.Host)
			source = VolumeFile(r.app.Name, v.Host)
		} else {
			if !path.IsAbs(v.Host) || strings.Contains(v.Host, ":") {
				r.errorf(v.Pos, key, "host path %q must be absolute and contain no ':'", v.Host)
				continue
			}
			if strings.ContainsFunc(v.Host, func(r rune) bool { return r <= ' ' || r == '\\' || r == 0x7f }) {
				// Quadlet copies the path into RequiresMountsFor=, which splits at
				// white space and where a trailing backslash continues the line.
				r.errorf(v.Pos, key, "host path %q contains white space or a backslash, which Quadlet cannot pass to RequiresMountsFor=", v.Host)
				continue
			}
			r.mkdirs = appendUnique(r.mkdirs, v.Host)
		}
		value := source + ":" + v.Guest
		if v.Options != "" {
			value += ":" + v.Options
		}
		raw, err := rawValue(value)
		if err != nil {
			r.errorf(v.Pos, key, "%v", err)
			continue
		}
		r.volumes = append(r.volumes, raw)
	}
}

func (r *appRender) volumeFile(name string) {
	a := r.app
	u := newUnit(r.ctx.ver, r.header())
	u.set("Unit", "Description", lineValue(fmt.Sprintf("%s volume %s (quadlaunch, %s)", a.Name, name, a.ConfigPath)))
	u.quadlet("Volume", "VolumeName", VolumeName(a.Name, name))
	u.quadlet("Volume", "Label", "quadlaunch.app="+a.Name)
	r.add(VolumeFile(a.Name, name), Quadlet, u.bytes())
}

func (r *appRender) prepareArgs() {
	r.args = append(r.args, r.app.PodmanArgs...)
	// launcher expands docker_args unquoted in a shell command: word splitting only.
	r.args = append(r.args, strings.Fields(r.app.DockerArgs)...)
	if _, err := commandLine(r.args); err != nil {
		r.errorf(generator.Pos{}, "podman_args", "%v", err)
	}
}

func (r *appRender) prepareLabels() {
	for _, l := range r.app.Labels {
		if strings.HasPrefix(l.Name, "quadlaunch.") {
			r.errorf(generator.Pos{}, "labels."+l.Name, "labels starting with quadlaunch. are reserved")
		}
	}
	for _, e := range r.env.quadlet {
		w, err := keyValueWord(e.Name, e.Value)
		if err != nil {
			r.errorf(e.Pos, "env."+e.Name, "%v", err)
			continue
		}
		r.envArgs = append(r.envArgs, w)
	}
}

func (r *appRender) labelValues(role string) []string {
	out := []string{}
	all := append([]generator.Label{{Name: "quadlaunch.app", Value: r.app.Name}, {Name: "quadlaunch.role", Value: role}}, r.app.Labels...)
	for _, l := range all {
		w, err := keyValueWord(l.Name, l.Value)
		if err != nil {
			r.errorf(generator.Pos{}, "labels."+l.Name, "%v", err)
			continue
		}
		out = append(out, w)
	}
	return out
}

func (r *appRender) prepareLinks() {
	// The names on the app's link network: its own containers, and the
	// aliases of the apps it links to. One name must mean one container.
	onNetwork := map[string]string{}
	for _, role := range r.app.Roles {
		onNetwork[ContainerName(r.app.Name, role.Name)] = "container " + ContainerName(r.app.Name, role.Name)
	}
	for i, l := range r.app.Links {
		key := fmt.Sprintf("links[%d]", i)
		if l.Alias != "" && !unitName(l.Alias) {
			r.errorf(l.Pos, key, "alias %q is not a valid host name", l.Alias)
			continue
		}
		alias := l.Alias
		if alias == "" {
			alias = l.Name
		}
		if what, taken := onNetwork[alias]; taken && what != "app "+l.Name {
			r.errorf(l.Pos, key, "alias %q already names %s on the app's link network", alias, what)
			continue
		}
		onNetwork[alias] = "app " + l.Name
		other := r.ctx.apps[l.Name]
		if other == nil {
			r.warnf(l.Pos, key, "linked app %q has no config; the link is left out", l.Name)
			continue
		}
		if other.Name == r.app.Name {
			r.warnf(l.Pos, key, "app links to itself; the link is left out")
			continue
		}
		for _, role := range other.RunningRoles() {
			r.linked = appendUnique(r.linked, RoleUnit(other.Name, role.Name))
		}
	}
}

// containerBase writes what every container of the app shares: description,
// image, volumes, network, env, labels, podman args and link ordering.
func (r *appRender) containerBase(u *unitBuilder, role, what string) {
	a := r.app
	u.set("Unit", "Description", lineValue(fmt.Sprintf("%s %s (quadlaunch, %s)", a.Name, what, a.ConfigPath)))
	for _, l := range r.linked {
		u.set("Unit", "Wants", l)
		u.set("Unit", "After", l)
	}
	u.quadlet("Container", "Image", ImageRef(a.Name, CurrentTag))
	args := []string{}
	if !u.quadlet("Container", "Pull", "never") {
		args = append(args, "--pull=never")
	}
	u.quadlet("Container", "ContainerName", ContainerName(a.Name, role))
	for _, v := range r.volumes {
		u.quadlet("Container", "Volume", v)
	}
	if len(a.Links) > 0 {
		u.quadlet("Container", "Network", LinkNetworkFile(a.Name))
	}
	for _, l := range r.labelValues(role) {
		u.quadlet("Container", "Label", l)
	}
	for _, e := range r.envArgs {
		u.quadlet("Container", "Environment", e)
	}
	if a.ReadOnly && !u.quadlet("Container", "ReadOnly", "true") {
		args = append(args, "--read-only")
	}
	for _, e := range r.env.file {
		if r.asPodmanSecret(e) {
			// A Podman secret, not --env: Podman keeps every container's --env
			// values in its database (db.sql), which a fresh store leaves
			// world-readable; a secret's value stays in its 0600 secrets store.
			u.quadlet("Container", "Secret", SecretName(a.Name, e.Name)+",type=env,target="+e.Name)
			continue
		}
		args = append(args, "--env", e.Name)
	}
	args = append(args, ShmSizeArgs(a)...)
	args = append(args, r.args...)
	r.podmanArgs(u, args)
	u.set("Service", "EnvironmentFile", lineValue(path.Join(r.ctx.opts.PrivateDir, EnvFile(a.Name))))
	r.mkdirPre(u)
}

// hostName gives a long-running container launcher's -h (HostName); launcher
// sets none on its bootstrap container, so migrate/configure get none either.
func (r *appRender) hostName(u *unitBuilder) {
	shortHost, name, ok := HostName(r.app)
	if !ok {
		return
	}
	if !shortHost {
		r.podmanArgs(u, []string{"--hostname", name})
		return
	}
	// %l must stay a specifier (commandLine would escape it); the rest is the
	// app name, which the loader limits to a-z 0-9 _ . - (nothing to quote).
	u.quadlet("Container", "PodmanArgs", "--hostname %l"+name)
}

func (r *appRender) podmanArgs(u *unitBuilder, args []string) {
	if len(args) == 0 {
		return
	}
	// One PodmanArgs= line per option keeps the files readable and diffable.
	for len(args) > 0 {
		n := 1
		for n < len(args) && !strings.HasPrefix(args[n], "-") {
			n++
		}
		line, err := commandLine(args[:n])
		if err != nil {
			r.errorf(generator.Pos{}, "podman_args", "%v", err)
			return
		}
		u.quadlet("Container", "PodmanArgs", line)
		args = args[n:]
	}
}

// mkdirPre creates bind-mount sources: podman refuses a missing source, and
// launcher users expect /var/discourse/shared/... to appear on first start.
func (r *appRender) mkdirPre(u *unitBuilder) {
	if len(r.mkdirs) == 0 {
		return
	}
	line, err := commandLine(append([]string{mkdirBin, "-p", "--"}, r.mkdirs...))
	if err != nil {
		r.errorf(generator.Pos{}, "volumes", "%v", err)
		return
	}
	u.set("Service", "ExecStartPre", line)
}
