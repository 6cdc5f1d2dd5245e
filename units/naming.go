package units

import (
	"path/filepath"
	"strings"

	"github.com/quadlaunch/quadlaunch/generator"
)

// Names of everything quadlaunch creates for an app. They are part of the
// user-visible contract (systemctl status A-web), so they live in one place.

// LinkNetworkFile is the Quadlet file of the network of an app that links to
// others: its containers join it, and each app it links to joins it with the
// link's alias, so the alias is seen by this app only (launcher's --link).
func LinkNetworkFile(app string) string { return app + "-links.network" }

// LinkNetworkUnit is the service Quadlet generates from LinkNetworkFile.
func LinkNetworkUnit(app string) string { return app + "-links-network.service" }

// LinkNetworkName is the Podman network LinkNetworkFile creates.
func LinkNetworkName(app string) string { return app + "-links" }

// ImageRepo is the local repository holding an app's images; the tag "current"
// is the one the units run.
func ImageRepo(app string) string { return "localhost/quadlaunch/" + app }

// ImageRef is the reference of one tag of an app's image.
func ImageRef(app, tag string) string { return ImageRepo(app) + ":" + tag }

// CurrentTag is the image tag every unit runs; the helper retags on deploy.
const CurrentTag = "current"

// ContainerName is the Podman container name of a role (and of the one-off
// migrate/configure containers, with role "migrate"/"configure").
func ContainerName(app, role string) string { return app + "-" + role }

// RoleContainerFile is the Quadlet file of a role.
func RoleContainerFile(app, role string) string { return app + "-" + role + ".container" }

// RoleUnit is the systemd service running a role.
func RoleUnit(app, role string) string { return app + "-" + role + ".service" }

// MigrateUnit and ConfigureUnit are the oneshot services run before the roles.
func MigrateUnit(app string) string   { return app + "-migrate.service" }
func ConfigureUnit(app string) string { return app + "-configure.service" }

// MigrateContainerFile and ConfigureContainerFile are their Quadlet files, used
// when the config gives a migrate/configure command.
func MigrateContainerFile(app string) string   { return app + "-migrate.container" }
func ConfigureContainerFile(app string) string { return app + "-configure.container" }

// TargetUnit groups an app's roles.
func TargetUnit(app string) string { return app + ".target" }

// VolumeFile is the Quadlet file of a named volume; VolumeName is the Podman
// volume it creates and VolumeUnit the service Quadlet generates for it.
func VolumeFile(app, name string) string { return app + "-" + name + ".volume" }
func VolumeName(app, name string) string { return app + "-" + name }
func VolumeUnit(app, name string) string { return app + "-" + name + "-volume.service" }

// EnvFile is the private env file of an app, inside Options.PrivateDir.
func EnvFile(app string) string { return app + ".env" }

// QuadletServiceName is the service quadlet makes of a Quadlet file:
// A-web.container -> A-web.service, A-data.volume -> A-data-volume.service.
func QuadletServiceName(file string) string {
	ext := filepath.Ext(file)
	base := strings.TrimSuffix(file, ext)
	if ext == ".container" {
		return base + ".service"
	}
	return base + "-" + strings.TrimPrefix(ext, ".") + ".service"
}

// SecretName is the Podman secret holding the value of a secret env var.
func SecretName(app, env string) string { return "quadlaunch-" + app + "-" + env }

// AppUnitNames are the systemd units of one app, by what each does.
type AppUnitNames struct {
	Target    string   // A.target: wants every role
	Migrate   string   // A-migrate.service
	Configure string   // A-configure.service
	Roles     []string // one service per running role, in the loader's order (web first)
	Primary   string   // the primary role's service: the live web slot (A-web unless Swapped)
	Others    []string // Roles without Primary
	Proxy     string   // A-proxy.service; "" without proxy:
	NextSlot  string   // the idle web slot, where a deploy starts the new version (A-web-next unless Swapped); "" without proxy:
	// Certificates and CertificatesTimer issue and renew the proxy's
	// certificate (A-certificates.service, .timer); "" without proxy.tls.acme.
	Certificates, CertificatesTimer string
	// Timers are the .timer units of timers:, in config order.
	Timers []string
}

// Swapped is n with the two web slots' roles exchanged: when A-web-next is
// the live slot, it is Primary (in Roles) and A-web the idle NextSlot.
func (n AppUnitNames) Swapped() AppUnitNames {
	if n.NextSlot == "" {
		return n
	}
	live, idle := n.NextSlot, n.Primary
	roles := make([]string, len(n.Roles))
	for i, r := range n.Roles {
		if r == idle {
			r = live
		}
		roles[i] = r
	}
	n.Roles, n.Primary, n.NextSlot = roles, live, idle
	return n
}

// AppUnits names every unit of app; status, logs, lifecycle and the rollout
// ask here rather than putting names together themselves.
func AppUnits(app *generator.App) AppUnitNames {
	n := AppUnitNames{Target: TargetUnit(app.Name), Migrate: MigrateUnit(app.Name), Configure: ConfigureUnit(app.Name)}
	primary := app.PrimaryRole().Name
	for _, r := range app.RunningRoles() {
		u := RoleUnit(app.Name, r.Name)
		n.Roles = append(n.Roles, u)
		if r.Name == primary {
			n.Primary = u
		} else {
			n.Others = append(n.Others, u)
		}
	}
	for _, t := range app.Timers {
		n.Timers = append(n.Timers, TimerUnit(app.Name, t.Name))
	}
	if app.AutoUpdate != nil && app.Image != nil {
		n.Timers = append(n.Timers, AutoUpdateTimer(app.Name))
	}
	if app.Proxy != nil {
		n.Proxy = ProxyUnit(app.Name)
		n.NextSlot = RoleUnit(app.Name, NextSlotRole(primary))
		if app.Proxy.TLS != nil && app.Proxy.TLS.ACME != nil {
			n.Certificates, n.CertificatesTimer = CertificatesUnit(app.Name), CertificatesTimer(app.Name)
		}
	}
	return n
}

// All lists every unit, target first, then migrate, configure, the roles,
// and with proxy: the proxy and the second web slot, then with
// proxy.tls.acme the certificate service and timer, then the timers of
// timers: (what status shows).
func (n AppUnitNames) All() []string {
	all := append([]string{n.Target, n.Migrate, n.Configure}, n.Roles...)
	if n.Proxy != "" {
		all = append(all, n.Proxy, n.NextSlot)
	}
	if n.Certificates != "" {
		all = append(all, n.Certificates, n.CertificatesTimer)
	}
	return append(all, n.Timers...)
}

// TimerUnit is the .timer of the app's timer name (timers:); its service,
// container file and container are A-NAME like a role's.
func TimerUnit(app, name string) string { return app + "-" + name + ".timer" }

// OwnsFile reports whether a generated file name (a unit, Quadlet file, env
// file or wants link; any directory is ignored) belongs to app: A.*, or A-*
// unless a longer config name owns it (app "shop" and app "shop-api": the
// file shop-api-web.service is shop-api's). configNames are every config's
// name on the host.
func OwnsFile(name, app string, configNames []string) bool {
	base := filepath.Base(name)
	switch {
	case strings.HasPrefix(base, app+"."):
		return true
	case !strings.HasPrefix(base, app+"-"):
		return false
	}
	for _, other := range configNames {
		if len(other) > len(app) && (strings.HasPrefix(base, other+"-") || strings.HasPrefix(base, other+".")) {
			return false
		}
	}
	return true
}
