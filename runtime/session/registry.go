package session

import (
	"context"
	"fmt"

	"github.com/quadlaunch/quadlaunch/runtime/podman"
)

// Push shares a built version (current when "") with a registry: dest is
// the reference to push to. Credentials come from Podman's auth file. What
// is pushed is the version image as built: build secrets never reach its
// layers, config or history (they reach exec steps through the exec session).
func (s *Session) Push(ctx context.Context, version, dest string, o podman.RegistryOptions) error {
	digest, err := s.Engine.Push(s.Podman, s.App.Name, version, dest, o)
	if err != nil {
		return err
	}
	if version == "" {
		version = "current"
	}
	fmt.Fprintf(s.Out, "%s: pushed %s to %s (%s)\n", s.App.Name, version, dest, digest)
	s.Log.Infof("%s: pushed %s to %s (%s)", s.App.Name, version, dest, digest)
	return nil
}
