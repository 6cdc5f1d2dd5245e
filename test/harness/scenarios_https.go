package main

// Issue "HTTPS without a failed request": every published TCP port through the
// swap, TLS at the proxy, several apps on one 80/443 by host name. Four apps
// on the demo image, root and rootless:
//
//	pass   HTTP on P and HTTPS inside the container on P+1 (passed through as TCP)
//	term   HTTP on P+2, TLS at the proxy on P+3 with certificate files (HSTS)
//	alpha  proxy.host alpha.test on 80/443 through the front, TLS at its proxy
//	beta   proxy.host beta.test on 80/443 through the front, TLS inside its container
//
// The certificates come from a test CA the harness makes; load generators
// trust only it (-ca) and check the issuer of every answer.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// httpsSetup places the group's apps: as root, or as the test user.
type httpsSetup struct {
	rootless bool
	port     int // P: pass's HTTP port; term uses P+2, P+3
}

// httpsCAName is the test CA's common name: -expect-issuer checks it.
const httpsCAName = "quadlaunch e2e CA"

// httpsHosts are the names the test certificate covers.
var httpsHosts = []string{"pass.test", "term.test", "alpha.test", "beta.test"}

func (h httpsSetup) dep() depSetup { return depSetup(h) }

// tlsDir holds the CA, the certificate and its key (and a key that is not its).
func (h httpsSetup) tlsDir() string {
	if h.rootless {
		return testHome + "/https-tls"
	}
	return "/var/lib/https-tls"
}

// testCertificates makes a CA and a server certificate for httpsHosts signed by
// it, and a second, unrelated key: PEM texts.
func testCertificates() (ca, cert, key, otherKey string, err error) {
	return testCertificatesFor(httpsHosts)
}

// testCertificatesFor is testCertificates for other host names.
func testCertificatesFor(hosts []string) (ca, cert, key, otherKey string, err error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: httpsCAName}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return
	}
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: hosts[0]}, DNSNames: hosts,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return
	}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return
	}
	keyPEM := func(k *ecdsa.PrivateKey) string {
		der, _ := x509.MarshalECPrivateKey(k)
		return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	}
	ca = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	cert = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})) + ca
	return ca, cert, keyPEM(leafKey), keyPEM(other), nil
}

// httpsApp is the config of one of the group's apps at version.
func (h httpsSetup) httpsApp(app, version string) string {
	var expose, env, proxy string
	httpPort := 8080
	switch app {
	case "pass":
		httpPort = h.port
		expose = fmt.Sprintf(`  - "%d:%d"
  - "%d:%d"
`, h.port, h.port, h.port+1, h.port+1)
		env = fmt.Sprintf("  DEMO_TLS_PORT: \"%d\"\n", h.port+1)
		proxy = "proxy: {drain_timeout: 10s}\n"
	case "term":
		httpPort = h.port + 2
		expose = fmt.Sprintf("  - \"%d:%d\"\n", h.port+2, h.port+2)
		proxy = fmt.Sprintf(`proxy:
  drain_timeout: 10s
  tls:
    certificate: %s/cert.pem
    key: %s/key.pem
    port: %d
    redirect_http: false
    hsts: 600
`, h.tlsDir(), h.tlsDir(), h.port+3)
	case "alpha":
		expose = "  - \"80:8080\"\n"
		proxy = fmt.Sprintf(`proxy:
  drain_timeout: 10s
  host: alpha.test
  tls: {certificate: %s/cert.pem, key: %s/key.pem}
`, h.tlsDir(), h.tlsDir())
	case "beta":
		expose = "  - \"80:8080\"\n  - \"443:8443\"\n"
		env = "  DEMO_TLS_PORT: \"8443\"\n"
		proxy = "proxy: {drain_timeout: 10s, host: [beta.test]}\n"
	}
	return `base_image: localhost/quadlaunch/demo:current
params:
  version: "` + version + `"
expose:
` + expose + `volumes:
  - volume: {host: ` + h.tlsDir() + `, guest: /tls}
env:
  DEMO_PORT: "` + strconv.Itoa(httpPort) + `"
  DEMO_TLS_CERT: /tls/cert.pem
  DEMO_TLS_KEY: /tls/key.pem
` + env + proxy + `deploy_timeout: 25s
healthcheck:
  cmd: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:` + strconv.Itoa(httpPort) + `/healthz"]
  interval: 1s
  timeout: 2s
  retries: 2
roles:
  web: ["/bin/sh", "-c", "DEMO_GREETING=$(cat /etc/app-version) exec /usr/bin/demo serve"]
run:
  - exec: echo ` + app + `-$version > /etc/app-version
`
}

