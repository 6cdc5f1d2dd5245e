package main

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"
)

func init() { commands = append(commands, renderCommand()) }

func renderCommand() *cli.Command {
	return &cli.Command{
		Name:      "render",
		Usage:     "print every file the generator would write for APP (after quadlet, when quadlet is installed); env values are not shown",
		ArgsUsage: "APP",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			name, err := appArg(cmd)
			if err != nil {
				return err
			}
			l, err := loadConfigs(cmd, nil)
			if err != nil {
				return err
			}
			if l.Failed[name] {
				for _, e := range l.Errors {
					fmt.Fprintln(os.Stderr, "error:", e)
				}
				return cli.Exit(fmt.Sprintf("app %s has errors: the generator writes no unit for it", name), 1)
			}
			if l.App(name) == nil {
				return cli.Exit(fmt.Sprintf("no config for app %q", name), 1)
			}
			files, msgs, err := l.Render(name)
			if msgs != "" {
				fmt.Fprintln(os.Stderr, msgs)
			}
			if err != nil {
				return err
			}
			for _, f := range files {
				if f.Symlink {
					fmt.Printf("# %s -> %s\n\n", f.Title, f.Content)
					continue
				}
				fmt.Printf("# %s\n%s", f.Title, f.Content)
				if len(f.Content) > 0 && f.Content[len(f.Content)-1] != '\n' {
					fmt.Println()
				}
				fmt.Println()
			}
			return nil
		},
	}
}
