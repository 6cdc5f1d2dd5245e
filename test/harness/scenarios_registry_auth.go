package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// The registry group's second registry (issue #19): TLS from a test CA the
// host trusts (/etc/containers/certs.d) and htpasswd basic auth, the way a
// private registry is run. Credentials reach Podman only through its auth
// file (podman login); the scenarios check they reach nothing of ours.

const (
	authAddr     = "127.0.0.1:5443"
	authUser     = "qlpusher"
	authPassword = "qlregistry-password-41c9" // also the canary looked for
	authDir      = "/etc/quadlaunch-test-registry-auth"
)

// authRunConfig is an app running ref by image: (TLS verified) on port.
func authRunConfig(ref string, port int) string {
	return fmt.Sprintf(`image: {ref: %q, pull: always}
env:
  DEMO_PORT: "%d"
expose: ["%d:%d"]
proxy: {drain_timeout: 5s}
deploy_timeout: 25s
healthcheck: {cmd: ["CMD-SHELL", "test ! -e /etc/broken && wget -q -O /dev/null http://127.0.0.1:$DEMO_PORT/healthz"], interval: 1s, timeout: 2s, retries: 2}
roles:
  web: ["/bin/sh", "-c", "DEMO_GREETING=$(cat /etc/shop-version) exec /usr/bin/demo serve"]
`, ref, port, port, port)
}

// startAuthRegistry runs docker-registry with TLS and htpasswd on authAddr.
func startAuthRegistry(tb *Testbed) error {
	ca, cert, key, _, err := testCertificatesFor([]string{"localhost"})
	if err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(authPassword), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	files := map[string]string{
		authDir + "/server.crt": cert,
		authDir + "/server.key": key,
		authDir + "/htpasswd":   authUser + ":" + string(hash) + "\n",
		authDir + "/config.yml": "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/quadlaunch-test-registry-auth\n" +
			"http:\n  addr: " + authAddr + "\n  tls:\n    certificate: " + authDir + "/server.crt\n    key: " + authDir + "/server.key\n" +
			"auth:\n  htpasswd:\n    realm: quadlaunch-test\n    path: " + authDir + "/htpasswd\n",
		// What an operator does for a private CA: Podman trusts it for this registry only.
		"/etc/containers/certs.d/" + authAddr + "/ca.crt": ca,
		authDir + "/ca.crt": ca,
	}
	for path, content := range files {
		if err := tb.WriteFile(path, content, 0o600); err != nil {
			return err
		}
	}
	if out, err := tb.Exec("systemd-run", "--unit", "quadlaunch-test-registry-auth", "--collect", "/usr/bin/docker-registry", "serve", authDir+"/config.yml"); err != nil {
		return fmt.Errorf("start the TLS registry: %v: %s", err, out)
	}
	return tb.WaitFor(30*time.Second, "the TLS registry refuses an anonymous client", func() error {
		code, err := tb.Exec("curl", "-sS", "--cacert", authDir+"/ca.crt", "-o", "/dev/null", "-w", "%{http_code}", "https://"+authAddr+"/v2/")
		if err == nil && code != "401" {
			err = fmt.Errorf("HTTP %s, want 401", code)
		}
		return err
	})
}

// authLogin is `podman login` as an operator runs it under sudo (no
// XDG_RUNTIME_DIR): root's Podman service reads /run/containers/0/auth.json.
// The password comes on stdin, not on the command line.
func authLogin(tb *Testbed) error {
	if err := tb.WriteFile("/root/.registry-password", authPassword, 0o600); err != nil {
		return err
	}
	out, err := tb.Exec("sh", "-c", "podman login --username "+authUser+" --password-stdin "+authAddr+" < /root/.registry-password")
	if err != nil {
		return fmt.Errorf("podman login: %v: %s", err, out)
	}
	return nil
}

func authLogout(tb *Testbed) error {
	if out, err := tb.Exec("podman", "logout", authAddr); err != nil {
		return fmt.Errorf("podman logout: %v: %s", err, out)
	}
	return nil
}

