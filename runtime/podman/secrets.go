//go:build remote

package podman

import (
	"context"
	"fmt"
	"strings"

	"github.com/containers/podman/v5/pkg/bindings/secrets"

	"github.com/quadlaunch/quadlaunch/runtime/pass"
)

// storeSecrets creates or replaces each secret in Podman's store; the value goes
// in the request body, never on a command line or into a container's config.
func storeSecrets(ctx context.Context, ss []pass.EnvSecret) error {
	for _, s := range ss {
		name, replace := s.Secret, true
		if _, err := secrets.Create(ctx, strings.NewReader(s.Value), &secrets.CreateOptions{Name: &name, Replace: &replace}); err != nil {
			return fmt.Errorf("store podman secret %s (for %s): %w", s.Secret, s.Env, err)
		}
	}
	return nil
}
