package certificates

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"slices"
	"time"
)

// The placeholder: nginx refuses to start without ssl_certificate, and before
// the first issuance there is none. But issuance needs nginx running, to
// serve the HTTP-01 response on port 80. So the proxy's start first stores a
// self-signed certificate for the app's hosts (EnsurePlaceholder), which no
// client trusts and which Renew replaces at its first run.

// PlaceholderOrganization is the subject organization that marks a placeholder.
const PlaceholderOrganization = "quadlaunch placeholder (no certificate issued yet)"

// placeholderHalfLife is how far NotBefore and NotAfter lie from its creation:
// with equal halves, RenewAt is the creation time, so even the generic rule
// (NeedsRenewal) says a placeholder is due from the start.
const placeholderHalfLife = 24 * time.Hour

// IsPlaceholder reports whether c is a placeholder made by EnsurePlaceholder.
func IsPlaceholder(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && slices.Contains(c.Subject.Organization, PlaceholderOrganization)
}

// Ensured is what EnsurePlaceholder found or did.
type Ensured struct {
	Pair        *Pair
	Placeholder bool   // the current pair is a placeholder
	Created     bool   // EnsurePlaceholder wrote it
	Reason      string // why it wrote one, or what it found
}

// EnsurePlaceholder makes sure NAME has a current pair nginx can start with.
// An existing certificate is left alone, except a placeholder that does not
// cover every host (proxy.host changed), which is replaced. With none (or an
// unusable one), it stores a self-signed placeholder for hosts. It takes
// NAME's lock, waiting until ctx ends: a renewal that holds it stores a real
// certificate the placeholder must not overwrite.
func (s *Store) EnsurePlaceholder(ctx context.Context, name string, hosts []string, now time.Time) (*Ensured, error) {
	if len(hosts) == 0 {
		return nil, errors.New("certificates: no host names for the placeholder certificate")
	}
	if err := checkName("certificate", name); err != nil {
		return nil, err
	}
	// The common case (every proxy start after the first) needs no lock.
	if e, ok := s.keep(name, hosts); ok {
		return e, nil
	}
	unlock, err := s.lock(ctx, name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if e, ok := s.keep(name, hosts); ok {
		return e, nil
	}
	reason := "no certificate yet"
	switch _, err := s.Load(name); {
	case err == nil:
		reason = "the placeholder does not cover every host"
	case !errors.Is(err, os.ErrNotExist):
		reason = fmt.Sprintf("the stored certificate is unusable (%v)", err)
	}
	p, err := NewPlaceholder(hosts, now)
	if err != nil {
		return nil, err
	}
	if err := s.Save(name, p); err != nil {
		return nil, err
	}
	return &Ensured{Pair: p, Placeholder: true, Created: true, Reason: reason}, nil
}

// keep returns the current pair when it can stay: a certificate from a CA (or
// given by hand), or a placeholder covering hosts.
func (s *Store) keep(name string, hosts []string) (*Ensured, bool) {
	cur, err := s.Load(name)
	if err != nil {
		return nil, false
	}
	if !IsPlaceholder(cur.Leaf()) {
		return &Ensured{Pair: cur, Reason: "a certificate is in place"}, true
	}
	for _, h := range hosts {
		if cur.Leaf().VerifyHostname(h) != nil {
			return nil, false
		}
	}
	return &Ensured{Pair: cur, Placeholder: true, Reason: "the placeholder is in place"}, true
}

// NewPlaceholder makes a self-signed ECDSA P-256 certificate for hosts,
// marked with PlaceholderOrganization and due for renewal at now.
func NewPlaceholder(hosts []string, now time.Time) (*Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("certificates: placeholder key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("certificates: placeholder serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: hosts[0], Organization: []string{PlaceholderOrganization}},
		DNSNames:              slices.Clone(hosts),
		NotBefore:             now.Add(-placeholderHalfLife),
		NotAfter:              now.Add(placeholderHalfLife),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("certificates: placeholder certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("certificates: placeholder key: %w", err)
	}
	return ParsePair(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
}
