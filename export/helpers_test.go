package export

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quadlaunch/quadlaunch/generator"
)

// corpusDir is ../shared/corpus/discourse_docker next to the repo root, as
// generator's tests find it; the test runs in <repo>/export.
func corpusDir(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(wd, "..", "..", "shared", "corpus", "discourse_docker")
	if _, err := os.Stat(filepath.Join(dir, "samples")); err != nil {
		t.Skipf("discourse_docker corpus not found at %s (needs ../shared next to the repo): %v", dir, err)
	}
	return dir
}

// demoTemplate and demoConfig are a small app laid out like the e2e demo:
// roles, migrate/configure commands, a healthcheck, secret env whose values
// are canaries (with the characters YAML, Kubernetes and compose treat
// specially), a named volume, a bind mount, a link and podman_args.
const demoTemplate = `params:
  data_dir: /data
env:
  LANG: C.UTF-8
  DEMO_PORT: "8080"
  DEMO_PRICE: "costs $5 or ${PRICE} or $(PRICE)"
labels:
  app: "{{config}}"
  description: not a label value
volumes:
  - volume:
      host: demo-data
      guest: /data
roles:
  web: /usr/bin/demo serve
  worker: [/usr/bin/demo, worker, "--say=$HOME"]
migrate: /usr/bin/demo migrate
configure: /usr/bin/demo configure
healthcheck:
  cmd: /usr/bin/demo health
  interval: 2s
  timeout: 1s
  retries: 5
  start_period: 1m
`

const demoConfig = `templates:
  - templates/demo.template.yml
expose:
  - "8080:8080"
  - "127.0.0.1:9090:9090/udp"
  - "9100"
env:
  DEMO_GREETING: hello from demo.yml
  DEMO_API_TOKEN: qlcanary-token-5e1f0c7a
  DEMO_TLS_KEY: |
    -----BEGIN QLCANARY KEY-----
    qlcanary-line-2 "double" 'single' $DOLLAR ${BRACED} $(PAREN) %n %% \backslash \n
      indented qlcanary-line-3 with trailing spaces   
    -----END QLCANARY KEY-----
  DEMO_TRAILING: 'qlcanary-ends-in-backslash\'
secrets:
  - DEMO_API_TOKEN
  - DEMO_TLS_KEY
  - DEMO_TRAILING
volumes:
  - volume:
      host: /srv/demo/uploads
      guest: /uploads
links:
  - link:
      name: data
      alias: db
podman_args: --cap-add=SYS_PTRACE
`

// lineOf is the 1-based line of the first line of text holding s.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q not in the config", s)
	return 0
}

// loadDemo loads the demo app from a fresh root; it returns the app and the
// app file's path.
func loadDemo(t *testing.T) (*generator.App, string) {
	t.Helper()
	root := t.TempDir()
	for name, body := range map[string]string{
		"templates/demo.template.yml": demoTemplate,
		"containers/demo.yml":         demoConfig,
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(root, "containers", "demo.yml")
	app, err := generator.LoadApp(root, path)
	if err != nil {
		t.Fatalf("load demo: %v", err)
	}
	return app, path
}

// testApp is one app the format tests run on.
type testApp struct {
	name string
	app  *generator.App
}

// testApps are every corpus sample and the demo, each with its secret env
// values replaced by canaries (canaries lists them by env name) and one more
// secret added, so that a leak of any of them into Main shows.
func testApps(t *testing.T) []testApp {
	t.Helper()
	root := corpusDir(t)
	paths, err := filepath.Glob(filepath.Join(root, "samples", "*.yml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no samples in %s: %v", root, err)
	}
	var apps []testApp
	for _, p := range paths {
		app, err := generator.LoadApp(root, p)
		if err != nil {
			t.Fatalf("load %s: %v", p, err)
		}
		for i, e := range app.Env {
			if app.SecretEnv(e.Name) {
				app.Env[i].Value = fmt.Sprintf("qlcanary-%s-%d", e.Name, i)
			}
		}
		app.Env = append(app.Env, generator.EnvVar{Name: "QL_CANARY_PASSWORD", Value: "qlcanary-added\nsecond line $X", Secret: true})
		apps = append(apps, testApp{app.Name, app})
	}
	demo, _ := loadDemo(t)
	return append(apps, testApp{"demo", demo})
}

// secretEnv is the app's secret env by name.
func secretEnv(app *generator.App) map[string]string {
	m := map[string]string{}
	for _, e := range app.Env {
		if app.SecretEnv(e.Name) {
			m[e.Name] = e.Value
		}
	}
	return m
}

// assertNoSecretIn fails when any secret value of app (at least 8 bytes:
// shorter ones are too common to mean a leak) appears in main.
func assertNoSecretIn(t *testing.T, app *generator.App, main []byte) {
	t.Helper()
	secrets := secretEnv(app)
	if len(secrets) == 0 {
		t.Fatal("test app has no secret env")
	}
	for name, v := range secrets {
		for _, part := range strings.Split(v, "\n") {
			if len(part) >= 8 && strings.Contains(string(main), part) {
				t.Errorf("secret %s leaks into Main: %q", name, part)
			}
		}
	}
}