// authDigest is the manifest digest the TLS registry serves for repo:tag.
func authDigest(tb *Testbed, repo, tag string) (string, error) {
	out, err := tb.Exec("curl", "-sS", "--fail", "--cacert", authDir+"/ca.crt", "-u", authUser+":"+authPassword, "-I",
		"-H", "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json",
		"https://"+authAddr+"/v2/"+repo+"/manifests/"+tag)
	if err != nil {
		return "", fmt.Errorf("manifest %s:%s: %v", repo, tag, err)
	}
	m := regexp.MustCompile(`(?im)^docker-content-digest:\s*(sha256:[0-9a-f]{64})`).FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("manifest %s:%s: no digest in %q", repo, tag, out)
	}
	return m[1], nil
}

// authBuildPush builds shop at version and pushes it to the TLS registry as tag.
func authBuildPush(tb *Testbed, version, tag string) error {
	if err := regWrite(tb, "shop", regBuiltConfig(version)); err != nil {
		return err
	}
	if out, err := tb.Run("quadlaunch", "build", "shop"); err != nil {
		return fmt.Errorf("build shop %s: %v: %s", version, err, out)
	}
	if out, err := tb.Run("quadlaunch", "push", "shop", "--to", authAddr+"/shop:"+tag); err != nil {
		return fmt.Errorf("push %s: %v: %s", tag, err, out)
	}
	return nil
}

func currentImageID(tb *Testbed, app string) string {
	id, _ := tb.Exec("podman", "image", "inspect", "--format", "{{.Id}}", "localhost/quadlaunch/"+app+":current")
	return strings.TrimSpace(id)
}

// authRefused is true when the command's own message reads as the registry
// refusing the credentials.
func authRefused(err error) bool {
	msg := strings.ToLower(messageOf(err))
	return strings.Contains(msg, "authentication required") || strings.Contains(msg, "unauthorized") || strings.Contains(msg, "denied")
}

// messageOf is what a failed command printed (not its command line, which
// names the reference too).
func messageOf(err error) string {
	var ce *CmdError
	if errors.As(err, &ce) {
		return ce.Stderr + ce.Stdout
	}
	return err.Error()
}

// secretNowhere checks that needle is in no unit, generator output, state
// file or journal entry of the testbed.
func secretNowhere(tb *Testbed, needle string) error {
	out, _ := tb.Exec("sh", "-c", "grep -rlF -- '"+needle+"' /etc/containers/systemd /run/systemd/generator /run/systemd/transient /var/lib/quadlaunch /run/quadlaunch /etc/quadlaunch 2>/dev/null; journalctl --no-pager -o verbose | grep -cF -- '"+needle+"'")
	if lines := strings.Fields(out); len(lines) != 1 || lines[0] != "0" {
		return fmt.Errorf("the registry password is in: %q", out)
	}
	return nil
}

