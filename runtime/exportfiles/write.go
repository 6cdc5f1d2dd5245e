package exportfiles

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/quadlaunch/quadlaunch/export"
	"github.com/quadlaunch/quadlaunch/generator"
)

// ExportRequest is `quadlaunch export kube|compose APP`.
type ExportRequest struct {
	Format    string // "kube" or "compose"
	Out       string // dir for the files; "": the manifests to stdout, secrets withheld
	Image     string // the image every container runs (default: this host's current)
	Namespace string // kube
	Replicas  int    // kube
	Target    string // kube: "cluster" (default) or "podman" (one Pod for podman kube play)
}

// WriteExport exports app (package export) and writes the result: to
// r.Out as <app>.kube.yaml (<app>.pod.kube.yaml for podman) or compose.yaml, with the secret env in its own
// file created 0600 (<app>.secrets.kube.yaml, <app>.secrets.env); without
// r.Out the main file goes to stdout and the secrets are not written at all.
// Each warning (what did not carry over, file:line: key) goes to stderr.
func WriteExport(app *generator.App, r ExportRequest, stdout, stderr io.Writer) error {
	var (
		ex                  *export.Export
		err                 error
		mainName, secretsAs string
	)
	switch r.Format {
	case "kube":
		ex, err = export.Kube(app, export.KubeOptions{Image: r.Image, Namespace: r.Namespace, Replicas: int32(r.Replicas), Target: r.Target})
		mainName, secretsAs = app.Name+".kube.yaml", app.Name+".secrets.kube.yaml"
		if r.Target == export.KubeTargetPodman {
			mainName = app.Name + ".pod.kube.yaml"
		}
	case "compose":
		if r.Target != "" {
			return fmt.Errorf("export compose: --for is kube's (cluster or podman)")
		}
		secretsAs = app.Name + ".secrets.env"
		ex, err = export.Compose(app, export.ComposeOptions{Image: r.Image, SecretsFile: secretsAs})
		mainName = "compose.yaml"
	default:
		return fmt.Errorf("export: unknown format %q (kube or compose)", r.Format)
	}
	if err != nil {
		return fmt.Errorf("export %s %s: %w", r.Format, app.Name, err)
	}
	for _, w := range ex.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if r.Out == "" {
		if len(ex.Secrets) > 0 {
			fmt.Fprintf(stderr, "note: the secret env is not printed: --out DIR writes it to DIR/%s (0600)\n", secretsAs)
		}
		_, err := stdout.Write(ex.Main)
		return err
	}
	if err := os.MkdirAll(r.Out, 0o755); err != nil {
		return err
	}
	if len(ex.Secrets) > 0 {
		if err := writeNew(filepath.Join(r.Out, secretsAs), ex.Secrets, 0o600); err != nil {
			return err
		}
	}
	if err := writeNew(filepath.Join(r.Out, mainName), ex.Main, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s", filepath.Join(r.Out, mainName))
	if len(ex.Secrets) > 0 {
		fmt.Fprintf(stderr, " and %s (0600: keep it out of version control)", filepath.Join(r.Out, secretsAs))
	}
	fmt.Fprintln(stderr)
	return nil
}

// writeNew writes data through a temporary file created with mode (never
// wider for a moment) and a rename.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
