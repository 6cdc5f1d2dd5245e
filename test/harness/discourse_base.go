package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// A Discourse-like base image made from Debian packages only, following
// discourse_docker's image/base (its Dockerfile and runit files, read from
// ../shared/corpus): runit as PID 1 through /sbin/boot, sv/chpst/svlogd, the
// /etc/service layout, cron, PostgreSQL 18, redis, nginx, sudo, en_US.UTF-8 and
// a thpoff stand-in. The corpus templates' base_image names it, so their
// configs run with no edit. Built once on the host with mmdebstrap and cached
// as a tarball next to the testbed rootfs; imported into each testbed that
// needs it with `podman import` (no registry).
//
// Debian's forky suite, because postgresql-18 is there (the templates use
// /usr/lib/postgresql/18 and /etc/postgresql/18/main, which the package's
// cluster creation makes as on discourse/base).
const discourseSuite = "forky"

var discoursePackages = []string{
	"runit", "cron", "anacron", "rsyslog", "logrotate", "sudo", "locales", "curl", "ca-certificates", "less",
	"postgresql-18", "postgresql-18-pgvector", "postgresql-client-18", "redis-server", "nginx",
	"socat", "procps", "psmisc", "gawk", "rsync", "git",
}

// discourseRecipe runs in a chroot of the fresh image root, after the corpus's
// image/base/etc and sbin were copied in (as the Dockerfile's COPY does).
const discourseRecipe = `set -eu
# discourse/base: ENV LANG en_US.UTF-8 and locale-gen
sed -i 's/^# *en_US.UTF-8/en_US.UTF-8/' /etc/locale.gen
locale-gen >/dev/null
# thpoff disables transparent huge pages for the process it runs; a stand-in
# that only runs it (the kernel setting does not matter in a test).
printf '#!/bin/sh\nexec "$@"\n' > /usr/local/sbin/thpoff
chmod 755 /usr/local/sbin/thpoff /sbin/boot /etc/runit/1 /etc/runit/2 /etc/runit/3 /etc/runit/1.d/* /etc/service/*/run
mkdir -p /etc/runit/1.d /etc/runit/3.d /var/log/nginx
# Debian's runit/cron/rsyslog init bits are for a booted system, not runsvdir.
rm -f /etc/cron.d/anacron
dpkg-divert --local --rename --add /sbin/initctl >/dev/null
ln -sf /bin/true /sbin/initctl
echo 2.0.$(date +%Y%m%d) > /VERSION
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /usr/share/doc/* /usr/share/man/*
`

const discourseRecipeVersion = "1"

// discourseImageEnv is the discourse/base image config the templates rely on.
var discourseImageEnv = []string{"LANG=en_US.UTF-8", "LC_ALL=en_US.UTF-8", "LANGUAGE=en_US.UTF-8", "PG_MAJOR=18",
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}

// corpusDir is ../shared/corpus/discourse_docker beside the repo.
func corpusDir(repo string) string {
	return filepath.Join(filepath.Dir(repo), "shared", "corpus", "discourse_docker")
}

// discourseBaseImage is the base_image the corpus's postgres template asks for.
func discourseBaseImage(repo string) (string, error) {
	b, err := os.ReadFile(filepath.Join(corpusDir(repo), "templates", "postgres.template.yml"))
	if err != nil {
		return "", fmt.Errorf("discourse base: %w", err)
	}
	m := regexp.MustCompile(`(?m)^base_image:\s*"?([^"\s]+)"?`).FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("discourse base: no base_image in templates/postgres.template.yml")
	}
	return string(m[1]), nil
}

