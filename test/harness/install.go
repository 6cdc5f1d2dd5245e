package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// Installer puts the project's binaries into a testbed. The default ("bind")
// bind-mounts bin/ from the host; "deb" (install_deb.go, chosen with
// -install=deb as make e2e does) apt-installs dist/quadlaunch_*.deb in AfterBoot.
type Installer interface {
	Name() string
	// BeforeBoot prepares the not yet booted rootfs (tb.merged()) and returns
	// extra systemd-nspawn arguments. It runs again for each reboot.
	BeforeBoot(tb *Testbed) ([]string, error)
	// AfterBoot finishes the installation in the booted testbed.
	AfterBoot(tb *Testbed) error
}

var installers = map[string]Installer{"bind": bindInstaller{}}

const (
	cliInside       = "/usr/bin/quadlaunch"
	podmanCLIInside = "/usr/libexec/quadlaunch/quadlaunch-podman"
	generatorInside = "/usr/lib/systemd/system-generators/quadlaunch-generator"
	// The same binary runs as the user generator: it switches to user mode when
	// its name contains "user" (as podman-user-generator does).
	userGeneratorInside = "/usr/lib/systemd/user-generators/quadlaunch-user-generator"
)

// bindInstaller bind-mounts bin/quadlaunch, bin/quadlaunch-podman and
// bin/quadlaunch-generator read-only, and links the user generator to the system one. systemd runs the
// generators at boot already, so nothing is left to do after boot.
type bindInstaller struct{}

func (bindInstaller) Name() string { return "bind" }

func (bindInstaller) BeforeBoot(tb *Testbed) ([]string, error) {
	cli := filepath.Join(tb.BinDir, "quadlaunch")
	podmanCLI := filepath.Join(tb.BinDir, "quadlaunch-podman")
	gen := filepath.Join(tb.BinDir, "quadlaunch-generator")
	for _, p := range []string{cli, podmanCLI, gen} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%w (run make build)", err)
		}
	}
	link := filepath.Join(tb.merged(), userGeneratorInside)
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(link); os.IsNotExist(err) {
		if err := os.Symlink(generatorInside, link); err != nil {
			return nil, err
		}
	}
	return []string{"--bind-ro=" + cli + ":" + cliInside, "--bind-ro=" + podmanCLI + ":" + podmanCLIInside,
		"--bind-ro=" + gen + ":" + generatorInside}, nil
}

func (bindInstaller) AfterBoot(tb *Testbed) error { return nil }