func (h httpsSetup) configPath(app string) string {
	return demoRoot(h.rootless) + "/containers/" + app + ".yml"
}

// write writes app's config at version and reloads the manager.
func (h httpsSetup) write(tb *Testbed, app, version string) error {
	uid := 0
	if h.rootless {
		uid = testUID
	}
	if err := tb.WriteFileOwned(h.configPath(app), h.httpsApp(app, version), 0o600, uid, uid); err != nil {
		return err
	}
	return h.daemonReload(tb)
}

func (h httpsSetup) daemonReload(tb *Testbed) error {
	var err error
	var out string
	if h.rootless {
		out, err = tb.SystemctlUser("daemon-reload")
	} else {
		out, err = tb.Systemctl("daemon-reload")
	}
	if err != nil {
		return fmt.Errorf("daemon-reload: %v: %s", err, out)
	}
	return nil
}

// get fetches url trusting the test CA only, connecting to 127.0.0.1 for
// every host name (curl --resolve), and returns headers and body.
func (h httpsSetup) get(tb *Testbed, url string) (string, error) {
	args := []string{"curl", "-sS", "-i", "--fail", "--max-time", "5", "--cacert", h.tlsDir() + "/ca.pem"}
	if m := regexp.MustCompile(`^https?://([a-z.]+)(?::(\d+))?/`).FindStringSubmatch(url); m != nil {
		port := m[2]
		if port == "" {
			port = map[bool]string{true: "443", false: "80"}[strings.HasPrefix(url, "https")]
		}
		args = append(args, "--resolve", m[1]+":"+port+":127.0.0.1")
	}
	return tb.Run(append(args, url)...)
}

// serves waits until url answers with want in its body.
func (h httpsSetup) serves(tb *Testbed, url, want string) error {
	return tb.WaitFor(20*time.Second, url+" answers "+want, func() error {
		out, err := h.get(tb, url)
		if err != nil {
			return err
		}
		if !strings.Contains(out, want) {
			return fmt.Errorf("got %q", out)
		}
		return nil
	})
}

// startHTTPSLoad runs loadgen against url (trusting the test CA, checking
// the issuer for https) as a transient unit.
func (h httpsSetup) startLoad(tb *Testbed, name, url string, extra ...string) (*loadRun, error) {
	l := &loadRun{unit: "https-load-" + name, stop: "/run/https-load-" + name + ".stop", out: "/run/https-load-" + name + ".out"}
	tb.Exec("rm", "-f", l.stop, l.out)
	args := []string{"systemd-run", "--unit", l.unit, "--collect", "/usr/local/bin/loadgen",
		"-url", url, "-c", "4", "-pause", "1ms", "-n", "400000", "-t", "4m", "-stop-file", l.stop, "-out", l.out, "-ca", h.tlsDir() + "/ca.pem"}
	args = append(args, extra...)
	if m := regexp.MustCompile(`^(https?)://([a-z.]+)(?::(\d+))?/`).FindStringSubmatch(url); m != nil {
		port := m[3]
		if port == "" {
			port = map[bool]string{true: "443", false: "80"}[m[1] == "https"]
		}
		args = append(args, "-resolve", m[2]+":"+port+":127.0.0.1")
		if m[1] == "https" {
			args = append(args, "-expect-issuer", httpsCAName)
		}
	}
	if out, err := tb.Exec(args...); err != nil {
		return nil, fmt.Errorf("start load: %v: %s", err, out)
	}
	return l, nil
}

// underLoad runs f with loads on urls and fails when f or any request failed.
func (h httpsSetup) underLoad(tb *Testbed, what string, urls []string, f func() (string, error)) error {
	return h.underLoadWith(tb, what, urls, nil, f)
}

