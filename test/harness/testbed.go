package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Inside the testbed: the rootless test user (created by the rootfs recipe).
const (
	testUser    = "tester"
	testUID     = 1000
	testHome    = "/home/tester"
	runtimeDir  = "/run/user/1000"
	pathInside  = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	defaultWait = 3 * time.Minute
)

// Testbed is one booted Debian 13 rootfs with systemd as PID 1 under
// systemd-nspawn: a throw-away overlay over the cached golden rootfs, its own
// network namespace, machine name and host cgroup.
type Testbed struct {
	Name   string // machine name, unique per harness run and group
	Dir    string // host dir holding upper/work/merged/containers/home
	Golden string // cached rootfs (overlay lower dir, never written)
	Repo   string // repository root on the host
	Out    string // test/out/<group>: journal and console log on failure
	BinDir string // the project's binaries on the host (default <repo>/bin)

	ctx       context.Context
	installer Installer

	mu      sync.Mutex
	nspawn  *exec.Cmd
	done    chan struct{} // closed when nspawn exited
	initPID int
	booted  bool
	kmsg    *kmsgBridge
}

// CmdError is a command that ran and exited non-zero (or could not run).
type CmdError struct {
	Args   []string
	Code   int
	Stdout string
	Stderr string
	Err    error
}

func (e *CmdError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = strings.TrimSpace(e.Stdout)
	}
	if len(msg) > 2000 {
		msg = "..." + msg[len(msg)-2000:]
	}
	return fmt.Sprintf("%s: exit %d (%v): %s", strings.Join(e.Args, " "), e.Code, e.Err, msg)
}

// ExitCode returns the exit code of a failed command, or 0 for nil and -1 for
// errors that are not a *CmdError.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ce *CmdError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

func (tb *Testbed) logf(format string, args ...any) {
	logf("["+tb.Name+"] "+format, args...)
}

// Root is the testbed's / as seen from the host (it resolves the binds too).
func (tb *Testbed) Root() string { return fmt.Sprintf("/proc/%d/root", tb.initPID) }

// InitPID is the host pid of the testbed's systemd.
func (tb *Testbed) InitPID() int { return tb.initPID }

func (tb *Testbed) merged() string { return filepath.Join(tb.Dir, "merged") }

// ---------------------------------------------------------------- boot and stop

