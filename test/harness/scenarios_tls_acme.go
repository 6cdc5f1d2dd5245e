package main

// Issue 14, ACME: app "shop" answers https://shop.test through its proxy with
// a certificate from Pebble (Let's Encrypt's ACME test server, built from the
// module on the host and run in the testbed on loopback). Pebble validates
// HTTP-01 on the app's HTTP port, resolving shop.test through the testbed's
// /etc/hosts. Shown: the first issuance replaces the proxy's placeholder, a
// forced renewal under HTTPS load fails no request and changes the serial, and
// a refused issuance exits non-zero with Pebble's reason while the old
// certificate keeps serving, and after a reboot the stored certificate is
// served and left alone (not due).

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	acmeApp      = "shop"
	acmeHost     = "shop.test"
	acmeHTTPPort = 80  // the app's published HTTP port: Pebble's httpPort
	acmeTLSPort  = 443 // proxy.tls.port (the default)
	acmeDemoPort = 8091
	pebbleDir    = "/etc/pebble"
	// pebbleTLSCA signed Pebble's own TLS certificate (its test localhost
	// certificate, for 127.0.0.1): proxy.tls.acme.ca trusts it for the directory.
	pebbleTLSCA = pebbleDir + "/pebble.minica.pem"
	// pebbleRoot is the root of the certificates Pebble issues (a new one at
	// every Pebble start, read from its management port): what clients trust.
	pebbleRoot       = pebbleDir + "/issued-root.pem"
	pebbleIssuerName = "Pebble Intermediate CA"
	hostsLine        = "127.0.0.1 " + acmeHost
)

// acmeSetup places app shop: root, or the test user (systemctl --user, quadlaunch --user).
type acmeSetup struct{ rootless bool }

func (a acmeSetup) configPath() string {
	return demoRoot(a.rootless) + "/containers/" + acmeApp + ".yml"
}

// certDir is where the store keeps shop's certificate (certificates.DefaultStateDir).
func (a acmeSetup) certDir() string {
	if a.rootless {
		return testHome + "/.local/state/quadlaunch/tls/certificates/" + acmeApp
	}
	return "/var/lib/quadlaunch/tls/certificates/" + acmeApp
}

func (a acmeSetup) systemctl(tb *Testbed, args ...string) (string, error) {
	if a.rootless {
		return tb.SystemctlUser(args...)
	}
	return tb.Systemctl(args...)
}

func (a acmeSetup) journal(tb *Testbed, unit string) (string, error) {
	if a.rootless {
		return tb.JournalUser(unit)
	}
	return tb.Journal(unit)
}

// cli runs quadlaunch as a unit (of root's manager, or the test user's with
// --user) and returns stdout and stderr together.
func (a acmeSetup) cli(tb *Testbed, args ...string) (string, error) {
	var out string
	var err error
	if a.rootless {
		out, err = tb.RunUser(append([]string{"quadlaunch", "--user"}, args...)...)
	} else {
		out, err = tb.Run(append([]string{"quadlaunch"}, args...)...)
	}
	var ce *CmdError
	if errors.As(err, &ce) {
		out += ce.Stderr
	}
	return out, err
}

func acmeConfig() string {
	p := strconv.Itoa(acmeDemoPort)
	return `base_image: localhost/quadlaunch/demo:current
expose:
  - "` + strconv.Itoa(acmeHTTPPort) + `:` + p + `"
env:
  DEMO_PORT: "` + p + `"
  DEMO_GREETING: shop-over-https
proxy:
  drain_timeout: 10s
  host: ` + acmeHost + `
  tls:
    acme:
      email: ops@` + acmeHost + `
      directory: https://127.0.0.1:14000/dir
      ca: ` + pebbleTLSCA + `
deploy_timeout: 25s
healthcheck:
  cmd: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:` + p + `/healthz"]
  interval: 1s
  timeout: 2s
  retries: 2
roles:
  web: ["/usr/bin/demo", "serve"]
run:
  - exec: echo shop
`
}

