package certificates

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Ref names one file of proxy.tls and where the config gave it, so every
// error can say file:line: proxy.tls.certificate: ...
type Ref struct {
	Path string // the PEM file
	Pos  string // "config.yml:12" (or just the config file); "" when unknown
	Key  string // "proxy.tls.certificate" or "proxy.tls.key"
}

// Error is a refused certificate or key: the config position and key, the
// file, and what is wrong with it.
type Error struct {
	Ref Ref
	Msg string
	Err error // the underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Ref.Pos != "" {
		b.WriteString(e.Ref.Pos)
		b.WriteString(": ")
	}
	if e.Ref.Key != "" {
		b.WriteString(e.Ref.Key)
		b.WriteString(": ")
	}
	if e.Ref.Path != "" {
		b.WriteString(e.Ref.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Pair is a parsed certificate chain and its private key.
type Pair struct {
	Chain   []*x509.Certificate // Chain[0] is the server certificate, then its issuers
	Key     crypto.Signer
	CertPEM []byte // the chain, as PEM, server certificate first
	KeyPEM  []byte
}

// Leaf is the server certificate.
func (p *Pair) Leaf() *x509.Certificate { return p.Chain[0] }

// Serial is the server certificate's serial number in hex, which names its
// version directory in the Store.
func (p *Pair) Serial() string { return fmt.Sprintf("%x", p.Leaf().SerialNumber) }

// LoadPair reads, parses and checks a certificate file and a key file given in
// proxy.tls: see Check. hosts are the app's proxy host names (may be empty).
func LoadPair(cert, key Ref, hosts []string, now time.Time) (*Pair, error) {
	certPEM, err := os.ReadFile(cert.Path)
	if err != nil {
		return nil, &Error{Ref: cert, Msg: fileErr(err), Err: err}
	}
	keyPEM, err := os.ReadFile(key.Path)
	if err != nil {
		return nil, &Error{Ref: key, Msg: fileErr(err), Err: err}
	}
	p, err := parsePair(certPEM, keyPEM, cert, key)
	if err != nil {
		return nil, err
	}
	if err := p.check(hosts, now, cert, key); err != nil {
		return nil, err
	}
	return p, nil
}

func fileErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ParsePair parses PEM data without checking names or dates.
func ParsePair(certPEM, keyPEM []byte) (*Pair, error) {
	return parsePair(certPEM, keyPEM, Ref{Key: "certificate"}, Ref{Key: "key"})
}

// Check verifies a pair parsed with ParsePair (as LoadPair does): the key
// belongs to the server certificate, now is inside its validity, its names
// cover every host, and each certificate of the chain is signed by the next.
func (p *Pair) Check(hosts []string, now time.Time) error {
	return p.check(hosts, now, Ref{Key: "certificate"}, Ref{Key: "key"})
}

func parsePair(certPEM, keyPEM []byte, cref, kref Ref) (*Pair, error) {
	p := &Pair{}
	rest := certPEM
	var out bytes.Buffer
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, &Error{Ref: cref, Msg: fmt.Sprintf("certificate %d of the file does not parse: %v", len(p.Chain)+1, err), Err: err}
			}
			p.Chain = append(p.Chain, c)
			_ = pem.Encode(&out, b)
		case strings.Contains(b.Type, "PRIVATE KEY"):
			return nil, &Error{Ref: cref, Msg: "holds a private key: give the key in proxy.tls.key and only certificates here"}
		default:
			return nil, &Error{Ref: cref, Msg: fmt.Sprintf("holds a %q PEM block; only CERTIFICATE blocks belong here", b.Type)}
		}
	}
	if len(p.Chain) == 0 {
		return nil, &Error{Ref: cref, Msg: "no PEM CERTIFICATE block found"}
	}
	p.CertPEM = out.Bytes()

	kb, krest := pem.Decode(keyPEM)
	if kb == nil {
		return nil, &Error{Ref: kref, Msg: "no PEM private key block found"}
	}
	for {
		var extra *pem.Block
		extra, krest = pem.Decode(krest)
		if extra == nil {
			break
		}
		if extra.Type == "CERTIFICATE" || strings.Contains(extra.Type, "PRIVATE KEY") {
			return nil, &Error{Ref: kref, Msg: fmt.Sprintf("holds more than the key (a %s block follows it); give only the private key here", extra.Type)}
		}
		// "EC PARAMETERS" (openssl ecparam -genkey) and the like are harmless.
	}
	key, err := parseKey(kb)
	if err != nil {
		return nil, &Error{Ref: kref, Msg: err.Error(), Err: err}
	}
	p.Key = key
	p.KeyPEM = pem.EncodeToMemory(kb)
	return p, nil
}

