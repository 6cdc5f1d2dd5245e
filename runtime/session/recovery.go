package session

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/runtime/systemd"
	"github.com/quadlaunch/quadlaunch/runtime/versions"
)

// ScheduleRecovery runs after a failed run of failed (A-migrate or
// A-configure, from its ExecStopPost=): the roles among dependents that were
// waiting to start get A-recover (systemd/recovery.go says why), unless it
// already runs. bin is the helper it runs.
func ScheduleRecovery(ctx context.Context, sd *systemd.Manager, app, failed string, dependents []string, bin string, out io.Writer) error {
	var roles []string
	for _, d := range dependents {
		if !strings.HasSuffix(d, "-configure.service") {
			roles = append(roles, d)
		}
	}
	waiting, err := sd.WaitingToStart(ctx, roles)
	if err != nil || len(waiting) == 0 {
		return err
	}
	unit := systemd.RecoverUnit(app)
	if sd.Active(ctx, unit) {
		fmt.Fprintf(out, "%s: %s is already retrying %s\n", app, unit, strings.Join(waiting, " "))
		return nil
	}
	argv := []string{bin}
	if sd.User {
		argv = append(argv, "--user")
	}
	argv = append(append(argv, "recover", app), waiting...)
	b := systemd.DefaultBackoff
	if err := sd.RunTransient(ctx, unit, fmt.Sprintf("%s: start %s again once %s succeeds (quadlaunch)", app, strings.Join(waiting, " "), failed), argv); err != nil {
		return fmt.Errorf("start %s: %w", unit, err)
	}
	return systemd.SendJournal(out, recoveryMessages(app, waiting, sd.User,
		fmt.Sprintf("%s failed while %%s waited to start: %s starts it again in %s (up to %d attempts, backing off to %s)", failed, unit, b.Delay(1), b.Attempts, b.Max)))
}

// Recover is A-recover: it starts units again on b's schedule until they
// run, the per-app lock held for each attempt (a deploy in progress goes
// first), and gives up after b.Attempts, telling notify: (unit-failed).
func Recover(ctx context.Context, app string, units []string, user bool, b systemd.Backoff, out io.Writer) error {
	sd, err := systemd.Connect(ctx, user)
	if err != nil {
		return err
	}
	defer sd.Close()
	var pending []string
	for attempt := 1; attempt <= b.Attempts; attempt++ {
		select {
		case <-time.After(b.Delay(attempt)):
		case <-ctx.Done():
			return ctx.Err()
		}
		pending = pending[:0]
		for _, u := range units {
			if !sd.Active(ctx, u) {
				pending = append(pending, u)
			}
		}
		if len(pending) == 0 {
			fmt.Fprintf(out, "%s: %s running again: nothing to recover\n", app, strings.Join(units, " "))
			return nil
		}
		lock, err := versions.AcquireLock(ctx, versions.LockDir(user), app, fmt.Sprintf("pid %d: quadlaunch recover %s", os.Getpid(), app), 2*time.Minute, out)
		if err != nil {
			fmt.Fprintf(out, "%s: recovery attempt %d/%d skipped: %v\n", app, attempt, b.Attempts, err)
			continue
		}
		systemd.SendJournal(out, recoveryMessages(app, pending, user, fmt.Sprintf("recovery attempt %d/%d: starting %%s", attempt, b.Attempts)))
		err = sd.JobsTogether(ctx, "start", pending)
		lock.Release()
		if err == nil {
			return systemd.SendJournal(out, recoveryMessages(app, pending, user, fmt.Sprintf("recovered: %%s runs again (attempt %d/%d)", attempt, b.Attempts)))
		}
		next := "giving up"
		if attempt < b.Attempts {
			next = "next attempt in " + b.Delay(attempt+1).String()
		}
		systemd.SendJournal(out, recoveryMessages(app, pending, user, fmt.Sprintf("recovery attempt %d/%d failed: %s: %s", attempt, b.Attempts, firstLine(err.Error()), next)))
	}
	msg := fmt.Sprintf("%s: recovery gave up after %d attempts: %s stays down until started by hand", app, b.Attempts, strings.Join(pending, " "))
	if a, err := LoadApp(generator.DefaultRoot(user), app); err == nil && len(pending) > 0 {
		n := NotifyInfo{Event: "unit-failed", Unit: pending[0], UnitResult: "dependency", Record: AuditRecord{Command: "recover", Result: "gave up"},
			Journal: strings.Join(append([]string{"journalctl"}, userFlag(user)...), " ") + " -u " + pending[0]}
		if err := Notify(context.WithoutCancel(ctx), a, n, out); err != nil {
			fmt.Fprintf(out, "%s: notify: %v\n", app, err)
		}
	}
	return fmt.Errorf("%s", msg)
}

// recoveryMessages is one journal message per unit, shown by journalctl -u
// UNIT too; format has one %s, the unit.
func recoveryMessages(app string, units []string, user bool, format string) []systemd.JournalMessage {
	var out []systemd.JournalMessage
	for _, u := range units {
		f := systemd.UnitJournalFields(u, user)
		f["QUADLAUNCH_APP"], f["QUADLAUNCH_RECOVERY"] = app, "1"
		out = append(out, systemd.JournalMessage{Text: app + ": " + fmt.Sprintf(format, u), Fields: f})
	}
	return out
}

func userFlag(user bool) []string {
	if user {
		return []string{"--user"}
	}
	return nil
}

// DependencyFailed is `quadlaunch dependency-failed FAILED DEPENDENT...`,
// A-migrate's and A-configure's ExecStopPost=: after a failed run (result
// from systemd's $SERVICE_RESULT, $EXIT_CODE, $EXIT_STATUS in env) it logs
// a message in each dependent's journal and has the roles that were waiting
// started again (ScheduleRecovery). bin is this helper.
func DependencyFailed(ctx context.Context, failed string, dependents []string, user bool, env func(string) string, bin string, out io.Writer) error {
	msgs := systemd.DependencyFailedMessages(env("SERVICE_RESULT"), env("EXIT_CODE"), env("EXIT_STATUS"), failed, dependents, user)
	if err := systemd.SendJournal(out, msgs); err != nil || len(msgs) == 0 {
		return err
	}
	sd, err := systemd.Connect(ctx, user)
	if err != nil {
		return err
	}
	defer sd.Close()
	return ScheduleRecovery(ctx, sd, systemd.AppOfPass(failed), failed, dependents, bin, out)
}