var pebbleBuild struct {
	once sync.Once
	dir  string // pebble binary and the module's test certificates
	err  error
}

// installPebble builds Pebble's cmd/pebble on the host (once; the module is
// in go.sum for the in-process tests), copies it and its test certificate
// into the testbed, and starts it as a transient unit on loopback.
func installPebble(tb *Testbed) error {
	pebbleBuild.once.Do(func() {
		dir := filepath.Join(cacheDir, "build", strconv.Itoa(os.Getpid()), "pebble")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			pebbleBuild.err = err
			return
		}
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "pebble"), "github.com/letsencrypt/pebble/v2/cmd/pebble")
		cmd.Dir = tb.Repo
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			pebbleBuild.err = fmt.Errorf("build pebble: %v: %s", err, b)
			return
		}
		mod := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/letsencrypt/pebble/v2")
		mod.Dir = tb.Repo
		out, err := mod.Output()
		if err != nil {
			pebbleBuild.err = fmt.Errorf("pebble module dir: %v", err)
			return
		}
		certs := filepath.Join(strings.TrimSpace(string(out)), "test", "certs")
		for src, dst := range map[string]string{
			"pebble.minica.pem":  "pebble.minica.pem",
			"localhost/cert.pem": "localhost.cert.pem",
			"localhost/key.pem":  "localhost.key.pem",
		} {
			data, err := os.ReadFile(filepath.Join(certs, src))
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, dst), data, 0o644)
			}
			if err != nil {
				pebbleBuild.err = err
				return
			}
		}
		pebbleBuild.dir = dir
	})
	if pebbleBuild.err != nil {
		return pebbleBuild.err
	}
	for name, mode := range map[string]os.FileMode{"pebble": 0o755, "pebble.minica.pem": 0o644, "localhost.cert.pem": 0o644, "localhost.key.pem": 0o600} {
		data, err := os.ReadFile(filepath.Join(pebbleBuild.dir, name))
		if err != nil {
			return err
		}
		dst := pebbleDir + "/" + name
		if name == "pebble" {
			dst = "/usr/local/bin/pebble"
		}
		if err := tb.WriteFile(dst, string(data), mode); err != nil {
			return err
		}
	}
	conf := fmt.Sprintf(`{"pebble": {
  "listenAddress": "127.0.0.1:14000",
  "managementListenAddress": "127.0.0.1:15000",
  "certificate": "%[1]s/localhost.cert.pem",
  "privateKey": "%[1]s/localhost.key.pem",
  "httpPort": %[2]d,
  "tlsPort": 5001,
  "ocspResponderURL": "",
  "externalAccountBindingRequired": false,
  "keyAlgorithm": "ecdsa",
  "profiles": {"default": {"description": "90 days", "validityPeriod": 7776000}}
}}
`, pebbleDir, acmeHTTPPort)
	if err := tb.WriteFile(pebbleDir+"/pebble.json", conf, 0o644); err != nil {
		return err
	}
	// No random sleeps before validation; no rejected nonces; no reused
	// authorizations, so every order is validated again (the refusal below
	// depends on it).
	if out, err := tb.Exec("systemd-run", "--unit", "pebble", "--collect",
		"-E", "PEBBLE_VA_NOSLEEP=1", "-E", "PEBBLE_WFE_NONCEREJECT=0", "-E", "PEBBLE_AUTHZREUSE=0",
		"/usr/local/bin/pebble", "-config", pebbleDir+"/pebble.json"); err != nil {
		return fmt.Errorf("start pebble: %v: %s", err, out)
	}
	return tb.WaitFor(30*time.Second, "Pebble's issuing root on its management port", func() error {
		out, err := tb.Exec("curl", "-sS", "--fail", "--max-time", "5", "--cacert", pebbleTLSCA, "https://127.0.0.1:15000/roots/0")
		if err != nil {
			return err
		}
		if !strings.Contains(out, "BEGIN CERTIFICATE") {
			return fmt.Errorf("got %q", out)
		}
		return tb.WriteFile(pebbleRoot, out, 0o644)
	})
}

