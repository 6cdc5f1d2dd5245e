package units

// The oneshot units of an app: A-migrate and A-configure (a one-off
// container of current, or the helper's in-unit pass for launcher-style
// configs), the Podman secrets A-migrate stores, and the report a failed
// run leaves in the journal of the units that needed it.

import (
	"fmt"
	"path"

	"github.com/quadlaunch/quadlaunch/generator"
)

// asPodmanSecret reports whether env var e travels as a Podman secret: the
// app's one rule (generator.App.AsPodmanSecret), which the CLI's one-off
// containers follow too.
func (r *appRender) asPodmanSecret(e generator.EnvVar) bool {
	return r.app.AsPodmanSecret(e.Name, e.Value)
}

// podmanEventsToFile keeps a one-off podman's events out of the unit's journal.
const podmanEventsToFile = "--events-backend=file"

// secretsPre makes A-migrate (which every other unit of the app Requires and
// runs After) store each secret env value as a Podman secret, from the value
// in its own environment (EnvironmentFile=): never on a command line. It runs
// at every start, so a changed value reaches the next containers.
func (r *appRender) secretsPre(u *unitBuilder) {
	for _, e := range r.env.file {
		if !r.asPodmanSecret(e) {
			continue
		}
		name := SecretName(r.app.Name, e.Name)
		create := []string{r.ctx.opts.PodmanBin, podmanEventsToFile, "secret", "create", "--replace", "--env", name, e.Name}
		if !r.ctx.ver.atLeast(podmanSecretReplace) {
			// --replace is 4.7+; before, remove first (the leading - ignores "no such secret").
			rm, _ := commandLine([]string{r.ctx.opts.PodmanBin, "secret", "rm", name})
			u.set("Service", "ExecStartPre", "-"+rm)
			create = []string{r.ctx.opts.PodmanBin, podmanEventsToFile, "secret", "create", "--env", name, e.Name}
		}
		// podman secret create prints the new secret's ID: noise in the
		// migration's journal, so its stdout goes nowhere (errors stay).
		line, err := commandLine(append([]string{shBin, "-c", `exec "$0" "$@" >/dev/null`}, create...))
		if err != nil {
			r.errorf(e.Pos, "env."+e.Name, "%v", err)
			return
		}
		u.set("Service", "ExecStartPre", line)
	}
}

// oneOff renders A-migrate / A-configure: a oneshot Quadlet container running
// the config's command, or (launcher-style) a plain oneshot service that has
// the helper run the tagged pups steps. No RemainAfterExit, so every start of a
// role runs them again.
func (r *appRender) oneOff(step string, cmd *generator.Command, after []string) {
	a := r.app
	unit := a.Name + "-" + step + ".service"
	if cmd == nil {
		u := newUnit(r.ctx.ver, r.header())
		u.set("Unit", "Description", lineValue(fmt.Sprintf("%s %s (quadlaunch, %s)", a.Name, step, a.ConfigPath)))
		u.set("Unit", "SourcePath", lineValue(a.ConfigPath))
		r.onFailure(u)
		for _, l := range r.linked {
			u.set("Unit", "Wants", l)
			u.set("Unit", "After", l)
		}
		r.oneOffDeps(u, after)
		if !r.ctx.opts.User {
			u.set("Unit", "Wants", "network-online.target")
			u.set("Unit", "After", "network-online.target")
		}
		if len(a.Links) > 0 {
			u.set("Unit", "Requires", LinkNetworkUnit(a.Name))
			u.set("Unit", "After", LinkNetworkUnit(a.Name))
		}
		for _, v := range r.named {
			u.set("Unit", "Requires", VolumeUnit(a.Name, v))
			u.set("Unit", "After", VolumeUnit(a.Name, v))
		}
		u.set("Service", "Type", "oneshot")
		if step == "migrate" {
			u.set("Service", "EnvironmentFile", lineValue(path.Join(r.ctx.opts.PrivateDir, EnvFile(a.Name))))
			r.secretsPre(u)
		}
		r.mkdirPre(u)
		argv := []string{r.ctx.opts.QuadlaunchBin}
		if r.ctx.opts.User {
			argv = append(argv, "--user")
		}
		line, err := commandLine(append(argv, step, "--in-unit", a.Name))
		if err != nil {
			r.errorf(generator.Pos{}, step, "%v", err)
			return
		}
		u.set("Service", "ExecStart", line)
		r.failureReport(u, step)
		r.add(unit, Plain, u.bytes())
		return
	}
	u := newUnit(r.ctx.ver, r.header())
	r.containerBase(u, step, step)
	r.onFailure(u)
	if step == "migrate" {
		r.secretsPre(u)
	}
	r.oneOffDeps(u, after)
	line, err := commandLine(cmd.Args)
	if err != nil || len(cmd.Args) == 0 {
		if err == nil {
			err = fmt.Errorf("command is empty")
		}
		r.errorf(cmd.Pos, step, "%v", err)
		return
	}
	u.quadlet("Container", "Exec", line)
	u.quadlet("Service", "Type", "oneshot")
	// Podman's events (create, init, start, attach, died, remove) go to its
	// file backend, not the journal: written by the unit's podman run, they
	// would be a line each in `journalctl -u A-migrate`, between the
	// migration's own lines. `podman events --events-backend file` reads them.
	u.quadlet("Container", "GlobalArgs", podmanEventsToFile)
	// The oneshot's podman run stays attached, so its stdout already is the unit's
	// journal; conmon's journald log driver would log every line a second time.
	r.podmanArgs(u, []string{"--log-driver=none"})
	r.failureReport(u, step)
	r.add(a.Name+"-"+step+".container", Quadlet, u.bytes())
}

// failureReport makes a failed migrate/configure say so in the journal of each
// unit that needed it, so `systemctl status A-web` names the failed dependency:
// systemd itself only logs "Dependency failed for A-web.service" there.
// ExecStopPost runs after every run; the helper stays quiet unless
// $SERVICE_RESULT says the run failed.
func (r *appRender) failureReport(u *unitBuilder, step string) {
	a := r.app
	var dependents []string
	if step == "migrate" {
		dependents = append(dependents, ConfigureUnit(a.Name))
	}
	for _, role := range r.roles {
		dependents = append(dependents, RoleUnit(a.Name, role.Name))
		if role.Primary && a.Proxy != nil {
			// the second web slot needs it as much (and may be the live one)
			dependents = append(dependents, RoleUnit(a.Name, NextSlotRole(role.Name)))
		}
	}
	argv := []string{r.ctx.opts.QuadlaunchBin}
	if r.ctx.opts.User {
		argv = append(argv, "--user")
	}
	argv = append(argv, "dependency-failed", a.Name+"-"+step+".service")
	line, err := commandLine(append(argv, dependents...))
	if err != nil {
		r.errorf(generator.Pos{}, step, "%v", err)
		return
	}
	u.set("Service", "ExecStopPost", "-"+line)
}

func (r *appRender) oneOffDeps(u *unitBuilder, after []string) {
	for _, d := range after {
		u.set("Unit", "Requires", d)
		u.set("Unit", "After", d)
	}
}
