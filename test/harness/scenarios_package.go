package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// The scenarios of issue #5 (Show): the .deb as an operator meets it in a
// testbed. This group always installs with the deb installer, whatever -install
// says, and runs in order: install, remove, then an upgrade from an older build.
// `man quadlaunch` is not checked here (the rootfs has no man-db): packaging/check.sh
// renders every page on the host.
func init() {
	register(Group{
		Name:      "package",
		Order:     150,
		Installer: debInstaller{},
		Setup: func(tb *Testbed) error {
			if err := installDemo(tb, false); err != nil {
				return err
			}
			return installDemo(tb, true)
		},
		Scenarios: []Scenario{
			{Name: "installed .deb: demo units for root and tester, bash completion loads", Run: scenarioPackageInstalled},
			{Name: "apt remove then daemon-reload: no quadlaunch unit left, configs kept", Run: scenarioPackageRemove},
			{Name: "upgrade from an older build keeps edited configs and the running app", Run: scenarioPackageUpgrade},
		},
	})
}

// oldPackageVersion sorts before every version pkgversion.sh makes (they all
// start with a number followed by "." or end there, and "~" sorts first).
const oldPackageVersion = "0~e2e.old"

// generatorDirs are where systemd's generators write (system and tester's manager).
var generatorDirs = []string{
	"/run/systemd/generator", "/run/systemd/generator.early", "/run/systemd/generator.late",
	runtimeDir + "/systemd/generator", runtimeDir + "/systemd/generator.early", runtimeDir + "/systemd/generator.late",
}

