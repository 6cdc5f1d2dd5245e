package units

// An operator's units (issue #18): the notify template a failure systemd
// sees alone (a failed migrate at boot, a role that gave up restarting)
// starts through OnFailure=.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/quadlaunch/quadlaunch/generator"
)

// NotifyTemplate is the template unit OnFailure= starts for a failed unit
// of app: A-notify@<failed unit>.service.
func NotifyTemplate(app string) string { return app + "-notify@.service" }

// onFailure has a failure of the unit start A-notify@<unit> when notify:
// hears unit-failed. OnFailure= is not triggered while Restart= still
// retries: a role reaches it only once it gave up.
func (r *appRender) onFailure(u *unitBuilder) {
	if !r.app.Notify.Wants("unit-failed") {
		return
	}
	u.set("Unit", "OnFailure", r.app.Name+"-notify@%n.service")
}

// notifyTemplateFile writes A-notify@.service: the helper runs the notify:
// command with the failed unit's result in its env. Its own failure shows
// in its journal and `systemctl --failed`, and touches nothing of the app.
func (r *appRender) notifyTemplateFile() {
	a := r.app
	if !a.Notify.Wants("unit-failed") {
		return
	}
	u := newUnit(r.ctx.ver, r.header())
	u.set("Unit", "Description", lineValue(fmt.Sprintf("%s: notify about a failed unit (quadlaunch, %s)", a.Name, a.ConfigPath)))
	u.set("Unit", "SourcePath", lineValue(a.ConfigPath))
	u.set("Service", "Type", "oneshot")
	argv := []string{r.ctx.opts.QuadlaunchBin}
	if r.ctx.opts.User {
		argv = append(argv, "--user")
	}
	line, err := commandLine(append(argv, "notify", "--event", "unit-failed", "--unit"))
	name, nerr := commandLine([]string{a.Name})
	if err = errors.Join(err, nerr); err != nil {
		r.errorf(generator.Pos{}, "notify", "%v", err)
		return
	}
	// %i, the failed unit's name, is the one specifier: put in unescaped.
	u.set("Service", "ExecStart", line+" %i "+name)
	u.set("Service", "TimeoutStartSec", "2min")
	r.add(NotifyTemplate(a.Name), Plain, u.bytes())
}

// timerFiles writes each timer of timers:: A-NAME.timer (OnCalendar=,
// Persistent=), wanted by A.target and part of it, so the app's timers run
// while the app does; and A-NAME.container, a oneshot one-off container of
// current with the app's env, volumes and network, whose output is its
// journal (journalctl -u A-NAME). It needs no migrate: a schedule that
// fires must not run the migration.
func (r *appRender) timerFiles() {
	a := r.app
	for _, t := range a.Timers {
		key := "timers." + t.Name
		if check := r.ctx.opts.CheckCalendar; check != nil {
			if err := check(t.Schedule); err != nil {
				r.errorf(t.SchedulePos, key+".schedule", "%v", err)
				continue
			}
		}
		line, err := commandLine(t.Command.Args)
		if err != nil {
			r.errorf(t.Command.Pos, key+".command", "%v", err)
			continue
		}
		u := newUnit(r.ctx.ver, r.header())
		r.containerBase(u, t.Name, "timer "+t.Name)
		r.onFailure(u)
		u.quadlet("Container", "Exec", line)
		u.quadlet("Service", "Type", "oneshot")
		u.quadlet("Container", "GlobalArgs", podmanEventsToFile)
		r.podmanArgs(u, []string{"--log-driver=none"})
		r.add(RoleContainerFile(a.Name, t.Name), Quadlet, u.bytes())

		tu := newUnit(r.ctx.ver, r.header())
		tu.set("Unit", "Description", lineValue(fmt.Sprintf("%s timer %s: %s (quadlaunch, %s)", a.Name, t.Name, t.Schedule, a.ConfigPath)))
		tu.set("Unit", "SourcePath", lineValue(a.ConfigPath))
		tu.set("Unit", "PartOf", TargetUnit(a.Name))
		tu.set("Timer", "OnCalendar", lineValue(t.Schedule))
		tu.set("Timer", "Persistent", fmt.Sprint(t.Persistent))
		tu.set("Timer", "Unit", RoleUnit(a.Name, t.Name))
		r.add(TimerUnit(a.Name, t.Name), Plain, tu.bytes())
	}
}

