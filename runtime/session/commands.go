package session

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/quadlaunch/quadlaunch/runtime/pass"
	"github.com/quadlaunch/quadlaunch/runtime/proxy"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
	"github.com/quadlaunch/quadlaunch/runtime/versions"
	"github.com/quadlaunch/quadlaunch/units"
)

// The commands that act on an app without a rollout: each is one call of
// cmd/quadlaunch.

// Versions are the app's versions, oldest first (never nil).
func (s *Session) Versions() ([]versions.Version, error) {
	vs, err := s.Engine.ListVersions(s.Podman, s.App.Name)
	if vs == nil {
		vs = []versions.Version{}
	}
	return vs, err
}

// Cleanup removes old versions, keeping the newest keep and never current,
// previous or one a container uses (versions.CleanupSelection); it says each
// one it removes on out.
func (s *Session) Cleanup(keep int, out io.Writer) error {
	vs, err := s.Engine.ListVersions(s.Podman, s.App.Name)
	if err != nil {
		return err
	}
	for _, v := range versions.CleanupSelection(vs, keep) {
		if err := s.Engine.RemoveVersion(s.Podman, s.App.Name, v); err != nil {
			return err
		}
		fmt.Fprintf(out, "removed %s\n", v.Version)
	}
	return nil
}

// Lifecycle starts, stops or restarts the app's roles over D-Bus. Start and
// restart pull in migrate and configure through the units' Requires=; with
// the proxy, the live web slot (A-web or A-web-next) is the one started.
func (s *Session) Lifecycle(ctx context.Context, op string) error {
	sd, err := s.Manager(ctx)
	if err != nil {
		return err
	}
	names := proxy.LiveAppUnits(s.App, sd.User, systemd.RuntimeDir(sd.User))
	switch op {
	case "restart":
		return RestartRoles(ctx, sd, s.App, names.Roles)
	case "start":
		return sd.JobsTogether(ctx, op, append(names.Roles, names.Target))
	case "stop":
		// An operator's stop ends a recovery in progress (it would start them again).
		_ = sd.Stop(ctx, systemd.RecoverUnit(s.App.Name))
		return sd.JobsTogether(ctx, op, names.Roles)
	}
	return fmt.Errorf("unknown operation %q (start, stop or restart)", op)
}

// RunOneOff runs args in a one-off container of current with the app's
// env, volumes and network; it returns the command's exit code.
func (s *Session) RunOneOff(args []string) (int, error) {
	return s.Engine.RunOneOff(s.Podman, s.App, args, pass.SplitEnv(s.App, pass.FullEnv(s.App, nil)))
}

// Enter runs a shell (or args) in the running container of role (its live
// web slot behind the proxy); it returns the exit code.
func (s *Session) Enter(role string, args []string) (int, error) {
	return s.Engine.Enter(s.Podman, s.App, proxy.LiveRole(s.App, s.User, role), args, pass.PublicEnv(s.App))
}

// JournalctlArgv is the journalctl command line of `quadlaunch logs`: the
// units logUnits names, the user's journal with user.
func (s *Session) JournalctlArgv(unit string, follow bool) []string {
	args := []string{"journalctl", "--no-pager"}
	if s.User {
		args = append(args, "--user")
	}
	for _, u := range logUnits(units.AppUnits(s.App), s.App.Name, unit) {
		args = append(args, "-u", u)
	}
	if follow {
		args = append(args, "-f")
	}
	return args
}

// ExecJournal is `quadlaunch logs`: this process becomes journalctl with
// JournalctlArgv (so a pager, colours and -f behave as journalctl's own);
// it returns only when journalctl cannot run.
func (s *Session) ExecJournal(unit string, follow bool) error {
	bin, err := exec.LookPath("journalctl")
	if err != nil {
		return fmt.Errorf("journalctl: %w", err)
	}
	return fmt.Errorf("run %s: %w", bin, syscall.Exec(bin, s.JournalctlArgv(unit, follow), os.Environ()))
}

// logUnits are the units `logs --unit` names: every unit of the app that runs
// something (migrate, configure, the roles) by default, a full unit name as
// given, migrate/configure, certificates (proxy.tls.acme), or a role.
func logUnits(names units.AppUnitNames, app, unit string) []string {
	switch {
	case unit == "":
		return append([]string{names.Migrate, names.Configure}, names.Roles...)
	case strings.Contains(unit, "."):
		return []string{unit}
	case unit == "migrate":
		return []string{names.Migrate}
	case unit == "configure":
		return []string{names.Configure}
	case unit == "certificates" && names.Certificates != "":
		// With proxy.tls.acme no role may be called so (units.appClaims).
		return []string{names.Certificates}
	}
	return []string{units.RoleUnit(app, unit)}
}