// setHostsEntry adds or removes "127.0.0.1 shop.test" in the testbed's /etc/hosts.
func setHostsEntry(tb *Testbed, on bool) error {
	hosts, err := tb.ReadFile("/etc/hosts")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var kept []string
	for _, l := range strings.Split(strings.TrimRight(hosts, "\n"), "\n") {
		if l != hostsLine && l != "" {
			kept = append(kept, l)
		}
	}
	if on {
		kept = append(kept, hostsLine)
	}
	if err := tb.WriteFile("/etc/hosts", strings.Join(kept, "\n")+"\n", 0o644); err != nil {
		return err
	}
	// Pebble, a Go program, reads /etc/hosts through Go's resolver, which
	// keeps what it read for 5 s: a change right after a validation would not
	// be seen (the rootless refusal once got a certificate that way).
	time.Sleep(5500 * time.Millisecond)
	return nil
}

// servedCert is the server certificate the proxy presents for shop.test on
// the TLS port (openssl s_client: it shows a placeholder too, which curl
// would refuse).
func servedCert(tb *Testbed) (*x509.Certificate, error) {
	out, err := tb.Exec("sh", "-c", fmt.Sprintf("openssl s_client -connect 127.0.0.1:%d -servername %s </dev/null 2>/dev/null", acmeTLSPort, acmeHost))
	if err != nil && !strings.Contains(out, "BEGIN CERTIFICATE") {
		return nil, fmt.Errorf("openssl s_client 127.0.0.1:%d: %v: %s", acmeTLSPort, err, out)
	}
	b, _ := pem.Decode([]byte(out[max(0, strings.Index(out, "-----BEGIN CERTIFICATE-----")):]))
	if b == nil {
		return nil, fmt.Errorf("no certificate from 127.0.0.1:%d (SNI %s): %q", acmeTLSPort, acmeHost, out)
	}
	return x509.ParseCertificate(b.Bytes)
}

func describeCert(c *x509.Certificate) string {
	return fmt.Sprintf("serial %x, issuer %q, for %s, valid until %s", c.SerialNumber, c.Issuer.CommonName,
		strings.Join(c.DNSNames, ","), c.NotAfter.UTC().Format(time.RFC3339))
}

// issuedByPebble: the proxy serves a certificate from Pebble for shop.test
// that verifies against Pebble's issuing root (curl with that root alone).
func issuedByPebble(tb *Testbed) (*x509.Certificate, error) {
	c, err := servedCert(tb)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(c.Issuer.CommonName, pebbleIssuerName) {
		return c, fmt.Errorf("the proxy serves %s, not one from Pebble", describeCert(c))
	}
	url := fmt.Sprintf("https://%s:%d/", acmeHost, acmeTLSPort)
	out, err := tb.Exec("curl", "-sS", "--fail", "--max-time", "5", "--cacert", pebbleRoot,
		"--resolve", fmt.Sprintf("%s:%d:127.0.0.1", acmeHost, acmeTLSPort), url)
	if err != nil {
		return c, fmt.Errorf("curl %s trusting only Pebble's root: %v", url, err)
	}
	if !strings.Contains(out, "shop-over-https") {
		return c, fmt.Errorf("%s answered %q", url, out)
	}
	return c, nil
}