// underLoadWith is underLoad with extra loadgen flags.
func (h httpsSetup) underLoadWith(tb *Testbed, what string, urls, extra []string, f func() (string, error)) error {
	var loads []*loadRun
	for i, u := range urls {
		l, err := h.startLoad(tb, fmt.Sprintf("%s-%d", strings.ReplaceAll(what, " ", "-"), i), u, extra...)
		if err != nil {
			return err
		}
		loads = append(loads, l)
	}
	time.Sleep(time.Second)
	out, ferr := f()
	var errs []string
	for i, l := range loads {
		fmt.Printf("%s, %s: ", what, urls[i])
		if _, err := l.finish(tb); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", urls[i], err))
		}
	}
	if ferr != nil {
		return fmt.Errorf("%s: %v\n%s", what, ferr, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "deploy-phases") || strings.Contains(line, "rollback took") {
			fmt.Println("  " + strings.TrimSpace(line))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

// prepareFrontTestbed readies a testbed for apps behind the front proxy: the
// demo image, the user's Podman socket and ports 80/443 for rootless apps,
// the load generator.
func prepareFrontTestbed(tb *Testbed, rootless bool) error {
	if err := installDemo(tb, rootless); err != nil {
		return err
	}
	if rootless {
		if out, err := tb.SystemctlUser("enable", "--now", "podman.socket"); err != nil {
			return fmt.Errorf("user podman.socket: %v: %s", err, out)
		}
		// The rootless front binds 80 and 443: the host lets unprivileged
		// users bind from 80 up (README, "Rootless ports": the choice and why).
		if out, err := tb.Exec("sysctl", "-w", "net.ipv4.ip_unprivileged_port_start=80"); err != nil {
			return fmt.Errorf("sysctl: %v: %s", err, out)
		}
	}
	return installLoadgen(tb)
}

func (h httpsSetup) group(name string, order int) Group {
	d := h.dep()
	return Group{
		Name:  name,
		Order: order,
		Setup: func(tb *Testbed) error {
			if err := prepareFrontTestbed(tb, h.rootless); err != nil {
				return err
			}
			ca, cert, key, other, err := testCertificates()
			if err != nil {
				return err
			}
			uid := 0
			if h.rootless {
				uid = testUID
			}
			for f, text := range map[string]string{"ca.pem": ca, "cert.pem": cert, "key.pem": key, "other-key.pem": other} {
				if err := tb.WriteFileOwned(h.tlsDir()+"/"+f, text, 0o600, uid, uid); err != nil {
					return err
				}
			}
			for _, app := range []string{"pass", "term", "alpha", "beta"} {
				if err := h.write(tb, app, "1"); err != nil {
					return err
				}
			}
			for _, app := range []string{"pass", "term", "alpha", "beta"} {
				if out, err := d.quadlaunch(tb, "deploy", app); err != nil {
					return fmt.Errorf("first deploy of %s: %v: %s", app, err, out)
				}
			}
			for url, want := range map[string]string{
				fmt.Sprintf("https://pass.test:%d/", h.port+1): "pass-1",
				fmt.Sprintf("https://term.test:%d/", h.port+3): "term-1",
				"https://alpha.test/":                          "alpha-1",
				"https://beta.test/":                           "beta-1",
				"http://beta.test/":                            "beta-1",
			} {
				if err := h.serves(tb, url, want); err != nil {
					return err
				}
			}
			return nil
		},
		Scenarios: h.scenarios(),
	}
}

func (h httpsSetup) scenarios() []Scenario {
	d := h.dep()
	swap := func(tb *Testbed, app string, urls []string) error {
		if err := h.write(tb, app, "2"); err != nil {
			return err
		}
		if err := h.underLoad(tb, app+" deploy", urls, func() (string, error) { return d.quadlaunch(tb, "deploy", app) }); err != nil {
			return err
		}
		if err := h.serves(tb, urls[0], app+"-2"); err != nil {
			return err
		}
		if err := h.underLoad(tb, app+" rollback", urls, func() (string, error) { return d.quadlaunch(tb, "rollback", app) }); err != nil {
			return err
		}
		return h.serves(tb, urls[0], app+"-1")
	}
	return []Scenario{
		{Name: "TLS inside the container (passthrough): deploy and rollback under HTTPS and HTTP load, 0 failed", Run: func(tb *Testbed) error {
			return swap(tb, "pass", []string{fmt.Sprintf("https://pass.test:%d/", h.port+1), fmt.Sprintf("http://pass.test:%d/", h.port)})
		}},
		{Name: "TLS at the proxy (certificate files): deploy and rollback under HTTPS load, 0 failed, HSTS sent", Run: func(tb *Testbed) error {
			url := fmt.Sprintf("https://term.test:%d/", h.port+3)
			out, err := h.get(tb, url)
			if err != nil || !strings.Contains(out, "Strict-Transport-Security: max-age=600") {
				return fmt.Errorf("HSTS header missing: %v\n%s", err, out)
			}
			return swap(tb, "term", []string{url, fmt.Sprintf("http://term.test:%d/", h.port+2)})
		}},
		{Name: "two apps on one 80/443 by host name: deploying alpha under load on both, 0 failed on either, beta untouched", Run: func(tb *Testbed) error {
			beta := d.started(tb, "beta-web")
			if err := h.write(tb, "alpha", "2"); err != nil {
				return err
			}
			urls := []string{"https://alpha.test/", "https://beta.test/", "http://beta.test/"}
			if err := h.underLoad(tb, "alpha deploy", urls, func() (string, error) { return d.quadlaunch(tb, "deploy", "alpha") }); err != nil {
				return err
			}
			if err := h.serves(tb, "https://alpha.test/", "alpha-2"); err != nil {
				return err
			}
			if err := h.serves(tb, "https://beta.test/", "beta-1"); err != nil {
				return err
			}
			if after := d.started(tb, "beta-web"); after != beta {
				return fmt.Errorf("beta's web restarted during alpha's deploy: %s -> %s", beta, after)
			}
			// alpha redirects plain HTTP to HTTPS (redirect_http defaults on); an unknown name gets 421.
			out, _ := tb.Run("curl", "-sS", "-i", "--max-time", "5", "--resolve", "alpha.test:80:127.0.0.1", "http://alpha.test/x")
			if !strings.Contains(out, "308") || !strings.Contains(out, "Location: https://alpha.test/x") {
				return fmt.Errorf("alpha over plain HTTP: want a 308 to https://alpha.test/x:\n%s", out)
			}
			out, _ = tb.Run("curl", "-sS", "-i", "--max-time", "5", "--resolve", "nobody.test:80:127.0.0.1", "http://nobody.test/")
			if !strings.Contains(out, "421") {
				return fmt.Errorf("an unknown host name: want 421:\n%s", out)
			}
			st, err := tb.Systemctl("is-active", "quadlaunch-front.service")
			if h.rootless {
				st, err = tb.SystemctlUser("is-active", "quadlaunch-front.service")
			}
			if err != nil || strings.TrimSpace(st) != "active" {
				return fmt.Errorf("quadlaunch-front.service: %q %v", st, err)
			}
			return nil
		}},
		{Name: "a certificate that does not match its key: deploy refused naming file:line and key, the proxy keeps serving", Run: func(tb *Testbed) error {
			bad := strings.Replace(h.httpsApp("term", "3"), h.tlsDir()+"/key.pem", h.tlsDir()+"/other-key.pem", 1)
			uid := 0
			if h.rootless {
				uid = testUID
			}
			if err := tb.WriteFileOwned(h.configPath("term"), bad, 0o600, uid, uid); err != nil {
				return err
			}
			if err := h.daemonReload(tb); err != nil {
				return err
			}
			out, err := d.quadlaunch(tb, "deploy", "term")
			if ce, ok := err.(*CmdError); ok {
				out += ce.Stderr
			}
			if err == nil {
				return fmt.Errorf("deploy with a key of another certificate succeeded:\n%s", out)
			}
			want := regexp.MustCompile(`term\.yml:\d+: proxy\.tls\.key: ` + regexp.QuoteMeta(h.tlsDir()+"/other-key.pem"))
			if !want.MatchString(out) {
				return fmt.Errorf("the error must name term.yml:LINE, proxy.tls.key and the file:\n%s", out)
			}
			fmt.Println("refused:", strings.TrimSpace(want.FindString(out)), "...")
			if err := h.serves(tb, fmt.Sprintf("https://term.test:%d/", h.port+3), "term-1"); err != nil {
				return fmt.Errorf("the proxy stopped serving after the refused deploy: %v", err)
			}
			return h.write(tb, "term", "1")
		}},
	}
}

func init() {
	register(httpsSetup{port: 8110}.group("https", 125))
	register(httpsSetup{rootless: true, port: 8120}.group("https-rootless", 126))
}
