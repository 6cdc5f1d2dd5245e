package units

// A role's .container file: its command, published ports and health check.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/quadlaunch/quadlaunch/generator"
)

// healthyStartTimeout bounds how long systemd waits for a role with a health
// check to report healthy (Notify=healthy) before failing it; Discourse can take
// minutes on first boot.
const healthyStartTimeout = "15min"

func (r *appRender) roleFile(role generator.Role) {
	a := r.app
	u := newUnit(r.ctx.ver, r.header())
	r.containerBase(u, role.Name, role.Name)
	// systemctl stop/restart A.target stops/restarts the app's roles (the
	// target only Wants them; stopping a target alone stops nothing).
	u.set("Unit", "PartOf", TargetUnit(a.Name))
	r.onFailure(u)
	r.hostName(u)
	for _, d := range []string{MigrateUnit(a.Name), ConfigureUnit(a.Name)} {
		u.set("Unit", "Requires", d)
		u.set("Unit", "After", d)
	}
	if role.Primary {
		if a.Proxy != nil {
			r.slotPorts(u, 0)
		} else {
			r.ports(u)
		}
		// The aliases on the networks of the apps that link to this one, each
		// seen on that network only (NetworkAlias= would put every alias on
		// every network the container joins).
		for _, j := range r.ctx.joins[a.Name] {
			opts := make([]string, len(j.aliases))
			for i, alias := range j.aliases {
				opts[i] = "alias=" + alias
			}
			u.quadlet("Container", "Network", j.network+":"+strings.Join(opts, ","))
		}
	}
	r.roleHealth(u, role)
	if !u.quadlet("Container", "StopTimeout", fmt.Sprint(launcherStopTimeout)) {
		r.podmanArgs(u, []string{"--stop-timeout", fmt.Sprint(launcherStopTimeout)})
	}
	if cmd := r.roleCommand(role); len(cmd) > 0 {
		line, err := commandLine(cmd)
		if err != nil {
			r.errorf(generator.Pos{}, "roles."+role.Name, "%v", err)
			return
		}
		u.quadlet("Container", "Exec", line)
	}
	u.set("Service", "Restart", "on-failure")
	// podman stop waits StopTimeout; systemd must wait a little longer.
	u.set("Service", "TimeoutStopSec", fmt.Sprint(launcherStopTimeout+30))
	// No [Install]: A.target Wants= every role (generated units cannot be
	// enabled, and a .wants link per role would only repeat that).
	r.add(RoleContainerFile(a.Name, role.Name), Quadlet, u.bytes())
}

func (r *appRender) ports(u *unitBuilder) {
	for i, p := range r.app.Expose {
		key := fmt.Sprintf("expose[%d]", i)
		if p.Container == "" {
			r.errorf(p.Pos, key, "no container port")
			continue
		}
		cport := p.Container
		if p.Proto != "" {
			cport += "/" + p.Proto
		}
		if p.HostPort == "" {
			v, err := rawValue(cport)
			if err != nil {
				r.errorf(p.Pos, key, "%v", err)
				continue
			}
			u.quadlet("Container", "ExposeHostPort", v)
			continue
		}
		host := p.HostIP
		if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
			host = "[" + host + "]" // IPv6
		}
		value := p.HostPort + ":" + cport
		if host != "" {
			value = host + ":" + value
		}
		v, err := rawValue(value)
		if err != nil {
			r.errorf(p.Pos, key, "%v", err)
			continue
		}
		u.quadlet("Container", "PublishPort", v)
	}
}

// health maps the healthcheck. HealthCmd is always given in Podman's JSON form:
// Quadlet strips quotes around a plain value, and Podman runs a JSON list of
// two or more words directly and ["CMD-SHELL", s] through a shell.
func (r *appRender) health(u *unitBuilder) {
	r.healthOf(u, r.app.Healthcheck, "healthcheck", r.primaryRole().Name)
}

// roleHealth is a role's own health check (roles: {NAME: {healthcheck}}),
// else for the primary role the app's.
func (r *appRender) roleHealth(u *unitBuilder, role generator.Role) {
	if role.Healthcheck != nil {
		r.healthOf(u, role.Healthcheck, "roles."+role.Name+".healthcheck", role.Name)
		return
	}
	if role.Primary {
		r.health(u)
	}
}

// healthOf maps health check h (at key) onto role's unit: the HealthCmd and
// its timings, Notify=healthy (the start job ends once healthy: what a
// deploy gates on), and HealthOnFailure=kill: a container that turns
// unhealthy is killed, and Restart=on-failure starts it again.
func (r *appRender) healthOf(u *unitBuilder, h *generator.Healthcheck, key, role string) {
	if h == nil || len(h.Cmd) == 0 || strings.EqualFold(h.Cmd[0], "NONE") {
		return
	}
	cmd := h.Cmd
	switch {
	case strings.EqualFold(cmd[0], "CMD-SHELL"):
		cmd = append([]string{"CMD-SHELL"}, strings.Join(cmd[1:], " "))
	case strings.EqualFold(cmd[0], "CMD") && len(cmd) > 2:
		cmd = cmd[1:]
	case strings.EqualFold(cmd[0], "CMD"):
		cmd = []string{"CMD-SHELL", strings.Join(cmd[1:], " ")}
	case len(cmd) == 1:
		cmd = []string{"CMD-SHELL", cmd[0]}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(cmd) // []string always encodes
	set := func(k, value string) {
		if value == "" {
			return
		}
		v, err := rawValue(value)
		if err != nil {
			r.errorf(h.Pos, key, "%s: %v", k, err)
			return
		}
		if !u.quadlet("Container", k, v) {
			flag := "--health-" + map[string]string{"HealthCmd": "cmd", "HealthInterval": "interval",
				"HealthTimeout": "timeout", "HealthRetries": "retries", "HealthStartPeriod": "start-period"}[k]
			r.podmanArgs(u, []string{flag, value})
		}
	}
	set("HealthCmd", strings.TrimSpace(buf.String()))
	set("HealthInterval", h.Interval)
	set("HealthTimeout", h.Timeout)
	if h.Retries > 0 {
		set("HealthRetries", fmt.Sprint(h.Retries))
	}
	set("HealthStartPeriod", h.StartPeriod)
	if !u.quadlet("Container", "HealthOnFailure", "kill") {
		r.podmanArgs(u, []string{"--health-on-failure=kill"})
	}
	if u.quadlet("Container", "Notify", "healthy") {
		u.set("Service", "TimeoutStartSec", healthyStartTimeout)
	} else {
		r.warnf(h.Pos, key, "quadlet %s has no Notify=healthy (Podman 5.0+): %s counts as started before it is healthy",
			r.ctx.ver, RoleUnit(r.app.Name, role))
	}
}
