package session

import (
	"context"
	"fmt"

	"github.com/quadlaunch/quadlaunch/runtime/podman"
	"github.com/quadlaunch/quadlaunch/runtime/versions"
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

// AutoUpdate is `quadlaunch auto-update APP`, what A-auto-update.service
// runs on auto_update:'s schedule: it pulls image:'s reference and, when it
// names an image that no version of the app came from, deploys it exactly
// as `quadlaunch deploy` does (health-gated, rolled back on any failure, in
// the audit trail as auto-update). An image that was deployed and rolled
// back is not tried again until the reference names another one; nothing
// new leaves no audit record (the journal has the line).
func (s *Session) AutoUpdate(ctx context.Context) error {
	ref, o := s.imageSource()
	if ref == "" || s.App.AutoUpdate == nil {
		s.audit = nil
		return fmt.Errorf("%s: auto-update needs image: and auto_update: in the config", s.App.ConfigPath)
	}
	digest, err := s.Engine.PullDigest(s.Podman, ref, o)
	if err != nil {
		s.Log.Errorf("%s: auto-update: %v", s.App.Name, err)
		return err
	}
	vs, err := s.Engine.ListVersions(s.Podman, s.App.Name)
	if err != nil {
		return err
	}
	for _, v := range vs {
		switch {
		case v.BaseDigest != digest:
		case v.Current:
			s.audit = nil
			s.Log.Infof("%s: auto-update: %s is %s, what version %s runs: nothing to do", s.App.Name, ref, versions.ShortDigest(digest), v.Version)
			fmt.Fprintf(s.Out, "%s: up to date (%s)\n", s.App.Name, versions.ShortDigest(digest))
			return nil
		default:
			s.audit = nil
			s.Log.Infof("%s: auto-update: %s is %s, deployed before as version %s and not current (rolled back): not again until %s names another image",
				s.App.Name, ref, versions.ShortDigest(digest), v.Version, ref)
			return nil
		}
	}
	s.Log.Infof("%s: auto-update: %s is a new image (%s): deploying it", s.App.Name, ref, versions.ShortDigest(digest))
	if err := s.Deploy(ctx, false); err != nil {
		s.Log.Errorf("%s: auto-update of %s (%s) failed: %v", s.App.Name, ref, versions.ShortDigest(digest), firstLine(err.Error()))
		return err
	}
	return nil
}