func discourseBaseKey(repo string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n%s\n", discourseRecipeVersion, discourseSuite, mirror, strings.Join(discoursePackages, ","), discourseRecipe)
	base := filepath.Join(corpusDir(repo), "image", "base")
	for _, dir := range []string{"etc", "sbin"} {
		err := filepath.WalkDir(filepath.Join(base, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(base, p)
			fmt.Fprintf(h, "%s %d\n", rel, len(b))
			h.Write(b)
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("discourse base: corpus image/base: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// ensureDiscourseBase returns the cached base image tarball, building it first
// (mmdebstrap, about 3 minutes on a fresh host) and printing progress meanwhile.
func ensureDiscourseBase(repo string) (string, error) {
	key, err := discourseBaseKey(repo)
	if err != nil {
		return "", err
	}
	tarball := filepath.Join(cacheDir, "discourse-base-"+key+".tar")
	if _, err := os.Stat(tarball); err == nil {
		return tarball, nil
	}
	unlock, err := lockCache(cacheDir, "discourse-base")
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(tarball); err == nil {
		return tarball, nil
	}
	if err := hostPrereqs(); err != nil {
		return "", err
	}
	t0 := time.Now()
	root := filepath.Join(cacheDir, "discourse-base-"+key+".tmp")
	os.RemoveAll(root)
	defer os.RemoveAll(root)
	logf("discourse base: building (mmdebstrap %s + %d packages: postgresql-18, redis, nginx, runit, ...), about 3 minutes the first time", discourseSuite, len(discoursePackages))
	logPath := filepath.Join(cacheDir, "discourse-base-mmdebstrap.log")
	cmd := exec.Command("mmdebstrap", "--mode=root", "--variant=minbase",
		`--aptopt=APT::Install-Recommends "false"`,
		// A testing suite's Release file expires within weeks; a mirror snapshot may be older.
		`--aptopt=Acquire::Check-Valid-Until "false"`,
		"--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/doc/*",
		"--dpkgopt=path-exclude=/usr/share/locale/*",
		"--include="+strings.Join(discoursePackages, ","), discourseSuite, root, mirror)
	if err := runWithProgress(cmd, logPath, "discourse base", t0); err != nil {
		return "", fmt.Errorf("discourse base: mmdebstrap: %w (log %s):\n%s", err, logPath, tailFile(logPath, 20))
	}
	// As the Dockerfile: rm -f /etc/service, then COPY etc/ /etc and sbin/ /sbin.
	os.Remove(filepath.Join(root, "etc", "service"))
	base := filepath.Join(corpusDir(repo), "image", "base")
	for _, dir := range []string{"etc", "sbin"} {
		if out, err := exec.Command("cp", "-a", "--no-preserve=ownership", filepath.Join(base, dir)+"/.", filepath.Join(root, dir)).CombinedOutput(); err != nil {
			return "", fmt.Errorf("discourse base: copy corpus %s: %v: %s", dir, err, out)
		}
	}
	if out, err := exec.Command("chroot", root, "/bin/sh", "-c", discourseRecipe).CombinedOutput(); err != nil {
		return "", fmt.Errorf("discourse base: recipe: %w: %s", err, out)
	}
	tmp := tarball + ".tmp"
	if out, err := exec.Command("tar", "--numeric-owner", "--xattrs", "-C", root, "-cf", tmp, ".").CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("discourse base: tar: %v: %s", err, out)
	}
	if err := os.Rename(tmp, tarball); err != nil {
		return "", err
	}
	st, _ := os.Stat(tarball)
	logf("discourse base: built in %.0fs (%d MB)", time.Since(t0).Seconds(), st.Size()>>20)
	return tarball, nil
}

// runWithProgress runs cmd with its output in logPath and prints mmdebstrap's
// stage lines ("I: ...") as they come, so a long build shows it is moving.
func runWithProgress(cmd *exec.Cmd, logPath, what string, t0 time.Time) error {
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logFile, line)
			if strings.HasPrefix(line, "I: ") {
				logf("%s: %3.0fs %s", what, time.Since(t0).Seconds(), strings.TrimPrefix(line, "I: "))
			}
		}
	}()
	err = cmd.Run()
	pw.Close()
	<-done
	return err
}

// importDiscourseBase makes the base image available to the testbed's system
// Podman under the name the corpus templates use.
func importDiscourseBase(tb *Testbed) (string, error) {
	name, err := discourseBaseImage(tb.Repo)
	if err != nil {
		return "", err
	}
	if _, err := tb.Run("podman", "image", "exists", name); err == nil {
		return name, nil
	}
	tarball, err := ensureDiscourseBase(tb.Repo)
	if err != nil {
		return "", err
	}
	t0 := time.Now()
	inside := "/var/tmp/discourse-base.tar"
	if err := copyIntoTestbed(tb, tarball, inside); err != nil {
		return "", err
	}
	defer os.Remove(tb.Root() + inside)
	args := []string{"podman", "import", "-q", "--change", `CMD ["/sbin/boot"]`}
	for _, e := range discourseImageEnv {
		args = append(args, "--change", "ENV "+e)
	}
	// "discourse/base:TAG" is short for docker.io/discourse/base:TAG: tag it so,
	// as a pull would, so the short name resolves without a registry.
	full := name
	if strings.Count(strings.SplitN(name, ":", 2)[0], "/") == 1 {
		full = "docker.io/" + name
	}
	args = append(args, inside, full)
	if _, err := tb.Run(args...); err != nil {
		return "", fmt.Errorf("podman import discourse base: %w", err)
	}
	tb.logf("discourse base %s imported in %.1fs", full, time.Since(t0).Seconds())
	return full, nil
}
