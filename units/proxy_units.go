package units

// The units of an app with `proxy:` (proxy.go says why two web slots): the
// proxy service, the second web slot A-web-next, the live-slot links and the
// slot ports, and the names a role must not take from them.

import (
	"fmt"
	"path"

	"github.com/quadlaunch/quadlaunch/generator"
)

// proxySetup is ResolveProxy of the app, worked out once per render: the
// proxy's files and both web slots need it.
func (r *appRender) proxySetup() (ProxySetup, error) {
	if r.proxy == nil && r.proxyError == nil {
		s, err := ResolveProxy(r.app)
		r.proxy, r.proxyError = &s, err
	}
	return *r.proxy, r.proxyError
}

// proxyFiles renders the proxy unit, its steady-state config (upstream A-web)
// and the second web slot.
func (r *appRender) proxyFiles(primary generator.Role) {
	a := r.app
	s, err := r.proxySetup()
	if err != nil {
		r.errorf(a.Proxy.Pos, "proxy", "%v", err)
		return
	}
	var confs [2]string
	for slot := range confs {
		confs[slot] = ProxyBootConf(a.Name, slot)
		r.add(confs[slot], Plain, NginxConf{App: a.Name, Setup: s, Upstream: s.SlotPorts[slot], Generation: "boot"}.Render())
	}

	u := newUnit(r.ctx.ver, r.header())
	u.set("Unit", "Description", lineValue(fmt.Sprintf("%s proxy (nginx) in front of %s (quadlaunch, %s)", a.Name, RoleUnit(a.Name, primary.Name), a.ConfigPath)))
	u.set("Unit", "SourcePath", lineValue(a.ConfigPath))
	if !r.ctx.opts.User {
		u.set("Unit", "Wants", "network-online.target")
		u.set("Unit", "After", "network-online.target")
	}
	u.set("Unit", "PartOf", TargetUnit(a.Name))
	if s.Fronted() {
		// The front owns the published ports and connects to this proxy's sockets.
		u.set("Unit", "Wants", FrontUnit)
	}
	u.set("Service", "Type", "exec")
	// %t is /run or $XDG_RUNTIME_DIR: the same unit text for root and rootless.
	rt := "%t/" + ProxyRuntimeDir(a.Name)
	u.set("Service", "RuntimeDirectory", ProxyRuntimeDir(a.Name)+" "+ProxyRuntimeDir(a.Name)+"/tmp")
	// Unix socket paths in the config are relative to it (nginx binds them
	// as given; absolute paths would differ between root and rootless).
	u.set("Service", "WorkingDirectory", rt)
	if t := a.Proxy.TLS; t != nil && t.ACME != nil {
		// Before the first issuance nginx needs some certificate to start
		// (and serve the HTTP-01 challenge): ensure writes a self-signed
		// placeholder then, and leaves a real one alone. %S is /var/lib or
		// $XDG_STATE_HOME, where runtime/certificates keeps its store.
		argv := []string{r.ctx.opts.QuadlaunchBin}
		if r.ctx.opts.User {
			argv = append(argv, "--user")
		}
		argv = append(argv, "certificates", "ensure", a.Name)
		for _, h := range a.Proxy.Hosts {
			argv = append(argv, "--host", h)
		}
		line, err := commandLine(argv)
		if err != nil {
			r.errorf(a.Proxy.HostsPos, "proxy.host", "%v", err)
			return
		}
		u.set("Service", "ExecStartPre", line)
		u.set("Service", "ExecStartPre", fmt.Sprintf("%s -sfn %%S/quadlaunch/tls/certificates/%s/current %s/%s", lnBin, a.Name, rt, proxyACMECertLink))
		u.set("Service", "ExecStartPre", fmt.Sprintf("%s -sfn %%S/quadlaunch/acme-challenge/%s %s/%s", lnBin, a.Name, rt, proxyACMEWebrootLink))
	}
	// Every start (boot) begins from the live slot's config: A-web-next's when
	// its A.target.wants link exists (%E: /etc, or ~/.config for --user).
	dir := path.Dir(r.ctx.opts.PrivateDir)
	pick := fmt.Sprintf(`%s -c 'if [ -L "$$1" ]; then exec %s -- "$$3" "$$4"; else exec %s -- "$$2" "$$4"; fi' sh %s %s %s %s`,
		shBin, cpBin, cpBin, LiveSlotLink(a.Name, NextSlotRole(primary.Name), "%E", r.ctx.opts.User),
		path.Join(dir, confs[0]), path.Join(dir, confs[1]), rt+"/"+ProxyLiveConf)
	u.set("Service", "ExecStartPre", pick)
	nginx := nginxBin + " -e stderr -p " + rt + "/ -c " + ProxyLiveConf
	u.set("Service", "ExecStartPre", nginx+" -t -q")
	u.set("Service", "ExecStart", nginx)
	u.set("Service", "ExecReload", "/bin/kill -HUP $MAINPID")
	// SIGQUIT is nginx's graceful stop; the rest of the cgroup gets SIGTERM after it.
	u.set("Service", "KillSignal", "SIGQUIT")
	u.set("Service", "KillMode", "mixed")
	u.set("Service", "Restart", "on-failure")
	r.add(ProxyUnit(a.Name), Plain, u.bytes())
	r.nextSlotFile(primary)
}

