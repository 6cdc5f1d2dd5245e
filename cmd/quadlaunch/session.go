package main

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/runtime/session"
)

// lockTimeoutFlag is accepted by every command that changes an app.
func lockTimeoutFlag() cli.Flag {
	return &cli.DurationFlag{Name: "lock-timeout", Usage: "give up when another command holds the app's lock this long (0: wait forever)"}
}

// pullFlag is accepted by every command that builds.
func pullFlag() cli.Flag {
	return &cli.BoolFlag{Name: "pull", Usage: "pull a newer base_image first (also base_image_pull: true in the config); a failed pull builds nothing"}
}

// appArg returns the single APP argument.
func appArg(cmd *cli.Command) (string, error) {
	if cmd.Args().Len() < 1 {
		return "", cli.Exit(fmt.Sprintf("usage: quadlaunch %s APP", cmd.Name), 2)
	}
	return cmd.Args().First(), nil
}

// openSession opens the APP argument's session (runtime/session) with what
// o asks for; the flags fill in the rest.
func openSession(ctx context.Context, cmd *cli.Command, o session.Options) (*session.Session, error) {
	name, err := appArg(cmd)
	if err != nil {
		return nil, err
	}
	o.Root, o.App, o.User, o.Engine, o.ToolVersion = rootDir(cmd), name, userMode(cmd), engine, version
	o.LockTimeout, o.PullBase = cmd.Duration("lock-timeout"), cmd.Bool("pull")
	o.LockHolder = fmt.Sprintf("pid %d: quadlaunch %s %s", os.Getpid(), cmd.Name, name)
	return session.Open(ctx, o)
}

// withSession is the action of a command on one app: open its session with
// o, run, close. A command that changes the app (o.Lock) leaves its audit
// record when it ends, whatever the outcome.
func withSession(o session.Options, run func(context.Context, *cli.Command, *session.Session) error) cli.ActionFunc {
	return func(ctx context.Context, cmd *cli.Command) (err error) {
		s, err := openSession(ctx, cmd, o)
		if err != nil {
			return err
		}
		defer s.Close()
		if o.Lock {
			s.BeginAudit(cmd.Name, cmd.Args().Slice())
			defer func() { s.EndAudit(ctx, err, os.Stderr) }()
		}
		return run(ctx, cmd, s)
	}
}