func parseKey(b *pem.Block) (crypto.Signer, error) {
	if _, ok := b.Headers["DEK-Info"]; ok || b.Type == "ENCRYPTED PRIVATE KEY" {
		return nil, errors.New("the private key is encrypted; nginx would ask for a passphrase at every start: store it unencrypted (mode 0600)")
	}
	var k any
	var err error
	switch b.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(b.Bytes)
	case "CERTIFICATE":
		return nil, errors.New("holds a certificate where the private key belongs (are proxy.tls.certificate and proxy.tls.key swapped?)")
	default:
		return nil, fmt.Errorf("holds a %q PEM block, not a private key", b.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("the private key does not parse: %v", err)
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("unsupported private key type %T", k)
}

func describe(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return fmt.Sprintf("%q", c.Subject.CommonName)
	}
	if len(c.DNSNames) > 0 {
		return fmt.Sprintf("%q", c.DNSNames[0])
	}
	return fmt.Sprintf("serial %x", c.SerialNumber)
}

type publicKeyEqual interface{ Equal(crypto.PublicKey) bool }

func (p *Pair) check(hosts []string, now time.Time, cref, kref Ref) error {
	leaf := p.Leaf()
	pub, ok := p.Key.Public().(publicKeyEqual)
	if !ok || !pub.Equal(leaf.PublicKey) {
		for i, c := range p.Chain[1:] {
			if ok && pub.Equal(c.PublicKey) {
				return &Error{Ref: cref, Msg: fmt.Sprintf("the key belongs to certificate %d of the file (%s), but the server certificate must come first, then its issuers", i+2, describe(c))}
			}
		}
		return &Error{Ref: kref, Msg: fmt.Sprintf("the private key does not match the certificate %s in %s", describe(leaf), cref.Path)}
	}
	for i := 0; i+1 < len(p.Chain); i++ {
		c, issuer := p.Chain[i], p.Chain[i+1]
		if err := c.CheckSignatureFrom(issuer); err != nil {
			// An issuer listed before its subject is the usual mistake.
			for j := range i {
				if p.Chain[j].CheckSignatureFrom(c) == nil {
					return &Error{Ref: cref, Msg: fmt.Sprintf("chain out of order: certificate %d (%s) issued certificate %d (%s) but comes after it; list the server certificate first, then each issuer", i+1, describe(c), j+1, describe(p.Chain[j])), Err: err}
				}
			}
			return &Error{Ref: cref, Msg: fmt.Sprintf("chain out of order: certificate %d (%s) is not signed by the next one, certificate %d (%s); list the server certificate first, then each issuer", i+1, describe(c), i+2, describe(issuer)), Err: err}
		}
	}
	if now.Before(leaf.NotBefore) {
		return &Error{Ref: cref, Msg: fmt.Sprintf("the certificate %s is not valid before %s (now %s)", describe(leaf), leaf.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))}
	}
	if now.After(leaf.NotAfter) {
		return &Error{Ref: cref, Msg: fmt.Sprintf("the certificate %s expired on %s (now %s)", describe(leaf), leaf.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))}
	}
	if len(leaf.ExtKeyUsage) > 0 && !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) && !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageAny) {
		return &Error{Ref: cref, Msg: fmt.Sprintf("the certificate %s is not for TLS servers (no serverAuth extended key usage)", describe(leaf))}
	}
	var missing []string
	for _, h := range hosts {
		if leaf.VerifyHostname(h) != nil {
			missing = append(missing, h)
		}
	}
	if len(missing) > 0 {
		names := leaf.DNSNames
		if len(names) == 0 {
			names = []string{"no DNS names"}
		}
		return &Error{Ref: cref, Msg: fmt.Sprintf("the certificate does not cover %s (proxy.host); it names %s", strings.Join(missing, ", "), strings.Join(names, ", "))}
	}
	return nil
}