// CalendarChecker checks OnCalendar expressions as systemd reads them:
// `systemd-analyze calendar` (bin) parses with systemd's own parser, so a
// schedule the generator accepts is one systemd accepts. Nil when bin is
// not there (a build host): systemd then logs a bad one at daemon-reload.
func CalendarChecker(bin string) func(string) error {
	if _, err := os.Stat(bin); err != nil {
		return nil
	}
	return func(expr string) error {
		out, err := exec.Command(bin, "calendar", "--iterations=1", "--", expr).CombinedOutput()
		if err == nil {
			return nil
		}
		msg := strings.TrimSpace(string(out))
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return fmt.Errorf("not an OnCalendar expression (systemd-analyze calendar: %s)", msg)
	}
}

// DefaultSystemdAnalyze is where systemd installs systemd-analyze.
const DefaultSystemdAnalyze = "/usr/bin/systemd-analyze"

// AutoUpdateUnit is app's auto-update service (auto_update:).
func AutoUpdateUnit(app string) string { return app + "-auto-update.service" }

// AutoUpdateTimer starts AutoUpdateUnit on auto_update:'s schedule.
func AutoUpdateTimer(app string) string { return app + "-auto-update.timer" }

// autoUpdateFiles writes auto_update:'s timer and the oneshot it starts:
// `quadlaunch auto-update A` looks for a new image behind image: and
// deploys it as `quadlaunch deploy` does, health-gated, rolled back on
// failure, in the audit trail.
func (r *appRender) autoUpdateFiles() {
	a := r.app
	au := a.AutoUpdate
	if au == nil {
		return
	}
	if a.Image == nil {
		r.errorf(au.Pos, "auto_update", "needs image: (the reference to watch); a built app gets a new base with build --pull")
		return
	}
	if check := r.ctx.opts.CheckCalendar; check != nil {
		if err := check(au.Schedule); err != nil {
			r.errorf(au.SchedulePos, "auto_update.schedule", "%v", err)
			return
		}
	}
	argv := []string{r.ctx.opts.QuadlaunchBin}
	if r.ctx.opts.User {
		argv = append(argv, "--user")
	}
	line, err := commandLine(append(argv, "auto-update", a.Name))
	if err != nil {
		r.errorf(au.Pos, "auto_update", "%v", err)
		return
	}
	u := newUnit(r.ctx.ver, r.header())
	u.set("Unit", "Description", lineValue(fmt.Sprintf("%s: deploy a new %s (quadlaunch, %s)", a.Name, a.Image.Ref, a.ConfigPath)))
	u.set("Unit", "SourcePath", lineValue(a.ConfigPath))
	u.set("Service", "Type", "oneshot")
	u.set("Service", "ExecStart", line)
	r.add(AutoUpdateUnit(a.Name), Plain, u.bytes())
	t := newUnit(r.ctx.ver, r.header())
	t.set("Unit", "Description", lineValue(fmt.Sprintf("%s: look for a new %s: %s (quadlaunch, %s)", a.Name, a.Image.Ref, au.Schedule, a.ConfigPath)))
	t.set("Unit", "SourcePath", lineValue(a.ConfigPath))
	t.set("Unit", "PartOf", TargetUnit(a.Name))
	t.set("Timer", "OnCalendar", lineValue(au.Schedule))
	t.set("Timer", "Unit", AutoUpdateUnit(a.Name))
	r.add(AutoUpdateTimer(a.Name), Plain, t.bytes())
}
