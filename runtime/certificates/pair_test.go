package certificates

import (
	"context"
	"crypto"
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
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

type testCert struct {
	cert *x509.Certificate
	der  []byte
	key  *ecdsa.PrivateKey
}

var serial int64

func mkCert(t *testing.T, cn string, names []string, parent *testCert, notBefore, notAfter time.Time, isCA bool) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn},
		DNSNames:              names,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		IsCA:                  isCA,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	if !isCA {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	issuer, signer := tmpl, crypto.Signer(key)
	if parent != nil {
		issuer, signer = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testCert{cert: c, der: der, key: key}
}

func pemCerts(cs ...*testCert) []byte {
	var out []byte
	for _, c := range cs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.der})...)
	}
	return out
}

func pemKey(t *testing.T, k *ecdsa.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// chain is root -> intermediate -> leaf for app.example.com and www.example.com.
func chain(t *testing.T) (root, inter, leaf *testCert) {
	root = mkCert(t, "Test Root", nil, nil, t0.Add(-time.Hour*24*365), t0.Add(time.Hour*24*3650), true)
	inter = mkCert(t, "Test Intermediate", nil, root, t0.Add(-time.Hour*24*365), t0.Add(time.Hour*24*1000), true)
	leaf = mkCert(t, "app.example.com", []string{"app.example.com", "www.example.com"}, inter, t0.Add(-24*time.Hour), t0.Add(89*24*time.Hour), false)
	return
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadPair(t *testing.T) {
	_, inter, leaf := chain(t)
	other := mkCert(t, "other", []string{"app.example.com"}, inter, t0.Add(-time.Hour), t0.Add(time.Hour*24), false)
	expired := mkCert(t, "old.example.com", []string{"app.example.com"}, inter, t0.Add(-100*24*time.Hour), t0.Add(-10*24*time.Hour), false)
	future := mkCert(t, "new.example.com", []string{"app.example.com"}, inter, t0.Add(24*time.Hour), t0.Add(90*24*time.Hour), false)
	dir := t.TempDir()
	good := pemCerts(leaf, inter)
	goodKey := pemKey(t, leaf.key)
	rsaLike := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: []byte{1}})

	for _, tc := range []struct {
		name       string
		cert, key  []byte
		hosts      []string
		want       string // "" = no error
		wantKeyRef bool   // the error names proxy.tls.key rather than .certificate
	}{
		{"good", good, goodKey, []string{"app.example.com", "www.example.com"}, "", false},
		{"good without hosts", good, goodKey, nil, "", false},
		{"leaf only", pemCerts(leaf), goodKey, []string{"app.example.com"}, "", false},
		{"missing host", good, goodKey, []string{"app.example.com", "shop.example.com"}, "does not cover shop.example.com (proxy.host); it names app.example.com, www.example.com", false},
		{"wrong key", good, pemKey(t, other.key), nil, `the private key does not match the certificate "app.example.com"`, true},
		{"issuer first", pemCerts(inter, leaf), goodKey, nil, "the key belongs to certificate 2 of the file", false},
		{"chain out of order", pemCerts(leaf, leaf), goodKey, nil, "chain out of order: certificate 1", false},
		{"expired", pemCerts(expired, inter), pemKey(t, expired.key), nil, "expired on 2026-11-21T12:00:00Z", false},
		{"not yet valid", pemCerts(future, inter), pemKey(t, future.key), nil, "is not valid before 2026-12-02T12:00:00Z", false},
		{"empty cert", []byte("hello\n"), goodKey, nil, "no PEM CERTIFICATE block found", false},
		{"key in cert file", append(good, goodKey...), goodKey, nil, "holds a private key", false},
		{"swapped", goodKey, good, nil, "holds a private key", false},
		{"cert as key", good, pemCerts(leaf), nil, "are proxy.tls.certificate and proxy.tls.key swapped?", true},
		{"encrypted key", good, rsaLike, nil, "the private key is encrypted", true},
		{"no key", good, []byte("x"), nil, "no PEM private key block found", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cp := write(t, dir, strings.ReplaceAll(tc.name, " ", "_")+".crt", tc.cert)
			kp := write(t, dir, strings.ReplaceAll(tc.name, " ", "_")+".key", tc.key)
			cref := Ref{Path: cp, Pos: "containers/app.yml:7", Key: "proxy.tls.certificate"}
			kref := Ref{Path: kp, Pos: "containers/app.yml:8", Key: "proxy.tls.key"}
			p, err := LoadPair(cref, kref, tc.hosts, t0)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("LoadPair: %v", err)
				}
				if p.Leaf().Subject.CommonName != "app.example.com" {
					t.Errorf("leaf = %s", p.Leaf().Subject)
				}
				return
			}
			if err == nil {
				t.Fatalf("LoadPair: no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
			prefix := "containers/app.yml:7: proxy.tls.certificate: " + cp + ": "
			if tc.wantKeyRef {
				prefix = "containers/app.yml:8: proxy.tls.key: " + kp + ": "
			}
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
		})
	}
}

