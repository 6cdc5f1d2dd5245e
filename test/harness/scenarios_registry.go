package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Images through a registry (issue #19): Debian's docker-registry on
// loopback in the testbed (plain HTTP, hence tls_verify: false; no auth). App shop is
// built here and pushed; app shoprun runs the pushed tags by image:. A second
// registry with TLS and basic auth follows (scenarios_registry_auth.go).

const (
	regAddr   = "127.0.0.1:5000"
	regCanary = "qlregistry-canary-7f3"
)

func regBuiltConfig(version string) string {
	return `base_image: localhost/quadlaunch/demo:current
params:
  version: "` + version + `"
env:
  DEMO_PORT: "8099"
  SHOP_TOKEN: ` + regCanary + `
secrets: [SHOP_TOKEN]
expose: ["8099:8099"]
proxy: {drain_timeout: 5s}
deploy_timeout: 25s
healthcheck: {cmd: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:$DEMO_PORT/healthz"], interval: 1s, timeout: 2s, retries: 2}
roles:
  web: ["/bin/sh", "-c", "DEMO_GREETING=$(cat /etc/shop-version) exec /usr/bin/demo serve"]
run:
  - exec: echo build-$version > /etc/shop-version
  # the secret reaches a build step (its exec session), never a layer
  - exec: test "$$ENV_SHOP_TOKEN" = ` + regCanary + `
  # version 4 is a broken release: its health check never passes
  - exec: if [ "$version" = 4 ]; then touch /etc/broken; fi
`
}

func regRunConfig(tag string) string {
	return regRunConfigWith(tag, "")
}

func regRunConfigWith(tag, extra string) string {
	return extra + `image: {ref: "` + regAddr + `/shop:` + tag + `", tls_verify: false}
env:
  DEMO_PORT: "8200"
  SHOP_TOKEN: ` + regCanary + `
secrets: [SHOP_TOKEN]
expose: ["8200:8200"]
proxy: {drain_timeout: 5s}
deploy_timeout: 25s
healthcheck: {cmd: ["CMD-SHELL", "test ! -e /etc/broken && wget -q -O /dev/null http://127.0.0.1:$DEMO_PORT/healthz"], interval: 1s, timeout: 2s, retries: 2}
roles:
  web: ["/bin/sh", "-c", "DEMO_GREETING=$(cat /etc/shop-version) exec /usr/bin/demo serve"]
`
}

func regWrite(tb *Testbed, app, cfg string) error {
	if err := tb.WriteFileOwned(demoRoot(false)+"/containers/"+app+".yml", cfg, 0o600, 0, 0); err != nil {
		return err
	}
	_, err := tb.Systemctl("daemon-reload")
	return err
}

func regServes(tb *Testbed, port int, want string, timeout time.Duration) error {
	return tb.WaitFor(timeout, fmt.Sprintf("port %d answers %s", port, want), func() error {
		out, err := tb.HTTPGet(port)
		if err == nil && !strings.Contains(out, want) {
			err = fmt.Errorf("got %q", out)
		}
		return err
	})
}

// regPush pushes shop's current as tag.
func regPush(tb *Testbed, tag string) (string, error) {
	return tb.Run("quadlaunch", "push", "shop", "--to", regAddr+"/shop:"+tag, "--tls-verify=false")
}

// regBlobs is every blob of a pushed tag: its config and layers, decompressed.
func regBlobs(tb *Testbed, tag string) (map[string][]byte, error) {
	manifest, err := tb.Exec("curl", "-sS", "--fail", "-H", "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json",
		"http://"+regAddr+"/v2/shop/manifests/"+tag)
	if err != nil {
		return nil, fmt.Errorf("manifest: %v", err)
	}
	var m struct {
		Config struct{ Digest string }
		Layers []struct{ Digest string }
	}
	if err := json.Unmarshal([]byte(manifest), &m); err != nil || m.Config.Digest == "" || len(m.Layers) == 0 {
		return nil, fmt.Errorf("manifest %q: %v", manifest, err)
	}
	blobs := map[string][]byte{"manifest": []byte(manifest)}
	for _, d := range append([]string{m.Config.Digest}, func() (ds []string) {
		for _, l := range m.Layers {
			ds = append(ds, l.Digest)
		}
		return
	}()...) {
		b, err := tb.Exec("curl", "-sS", "--fail", "-L", "http://"+regAddr+"/v2/shop/blobs/"+d)
		if err != nil {
			return nil, fmt.Errorf("blob %s: %v", d, err)
		}
		data := []byte(b)
		if zr, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
			if un, err := io.ReadAll(zr); err == nil {
				data = un
			}
		}
		blobs[d] = data
	}
	return blobs, nil
}

