package units

// An operator's units (issue #18): the notify template a failure systemd
// sees alone (a failed migrate at boot, a role that gave up restarting)
// starts through OnFailure=.

import (
	"errors"
	"fmt"

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