func TestLoadPairMissingFile(t *testing.T) {
	_, err := LoadPair(Ref{Path: "/nonexistent/app.pem", Pos: "app.yml:3", Key: "proxy.tls.certificate"}, Ref{Path: "/nonexistent/app.key", Key: "proxy.tls.key"}, nil, t0)
	if err == nil || err.Error() != "app.yml:3: proxy.tls.certificate: /nonexistent/app.pem: no such file or directory" {
		t.Errorf("err = %v", err)
	}
}

func TestRenewAt(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		life, left time.Duration
	}{
		{90 * day, 30 * day},
		{45 * day, 45 * day / 2},
		{6 * day, 3 * day},
		{365 * day, 365 * day / 3},
		{47 * day, 47 * day / 2},
	} {
		c := &x509.Certificate{NotBefore: t0, NotAfter: t0.Add(tc.life)}
		if got := c.NotAfter.Sub(RenewAt(c)); got != tc.left {
			t.Errorf("lifetime %s: renew with %s left, want %s", tc.life, got, tc.left)
		}
		if due, why := NeedsRenewal(c, RenewAt(c).Add(-time.Minute)); due {
			t.Errorf("lifetime %s: due a minute early (%s)", tc.life, why)
		}
		if due, _ := NeedsRenewal(c, RenewAt(c)); !due {
			t.Errorf("lifetime %s: not due at RenewAt", tc.life)
		}
		if due, why := NeedsRenewal(c, c.NotAfter.Add(time.Hour)); !due || !strings.HasPrefix(why, "expired on") {
			t.Errorf("lifetime %s: after expiry due=%v %q", tc.life, due, why)
		}
	}
}

func TestStoreSaveLoadModes(t *testing.T) {
	_, inter, leaf := chain(t)
	p, err := ParsePair(pemCerts(leaf, inter), pemKey(t, leaf.key))
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	s := &Store{Dir: filepath.Join(base, "state", "tls")}
	if _, err := s.Load("app"); !os.IsNotExist(err) {
		t.Fatalf("Load before Save: %v, want not-exist", err)
	}
	if err := s.Save("app", p); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load("app")
	if err != nil || got.Serial() != p.Serial() {
		t.Fatalf("Load: %v %v", got, err)
	}
	// nginx's paths go through the current link.
	if target, err := os.Readlink(filepath.Join(s.CertDir("app"), CurrentLink)); err != nil || !strings.HasPrefix(target, p.Serial()+"-") {
		t.Errorf("current -> %q (%v)", target, err)
	}
	checkModes(t, s.Dir)

	// A loose existing directory is tightened.
	if err := os.Chmod(s.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	other := mkCert(t, "app.example.com", []string{"app.example.com"}, inter, t0, t0.Add(90*24*time.Hour), false)
	p2, _ := ParsePair(pemCerts(other, inter), pemKey(t, other.key))
	if err := s.Save("app", p2); err != nil {
		t.Fatal(err)
	}
	checkModes(t, s.Dir)
	if got, _ := s.Load("app"); got.Serial() != p2.Serial() {
		t.Errorf("after the second Save, current is %s, want %s", got.Serial(), p2.Serial())
	}

	for _, bad := range []string{"../x", "", ".hidden", "a/b"} {
		if err := s.Save(bad, p); err == nil {
			t.Errorf("Save(%q) accepted", bad)
		}
	}
}

func TestWriteFileAtomicReplaces(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.pem")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A reader holding the old file keeps reading the old content.
	old, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := WriteFileAtomic(p, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 8)
	n, _ := old.Read(b)
	if string(b[:n]) != "old" {
		t.Errorf("open reader sees %q, want the old file", b[:n])
	}
	data, _ := os.ReadFile(p)
	info, _ := os.Stat(p)
	if string(data) != "new" || info.Mode().Perm() != 0o600 {
		t.Errorf("file = %q mode %o", data, info.Mode().Perm())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("leftovers: %v", ents)
	}
}

func TestRenewWaitsForTheLock(t *testing.T) {
	s := &Store{Dir: filepath.Join(t.TempDir(), "tls")}
	unlock, err := s.lock(context.Background(), "app")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	a := &ACME{Directory: "https://127.0.0.1:1/dir", Store: s, Webroot: t.TempDir()}
	_, err = a.Renew(ctx, "app", []string{"app.example.com"}, false)
	if err == nil || !strings.Contains(err.Error(), "another renewal of app holds") {
		t.Fatalf("Renew while locked: %v", err)
	}
}
