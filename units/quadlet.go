package units

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// DefaultQuadlet is where Debian and Fedora install Quadlet.
const DefaultQuadlet = "/usr/libexec/podman/quadlet"

// QuadletVersion asks the quadlet binary for its version ("5.4.2").
func QuadletVersion(bin string) (string, error) {
	out, err := exec.Command(bin, "-version").Output()
	if err != nil {
		return "", fmt.Errorf("%s -version: %w", bin, err)
	}
	v := strings.TrimSpace(string(out))
	if _, err := parseVersion(v); err != nil {
		return "", fmt.Errorf("%s -version: %w", bin, err)
	}
	return v, nil
}

// QuadletArgs is the command line RunQuadlet uses: quadlet reads only
// stagingDir (QUADLET_UNIT_DIRS) and writes into outDir as a generator would
// (normal, early and late dir all outDir). -no-kmsg-log sends its messages to
// stderr, which RunQuadlet returns so the caller can log them as its own.
func QuadletArgs(outDir string, user bool) []string {
	args := []string{"-no-kmsg-log"}
	if user {
		args = append(args, "-user")
	}
	return append(args, outDir, outDir, outDir)
}

// RunQuadlet converts the Quadlet files in stagingDir into services in outDir.
// It returns quadlet's messages (warnings about skipped files) even on success.
func RunQuadlet(bin, stagingDir, outDir string, user bool) (string, error) {
	cmd := exec.Command(bin, QuadletArgs(outDir, user)...)
	cmd.Env = append(os.Environ(), "QUADLET_UNIT_DIRS="+stagingDir)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("run %s on %s: %w: %s", bin, stagingDir, err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}