// Boot starts the testbed. fresh=false boots the existing overlay again (a reboot).
func (tb *Testbed) Boot(fresh bool) error {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	t0 := time.Now()
	if fresh {
		if err := os.RemoveAll(tb.Dir); err != nil {
			return fmt.Errorf("boot: clean %s: %w", tb.Dir, err)
		}
		for _, d := range []string{"upper", "work", "merged", "containers", "home"} {
			if err := os.MkdirAll(filepath.Join(tb.Dir, d), 0o755); err != nil {
				return err
			}
		}
		// Podman's overlay driver must not sit on overlayfs, so the container store
		// and the homes (rootless store) are plain directories on the host fs.
		for src, dst := range map[string]string{"var/lib/containers": "containers", "home": "home"} {
			if _, err := os.Stat(filepath.Join(tb.Golden, src)); os.IsNotExist(err) {
				continue
			}
			if out, err := exec.Command("cp", "-a", filepath.Join(tb.Golden, src)+"/.", filepath.Join(tb.Dir, dst)+"/").CombinedOutput(); err != nil {
				return fmt.Errorf("boot: copy %s: %v: %s", src, err, out)
			}
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", tb.Golden, filepath.Join(tb.Dir, "upper"), filepath.Join(tb.Dir, "work"))
	if err := syscall.Mount("overlay", tb.merged(), "overlay", 0, opts); err != nil {
		return fmt.Errorf("boot: mount overlay on %s: %w", tb.merged(), err)
	}
	if err := writeUlimitConf(tb.merged()); err != nil {
		return err
	}
	extra, err := tb.installer.BeforeBoot(tb)
	if err != nil {
		return fmt.Errorf("boot: install (%s): %w", tb.installer.Name(), err)
	}

	cgs, err := hostCgroupDirs(tb.Name)
	if err != nil {
		return err
	}
	args := []string{
		"--boot", "-D", tb.merged(), "--machine=" + tb.Name,
		// No systemd/machined on the host: no registration, stay in our cgroup.
		"--register=no", "--keep-unit", "--console=read-only",
		// netavark's bridge and nftables changes stay inside.
		"--private-network",
		// crun needs keyctl (create keyring) and bpf (device cgroup).
		"--system-call-filter=@keyring bpf",
		"--bind=" + filepath.Join(tb.Dir, "containers") + ":/var/lib/containers",
		"--bind=" + filepath.Join(tb.Dir, "home") + ":/home",
		"--bind=/dev/fuse",
	}
	args = append(args, extra...)
	kmsg, kargs, err := startKmsgBridge(tb)
	if err != nil {
		return err
	}
	tb.kmsg = kmsg
	args = append(args, kargs...)
	console, err := os.OpenFile(filepath.Join(tb.Dir, "console.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	// Enter the testbed's own host cgroup(s) before exec'ing nspawn: without a host
	// systemd, nspawn nests the container under the cgroup it starts in, and two
	// testbeds sharing one would see each other's processes at shutdown.
	wrapper := append([]string{"sh", "-c", `for d in $0; do echo $$ > "$d/cgroup.procs"; done; exec "$@"`, strings.Join(cgs, " "), "systemd-nspawn"}, args...)
	cmd := exec.Command(wrapper[0], wrapper[1:]...)
	cmd.Env = append(os.Environ(), "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1")
	cmd.Stdout, cmd.Stderr = console, console
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // Ctrl-C reaches the harness only
	if err := cmd.Start(); err != nil {
		console.Close()
		return fmt.Errorf("boot: start systemd-nspawn: %w", err)
	}
	tb.nspawn, tb.done = cmd, make(chan struct{})
	go func(done chan struct{}) { cmd.Wait(); console.Close(); close(done) }(tb.done)
	tb.booted = true

	// The container's PID 1 is nspawn's child named systemd.
	deadline := time.Now().Add(20 * time.Second)
	for tb.initPID = 0; tb.initPID == 0; {
		tb.initPID = childNamed(cmd.Process.Pid, "systemd")
		if tb.initPID != 0 {
			break
		}
		select {
		case <-tb.done:
			return fmt.Errorf("boot: systemd-nspawn exited early: %s", tailFile(filepath.Join(tb.Dir, "console.log"), 30))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("boot: container init did not appear: %s", tailFile(filepath.Join(tb.Dir, "console.log"), 30))
		}
	}
	for i := 0; i < 400; i++ {
		if _, err := os.Stat(tb.Root() + "/run/systemd/private"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	state, _ := tb.execTimeout(90*time.Second, "systemctl", "is-system-running", "--wait")
	state = strings.TrimSpace(state)
	tb.logf("booted in %.1fs (nspawn pid %d, init pid %d, state %s)", time.Since(t0).Seconds(), cmd.Process.Pid, tb.initPID, state)
	if state != "running" {
		failed, _ := tb.execTimeout(10*time.Second, "systemctl", "--failed", "--no-legend", "--plain")
		tb.logf("boot: system state %q; failed units: %s", state, strings.TrimSpace(failed))
		if state != "degraded" {
			return fmt.Errorf("boot: system state %q", state)
		}
	}
	if err := tb.installer.AfterBoot(tb); err != nil {
		return fmt.Errorf("boot: install (%s): %w", tb.installer.Name(), err)
	}
	return nil
}

// Stop powers the testbed off (orderly, then by force) and unmounts it. It is
// safe to call more than once and on a half-booted testbed.
func (tb *Testbed) Stop() {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.nspawn != nil && tb.nspawn.Process != nil {
		// nspawn turns SIGTERM into an orderly container shutdown. Never SIGKILL
		// nspawn alone: the container's systemd would keep running.
		tb.nspawn.Process.Signal(syscall.SIGTERM)
		if !waitClosed(tb.done, 40*time.Second) {
			tb.logf("stop: orderly shutdown timed out, SIGKILL to container PID 1")
			if tb.initPID > 0 {
				syscall.Kill(tb.initPID, syscall.SIGKILL)
			}
			if !waitClosed(tb.done, 10*time.Second) {
				tb.nspawn.Process.Kill()
				waitClosed(tb.done, 5*time.Second)
			}
		}
	}
	tb.nspawn, tb.initPID, tb.booted = nil, 0, false
	if tb.kmsg != nil {
		tb.kmsg.stop()
		tb.kmsg = nil
	}
	unmountAll(tb.merged())
	removeHostCgroups(tb.Name)
}

// Destroy stops the testbed and removes its directory.
func (tb *Testbed) Destroy() {
	tb.Stop()
	if err := os.RemoveAll(tb.Dir); err != nil {
		tb.logf("destroy: %v", err)
	}
}

// Reboot shuts the testbed down and boots the same overlay again.
func (tb *Testbed) Reboot() error {
	tb.Stop()
	return tb.Boot(false)
}

func waitClosed(c chan struct{}, d time.Duration) bool {
	if c == nil {
		return true
	}
	select {
	case <-c:
		return true
	case <-time.After(d):
		return false
	}
}

func unmountAll(dir string) {
	for i := 0; i < 5; i++ {
		if !isMountpoint(dir) {
			return
		}
		if err := syscall.Unmount(dir, 0); err != nil {
			time.Sleep(300 * time.Millisecond)
			if i == 4 {
				syscall.Unmount(dir, syscall.MNT_DETACH)
			}
		}
	}
}

func isMountpoint(dir string) bool {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && f[4] == dir {
			return true
		}
	}
	return false
}

// writeUlimitConf pins podman's default ulimits to the host's hard limits:
// without CAP_SYS_RESOURCE outside, buildah's attempt to raise them fails.
func writeUlimitConf(root string) error {
	var n, u syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &n)
	syscall.Getrlimit(6 /* RLIMIT_NPROC */, &u)
	conf := fmt.Sprintf("[containers]\npids_limit = 0\ndefault_ulimits = [\"nofile=%d:%d\", \"nproc=%d:%d\"]\n", n.Max, n.Max, u.Max, u.Max)
	p := filepath.Join(root, "etc/containers/containers.conf.d/50-testbed.conf")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(conf), 0o644)
}

// childNamed returns the pid of a child of ppid whose comm is name, or 0.
func childNamed(ppid int, name string) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(stat)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		f := strings.Fields(s[close+1:])
		if len(f) < 2 {
			continue
		}
		if p, _ := strconv.Atoi(f[1]); p == ppid && s[open+1:close] == name {
			return pid
		}
	}
	return 0
}

// hostCgroupDirs creates the testbed's host cgroup(s): the cgroup2 tree, plus
// the name=systemd v1 tree on hybrid hosts.
func hostCgroupDirs(name string) ([]string, error) {
	var dirs []string
	if isCgroup2("/sys/fs/cgroup") {
		dirs = []string{"/sys/fs/cgroup/qle2e." + name}
	} else {
		for _, h := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"} {
			if isMountpoint(h) {
				dirs = append(dirs, h+"/qle2e."+name)
			}
		}
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("host cgroup %s: %w", d, err)
		}
	}
	return dirs, nil
}

