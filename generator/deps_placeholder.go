package generator

// Placeholder imports; delete once the loader imports these for real.
import (
	_ "github.com/containers/podman/v5/pkg/systemd/parser"
	_ "github.com/urfave/cli/v3"
	_ "gopkg.in/yaml.v3"
)
