package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The testbed rootfs: Debian 13 (systemd 257, Podman 5.4.2 with Quadlet). The
// cache key is a hash of everything below, so changing the package list or the
// recipe builds a new rootfs next to the old one.
const (
	suite  = "trixie"
	mirror = "http://deb.debian.org/debian"
)

var rootfsPackages = []string{
	"systemd", "systemd-sysv", "dbus", "dbus-user-session", "libpam-systemd",
	"podman", "crun", "runc", "conmon", "netavark", "aardvark-dns", "passt", "slirp4netns",
	"uidmap", "fuse-overlayfs", "catatonit", "buildah", "containers-storage",
	"golang-github-containers-common", "iptables", "nftables",
	"busybox-static", "curl", "ca-certificates", "iproute2", "procps", "util-linux",
	"nginx",               // the deploy proxy (issue #6)
	"libnginx-mod-stream", // its TCP passthrough of published ports other than HTTP, and the front's SNI routing
	"docker-registry",     // a real registry on loopback for push and image: (issue #19)
}

// rootfsRecipe runs in a chroot of the fresh rootfs. Each line exists because
// something failed without it.
const rootfsRecipe = `set -eu
echo testbed > /etc/hostname
# No cgroup2 controllers reach the container on a hybrid host: podman's default
# pids limit would fail with "controller pids is not available".
mkdir -p /etc/containers/containers.conf.d /etc/containers/systemd
printf '[containers]\npids_limit = 0\n' > /etc/containers/containers.conf.d/50-testbed.conf
# nspawn hands /dev/net/tun (rootless pasta) and /dev/fuse over as 0600 root.
printf 'z /dev/net/tun 0666 - - -\nz /dev/fuse 0666 - - -\n' > /etc/tmpfiles.d/testbed-devices.conf
# Nothing is reachable from the private network anyway; keep boots quiet and quick.
systemctl mask -q apt-daily.timer apt-daily-upgrade.timer systemd-networkd-wait-online.service || true
systemctl enable -q podman.socket
# quadlaunch runs nginx as each app's own proxy unit; the package's default site is not wanted.
systemctl disable -q nginx.service 2>/dev/null || true
# Nothing brings network-online.target up in a private netns, and rootless Quadlet
# units wait 90 s for it (podman-user-wait-network-online.service): pull it in at boot.
mkdir -p /etc/systemd/system/multi-user.target.wants
ln -sf /usr/lib/systemd/system/network-online.target /etc/systemd/system/multi-user.target.wants/network-online.target
# A persistent journal, so a reboot scenario can read the previous boot.
mkdir -p /var/log/journal
# The rootless test user, with subordinate ids and lingering (user@1000 starts at boot).
useradd -m -s /bin/bash -u 1000 tester
grep -q '^tester:' /etc/subuid || echo 'tester:100000:65536' >> /etc/subuid
grep -q '^tester:' /etc/subgid || echo 'tester:100000:65536' >> /etc/subgid
mkdir -p /var/lib/systemd/linger && touch /var/lib/systemd/linger/tester
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb
`

const rootfsRecipeVersion = "1"

func rootfsKey() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n%s", rootfsRecipeVersion, suite, mirror, strings.Join(rootfsPackages, ","), rootfsRecipe)
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// ensureRootfs returns the cached golden rootfs, building it first if needed.
// A lock file serialises concurrent harness runs building the same rootfs.
func ensureRootfs(cache string) (string, error) {
	golden := filepath.Join(cache, "rootfs-"+rootfsKey())
	if _, err := os.Stat(filepath.Join(golden, ".complete")); err == nil {
		return golden, nil
	}
	unlock, err := lockCache(cache, "rootfs")
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(golden, ".complete")); err == nil {
		return golden, nil // built by another run while we waited
	}
	if err := hostPrereqs(); err != nil {
		return "", err
	}
	t0 := time.Now()
	tmp := golden + ".tmp"
	os.RemoveAll(tmp)
	logf("rootfs: building %s (mmdebstrap %s minbase + %d packages), about a minute", filepath.Base(golden), suite, len(rootfsPackages))
	logPath := filepath.Join(cache, "mmdebstrap.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return "", err
	}
	cmd := exec.Command("mmdebstrap", "--mode=root", "--variant=minbase",
		`--aptopt=APT::Install-Recommends "false"`,
		"--include="+strings.Join(rootfsPackages, ","), suite, tmp, mirror)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	err = cmd.Run()
	logFile.Close()
	if err != nil {
		return "", fmt.Errorf("rootfs: mmdebstrap: %w (log %s):\n%s", err, logPath, tailFile(logPath, 20))
	}
	out, err := exec.Command("chroot", tmp, "/bin/sh", "-c", rootfsRecipe).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("rootfs: recipe: %w: %s", err, out)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, golden); err != nil {
		return "", err
	}
	logf("rootfs: built in %.0fs", time.Since(t0).Seconds())
	return golden, nil
}

// lockCache takes the cache's lock file NAME.lock, so concurrent harness runs
// build a cached artefact once; unlock releases it.
func lockCache(cache, name string) (unlock func(), err error) {
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(filepath.Join(cache, name+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		lock.Close()
		return nil, fmt.Errorf("lock %s cache: %w", name, err)
	}
	return func() {
		syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
		lock.Close()
	}, nil
}

// hostPrereqs installs what the harness needs on a fresh Debian/Ubuntu host.
func hostPrereqs() error {
	var missing []string
	for bin, pkg := range map[string]string{"mmdebstrap": "mmdebstrap", "systemd-nspawn": "systemd-container", "nsenter": "util-linux"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, pkg)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	logf("host: installing %s", strings.Join(missing, " "))
	if out, err := exec.Command("apt-get", "update", "-qq").CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get update: %v: %s", err, out)
	}
	cmd := exec.Command("apt-get", append([]string{"install", "-y", "-qq", "--no-install-recommends"}, missing...)...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get install %s: %v: %s", strings.Join(missing, " "), err, out)
	}
	return nil
}