func scenarioPackageInstalled(tb *Testbed) error {
	deb, err := debPackage(tb.Repo)
	if err != nil {
		return err
	}
	version, _ := debVersion(deb)
	if got, _ := tb.Exec("dpkg-query", "-W", "-f", "${Status} ${Version}", "quadlaunch"); got != "install ok installed "+version {
		return fmt.Errorf("dpkg-query quadlaunch: %q, want installed %s", got, version)
	}
	if _, err := tb.Systemctl("daemon-reload"); err != nil {
		return err
	}
	if _, err := tb.SystemctlUser("daemon-reload"); err != nil {
		return err
	}
	var problems []string
	for _, u := range demoUnits {
		if st := unitValue(tb, false, u, "LoadState"); st != "loaded" {
			problems = append(problems, fmt.Sprintf("system %s: LoadState=%q", u, st))
		}
		if st := unitValue(tb, true, u, "LoadState"); st != "loaded" {
			problems = append(problems, fmt.Sprintf("tester's %s: LoadState=%q", u, st))
		}
	}
	// bash-completion is not in the rootfs: source the packaged file as its
	// loader would, in the test user's bash. (Completing itself needs
	// bash-completion's helpers: packaging/check.sh completes on the host.)
	out, err := tb.ExecUser("bash", "-c", "source /usr/share/bash-completion/completions/quadlaunch && complete -p quadlaunch")
	if err != nil || !strings.HasSuffix(strings.TrimSpace(out), " quadlaunch") {
		problems = append(problems, fmt.Sprintf("bash completion does not load: %q %v", out, err))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

func scenarioPackageRemove(tb *Testbed) error {
	if _, err := tb.Systemctl("start", "demo.target"); err != nil {
		return err
	}
	if err := waitServes(tb, 90*time.Second); err != nil {
		return err
	}
	if _, err := tb.Exec("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "remove", "-y", "-q", "quadlaunch"); err != nil {
		return err
	}
	if _, err := tb.Systemctl("daemon-reload"); err != nil {
		return err
	}
	var problems []string
	// Units: nothing of the demo app nor of quadlaunch, loaded or as a file, in
	// the system manager or in tester's. postrm SIGHUPs the user managers; give
	// tester's a moment to finish that reload.
	patterns := []string{"demo*", "demo-*", "quadlaunch*"}
	if out, _ := tb.Systemctl(append([]string{"list-units", "--all", "--no-legend", "--plain"}, patterns...)...); strings.TrimSpace(out) != "" {
		problems = append(problems, "system units left:\n"+out)
	}
	if out, _ := tb.Systemctl(append([]string{"list-unit-files", "--no-legend"}, patterns...)...); strings.TrimSpace(out) != "" {
		problems = append(problems, "system unit files left:\n"+out)
	}
	err := tb.WaitFor(20*time.Second, "no unit in tester's manager", func() error {
		units, _ := tb.SystemctlUser(append([]string{"list-units", "--all", "--no-legend", "--plain"}, patterns...)...)
		files, _ := tb.SystemctlUser(append([]string{"list-unit-files", "--no-legend"}, patterns...)...)
		if strings.TrimSpace(units+files) != "" {
			return fmt.Errorf("tester's units left:\n%s%s", units, files)
		}
		return nil
	})
	if err != nil {
		problems = append(problems, err.Error())
	}
	// Generator output: no file named after the app or by quadlaunch, none mentioning it.
	find := "for d in " + strings.Join(generatorDirs, " ") + `; do [ -d "$d" ] || continue; find "$d" \( -name 'demo*' -o -name 'quadlaunch*' \) -print; grep -rl quadlaunch "$d"; done; true`
	if out, _ := tb.Exec("sh", "-c", find); strings.TrimSpace(out) != "" {
		problems = append(problems, "quadlaunch files left in generator directories:\n"+out)
	}
	if out, _ := tb.Exec("podman", "ps", "-a", "--format", "{{.Names}}"); strings.Contains(out, "demo-") {
		problems = append(problems, "demo containers left:\n"+out)
	}
	// Removal (not purge) keeps conffiles and the operator's configs.
	if st, _ := tb.Exec("dpkg-query", "-W", "-f", "${Status}", "quadlaunch"); st != "deinstall ok config-files" {
		problems = append(problems, fmt.Sprintf("dpkg status after remove: %q, want deinstall ok config-files", st))
	}
	for _, p := range []string{demoConfigPath(false), demoConfigPath(true), "/etc/quadlaunch/containers/example.yml.sample"} {
		if _, err := os.Stat(tb.Root() + p); err != nil {
			problems = append(problems, fmt.Sprintf("%s gone after remove: %v", p, err))
		}
	}
	for _, p := range []string{cliInside, generatorInside, userGeneratorInside} {
		if _, err := os.Lstat(tb.Root() + p); err == nil {
			problems = append(problems, p+" still there after remove")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

// scenarioPackageUpgrade installs an older build whose packaged example config
// differs, edits that conffile and the demo app's config, starts the app and
// upgrades to the current build as an unattended operator would (keep my files
// when asked). Whatever the previous scenario left, the older build goes in
// with --allow-downgrades.
func scenarioPackageUpgrade(tb *Testbed) error {
	deb, err := debPackage(tb.Repo)
	if err != nil {
		return err
	}
	version, _ := debVersion(deb)
	if _, err := tb.Exec("dpkg", "--compare-versions", oldPackageVersion, "lt", version); err != nil {
		return fmt.Errorf("old build's version %s does not sort before %s", oldPackageVersion, version)
	}
	old, err := buildOldPackage(tb.Repo)
	if err != nil {
		return err
	}
	if err := aptInstall(tb, old, "/var/cache/quadlaunch-e2e/quadlaunch-old.deb", "--allow-downgrades"); err != nil {
		return err
	}
	if got, _ := tb.Exec("dpkg-query", "-W", "-f", "${Version}", "quadlaunch"); got != oldPackageVersion {
		return fmt.Errorf("installed version %q, want the old build %s", got, oldPackageVersion)
	}
	sample := "/etc/quadlaunch/containers/example.yml.sample"
	if data, _ := tb.ReadFile(sample); !strings.Contains(data, oldSampleMark) {
		return fmt.Errorf("%s is not the old build's (no %q):\n%s", sample, oldSampleMark, data)
	}
	// The operator edits the packaged conffile and the app's own config.
	if _, err := tb.Exec("sh", "-c", "echo '# edited by the operator' >> "+sample); err != nil {
		return err
	}
	if _, err := tb.Exec("sh", "-c", "echo '# edited by the operator' >> "+demoConfigPath(false)); err != nil {
		return err
	}
	if _, err := tb.Systemctl("daemon-reload"); err != nil {
		return err
	}
	if _, err := tb.Systemctl("start", "demo.target"); err != nil {
		return err
	}
	if err := waitServes(tb, 90*time.Second); err != nil {
		return err
	}
	// Every config file but dpkg's own .dpkg-dist/.dpkg-old copies (checked below).
	sums := `find /etc/quadlaunch -type f ! -name '*.dpkg-*' -exec md5sum {} + | sort -k2`
	before, err := tb.Exec("sh", "-c", sums)
	if err != nil {
		return err
	}
	pid := unitValue(tb, false, "demo-web.service", "MainPID")

	if err := aptInstall(tb, deb, debInstalledAt,
		"-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"); err != nil {
		return err
	}
	var problems []string
	if got, _ := tb.Exec("dpkg-query", "-W", "-f", "${Status} ${Version}", "quadlaunch"); got != "install ok installed "+version {
		problems = append(problems, fmt.Sprintf("after upgrade dpkg-query says %q, want installed %s", got, version))
	}
	if after, _ := tb.Exec("sh", "-c", sums); after != before {
		problems = append(problems, fmt.Sprintf("configs changed by the upgrade:\nbefore:\n%safter:\n%s", before, after))
	}
	// The new build's conffile differs, so dpkg keeps the edit and puts its own next to it.
	if _, err := os.Stat(tb.Root() + sample + ".dpkg-dist"); err != nil {
		problems = append(problems, fmt.Sprintf("no %s.dpkg-dist next to the kept edit: %v", sample, err))
	}
	if got := unitValue(tb, false, "demo-web.service", "MainPID"); got != pid || got == "0" {
		problems = append(problems, fmt.Sprintf("demo-web MainPID %s before the upgrade, %s after: the app did not keep running", pid, got))
	}
	if err := checkServes(tb); err != nil {
		problems = append(problems, "after upgrade: "+err.Error())
	}
	if _, err := tb.Systemctl("daemon-reload"); err != nil {
		return err
	}
	for _, u := range demoUnits {
		if st := unitValue(tb, false, u, "LoadState"); st != "loaded" {
			problems = append(problems, fmt.Sprintf("after upgrade and daemon-reload %s: LoadState=%q", u, st))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

// oldSampleMark is appended to the old build's example config, so the packaged
// conffile changes between the two builds (the case where dpkg would ask).
const oldSampleMark = "# (as shipped by an older build)"

// buildOldPackage builds the current contents as version oldPackageVersion,
// with a different example config, into a directory of its own: nfpm with a
// copy of packaging/nfpm.yaml (build.sh would replace dist/'s packages). It
// needs what make package leaves behind: bin/nfpm and dist/stage/.
func buildOldPackage(repo string) (string, error) {
	dir := filepath.Join(cacheDir, "build", strconv.Itoa(os.Getpid()), "old-package")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	sample, err := os.ReadFile(filepath.Join(repo, "packaging", "example.yml.sample"))
	if err != nil {
		return "", err
	}
	oldSample := filepath.Join(dir, "example.yml.sample")
	if err := os.WriteFile(oldSample, append(sample, []byte("\n"+oldSampleMark+"\n")...), 0o600); err != nil {
		return "", err
	}
	conf, err := os.ReadFile(filepath.Join(repo, "packaging", "nfpm.yaml"))
	if err != nil {
		return "", err
	}
	const src = "src: packaging/example.yml.sample"
	if !strings.Contains(string(conf), src) {
		return "", fmt.Errorf("packaging/nfpm.yaml has no %q to replace", src)
	}
	oldConf := filepath.Join(dir, "nfpm.yaml")
	if err := os.WriteFile(oldConf, []byte(strings.Replace(string(conf), src, "src: "+oldSample, 1)), 0o644); err != nil {
		return "", err
	}
	target := filepath.Join(dir, "quadlaunch_"+oldPackageVersion+"_"+runtime.GOARCH+".deb")
	cmd := exec.Command(filepath.Join(repo, "bin", "nfpm"), "package", "--config", oldConf, "--packager", "deb", "--target", target)
	cmd.Dir = repo // nfpm.yaml's sources are relative to the repository root
	cmd.Env = append(os.Environ(), "QUADLAUNCH_PKG_VERSION="+oldPackageVersion, "GOARCH="+runtime.GOARCH,
		"QUADLAUNCH_MAINTAINER=quadlaunch e2e <quadlaunch@users.noreply.github.com>")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the old package (make package first): %v: %s", err, out)
	}
	return target, nil
}