// nextSlotFile renders A-web-next: the web role on the second loopback port.
// It is A-web's equal, since either may be the live slot that boot starts
// (after migrate and configure) and systemd restarts when it crashes; a
// deploy starts it without its dependencies (it has just run them).
func (r *appRender) nextSlotFile(primary generator.Role) {
	a := r.app
	role := NextSlotRole(primary.Name)
	u := newUnit(r.ctx.ver, r.header())
	r.containerBase(u, role, role+" (second web slot)")
	u.set("Unit", "PartOf", TargetUnit(a.Name))
	r.onFailure(u)
	r.hostName(u)
	for _, d := range []string{MigrateUnit(a.Name), ConfigureUnit(a.Name)} {
		u.set("Unit", "Requires", d)
		u.set("Unit", "After", d)
	}
	r.slotPorts(u, 1)
	r.health(u)
	if !u.quadlet("Container", "StopTimeout", fmt.Sprint(launcherStopTimeout)) {
		r.podmanArgs(u, []string{"--stop-timeout", fmt.Sprint(launcherStopTimeout)})
	}
	if cmd := r.roleCommand(primary); len(cmd) > 0 {
		line, err := commandLine(cmd)
		if err != nil {
			r.errorf(generator.Pos{}, "roles."+primary.Name, "%v", err)
			return
		}
		u.quadlet("Container", "Exec", line)
	}
	u.set("Service", "Restart", "on-failure")
	u.set("Service", "TimeoutStopSec", fmt.Sprint(launcherStopTimeout+30))
	r.add(RoleContainerFile(a.Name, role), Quadlet, u.bytes())
}

// liveSlotLinks makes A.target want A-web through a link rather than Wants=,
// so that a deploy can mask it (see the top of this file) when A-web-next is
// the live slot.
func (r *appRender) liveSlotLinks() {
	web := RoleUnit(r.app.Name, r.primaryRole().Name)
	r.add(TargetUnit(r.app.Name)+".wants/"+web, Symlink, []byte("../"+web))
}

// slotPorts publishes a web slot: each proxied port (HTTP and the passed-
// through TCP ports) on its loopback slot port, and (A-web only, slot 0) the
// other expose entries (UDP, not published) as they are.
func (r *appRender) slotPorts(u *unitBuilder, slot int) {
	s, err := r.proxySetup()
	if err != nil {
		return // reported by proxyFiles
	}
	u.quadlet("Container", "PublishPort", fmt.Sprintf("127.0.0.1:%d:%s", s.SlotPorts[slot], s.ContainerPort))
	proxied := map[int]bool{s.Expose: true}
	for _, st := range s.Streams {
		u.quadlet("Container", "PublishPort", fmt.Sprintf("127.0.0.1:%d:%s", st.SlotPorts[slot], st.ContainerPort))
		proxied[st.Expose] = true
	}
	if slot != 0 {
		return
	}
	rest := *r.app
	rest.Expose = nil
	for i, p := range r.app.Expose {
		if !proxied[i] {
			rest.Expose = append(rest.Expose, p)
		}
	}
	saved := r.app
	r.app = &rest
	r.ports(u)
	r.app = saved
}

// proxyRoleClash reports a role whose unit would collide with the proxy's.
func (r *appRender) proxyRoleClash(primary generator.Role) {
	for _, role := range r.roles {
		if role.Name == "proxy" || role.Name == NextSlotRole(primary.Name) {
			r.errorf(r.app.Proxy.Pos, "roles."+role.Name, "role name %q is taken by the proxy's units", role.Name)
		}
	}
}
