package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// `podman kube play` of an export (issue #19): the demo app exported with
// `export kube --for podman` runs as one pod in the system testbed, beside
// the demo under quadlaunch, through a Quadlet .kube unit: migrate and configure first (the pod's init
// containers), again at every start of the pod, secret env from the Secret,
// the probe as Podman's healthcheck. The config lives under its own --root,
// so the generator never sees it.

const (
	kubeRoot   = "/root/kube-source"
	kubeOut    = "/root/kube-export"
	kubePort   = 8093
	kubeUnit   = "/etc/containers/systemd/kubedemo.kube"
	kubeCanary = "qlcanary-kube-7d2e41"
)

const kubeConfig = `templates:
  - templates/demo.template.yml
expose:
  - "8093:8080"
env:
  DEMO_GREETING: hello from kube play
  DEMO_API_TOKEN: ` + kubeCanary + `
secrets: [DEMO_API_TOKEN]
healthcheck: {cmd: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"], interval: 2s, timeout: 2s, retries: 3}
`

func exportScenarios() []Scenario {
	return []Scenario{
		{Name: "10 export kube --for podman: podman kube play (a Quadlet .kube unit) serves the app, migrate and configure ran first and again at a restart", Run: scenarioKubePlay},
	}
}

func scenarioKubePlay(tb *Testbed) error {
	template, err := tb.ReadFile(demoRoot(false) + "/templates/demo.template.yml")
	if err != nil {
		return err
	}
	if err := tb.WriteFile(kubeRoot+"/templates/demo.template.yml", template, 0o644); err != nil {
		return err
	}
	if err := tb.WriteFile(kubeRoot+"/containers/kubedemo.yml", kubeConfig, 0o600); err != nil {
		return err
	}
	main, secrets := kubeOut+"/kubedemo.pod.kube.yaml", kubeOut+"/kubedemo.secrets.kube.yaml"
	if out, err := tb.Run("quadlaunch", "--root", kubeRoot, "export", "kube", "kubedemo", "--for", "podman",
		"--image", "localhost/quadlaunch/demo:current", "--out", kubeOut); err != nil {
		return fmt.Errorf("export: %v: %s", err, out)
	}
	if mode, err := tb.Exec("stat", "-c", "%a", secrets); err != nil || strings.TrimSpace(mode) != "600" {
		return fmt.Errorf("%s: mode %q (%v), want 600", secrets, mode, err)
	}
	if body, err := tb.ReadFile(main); err != nil || strings.Contains(body, kubeCanary) || !strings.Contains(body, "kind: Pod") {
		return fmt.Errorf("%s holds the secret or no Pod (%v):\n%s", main, err, body)
	}
	// The Secret first (it makes a Podman secret, no container), then the pod
	// as an operator runs it under systemd: a Quadlet .kube unit. (A plain
	// `podman kube play` run as a transient unit would take the pod down
	// with it when the command ends.)
	defer func() {
		tb.Systemctl("stop", "kubedemo.service")
		tb.Exec("rm", "-f", kubeUnit)
		tb.Systemctl("daemon-reload")
		tb.Exec("podman", "volume", "rm", "-f", "kubedemo-demo-data")
		tb.Exec("podman", "secret", "rm", "kubedemo-secret-env")
	}()
	if out, err := tb.RunTimeout(2*time.Minute, "podman", "kube", "play", "--replace", secrets); err != nil {
		return fmt.Errorf("podman kube play %s: %v: %s", secrets, err, out)
	}
	if err := tb.WriteFile(kubeUnit, "[Unit]\nDescription=kubedemo, exported by quadlaunch\n\n[Kube]\nYaml="+main+"\n", 0o644); err != nil {
		return err
	}
	if out, err := tb.Systemctl("daemon-reload"); err != nil {
		return fmt.Errorf("daemon-reload: %v: %s", err, out)
	}
	if out, err := tb.Systemctl("start", "kubedemo.service"); err != nil {
		j, _ := tb.Journal("kubedemo.service")
		return fmt.Errorf("systemctl start kubedemo.service: %v: %s\n%s", err, out, j)
	}
	want := "demo " + demoVersion + ": hello from kube play"
	if err := tb.WaitFor(60*time.Second, fmt.Sprintf("the pod serving on :%d", kubePort), func() error {
		body, err := tb.HTTPGet(kubePort)
		if err == nil && strings.TrimSpace(body) != want {
			err = fmt.Errorf("body %q, want %q", strings.TrimSpace(body), want)
		}
		return err
	}); err != nil {
		return err
	}
	// Migrate first: its container finished before web started, and its
	// line is in the data web serves.
	for _, init := range []string{"kubedemo-migrate", "kubedemo-configure"} {
		state, err := tb.Exec("podman", "inspect", "--format", "{{.State.ExitCode}} {{.State.FinishedAt.UnixNano}}", init)
		if err != nil {
			return fmt.Errorf("init container %s: %v", init, err)
		}
		webStart, err := tb.Exec("podman", "inspect", "--format", "{{.State.StartedAt.UnixNano}}", "kubedemo-web")
		if err != nil {
			return fmt.Errorf("container kubedemo-web: %v", err)
		}
		f := strings.Fields(state)
		finished, _ := strconv.ParseInt(f[len(f)-1], 10, 64)
		started, _ := strconv.ParseInt(strings.TrimSpace(webStart), 10, 64)
		if f[0] != "0" || finished == 0 || finished > started {
			return fmt.Errorf("%s: exit %s finished at %d, web started at %d: not before web", init, f[0], finished, started)
		}
	}
	if err := kubeSchemaRuns(tb, 1); err != nil {
		return err
	}
	token, err := tb.Run("podman", "exec", "kubedemo-web", "sh", "-c", `echo "$DEMO_API_TOKEN"`)
	if err != nil || strings.TrimSpace(token) != kubeCanary {
		return fmt.Errorf("secret env in the pod: %q (%v), want the Secret's value", strings.TrimSpace(token), err)
	}
	if err := tb.WaitFor(30*time.Second, "kubedemo-web healthy (the livenessProbe as Podman's healthcheck)", func() error {
		h, err := tb.Exec("podman", "inspect", "--format", "{{.State.Health.Status}}", "kubedemo-web")
		if err == nil && strings.TrimSpace(h) != "healthy" {
			err = fmt.Errorf("health %q", strings.TrimSpace(h))
		}
		return err
	}); err != nil {
		return err
	}
	// Every start of the pod runs the migration first, as a restart of
	// demo-web does under quadlaunch.
	if out, err := tb.Systemctl("restart", "kubedemo.service"); err != nil {
		return fmt.Errorf("systemctl restart kubedemo.service: %v: %s", err, out)
	}
	if err := tb.WaitFor(60*time.Second, "the restarted pod serving", func() error {
		_, err := tb.HTTPGet(kubePort)
		return err
	}); err != nil {
		return err
	}
	if err := kubeSchemaRuns(tb, 2); err != nil {
		return err
	}
	fmt.Printf("  kubedemo.kube (podman kube play): pod kubedemo serves %q on :%d; migrate ran before web at both starts\n", want, kubePort)
	return nil
}

// kubeSchemaRuns checks the pod's data volume holds n migrate runs.
func kubeSchemaRuns(tb *Testbed, n int) error {
	schema, err := tb.HTTPGet(kubePort, "/schema")
	if err != nil {
		return fmt.Errorf("GET /schema: %v", err)
	}
	if got := strings.Count(schema, "schema="); got != n || !strings.Contains(schema, fmt.Sprintf("run=%d ", n)) {
		return fmt.Errorf("the pod's /schema has %d migrate runs, want %d:\n%s", got, n, schema)
	}
	return nil
}
