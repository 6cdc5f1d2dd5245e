package units

import (
	"fmt"
	"strings"

	"github.com/quadlaunch/quadlaunch/generator"
)

// The naming authority: every name the plan would create (systemd units,
// the files in the generator dir and the staging dir, Podman containers,
// volumes and networks) is computed here once, for every app, before any
// unit is rendered, and checked across the whole plan:
//
//   - an app's names lie in its own namespace: app A owns A, A.* and A-*,
//     except what a longer app name owns (app shop-api owns shop-api-*,
//     whatever roles app shop has). A name of A that lies in the namespace
//     of another app B (whose config exists, loaded or not) refuses A, so
//     which app gets a name never depends on run order or on whether B's
//     config loads today;
//   - no two claims of one app, and no two apps, name the same object;
//   - no unit is a name systemd (or Podman, or quadlaunch) keeps for itself,
//     or one the host already has: units in the generator dir override the
//     vendor's, so an app "systemd" with a role "journald" would replace
//     systemd-journald.service;
//   - every name fits: systemd's 255-byte unit names, NAME_MAX file names.
//
// A failed check refuses that app only, with file:line: key: message.

// maxNameBytes is systemd's UNIT_NAME_MAX less its NUL, and NAME_MAX.
const maxNameBytes = 255

// claimKind separates the namespaces: a container and a volume may share a
// name in Podman, a unit and a container may not share nothing.
type claimKind int

const (
	claimUnit      claimKind = iota // systemd unit (and the generator-dir file of that name)
	claimFile                       // staging (Quadlet) file
	claimContainer                  // Podman container
	claimVolume                     // Podman volume
	claimNetwork                    // Podman network
)

func (k claimKind) String() string {
	return [...]string{"unit", "Quadlet file", "container", "volume", "network"}[k]
}

// nameClaim is one name an app would create, and the config key that makes it.
type nameClaim struct {
	kind claimKind
	name string
	key  string
	pos  generator.Pos
}

// stem is the claim's name without a unit or Quadlet suffix: what the
// namespace rule compares.
func (c nameClaim) stem() string {
	switch c.kind {
	case claimUnit, claimFile:
		if i := strings.LastIndexByte(c.name, '.'); i > 0 {
			return c.name[:i]
		}
	}
	return c.name
}

// appRoles are the roles an app runs: its own, or the default web.
func appRoles(a *generator.App) []generator.Role { return a.RunningRoles() }

// appClaims lists every name app a would create.
func appClaims(a *generator.App) []nameClaim {
	file := generator.Pos{File: a.ConfigPath}
	var cs []nameClaim
	add := func(kind claimKind, name, key string, pos generator.Pos) {
		if pos.File == "" {
			pos = a.PosOf(key)
		}
		cs = append(cs, nameClaim{kind, name, key, pos})
	}
	add(claimUnit, TargetUnit(a.Name), "", file)
	for _, step := range []string{"migrate", "configure"} {
		key, pos := step, a.PosOf(step)
		if _, set := a.KeyPos[step]; !set {
			key, pos = "", file
		}
		add(claimUnit, a.Name+"-"+step+".service", key, pos)
		add(claimFile, a.Name+"-"+step+".container", key, pos)
		add(claimContainer, ContainerName(a.Name, step), key, pos)
	}
	roles := appRoles(a)
	primary := a.PrimaryRole()
	for _, r := range roles {
		if !unitName(r.Name) {
			continue // renderApp says what is wrong with it
		}
		key := "roles." + r.Name
		add(claimUnit, RoleUnit(a.Name, r.Name), key, r.Pos)
		add(claimFile, RoleContainerFile(a.Name, r.Name), key, r.Pos)
		add(claimContainer, ContainerName(a.Name, r.Name), key, r.Pos)
	}
	for _, t := range a.Timers {
		if !unitName(t.Name) {
			continue
		}
		key := "timers." + t.Name
		add(claimUnit, TimerUnit(a.Name, t.Name), key, t.Pos)
		add(claimUnit, RoleUnit(a.Name, t.Name), key, t.Pos)
		add(claimFile, RoleContainerFile(a.Name, t.Name), key, t.Pos)
		add(claimContainer, ContainerName(a.Name, t.Name), key, t.Pos)
	}
	if a.AutoUpdate != nil {
		add(claimUnit, AutoUpdateUnit(a.Name), "auto_update", a.AutoUpdate.Pos)
		add(claimUnit, AutoUpdateTimer(a.Name), "auto_update", a.AutoUpdate.Pos)
	}
	seen := map[string]bool{}
	for i, v := range a.Volumes {
		if !v.Named() || seen[v.Host] || !unitName(v.Host) {
			continue
		}
		seen[v.Host] = true
		key := fmt.Sprintf("volumes[%d]", i)
		add(claimUnit, VolumeUnit(a.Name, v.Host), key, v.Pos)
		add(claimFile, VolumeFile(a.Name, v.Host), key, v.Pos)
		add(claimVolume, VolumeName(a.Name, v.Host), key, v.Pos)
	}
	if len(a.Links) > 0 {
		add(claimUnit, LinkNetworkUnit(a.Name), "links", a.Links[0].Pos)
		add(claimFile, LinkNetworkFile(a.Name), "links", a.Links[0].Pos)
		add(claimNetwork, LinkNetworkName(a.Name), "links", a.Links[0].Pos)
	}
	if a.Proxy != nil {
		next := NextSlotRole(primary.Name)
		add(claimUnit, ProxyUnit(a.Name), "proxy", a.Proxy.Pos)
		add(claimUnit, RoleUnit(a.Name, next), "proxy", a.Proxy.Pos)
		add(claimFile, RoleContainerFile(a.Name, next), "proxy", a.Proxy.Pos)
		add(claimContainer, ContainerName(a.Name, next), "proxy", a.Proxy.Pos)
		if a.Proxy.TLS != nil && a.Proxy.TLS.ACME != nil {
			add(claimUnit, CertificatesUnit(a.Name), "proxy.tls.acme", a.Proxy.TLS.ACME.Pos)
			add(claimUnit, CertificatesTimer(a.Name), "proxy.tls.acme", a.Proxy.TLS.ACME.Pos)
		}
	}
	return cs
}

