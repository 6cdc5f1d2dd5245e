package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quadlaunch/quadlaunch/generator"
)

// selfSigned writes a certificate for host valid from notBefore to notAfter
// and its key, and returns their paths.
func selfSigned(t *testing.T, dir, name, host string, notBefore, notAfter time.Time) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalECPrivateKey(k)
	cert, key = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600)
	return cert, key
}

func TestCheckTLSFiles(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	goodCert, goodKey := selfSigned(t, dir, "good", "shop.example.com", now.Add(-time.Hour), now.Add(90*24*time.Hour))
	_, otherKey := selfSigned(t, dir, "other", "shop.example.com", now.Add(-time.Hour), now.Add(90*24*time.Hour))
	oldCert, oldKey := selfSigned(t, dir, "old", "shop.example.com", now.Add(-100*24*time.Hour), now.Add(-24*time.Hour))
	app := func(cert, key string) *generator.App {
		return &generator.App{Name: "shop", Proxy: &generator.Proxy{Hosts: []string{"shop.example.com"}, TLS: &generator.ProxyTLS{
			Certificate: cert, Key: key, CertificatePos: generator.Pos{File: "shop.yml", Line: 5}, KeyPos: generator.Pos{File: "shop.yml", Line: 6}}}}
	}
	if err := CheckTLSFiles(app(goodCert, goodKey), now); err != nil {
		t.Errorf("a good pair: %v", err)
	}
	for name, tc := range map[string]struct {
		app  *generator.App
		want []string
	}{
		"key of another certificate": {app(goodCert, otherKey), []string{"shop.yml:6: proxy.tls.key: " + otherKey}},
		"expired":                    {app(oldCert, oldKey), []string{"shop.yml:5: proxy.tls.certificate: " + oldCert, "expired"}},
		"missing file":               {app(filepath.Join(dir, "none.pem"), goodKey), []string{"shop.yml:5: proxy.tls.certificate", "no such file"}},
	} {
		err := CheckTLSFiles(tc.app, now)
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want it to contain %q", name, err, w)
			}
		}
	}
	wrongHost := app(goodCert, goodKey)
	wrongHost.Proxy.Hosts = []string{"blog.example.com"}
	if err := CheckTLSFiles(wrongHost, now); err == nil || !strings.Contains(err.Error(), "blog.example.com") {
		t.Errorf("a certificate without the host: %v", err)
	}
}