func isCgroup2(p string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(p, &st) == nil && st.Type == 0x63677270
}

func removeHostCgroups(name string) {
	for _, base := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"} {
		d := base + "/qle2e." + name
		if _, err := os.Stat(d); err != nil {
			continue
		}
		// rmdir depth first; cgroup dirs cannot be removed with their files.
		var all []string
		filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				all = append(all, p)
			}
			return nil
		})
		for i := len(all) - 1; i >= 0; i-- {
			syscall.Rmdir(all[i])
		}
	}
}

func tailFile(p string, n int) string {
	data, _ := os.ReadFile(p)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ---------------------------------------------------------------- running commands

// nsenterArgs enters the testbed's namespaces with a clean environment. What runs
// this way is NOT under the testbed's seccomp filter or cgroup: use it for
// clients (systemctl, journalctl, systemd-run), and Run for what is tested.
func (tb *Testbed) nsenterArgs(args ...string) []string {
	return append([]string{"nsenter", "-t", strconv.Itoa(tb.initPID), "-m", "-u", "-i", "-n", "-p", "-C", "-r", "-w",
		"env", "-i", "PATH=" + pathInside, "HOME=/root", "LANG=C.UTF-8", "TERM=dumb", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0", "PAGER=cat"}, args...)
}

func (tb *Testbed) execTimeout(d time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(tb.ctx, d)
	defer cancel()
	if tb.initPID == 0 {
		return "", fmt.Errorf("%s: testbed %s is not running", strings.Join(args, " "), tb.Name)
	}
	full := tb.nsenterArgs(args...)
	cmd := exec.CommandContext(ctx, full[0], full[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("after %s: %w", d, ctx.Err())
		}
		return stdout.String(), &CmdError{Args: args, Code: code, Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
	}
	return stdout.String(), nil
}

// Exec runs a command in the testbed's namespaces as root (not as a unit; see
// nsenterArgs) and returns its stdout.
func (tb *Testbed) Exec(args ...string) (string, error) { return tb.execTimeout(defaultWait, args...) }

// ExecUser is Exec as the test user, with the user manager's bus in reach.
func (tb *Testbed) ExecUser(args ...string) (string, error) {
	return tb.Exec(tb.userArgs(args...)...)
}

func (tb *Testbed) userArgs(args ...string) []string {
	return append([]string{"runuser", "-u", testUser, "--", "env", "HOME=" + testHome, "USER=" + testUser,
		"XDG_RUNTIME_DIR=" + runtimeDir, "DBUS_SESSION_BUS_ADDRESS=unix:path=" + runtimeDir + "/bus"}, args...)
}

// Run runs a command as a transient unit of the testbed's systemd (its real
// seccomp filter, cgroup and environment) and returns its stdout.
func (tb *Testbed) Run(args ...string) (string, error) {
	return tb.RunTimeout(defaultWait, args...)
}

// RunTimeout is Run with its own bound, for commands that are slow by nature
// (bootstrapping a real database on a busy 2-core machine).
func (tb *Testbed) RunTimeout(d time.Duration, args ...string) (string, error) {
	return tb.execTimeout(d, append([]string{"systemd-run", "--quiet", "--pipe", "--wait", "--collect", "--service-type=exec", "--"}, args...)...)
}

// RunUser runs a command as a transient unit of the test user's systemd --user.
func (tb *Testbed) RunUser(args ...string) (string, error) {
	return tb.ExecUser(append([]string{"systemd-run", "--user", "--quiet", "--pipe", "--wait", "--collect", "--service-type=exec", "--"}, args...)...)
}

// Systemctl runs systemctl (system manager) and returns its stdout.
func (tb *Testbed) Systemctl(args ...string) (string, error) {
	return tb.Exec(append([]string{"systemctl", "--no-pager"}, args...)...)
}

// SystemctlUser runs systemctl --user for the test user.
func (tb *Testbed) SystemctlUser(args ...string) (string, error) {
	return tb.ExecUser(append([]string{"systemctl", "--user", "--no-pager"}, args...)...)
}

// Journal returns the current boot's messages of a system unit (message text only).
func (tb *Testbed) Journal(unit string) (string, error) {
	return tb.Exec("journalctl", "-b", "--no-pager", "-q", "-o", "cat", "-u", unit)
}

// JournalUser returns the current boot's messages of a unit of the test user's manager.
func (tb *Testbed) JournalUser(unit string) (string, error) {
	return tb.Exec("journalctl", "-b", "--no-pager", "-q", "-o", "cat", "_UID="+strconv.Itoa(testUID), "_SYSTEMD_USER_UNIT="+withSuffix(unit))
}

func withSuffix(unit string) string {
	if strings.Contains(unit, ".") {
		return unit
	}
	return unit + ".service"
}

// WriteFile writes a file inside the testbed (parents created 0755, owned by root).
func (tb *Testbed) WriteFile(path, content string, mode os.FileMode) error {
	return tb.WriteFileOwned(path, content, mode, 0, 0)
}

// WriteFileOwned writes a file inside the testbed owned by uid:gid (new parent
// directories get the same owner).
func (tb *Testbed) WriteFileOwned(path, content string, mode os.FileMode, uid, gid int) error {
	p := tb.Root() + path
	if err := mkdirAllOwned(filepath.Dir(p), tb.Root(), uid, gid); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := p + ".qle2e-tmp"
	if err := os.WriteFile(tmp, []byte(content), mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	if err := os.Chown(tmp, uid, gid); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

func mkdirAllOwned(dir, root string, uid, gid int) error {
	if _, err := os.Stat(dir); err == nil || dir == root {
		return nil
	}
	if err := mkdirAllOwned(filepath.Dir(dir), root, uid, gid); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		return err
	}
	return os.Chown(dir, uid, gid)
}

// ReadFile reads a file inside the testbed.
func (tb *Testbed) ReadFile(path string) (string, error) {
	data, err := os.ReadFile(tb.Root() + path)
	return string(data), err
}

// HTTPGet fetches http://127.0.0.1:port<path> from inside the testbed (curl, as
// a unit) and returns the body; a non-2xx status is an error.
func (tb *Testbed) HTTPGet(port int, path ...string) (string, error) {
	p := "/"
	if len(path) > 0 {
		p = path[0]
	}
	return tb.Run("curl", "-sS", "--fail", "--max-time", "5", fmt.Sprintf("http://127.0.0.1:%d%s", port, p))
}

// WaitFor polls check until it returns nil or timeout passes; the error names
// what was waited for and the last failure.
func (tb *Testbed) WaitFor(timeout time.Duration, what string, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waited %s for %s: %w", timeout, what, err)
		}
		select {
		case <-tb.ctx.Done():
			return fmt.Errorf("wait for %s: %w", what, tb.ctx.Err())
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// Collect saves the journal (all boots), console log and unit list to tb.Out.
func (tb *Testbed) Collect() {
	if err := os.MkdirAll(tb.Out, 0o755); err != nil {
		tb.logf("collect: %v", err)
		return
	}
	save := func(name string, args ...string) {
		out, err := tb.execTimeout(60*time.Second, args...)
		if err != nil {
			out += "\n# " + err.Error()
		}
		os.WriteFile(filepath.Join(tb.Out, name), []byte(out), 0o644)
	}
	if tb.initPID != 0 {
		save("journal.txt", "journalctl", "--no-pager", "-o", "short-precise")
		save("units.txt", "systemctl", "list-units", "--all", "--no-pager")
		save("user-units.txt", tb.userArgs("systemctl", "--user", "list-units", "--all", "--no-pager")...)
		save("generator-files.txt", "sh", "-c", "ls -laR /run/systemd/generator /run/systemd/generator.late /run/user/1000/systemd/generator /run/user/1000/systemd/generator.late 2>&1")
	}
	if data, err := os.ReadFile(filepath.Join(tb.Dir, "console.log")); err == nil {
		os.WriteFile(filepath.Join(tb.Out, "console.log"), data, 0o644)
	}
	tb.logf("collected journal and console log in %s", tb.Out)
}