// systemdSpecialUnits are the stems of systemd.special(7) units (system and
// user managers) and of units every system has: an app must not write them.
var systemdSpecialUnits = map[string]bool{}

func init() {
	for _, s := range strings.Fields(`
		basic blockdev bluetooth boot-complete cryptsetup cryptsetup-pre ctrl-alt-del
		dbus default display-manager emergency exit factory-reset final
		first-boot-complete getty getty-pre graphical graphical-session
		graphical-session-pre halt hibernate hybrid-sleep imports imports-pre init
		initrd initrd-fs initrd-root-device initrd-root-fs initrd-switch-root
		initrd-usr-fs integritysetup integritysetup-pre kbrequest kexec local-fs
		local-fs-pre machines multi-user network network-online network-pre
		nss-lookup nss-user-lookup paths poweroff printer reboot remote-cryptsetup
		remote-fs remote-fs-pre remote-integritysetup remote-veritysetup rescue
		rpcbind runlevel0 runlevel1 runlevel2 runlevel3 runlevel4 runlevel5
		runlevel6 shutdown sigpwr sleep slices smartcard sockets soft-reboot sound
		ssh-access storage-target-mode suspend suspend-then-hibernate swap sysinit
		syslog system-update system-update-cleanup system-update-pre
		time-set time-sync timers tpm2 umount usb veritysetup veritysetup-pre
		xdg-desktop-autostart -`) {
		systemdSpecialUnits[s] = true
	}
}

// reservedUnitPrefixes are stems whose units belong to systemd, D-Bus,
// Podman and quadlaunch itself.
var reservedUnitPrefixes = []string{"systemd-", "dbus-", "podman", "quadlaunch", "user@", "user-runtime-dir@"}

// reservedNetworks are Podman's own network names and modes.
var reservedNetworks = map[string]bool{"podman": true, "host": true, "none": true, "bridge": true,
	"private": true, "slirp4netns": true, "pasta": true, "container": true, "ns": true}

