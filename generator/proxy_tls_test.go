package generator

import (
	"strings"
	"testing"
)

// decodeTLSForTest decodes the proxy.tls value of a config holding `tls: ...`
// at the top level, as decodeProxy will once it is wired.
func decodeTLSForTest(t *testing.T, yml string) (*ProxyTLS, []Diagnostic, error) {
	t.Helper()
	root, err := parseYAML("containers/app.yml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	d := newDoc("containers/app.yml")
	l := &layer{file: "containers/app.yml"}
	ps, err := d.pairs(root, "")
	if err != nil || len(ps) != 1 || ps[0].key != "tls" {
		t.Fatalf("test config must hold one tls key: %v", err)
	}
	got, err := decodeProxyTLS(d, l, ps[0].value, "proxy.tls")
	return got, l.warnings, err
}

func TestProxyTLSFiles(t *testing.T) {
	got, warns, err := decodeTLSForTest(t, `tls:
  certificate: /etc/ssl/app/fullchain.pem
  key: /etc/ssl/app/../app/key.pem
  hsts: 600
  colour: blue
`)
	if err != nil {
		t.Fatal(err)
	}
	if got.Certificate != "/etc/ssl/app/fullchain.pem" || got.Key != "/etc/ssl/app/key.pem" || got.ACME != nil {
		t.Errorf("got %+v", got)
	}
	if got.CertificatePos.String() != "containers/app.yml:2" || got.KeyPos.String() != "containers/app.yml:3" {
		t.Errorf("positions %s %s", got.CertificatePos, got.KeyPos)
	}
	if !got.RedirectHTTP || got.HSTSMaxAge != 600 {
		t.Errorf("redirect_http=%v hsts=%d, want the default true and 600", got.RedirectHTTP, got.HSTSMaxAge)
	}
	if len(warns) != 1 || warns[0].String() != "containers/app.yml:5: proxy.tls.colour: unknown key, ignored" {
		t.Errorf("warnings = %v", warns)
	}
}

func TestProxyTLSACME(t *testing.T) {
	got, _, err := decodeTLSForTest(t, "tls: {acme: {email: ops@example.com}, redirect_http: false, hsts: true}\n")
	if err != nil {
		t.Fatal(err)
	}
	if got.ACME == nil || got.ACME.Email != "ops@example.com" || got.ACME.Directory != DefaultACMEDirectory {
		t.Errorf("acme = %+v", got.ACME)
	}
	if got.RedirectHTTP || got.HSTSMaxAge != DefaultHSTSMaxAge {
		t.Errorf("redirect_http=%v hsts=%d", got.RedirectHTTP, got.HSTSMaxAge)
	}
	got, _, err = decodeTLSForTest(t, "tls: {acme: {directory: 'https://acme-staging-v02.api.letsencrypt.org/directory'}}\n")
	if err != nil || got.ACME.Directory != "https://acme-staging-v02.api.letsencrypt.org/directory" || got.ACME.Email != "" {
		t.Errorf("got %+v, %v", got, err)
	}
	got, _, err = decodeTLSForTest(t, "tls: {acme: true}\n")
	if err != nil || got.ACME == nil || got.ACME.Directory != DefaultACMEDirectory {
		t.Errorf("acme: true: %+v, %v", got, err)
	}
	for _, off := range []string{"tls: false\n", "tls: null\n"} {
		if got, _, err := decodeTLSForTest(t, off); got != nil || err != nil {
			t.Errorf("%q: %+v, %v, want no TLS", off, got, err)
		}
	}
}

func TestProxyTLSErrors(t *testing.T) {
	for _, tc := range []struct{ yml, want string }{
		{"tls: true\n", "containers/app.yml:1: proxy.tls: must be a mapping with certificate and key, or acme"},
		{"tls: {}\n", "proxy.tls: needs certificate and key, or acme"},
		{"tls: {certificate: /a.pem}\n", "proxy.tls.key: missing: certificate is given, key is not"},
		{"tls: {key: /a.key}\n", "proxy.tls.certificate: missing: key is given, certificate is not"},
		{"tls: {certificate: /a.pem, key: /a.pem}\n", "proxy.tls.key: is the certificate file"},
		{"tls: {certificate: a.pem, key: /a.key}\n", `containers/app.yml:1: proxy.tls.certificate: "a.pem" must be an absolute path`},
		{"tls: {certificate: '/a;b.pem', key: /a.key}\n", "proxy.tls.certificate"},
		{"tls: {certificate: /a.pem, key: /a.key, acme: {email: a@b.c}}\n", "give either certificate and key, or acme, not both"},
		{"tls:\n  acme:\n    email: nobody\n", `containers/app.yml:3: proxy.tls.acme.email: "nobody" is not an e-mail address`},
		{"tls: {acme: {directory: 'http://ca.example/dir'}}\n", "proxy.tls.acme.directory: \"http://ca.example/dir\" must be the https:// URL"},
		{"tls: {acme: maybe}\n", "proxy.tls.acme: must be true or a mapping"},
		{"tls: {acme: true, hsts: forever}\n", `proxy.tls.hsts: "forever" must be true, false or a max-age`},
		{"tls: {acme: true, redirect_http: sometimes}\n", "proxy.tls.redirect_http: must be true or false"},
		{"tls: [a]\n", "proxy.tls: must be a mapping"},
	} {
		_, _, err := decodeTLSForTest(t, tc.yml)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.yml, err, tc.want)
		}
	}
}