// startHTTPSLoad runs the load generator over https://shop.test, trusting
// only Pebble's issuing root and counting any certificate not from Pebble as
// a failed request.
func startHTTPSLoad(tb *Testbed, name string) (*loadRun, error) {
	l := &loadRun{unit: "acme-load-" + name, stop: "/run/acme-load-" + name + ".stop", out: "/run/acme-load-" + name + ".out"}
	tb.Exec("rm", "-f", l.stop, l.out)
	args := []string{"systemd-run", "--unit", l.unit, "--collect", "/usr/local/bin/loadgen",
		"-url", fmt.Sprintf("https://%s:%d/", acmeHost, acmeTLSPort),
		"-resolve", fmt.Sprintf("%s:%d:127.0.0.1", acmeHost, acmeTLSPort),
		"-ca", pebbleRoot, "-expect-issuer", pebbleIssuerName,
		"-c", "4", "-pause", "1ms", "-n", "400000", "-t", "4m", "-stop-file", l.stop, "-out", l.out}
	if out, err := tb.Exec(args...); err != nil {
		return nil, fmt.Errorf("start load: %v: %s", err, out)
	}
	time.Sleep(time.Second) // some requests before the renewal starts
	return l, nil
}

// printLines prints the lines of out that contain any of the markers.
func printLines(out string, markers ...string) {
	for _, line := range strings.Split(out, "\n") {
		for _, m := range markers {
			if strings.Contains(line, m) {
				fmt.Println("  " + strings.TrimSpace(line))
				break
			}
		}
	}
}

