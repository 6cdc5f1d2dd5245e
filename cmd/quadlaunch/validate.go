package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/preview"
	"github.com/quadlaunch/quadlaunch/runtime/proxy"
)

func init() { commands = append(commands, validateCommand()) }

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check configs as the generator would; errors as file:line: key: message",
		ArgsUsage: "[APP...]",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			l, err := loadConfigs(cmd, cmd.Args().Slice())
			if err != nil {
				return err
			}
			// Certificate files of proxy.tls: what a deploy would refuse.
			for _, a := range l.Apps {
				if err := proxy.CheckTLSFiles(a, time.Now()); err != nil && !l.Failed[a.Name] {
					l.Fail(a.Name, err)
				}
			}
			for _, p := range l.Warnings {
				fmt.Fprintln(os.Stderr, "warning:", p)
			}
			for _, p := range l.Errors {
				fmt.Fprintln(os.Stderr, "error:", p)
			}
			for _, a := range l.Apps {
				if !l.Failed[a.Name] {
					fmt.Printf("%s: ok (%s)\n", a.Name, a.ConfigPath)
				}
			}
			if len(l.Errors) > 0 {
				return cli.Exit(fmt.Sprintf("%d error(s)", len(l.Errors)), 1)
			}
			return nil
		},
	}
}

// loadConfigs is preview.Load for this invocation's root and manager; a name
// without a config is exit 1.
func loadConfigs(cmd *cli.Command, names []string) (*preview.Loaded, error) {
	l, err := preview.Load(rootDir(cmd), names, userMode(cmd))
	var nc *preview.NoConfigError
	if errors.As(err, &nc) {
		return nil, cli.Exit(err.Error(), 1)
	}
	return l, err
}