func registryAuthScenarios() []Scenario {
	return []Scenario{
		{Name: "TLS registry with basic auth: refused without podman login (clear error, current unmoved); after it push and image: work, the password in no unit, state or journal", Run: func(tb *Testbed) error {
			if err := startAuthRegistry(tb); err != nil {
				return err
			}
			if err := regWrite(tb, "shop", regBuiltConfig("6")); err != nil {
				return err
			}
			if out, err := tb.Run("quadlaunch", "build", "shop"); err != nil {
				return fmt.Errorf("build shop 6: %v: %s", err, out)
			}
			out, err := tb.Run("quadlaunch", "push", "shop", "--to", authAddr+"/shop:a1")
			if err == nil || !authRefused(err) || !strings.Contains(messageOf(err), "push ") {
				return fmt.Errorf("push without credentials: want a refused push naming it, got %v\n%s", err, out)
			}
			fmt.Printf("  without login: %s\n", lastLine(err))
			if err := authLogin(tb); err != nil {
				return err
			}
			if err := authBuildPush(tb, "6", "a1"); err != nil {
				return err
			}
			if err := authBuildPush(tb, "7", "a2"); err != nil {
				return err
			}
			if err := regWrite(tb, "shopsec", authRunConfig(authAddr+"/shop:a1", 8210)); err != nil {
				return err
			}
			if out, err := tb.Run("quadlaunch", "deploy", "shopsec"); err != nil {
				return fmt.Errorf("deploy shopsec from the TLS registry: %v: %s", err, out)
			}
			if err := regServes(tb, 8210, "build-6", 30*time.Second); err != nil {
				return err
			}
			// Credentials gone: the next pull is refused and nothing moves.
			if err := authLogout(tb); err != nil {
				return err
			}
			before := currentImageID(tb, "shopsec")
			out, err = tb.Run("quadlaunch", "deploy", "shopsec", "--image", authAddr+"/shop:a2")
			if err == nil {
				return fmt.Errorf("deploy --image a2 without credentials succeeded:\n%s", out)
			}
			if msg := messageOf(err); !authRefused(err) || !strings.Contains(msg, "pull "+authAddr+"/shop:a2") || !strings.Contains(msg, "current is unchanged") {
				return fmt.Errorf("deploy without credentials: the error does not say the pull was refused: %v", err)
			}
			fmt.Printf("  after logout: %s\n", lastLine(err))
			if after := currentImageID(tb, "shopsec"); after != before || before == "" {
				return fmt.Errorf("current moved (%s -> %s) after a refused pull", before, after)
			}
			if err := regServes(tb, 8210, "build-6", 5*time.Second); err != nil {
				return err
			}
			return secretNowhere(tb, authPassword)
		}},
		{Name: "image pinned by digest: the pushed digest deploys; a digest the registry does not hold is a clear error, current unmoved", Run: func(tb *Testbed) error {
			if err := authLogin(tb); err != nil {
				return err
			}
			a2, err := authDigest(tb, "shop", "a2")
			if err != nil {
				return err
			}
			before := currentImageID(tb, "shopsec")
			// a well-formed digest no manifest of the repository has
			wrong := "sha256:" + strings.Repeat("0", 63) + "1"
			ref := authAddr + "/shop@" + wrong
			out, err := tb.Run("quadlaunch", "deploy", "shopsec", "--image", ref)
			if err == nil {
				return fmt.Errorf("deploy --image %s succeeded:\n%s", ref, out)
			}
			if msg := messageOf(err); !strings.Contains(msg, "pull "+ref) || !strings.Contains(msg, "current is unchanged") {
				return fmt.Errorf("deploy of an unknown digest: the error does not name the pull: %v", err)
			}
			fmt.Printf("  unknown digest: %s\n", lastLine(err))
			if after := currentImageID(tb, "shopsec"); after != before {
				return fmt.Errorf("current moved after the failed pull of %s", ref)
			}
			ref = authAddr + "/shop@" + a2
			if err := regWrite(tb, "shopsec", authRunConfig(ref, 8210)); err != nil {
				return err
			}
			if out, err := tb.Run("quadlaunch", "deploy", "shopsec"); err != nil {
				return fmt.Errorf("deploy %s: %v: %s", ref, err, out)
			}
			if err := regServes(tb, 8210, "build-7", 10*time.Second); err != nil {
				return err
			}
			vs, err := tb.Run("quadlaunch", "versions", "shopsec", "--json")
			if err != nil || !strings.Contains(vs, `"base_digest": "`+a2+`"`) {
				return fmt.Errorf("versions do not record %s: %v\n%s", a2, err, vs)
			}
			return nil
		}},
		{Name: "build --pull takes a newer base_image from the registry, a build without it keeps the local one; versions show each version's base digest", Run: func(tb *Testbed) error {
			base := authAddr + "/base:1"
			steps := [][]string{
				{"podman", "tag", "localhost/quadlaunch/demo:current", base},
				{"podman", "push", base},
				{"podman", "rmi", base}, // the first build pulls it
			}
			for _, s := range steps {
				if out, err := tb.Exec(s...); err != nil {
					return fmt.Errorf("%s: %v: %s", strings.Join(s, " "), err, out)
				}
			}
			d1, err := authDigest(tb, "base", "1")
			if err != nil {
				return err
			}
			cfg := "base_image: " + base + "\nroles:\n  web: [\"/usr/bin/demo\", \"serve\"]\nrun:\n  - exec: cat /etc/base-release > /etc/built-on 2>/dev/null || echo 1 > /etc/built-on\n"
			if err := regWrite(tb, "based", cfg); err != nil {
				return err
			}
			if out, err := tb.Run("quadlaunch", "build", "based"); err != nil {
				return fmt.Errorf("build based: %v: %s", err, out)
			}
			if got, err := currentBaseDigest(tb, "based"); err != nil || got != d1 {
				return fmt.Errorf("first build: base digest %q, want %s (%v)", got, d1, err)
			}
			// A newer base behind the same tag (a security update of the base).
			steps = [][]string{
				// (as units: podman run needs the testbed's seccomp filter)
				{"systemd-run", "--quiet", "--pipe", "--wait", "--collect", "--", "podman", "run", "--name", "qlbase2", "localhost/quadlaunch/demo:current", "/bin/sh", "-c", "echo 2 > /etc/base-release"},
				{"podman", "commit", "qlbase2", "localhost/qltest/base2"},
				{"podman", "rm", "qlbase2"},
				{"podman", "push", "localhost/qltest/base2", base},
			}
			for _, s := range steps {
				if out, err := tb.Exec(s...); err != nil {
					return fmt.Errorf("%s: %v: %s", strings.Join(s, " "), err, out)
				}
			}
			d2, err := authDigest(tb, "base", "1")
			if err != nil || d2 == d1 {
				return fmt.Errorf("the newer base has digest %s (the old one %s): %v", d2, d1, err)
			}
			if out, err := tb.Run("quadlaunch", "build", "based"); err != nil {
				return fmt.Errorf("build based without --pull: %v: %s", err, out)
			}
			if got, err := currentBaseDigest(tb, "based"); err != nil || got != d1 {
				return fmt.Errorf("a build without --pull: base digest %q, want the local %s (%v)", got, d1, err)
			}
			out, err := tb.Run("quadlaunch", "build", "based", "--pull")
			if err != nil {
				return fmt.Errorf("build based --pull: %v: %s", err, out)
			}
			if got, err := currentBaseDigest(tb, "based"); err != nil || got != d2 {
				return fmt.Errorf("build --pull: base digest %q, want the registry's newer %s (%v)\n%s", got, d2, err, out)
			}
			if built, err := tb.Run("podman", "run", "--rm", "localhost/quadlaunch/based:current", "cat", "/etc/built-on"); err != nil || strings.TrimSpace(built) != "2" {
				return fmt.Errorf("the --pull build did not run its steps on the newer base: %q %v", built, err)
			}
			fmt.Printf("  base %s: built on %s, then with --pull on %s\n", base, d1[:19], d2[:19])
			return nil
		}},
	}
}

// currentBaseDigest is the base digest `versions --json` shows for app's current.
func currentBaseDigest(tb *Testbed, app string) (string, error) {
	out, err := tb.Run("quadlaunch", "versions", app, "--json")
	if err != nil {
		return "", err
	}
	var vs []struct {
		BaseDigest string `json:"base_digest"`
		Current    bool   `json:"current"`
	}
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		return "", fmt.Errorf("versions --json: %v: %s", err, out)
	}
	for _, v := range vs {
		if v.Current {
			return v.BaseDigest, nil
		}
	}
	return "", fmt.Errorf("no current version in %s", out)
}

// lastLine is the last non-empty line of err's message.
func lastLine(err error) string {
	lines := strings.Split(strings.TrimSpace(messageOf(err)), "\n")
	return lines[len(lines)-1]
}