func (a acmeSetup) scenarios() []Scenario {
	scenarios := []Scenario{
		{Name: "first issuance: the proxy starts on a placeholder, shop.target runs the certificate service, Pebble's certificate is served", Run: func(tb *Testbed) error {
			// A-proxy's start (the deploy's) put the placeholder in place.
			journal, _ := a.journal(tb, "shop-proxy.service")
			if !strings.Contains(journal, "self-signed placeholder for "+acmeHost) {
				return fmt.Errorf("the proxy's start wrote no placeholder; its journal:\n%s", indent(journal))
			}
			printLines(journal, "placeholder")
			wants, err := a.systemctl(tb, "show", "-p", "Wants", "--value", "shop.target")
			if err != nil {
				return err
			}
			for _, u := range []string{"shop-certificates.timer", "shop-certificates.service", "shop-proxy.service"} {
				if !strings.Contains(wants, u) {
					return fmt.Errorf("shop.target does not want %s: %q", u, wants)
				}
			}
			// What boot does: start the app's target, which orders the first
			// certificate once the proxy runs.
			if out, err := a.systemctl(tb, "start", "shop.target"); err != nil {
				return fmt.Errorf("start shop.target: %v: %s", err, out)
			}
			ran, _ := a.systemctl(tb, "show", "-p", "ExecMainStartTimestampMonotonic", "--value", "shop-certificates.service")
			if strings.TrimSpace(ran) == "0" || strings.TrimSpace(ran) == "" {
				// shop.target was already active (the deploy started it before
				// the certificate units existed): start the service as the timer would.
				fmt.Println("  shop.target was active already: starting shop-certificates.service as its timer does")
				if out, err := a.systemctl(tb, "start", "shop-certificates.service"); err != nil {
					j, _ := a.journal(tb, "shop-certificates.service")
					return fmt.Errorf("start shop-certificates.service: %v: %s\n%s", err, out, indent(j))
				}
			}
			res, _ := a.systemctl(tb, "show", "-p", "Result", "--value", "shop-certificates.service")
			j, _ := a.journal(tb, "shop-certificates.service")
			if strings.TrimSpace(res) != "success" {
				return fmt.Errorf("shop-certificates.service: result %q; its journal:\n%s", strings.TrimSpace(res), indent(j))
			}
			printLines(j, "new certificate", "reloaded", "not running")
			if st, _ := a.systemctl(tb, "is-active", "shop-certificates.timer"); strings.TrimSpace(st) != "active" {
				return fmt.Errorf("shop-certificates.timer is %q, want active", strings.TrimSpace(st))
			}
			var c *x509.Certificate
			if err := tb.WaitFor(30*time.Second, "Pebble's certificate on the proxy", func() error {
				c, err = issuedByPebble(tb)
				return err
			}); err != nil {
				return err
			}
			fmt.Printf("  served: %s\n", describeCert(c))
			// The stored files: 0600 in 0700 directories.
			out, err := tb.Exec("stat", "-c", "%a %n", a.certDir()+"/current/fullchain.pem", a.certDir()+"/current/key.pem", a.certDir())
			if err != nil || strings.Count(out, "600 ") != 2 || !strings.Contains(out, "700 "+a.certDir()+"\n") {
				return fmt.Errorf("modes of the stored certificate: %v\n%s", err, out)
			}
			return nil
		}},
		{Name: "forced renewal under HTTPS load: new serial served after the proxy's reload, 0 failed requests", Run: func(tb *Testbed) error {
			before, err := issuedByPebble(tb)
			if err != nil {
				return err
			}
			l, err := startHTTPSLoad(tb, "renew")
			if err != nil {
				return err
			}
			t0 := time.Now()
			out, rerr := a.cli(tb, "certificates", "renew", acmeApp, "--force")
			took := time.Since(t0)
			_, lerr := l.finish(tb) // prints the deploy-load line
			if rerr != nil {
				return fmt.Errorf("renew --force: %v:\n%s", rerr, out)
			}
			fmt.Printf("  renew --force took %.1fs\n", took.Seconds())
			printLines(out, "new certificate", "reloaded")
			if lerr != nil {
				return fmt.Errorf("%v\nrenew output:\n%s", lerr, out)
			}
			after, err := issuedByPebble(tb)
			if err != nil {
				return err
			}
			if after.SerialNumber.Cmp(before.SerialNumber) == 0 {
				return fmt.Errorf("the proxy still serves serial %x after the renewal", before.SerialNumber)
			}
			if !strings.Contains(out, fmt.Sprintf("serves serial %x", after.SerialNumber)) {
				return fmt.Errorf("renew did not wait for the proxy to serve %x:\n%s", after.SerialNumber, out)
			}
			fmt.Printf("  serial %x -> %x\n", before.SerialNumber, after.SerialNumber)
			return nil
		}},
		{Name: "refused issuance (Pebble cannot reach shop.test): non-zero exit with the reason, the old certificate keeps serving", Run: func(tb *Testbed) error {
			before, err := issuedByPebble(tb)
			if err != nil {
				return err
			}
			if err := setHostsEntry(tb, false); err != nil {
				return err
			}
			defer setHostsEntry(tb, true)
			link := a.certDir() + "/current"
			linkBefore, _ := tb.Exec("readlink", link)
			pidBefore, _ := a.systemctl(tb, "show", "-p", "MainPID", "--value", "shop-proxy.service")
			out, rerr := a.cli(tb, "certificates", "renew", acmeApp, "--force", "--timeout", "2m")
			if rerr == nil {
				return fmt.Errorf("renew succeeded although Pebble cannot resolve %s:\n%s", acmeHost, out)
			}
			if code := ExitCode(rerr); code != 1 {
				return fmt.Errorf("exit code %d, want 1:\n%s", code, out)
			}
			for _, want := range []string{"refused a certificate for " + acmeHost, acmeHost, fmt.Sprintf("serial %x) is unchanged and keeps serving", before.SerialNumber)} {
				if !strings.Contains(out, want) {
					return fmt.Errorf("renew output lacks %q:\n%s", want, out)
				}
			}
			printLines(out, "refused")
			if linkAfter, _ := tb.Exec("readlink", link); linkAfter != linkBefore {
				return fmt.Errorf("the stored certificate changed: %s -> %s", strings.TrimSpace(linkBefore), strings.TrimSpace(linkAfter))
			}
			after, err := issuedByPebble(tb)
			if err != nil {
				return err
			}
			if after.SerialNumber.Cmp(before.SerialNumber) != 0 {
				return fmt.Errorf("the proxy serves serial %x, want the old %x", after.SerialNumber, before.SerialNumber)
			}
			if pid, _ := a.systemctl(tb, "show", "-p", "MainPID", "--value", "shop-proxy.service"); pid != pidBefore {
				return fmt.Errorf("the proxy restarted: pid %s -> %s", strings.TrimSpace(pidBefore), strings.TrimSpace(pid))
			}
			fmt.Printf("  still served: %s\n", describeCert(after))
			return nil
		}},
	}
	if a.rootless {
		// The user manager runs at boot only with linger: the root group shows the boot.
		for i := range scenarios {
			scenarios[i].Name = "rootless (systemctl --user): " + scenarios[i].Name
		}
		return scenarios
	}
	return append(scenarios, Scenario{Name: "reboot: the proxy starts on the stored certificate, the boot's certificate run leaves it (not due), the same serial is served", Run: func(tb *Testbed) error {
		before, err := issuedByPebble(tb)
		if err != nil {
			return err
		}
		if err := tb.Reboot(); err != nil {
			return err
		}
		// Pebble does not run after the reboot: a certificate that is not
		// due needs no CA.
		var after *x509.Certificate
		if err := tb.WaitFor(120*time.Second, "the certificate on the proxy after the reboot", func() error {
			after, err = issuedByPebble(tb)
			return err
		}); err != nil {
			st, _ := a.systemctl(tb, "status", "--no-pager", "shop.target", "shop-proxy.service", "quadlaunch-front.service", "shop-certificates.service")
			return fmt.Errorf("%v\n%s", err, indent(st))
		}
		if after.SerialNumber.Cmp(before.SerialNumber) != 0 {
			return fmt.Errorf("serial %x served after the reboot, want %x", after.SerialNumber, before.SerialNumber)
		}
		proxy, _ := a.journal(tb, "shop-proxy.service")
		if !strings.Contains(proxy, fmt.Sprintf("shop: certificate serial %x for %s", before.SerialNumber, acmeHost)) || strings.Contains(proxy, "placeholder") {
			return fmt.Errorf("the proxy's start did not find the stored certificate; its journal:\n%s", indent(proxy))
		}
		printLines(proxy, "certificate serial")
		var renew string
		if err := tb.WaitFor(60*time.Second, "the boot's run of shop-certificates.service", func() error {
			renew, _ = a.journal(tb, "shop-certificates.service")
			if !strings.Contains(renew, "shop: not renewed: valid until") {
				return fmt.Errorf("journal: %q", renew)
			}
			return nil
		}); err != nil {
			return err
		}
		printLines(renew, "not renewed")
		if st, _ := a.systemctl(tb, "is-active", "shop-certificates.timer"); strings.TrimSpace(st) != "active" {
			return fmt.Errorf("shop-certificates.timer is %q after the reboot, want active", strings.TrimSpace(st))
		}
		fmt.Printf("  after the reboot: %s\n", describeCert(after))
		return nil
	}})
}

func (a acmeSetup) group(name string, order int) Group {
	return Group{
		Name:  name,
		Order: order,
		Setup: func(tb *Testbed) error {
			if err := prepareFrontTestbed(tb, a.rootless); err != nil {
				return err
			}
			uid := 0
			if a.rootless {
				uid = testUID
			}
			if err := setHostsEntry(tb, true); err != nil {
				return err
			}
			if err := installPebble(tb); err != nil {
				return err
			}
			if err := tb.WriteFileOwned(a.configPath(), acmeConfig(), 0o600, uid, uid); err != nil {
				return err
			}
			if out, err := a.systemctl(tb, "daemon-reload"); err != nil {
				return fmt.Errorf("daemon-reload: %v: %s", err, out)
			}
			if out, err := a.cli(tb, "deploy", acmeApp); err != nil {
				return fmt.Errorf("first deploy: %v:\n%s", err, out)
			}
			return nil
		},
		Scenarios: a.scenarios(),
	}
}

func init() {
	register(acmeSetup{}.group("tls-acme", 140))
	register(acmeSetup{rootless: true}.group("tls-acme-rootless", 141))
}
