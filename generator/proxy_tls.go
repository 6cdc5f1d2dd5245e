package generator

import (
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// proxy.tls (issue "HTTPS without a failed request"): TLS at the app's proxy,
// from files or from an ACME CA, decoded by decodeProxy (deploy.go).

// DefaultTLSPort is the host port the proxy terminates TLS on when
// proxy.tls.port is not given.
const DefaultTLSPort = 443

// DefaultACMEDirectory is Let's Encrypt's production directory, used when
// proxy.tls.acme gives none.
const DefaultACMEDirectory = "https://acme-v02.api.letsencrypt.org/directory"

// DefaultHSTSMaxAge is the Strict-Transport-Security max-age of `hsts: true`
// (one year).
const DefaultHSTSMaxAge = 31536000

// ProxyTLS is proxy.tls: either Certificate and Key (PEM files on the host)
// or ACME.
type ProxyTLS struct {
	Certificate    string // absolute path of the PEM chain, server certificate first
	Key            string // absolute path of its PEM private key
	CertificatePos Pos
	KeyPos         Pos
	ACME           *ProxyACME
	// RedirectHTTP answers plain HTTP with a 308 to https:// (except
	// /.well-known/acme-challenge/); default true.
	RedirectHTTP bool
	// HSTSMaxAge is the Strict-Transport-Security max-age in seconds; 0 sends
	// none (the default: HSTS cannot be taken back before it expires).
	HSTSMaxAge int
	// Port is the host port of the TLS listener (DefaultTLSPort unless
	// proxy.tls.port says otherwise), on the address of the proxied HTTP port.
	Port    int
	PortPos Pos
	Pos     Pos
}

// ProxyACME is proxy.tls.acme: issue and renew over ACME HTTP-01.
type ProxyACME struct {
	Email     string // account contact; may be empty
	Directory string // the CA's directory URL (https://); DefaultACMEDirectory if not given
	// CA is a PEM bundle (absolute path) of the roots to trust for Directory
	// besides the system's: a private ACME CA (step-ca, Pebble in tests).
	CA    string
	CAPos Pos
	Pos   Pos
}

// decodeProxyTLS decodes the value n of proxy.tls (key is its dotted path,
// "proxy.tls"). null and false give nil (no TLS).
//
//	tls: {certificate: /etc/ssl/app/fullchain.pem, key: /etc/ssl/app/key.pem}
//	tls: {acme: {email: ops@example.com, directory: https://...}, redirect_http: true, hsts: true}
func decodeProxyTLS(d *doc, l *layer, n *yaml.Node, key string) (*ProxyTLS, error) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind == yaml.ScalarNode {
		b, err := d.boolean(n, key)
		if err != nil || b {
			return nil, errAt(d.file, n, key, "must be a mapping with certificate and key, or acme (false turns TLS off)")
		}
		return nil, nil
	}
	f, err := d.fields(l, n, key, "certificate", "key", "acme", "redirect_http", "hsts", "port")
	if err != nil {
		return nil, err
	}
	t := &ProxyTLS{Pos: posOf(d.file, n), RedirectHTTP: true, Port: DefaultTLSPort, PortPos: posOf(d.file, n)}
	if v := f["port"]; v != nil {
		s, err := d.scalar(v, joinKey(key, "port"))
		if err != nil {
			return nil, err
		}
		p, err := strconv.Atoi(s)
		if err != nil || p < 1 || p > 65535 {
			return nil, errAt(d.file, v, joinKey(key, "port"), "%q is not a port", s)
		}
		t.Port, t.PortPos = p, posOf(d.file, v)
	}
	for _, k := range []string{"certificate", "key"} {
		v := f[k]
		if v == nil {
			continue
		}
		s, err := d.scalar(v, joinKey(key, k))
		if err != nil {
			return nil, err
		}
		if !filepath.IsAbs(s) || strings.ContainsFunc(s, func(r rune) bool {
			return r < ' ' || r == 0x7f || r == ';' || r == '{' || r == '}' || r == '"' || r == '\''
		}) {
			return nil, errAt(d.file, v, joinKey(key, k), "%q must be an absolute path (without quotes, ';', braces or control characters)", s)
		}
		if k == "certificate" {
			t.Certificate, t.CertificatePos = filepath.Clean(s), posOf(d.file, v)
		} else {
			t.Key, t.KeyPos = filepath.Clean(s), posOf(d.file, v)
		}
	}
	if v := f["acme"]; v != nil {
		if t.ACME, err = decodeProxyACME(d, l, v, joinKey(key, "acme")); err != nil {
			return nil, err
		}
	}
	switch {
	case t.ACME != nil && (t.Certificate != "" || t.Key != ""):
		return nil, errAt(d.file, n, key, "give either certificate and key, or acme, not both")
	case t.ACME == nil && t.Certificate == "" && t.Key == "":
		return nil, errAt(d.file, n, key, "needs certificate and key, or acme")
	case t.ACME == nil && t.Certificate == "":
		return nil, errAt(d.file, n, joinKey(key, "certificate"), "missing: key is given, certificate is not")
	case t.ACME == nil && t.Key == "":
		return nil, errAt(d.file, n, joinKey(key, "key"), "missing: certificate is given, key is not")
	case t.Certificate != "" && t.Certificate == t.Key:
		return nil, errAt(d.file, f["key"], joinKey(key, "key"), "is the certificate file; give the private key in its own file")
	}
	if v := f["redirect_http"]; v != nil {
		if t.RedirectHTTP, err = d.boolean(v, joinKey(key, "redirect_http")); err != nil {
			return nil, err
		}
	}
	if v := f["hsts"]; v != nil {
		if t.HSTSMaxAge, err = decodeHSTS(d, v, joinKey(key, "hsts")); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// decodeHSTS: true (one year), false, or max-age seconds.
func decodeHSTS(d *doc, n *yaml.Node, key string) (int, error) {
	if b, err := d.boolean(n, key); err == nil {
		if b {
			return DefaultHSTSMaxAge, nil
		}
		return 0, nil
	}
	s, err := d.scalar(n, key)
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v > 2*DefaultHSTSMaxAge {
		return 0, errAt(d.file, n, key, "%q must be true, false or a max-age in seconds (at most two years, %d)", s, 2*DefaultHSTSMaxAge)
	}
	return v, nil
}

func decodeProxyACME(d *doc, l *layer, n *yaml.Node, key string) (*ProxyACME, error) {
	if n.Kind == yaml.ScalarNode {
		b, err := d.boolean(n, key)
		if err != nil {
			return nil, errAt(d.file, n, key, "must be true or a mapping {email, directory}")
		}
		if !b {
			return nil, nil
		}
		return &ProxyACME{Directory: DefaultACMEDirectory, Pos: posOf(d.file, n)}, nil
	}
	f, err := d.fields(l, n, key, "email", "directory", "ca")
	if err != nil {
		return nil, err
	}
	a := &ProxyACME{Directory: DefaultACMEDirectory, Pos: posOf(d.file, n)}
	if v := f["email"]; v != nil {
		s, err := d.scalar(v, joinKey(key, "email"))
		if err != nil {
			return nil, err
		}
		at := strings.IndexByte(s, '@')
		if at < 1 || at != strings.LastIndexByte(s, '@') || at == len(s)-1 || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune(`,;:<>"'/\`, r) }) {
			return nil, errAt(d.file, v, joinKey(key, "email"), "%q is not an e-mail address", s)
		}
		a.Email = s
	}
	if v := f["directory"]; v != nil {
		s, err := d.scalar(v, joinKey(key, "directory"))
		if err != nil {
			return nil, err
		}
		u, perr := url.Parse(s)
		if perr != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" {
			return nil, errAt(d.file, v, joinKey(key, "directory"), "%q must be the https:// URL of an ACME directory", s)
		}
		a.Directory = s
	}
	if v := f["ca"]; v != nil {
		s, err := d.scalar(v, joinKey(key, "ca"))
		if err != nil {
			return nil, err
		}
		if !filepath.IsAbs(s) || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return nil, errAt(d.file, v, joinKey(key, "ca"), "%q must be an absolute path of a PEM file", s)
		}
		a.CA, a.CAPos = filepath.Clean(s), posOf(d.file, v)
	}
	return a, nil
}
