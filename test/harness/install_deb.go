package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func init() { installers["deb"] = debInstaller{} }

// debInstalledAt is where the package file is copied inside the testbed. Not
// /tmp: Debian 13 mounts a tmpfs there at boot, and a reboot would lose it.
const debInstalledAt = "/var/cache/quadlaunch-e2e/quadlaunch.deb"

// debInstaller installs dist/quadlaunch_*.deb (make package) the way an
// operator does: `apt-get install ./x.deb` in the booted testbed, then
// `systemctl daemon-reload`. The testbed has no network; the rootfs already
// holds podman and systemd, so apt resolves the dependencies locally.
type debInstaller struct{}

func (debInstaller) Name() string { return "deb" }

// BeforeBoot only checks that there is exactly one package to install, so a
// missing `make package` fails before a testbed boots for nothing.
func (debInstaller) BeforeBoot(tb *Testbed) ([]string, error) {
	_, err := debPackage(tb.Repo)
	return nil, err
}

// AfterBoot installs the package unless this very file is installed already (a
// reboot boots the same overlay, with the package still in it).
func (debInstaller) AfterBoot(tb *Testbed) error {
	deb, err := debPackage(tb.Repo)
	if err != nil {
		return err
	}
	version, err := debVersion(deb)
	if err != nil {
		return err
	}
	if got, _ := tb.Exec("dpkg-query", "-W", "-f", "${Status} ${Version}", "quadlaunch"); got == "install ok installed "+version {
		return nil
	}
	if err := aptInstall(tb, deb, debInstalledAt); err != nil {
		return err
	}
	// postinst reloads already; an operator following the docs reloads anyway,
	// and the scenarios must not depend on the maintainer script doing it.
	if _, err := tb.Systemctl("daemon-reload"); err != nil {
		return err
	}
	tb.logf("installed %s (%s)", filepath.Base(deb), version)
	return nil
}

// aptInstall copies the host's deb to inside (a testbed path) and installs it
// with apt-get, non-interactively. Extra apt-get arguments come first.
func aptInstall(tb *Testbed, deb, inside string, aptArgs ...string) error {
	if err := copyIntoTestbed(tb, deb, inside); err != nil {
		return err
	}
	args := append([]string{"env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q"}, aptArgs...)
	// A path argument makes apt install that file (it must contain a "/").
	if _, err := tb.Exec(append(args, inside)...); err != nil {
		return fmt.Errorf("apt-get install %s in the testbed: %w", filepath.Base(deb), err)
	}
	return nil
}

// debPackage returns the one dist/quadlaunch_*.deb (packaging/build.sh keeps
// only the last build's there).
func debPackage(repo string) (string, error) {
	debs, _ := filepath.Glob(filepath.Join(repo, "dist", "quadlaunch_*.deb"))
	switch len(debs) {
	case 1:
		return debs[0], nil
	case 0:
		return "", fmt.Errorf("no dist/quadlaunch_*.deb (run make package)")
	default:
		return "", fmt.Errorf("more than one dist/quadlaunch_*.deb: %s", strings.Join(debs, " "))
	}
}

// debVersion reads the package's version from its name,
// quadlaunch_<version>_<arch>.deb (nfpm and build.sh name it so).
func debVersion(deb string) (string, error) {
	parts := strings.Split(strings.TrimSuffix(filepath.Base(deb), ".deb"), "_")
	if len(parts) != 3 || parts[1] == "" {
		return "", fmt.Errorf("%s: not named quadlaunch_<version>_<arch>.deb", deb)
	}
	return parts[1], nil
}

// copyIntoTestbed copies a host file to a path inside the running testbed
// (parent directories created, owned by root, mode 0644).
func copyIntoTestbed(tb *Testbed, src, inside string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	dst := tb.Root() + inside
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("copy %s into the testbed: %w", src, err)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("copy %s into the testbed: %w", src, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s into the testbed: %w", src, err)
	}
	return out.Close()
}