// regBuildPush builds shop at version and pushes it as tag.
func regBuildPush(tb *Testbed, version, tag string) error {
	if err := regWrite(tb, "shop", regBuiltConfig(version)); err != nil {
		return err
	}
	if out, err := tb.Run("quadlaunch", "build", "shop"); err != nil {
		return fmt.Errorf("build shop %s: %v: %s", version, err, out)
	}
	if out, err := regPush(tb, tag); err != nil {
		return fmt.Errorf("push %s: %v: %s", tag, err, out)
	}
	return nil
}

func regAutoUpdate(tb *Testbed) error {
	if err := regBuildPush(tb, "3", "stable"); err != nil {
		return err
	}
	cfg := regRunConfigWith("stable", "auto_update: {schedule: \"*:*:0/10\"}\n")
	if err := regWrite(tb, "shoprun", cfg); err != nil {
		return err
	}
	if out, err := tb.Run("quadlaunch", "deploy", "shoprun"); err != nil {
		return fmt.Errorf("deploy shoprun on stable: %v: %s", err, out)
	}
	if err := regServes(tb, 8200, "build-3", 10*time.Second); err != nil {
		return err
	}
	l, err := startLoad(tb, depSetup{port: 8200}, "autoupdate")
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := regBuildPush(tb, "5", "stable"); err != nil {
		return err
	}
	if err := regServes(tb, 8200, "build-5", 90*time.Second); err != nil {
		return fmt.Errorf("the new stable was not deployed by itself: %v", err)
	}
	fmt.Printf("  stable moved to build-5: serving it %.0f s after the push\n", time.Since(t0).Seconds())
	// A broken release behind the same tag: tried once, rolled back, not again.
	t1 := time.Now()
	if err := regBuildPush(tb, "4", "stable"); err != nil {
		return err
	}
	var lines []string
	err = tb.WaitFor(120*time.Second, "the broken image rolled back and not tried again", func() error {
		entries, err := tb.JournalSince(t1, false, "shoprun-auto-update.service")
		if err != nil {
			return err
		}
		lines = lines[:0]
		for _, e := range entries {
			lines = append(lines, e.Message)
		}
		all := strings.Join(lines, "\n")
		if !strings.Contains(all, "auto-update of "+regAddr+"/shop:stable") || !strings.Contains(all, "not again until") {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	summary, lerr := l.finish(tb)
	if err != nil {
		return fmt.Errorf("%v\n%s", err, strings.Join(lines, "\n"))
	}
	if lerr != nil {
		return lerr
	}
	_ = summary
	if err := regServes(tb, 8200, "build-5", 5*time.Second); err != nil {
		return err
	}
	for _, line := range lines {
		if strings.Contains(line, "failed") || strings.Contains(line, "not again") {
			fmt.Println("  journal: " + line)
		}
	}
	out, err := tb.Run("quadlaunch", "history", "shoprun", "--json")
	if err != nil || !strings.Contains(out, `"command": "auto-update"`) || !strings.Contains(out, `"result": "rolled back"`) {
		return fmt.Errorf("history lacks the auto-updates: %v\n%s", err, out)
	}
	// Back to the pinned tags of the scenarios after this one.
	return regWrite(tb, "shoprun", regRunConfig("v2"))
}

func registryGroup() Group {
	return Group{
		Name:  "registry",
		Order: 126,
		Setup: func(tb *Testbed) error {
			if err := installDemo(tb, false); err != nil {
				return err
			}
			if err := installLoadgen(tb); err != nil {
				return err
			}
			// Debian's own unit (started at boot, on :5000) asks for htpasswd
			// auth: stopped; this one is open, on loopback only.
			if out, err := tb.Systemctl("stop", "docker-registry.service"); err != nil {
				return fmt.Errorf("stop docker-registry: %v: %s", err, out)
			}
			conf := "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/quadlaunch-test-registry\nhttp:\n  addr: " + regAddr + "\n"
			if err := tb.WriteFile("/etc/quadlaunch-test-registry.yml", conf, 0o644); err != nil {
				return err
			}
			if out, err := tb.Exec("systemd-run", "--unit", "quadlaunch-test-registry", "--collect", "/usr/bin/docker-registry", "serve", "/etc/quadlaunch-test-registry.yml"); err != nil {
				return fmt.Errorf("start the registry: %v: %s", err, out)
			}
			if err := tb.WaitFor(30*time.Second, "the registry answers", func() error {
				_, err := tb.Exec("curl", "-sS", "--fail", "http://"+regAddr+"/v2/")
				return err
			}); err != nil {
				return err
			}
			if err := regWrite(tb, "shop", regBuiltConfig("1")); err != nil {
				return err
			}
			if out, err := tb.Run("quadlaunch", "deploy", "shop"); err != nil {
				return fmt.Errorf("deploy shop: %v: %s", err, out)
			}
			return regServes(tb, 8099, "build-1", 30*time.Second)
		},
		Scenarios: append([]Scenario{
			{Name: "push a built version: the registry has it, and no secret in its manifest, config or layers", Run: func(tb *Testbed) error {
				out, err := regPush(tb, "v1")
				if err != nil {
					return fmt.Errorf("push: %v: %s", err, out)
				}
				blobs, err := regBlobs(tb, "v1")
				if err != nil {
					return err
				}
				for name, b := range blobs {
					if bytes.Contains(b, []byte(regCanary)) {
						return fmt.Errorf("the pushed %s holds the secret", name)
					}
				}
				fmt.Printf("  pushed %s/shop:v1: %d blobs checked for the secret, none holds it\n", regAddr, len(blobs)-1)
				return nil
			}},
			{Name: "deploy the pushed tag by image: as a second app, then a new tag under load: 0 failed; versions record the digest", Run: func(tb *Testbed) error {
				if err := regWrite(tb, "shoprun", regRunConfig("v1")); err != nil {
					return err
				}
				if out, err := tb.Run("quadlaunch", "deploy", "shoprun"); err != nil {
					return fmt.Errorf("deploy shoprun (v1): %v: %s", err, out)
				}
				if err := regServes(tb, 8200, "build-1", 30*time.Second); err != nil {
					return err
				}
				// A new version built on the first host, pushed, deployed by tag.
				if err := regWrite(tb, "shop", regBuiltConfig("2")); err != nil {
					return err
				}
				if out, err := tb.Run("quadlaunch", "build", "shop"); err != nil {
					return fmt.Errorf("build shop 2: %v: %s", err, out)
				}
				if out, err := regPush(tb, "v2"); err != nil {
					return fmt.Errorf("push v2: %v: %s", err, out)
				}
				l, err := startLoad(tb, depSetup{port: 8200}, "registry")
				if err != nil {
					return err
				}
				out, derr := tb.Run("quadlaunch", "deploy", "shoprun", "--image", regAddr+"/shop:v2")
				summary, lerr := l.finish(tb)
				if derr != nil {
					return fmt.Errorf("deploy --image v2: %v: %s", derr, out)
				}
				if lerr != nil {
					return fmt.Errorf("%v\n%s", lerr, out)
				}
				_ = summary
				if err := regServes(tb, 8200, "build-2", 5*time.Second); err != nil {
					return err
				}
				vs, err := tb.Run("quadlaunch", "versions", "shoprun", "--json")
				if err != nil || !strings.Contains(vs, `"base_digest": "sha256:`) {
					return fmt.Errorf("versions do not record the pulled digest: %v\n%s", err, vs)
				}
				return nil
			}},
			{Name: "a tag that does not exist, a registry that does not answer: clear error, current unmoved", Run: func(tb *Testbed) error {
				before, _ := tb.Exec("podman", "image", "inspect", "--format", "{{.Id}}", "localhost/quadlaunch/shoprun:current")
				for _, ref := range []string{regAddr + "/shop:nope", "127.0.0.1:5999/shop:v1"} {
					out, err := tb.Run("quadlaunch", "deploy", "shoprun", "--image", ref)
					if err == nil {
						return fmt.Errorf("deploy --image %s succeeded:\n%s", ref, out)
					}
					if msg := err.Error(); !strings.Contains(msg, "pull "+ref) || !strings.Contains(msg, "current is unchanged") {
						return fmt.Errorf("deploy --image %s: the error does not name the pull: %v", ref, err)
					}
					after, _ := tb.Exec("podman", "image", "inspect", "--format", "{{.Id}}", "localhost/quadlaunch/shoprun:current")
					if after != before {
						return fmt.Errorf("current moved after the failed pull of %s", ref)
					}
				}
				return regServes(tb, 8200, "build-2", 5*time.Second)
			}},
			{Name: "auto-update: a pushed tag is deployed by itself within a timer period, a broken one rolled back by itself, 0 failed, the journal says why", Run: regAutoUpdate},
		}, registryAuthScenarios()...),
	}
}

func init() { register(registryGroup()) }
