package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/coreos/go-systemd/v22/journal"
	"github.com/urfave/cli/v3"
)

func init() { commands = append(commands, dependencyFailedCommand()) }

// dependencyFailedCommand is what A-migrate/A-configure run as ExecStopPost=.
// When the run failed, it logs one message about each unit that needed it,
// tagged so that `journalctl -u A-web` and `systemctl status A-web` show it:
// systemd's own "Dependency failed for A-web.service" names no dependency.
func dependencyFailedCommand() *cli.Command {
	return &cli.Command{
		Name:      "dependency-failed",
		Usage:     "(used by generated units) report a failed migrate/configure in the journal of the units that needed it",
		ArgsUsage: "FAILED-UNIT DEPENDENT-UNIT...",
		Hidden:    true,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			args := cmd.Args().Slice()
			if len(args) < 2 {
				return cli.Exit("usage: quadlaunch dependency-failed FAILED-UNIT DEPENDENT-UNIT...", 2)
			}
			msgs := dependencyFailedMessages(os.Getenv("SERVICE_RESULT"), os.Getenv("EXIT_CODE"), os.Getenv("EXIT_STATUS"), args[0], args[1:], userMode(cmd))
			for _, m := range msgs {
				fmt.Fprintln(os.Stderr, m.text)
				if journal.Enabled() {
					if err := journal.Send(m.text, journal.PriErr, m.fields); err != nil {
						return fmt.Errorf("journal: %w", err)
					}
				}
			}
			return nil
		},
	}
}

type journalMessage struct {
	text   string
	fields map[string]string
}

// dependencyFailedMessages is what to log for a finished run of failed (from
// systemd's $SERVICE_RESULT, $EXIT_CODE, $EXIT_STATUS): nothing on success.
func dependencyFailedMessages(result, exitCode, exitStatus, failed string, dependents []string, user bool) []journalMessage {
	if result == "" || result == "success" {
		return nil
	}
	why := result
	if exitCode != "" {
		why = fmt.Sprintf("%s, %s=%s", result, exitCode, exitStatus)
	}
	app := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(failed, ".service"), "-migrate"), "-configure")
	journalctl := "journalctl -u " + failed
	if user {
		journalctl = "journalctl --user -u " + failed
	}
	var out []journalMessage
	for _, dep := range dependents {
		fields := map[string]string{"QUADLAUNCH_APP": app, "QUADLAUNCH_FAILED_UNIT": failed}
		if user {
			// journalctl --user -u matches these for the user's own processes.
			fields["USER_UNIT"] = dep
			fields["OBJECT_SYSTEMD_USER_UNIT"] = dep
		} else {
			// journalctl -u matches OBJECT_SYSTEMD_UNIT from root's processes.
			fields["OBJECT_SYSTEMD_UNIT"] = dep
		}
		out = append(out, journalMessage{
			text:   fmt.Sprintf("%s not started: its dependency %s failed (%s); see %s", dep, failed, why, journalctl),
			fields: fields,
		})
	}
	return out
}