// unitNameChars is systemd's unit name alphabet (unit_name_is_valid), less '@'
// and '\' which quadlaunch never puts in a name.
func unitNameChars(s string) bool {
	for _, c := range []byte(s) {
		if !(c == '_' || c == '-' || c == '.' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// checkNames applies the naming authority to apps (sorted by name) and
// returns the errors of every app it refuses. configNames are the names of
// every config found, loaded or not; unitExists, if set, says whether the
// host already has a unit of that name.
func checkNames(apps []*generator.App, configNames []string, unitExists func(string) bool) map[string][]generator.Diagnostic {
	owners := map[string]bool{}
	for _, n := range configNames {
		owners[n] = true
	}
	for _, a := range apps {
		owners[a.Name] = true
	}
	// ownerOf is the longest app name that owns stem: the stem itself, or a
	// prefix of it that ends right before a '-'.
	ownerOf := func(stem string) string {
		if owners[stem] {
			return stem
		}
		for i := len(stem) - 1; i > 0; i-- {
			if stem[i] == '-' && owners[stem[:i]] {
				return stem[:i]
			}
		}
		return ""
	}
	errs := map[string][]generator.Diagnostic{}
	refused := map[string]bool{} // app NUL key
	refuse := func(a *generator.App, c nameClaim, format string, args ...any) {
		refused[a.Name+"\x00"+c.key] = true
		errs[a.Name] = append(errs[a.Name], generator.Diagnostic{Pos: c.pos, Key: c.key, Msg: fmt.Sprintf(format, args...)})
	}
	type holder struct {
		app   *generator.App
		claim nameClaim
	}
	taken := map[claimKind]map[string]holder{}
	for k := claimUnit; k <= claimNetwork; k++ {
		taken[k] = map[string]holder{}
	}
	for _, a := range apps {
		claims := appClaims(a)
		own := map[claimKind]map[string]nameClaim{}
		for _, c := range claims {
			if refused[a.Name+"\x00"+c.key] {
				continue // one error per key: a role makes a unit, a file and a container
			}
			switch {
			case len(c.name) > maxNameBytes:
				refuse(a, c, "%s name %s... is %d bytes, more than the %d systemd and the file system allow: shorten the app or %s name",
					c.kind, c.name[:40], len(c.name), maxNameBytes, nameSource(c.key))
				continue
			case c.kind == claimUnit && !unitNameChars(c.name):
				refuse(a, c, "%q is not a valid systemd unit name", c.name)
				continue
			}
			if own[c.kind] == nil {
				own[c.kind] = map[string]nameClaim{}
			}
			if first, dup := own[c.kind][c.name]; dup && first.key != c.key {
				refuse(a, c, "%s %s is already made by %s: rename one of them", c.kind, c.name, keyOrApp(first.key))
				continue
			}
			own[c.kind][c.name] = c
			stem := c.stem()
			if c.kind == claimUnit {
				if systemdSpecialUnits[stem] {
					refuse(a, c, "%s is one of systemd's own units (systemd.special(7)): rename the app", c.name)
					continue
				}
				if p := reservedPrefix(stem); p != "" {
					refuse(a, c, "%s: unit names starting with %q belong to %s", c.name, p, prefixOwner(p))
					continue
				}
				if unitExists != nil && unitExists(c.name) {
					refuse(a, c, "the host already has a unit %s, which this one would replace", c.name)
					continue
				}
			}
			if c.kind == claimNetwork && reservedNetworks[c.name] {
				refuse(a, c, "network %s is one of Podman's own names", c.name)
				continue
			}
			if o := ownerOf(stem); o != "" && o != a.Name {
				refuse(a, c, "%s %s lies in the names of app %s (the longer app name owns %s-*): rename %s",
					c.kind, c.name, o, o, nameSource(c.key))
				continue
			}
			if h, dup := taken[c.kind][c.name]; dup && h.app.Name != a.Name {
				// Cannot happen while every name starts with its app's name
				// and the namespace rule holds; kept so a future name cannot
				// silently be shared. Apps come in name order: the first keeps it.
				refuse(a, c, "%s %s is already made by app %s (%s), which comes first by name", c.kind, c.name, h.app.Name, h.claim.pos)
				continue
			}
			taken[c.kind][c.name] = holder{a, c}
		}
	}
	return errs
}

func reservedPrefix(stem string) string {
	for _, p := range reservedUnitPrefixes {
		if strings.HasPrefix(stem, p) {
			return p
		}
	}
	return ""
}

func prefixOwner(p string) string {
	switch {
	case strings.HasPrefix(p, "systemd"), strings.HasPrefix(p, "user"):
		return "systemd"
	case p == "dbus-":
		return "D-Bus"
	case p == "podman":
		return "Podman"
	}
	return "quadlaunch's shared units"
}

func nameSource(key string) string {
	switch {
	case strings.HasPrefix(key, "roles."):
		return "the role"
	case strings.HasPrefix(key, "volumes"):
		return "the volume"
	case key == "":
		return "the app (its config file)"
	}
	return "the app"
}

func keyOrApp(key string) string {
	if key == "" {
		return "the app itself"
	}
	return key
}
