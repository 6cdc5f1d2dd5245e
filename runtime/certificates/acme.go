package certificates

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-acme/lego/v5/acme"
	"github.com/go-acme/lego/v5/certcrypto"
	"github.com/go-acme/lego/v5/certificate"
	"github.com/go-acme/lego/v5/challenge"
	"github.com/go-acme/lego/v5/lego"
	"github.com/go-acme/lego/v5/providers/http/webroot"
	"github.com/go-acme/lego/v5/registration"
)

// ChallengePath is the URL path prefix of HTTP-01 responses; the proxy's port
// 80 server must serve Webroot under it (see the package doc).
const ChallengePath = "/.well-known/acme-challenge/"

// Provider presents and removes HTTP-01 responses: lego's challenge.Provider.
type Provider = challenge.Provider

// ACME issues and renews certificates for proxy.tls.acme over HTTP-01.
// Using it means agreeing to the terms of service of the CA at Directory.
type ACME struct {
	Directory string // the CA's ACME directory URL (proxy.tls.acme.directory)
	Email     string // account contact (proxy.tls.acme.email), may be empty
	Store     *Store

	// Webroot is the directory nginx serves at /.well-known/acme-challenge/
	// (responses go to WEBROOT/.well-known/acme-challenge/TOKEN). Provider, if
	// set, is used instead.
	Webroot  string
	Provider Provider

	// HTTPClient talks to the CA; nil is lego's default (system roots, or
	// LEGO_CA_CERTIFICATES).
	HTTPClient *http.Client
	// KeyType of new certificate keys; "" is ECDSA P-256.
	KeyType certcrypto.KeyType
	// Now is the clock for renewal decisions and checks; nil is time.Now.
	Now func() time.Time
}

// IssueError is an issuance the CA refused or that could not finish; the
// current certificate (if any) is left as it was.
type IssueError struct {
	Directory string
	Hosts     []string
	Err       error
}

func (e *IssueError) Error() string {
	return fmt.Sprintf("certificates: no certificate for %s from %s (the current one, if any, is unchanged): %v",
		strings.Join(e.Hosts, ", "), e.Directory, e.Err)
}

func (e *IssueError) Unwrap() error { return e.Err }

// Reason is the CA's own words for the refusal (the ACME problem detail),
// or the error text when the CA gave none.
func (e *IssueError) Reason() string {
	var pd *acme.ProblemDetails
	if errors.As(e.Err, &pd) {
		var b strings.Builder
		b.WriteString(pd.Detail)
		for _, s := range pd.SubProblems {
			fmt.Fprintf(&b, "; %s", s.Detail)
		}
		return b.String()
	}
	return e.Err.Error()
}

// Result is what Renew did.
type Result struct {
	Pair    *Pair  // the current pair after the call
	Renewed bool   // a new certificate was issued and stored
	Reason  string // why it was (or was not) renewed
}

func (a *ACME) keyType() certcrypto.KeyType {
	if a.KeyType == "" {
		return certcrypto.EC256
	}
	return a.KeyType
}

func (a *ACME) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Renew issues a certificate for hosts under NAME when there is none yet,
// when the current one does not cover every host, when it is due (see
// RenewAt), or when force is set; otherwise it does nothing. On a refusal it
// returns an *IssueError and the stored certificate is untouched.
func (a *ACME) Renew(ctx context.Context, name string, hosts []string, force bool) (*Result, error) {
	unlock, err := a.lockName(ctx, name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	cur, err := a.Store.Load(name)
	reason := ""
	switch {
	case errors.Is(err, os.ErrNotExist):
		reason = "no certificate yet"
	case err != nil:
		// A damaged current pair is replaced, not kept.
		reason = fmt.Sprintf("the stored certificate is unusable (%v)", err)
	case force:
		reason = "renewal forced"
	case IsPlaceholder(cur.Leaf()):
		reason = "only the placeholder so far"
	default:
		var missing []string
		for _, h := range hosts {
			if cur.Leaf().VerifyHostname(h) != nil {
				missing = append(missing, h)
			}
		}
		if len(missing) > 0 {
			reason = "the certificate does not cover " + strings.Join(missing, ", ")
		} else if due, why := NeedsRenewal(cur.Leaf(), a.now()); due {
			reason = why
		} else {
			return &Result{Pair: cur, Reason: why}, nil
		}
	}
	p, err := a.obtain(ctx, name, hosts)
	if err != nil {
		return &Result{Pair: cur, Reason: reason}, err
	}
	return &Result{Pair: p, Renewed: true, Reason: reason}, nil
}

// Obtain issues a new certificate for hosts, checks it, and stores it as the
// current pair of NAME. Nothing is stored unless every step succeeds. Like
// Renew, it holds NAME's lock meanwhile.
func (a *ACME) Obtain(ctx context.Context, name string, hosts []string) (*Pair, error) {
	unlock, err := a.lockName(ctx, name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return a.obtain(ctx, name, hosts)
}

// lockName checks NAME and takes its lock, so the timer and an operator never
// order one certificate at once.
func (a *ACME) lockName(ctx context.Context, name string) (unlock func(), err error) {
	if err := checkName("certificate", name); err != nil {
		return nil, err
	}
	return a.Store.lock(ctx, name)
}

// obtain is Obtain with the lock held.
func (a *ACME) obtain(ctx context.Context, name string, hosts []string) (*Pair, error) {
	if len(hosts) == 0 {
		return nil, errors.New("certificates: no host names to issue a certificate for")
	}
	client, err := a.client(ctx)
	if err != nil {
		return nil, &IssueError{Directory: a.Directory, Hosts: hosts, Err: err}
	}
	res, err := client.Certificate.Obtain(ctx, certificate.ObtainRequest{Domains: hosts, Bundle: true, KeyType: a.keyType()})
	if err != nil {
		return nil, &IssueError{Directory: a.Directory, Hosts: hosts, Err: err}
	}
	p, err := ParsePair(res.Certificate, res.PrivateKey)
	if err == nil {
		err = p.Check(hosts, a.now())
	}
	if err != nil {
		return nil, &IssueError{Directory: a.Directory, Hosts: hosts, Err: fmt.Errorf("the CA's certificate is not usable: %w", err)}
	}
	if err := a.Store.Save(name, p); err != nil {
		return nil, err
	}
	return p, nil
}

// client builds a lego client with this store's account for Directory,
// registering it on first use.
func (a *ACME) client(ctx context.Context) (*lego.Client, error) {
	if a.Store == nil {
		return nil, errors.New("no certificate store")
	}
	user, err := a.Store.account(a.Directory, a.Email)
	if err != nil {
		return nil, err
	}
	cfg := lego.NewConfig(user)
	cfg.CADirURL = a.Directory
	cfg.UserAgent = "quadlaunch"
	if a.HTTPClient != nil {
		cfg.HTTPClient = a.HTTPClient
	}
	client, err := lego.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	prov := a.Provider
	if prov == nil {
		if a.Webroot == "" {
			return nil, errors.New("neither a webroot nor a challenge provider for HTTP-01")
		}
		if err := os.MkdirAll(a.Webroot, 0o755); err != nil {
			return nil, err
		}
		if prov, err = webroot.NewHTTPProvider(a.Webroot); err != nil {
			return nil, err
		}
	}
	if err := client.Challenge.SetHTTP01Provider(prov); err != nil {
		return nil, err
	}
	if user.reg == nil {
		reg, err := client.Registration.Register(ctx, registration.RegisterOptions{TermsOfServiceAgreed: true})
		if err != nil {
			return nil, fmt.Errorf("registering the ACME account: %w", err)
		}
		user.reg = reg
		if err := user.save(); err != nil {
			return nil, err
		}
	}
	return client, nil
}

// accountUser is lego's registration.User backed by files in the store.
type accountUser struct {
	dir       string
	directory string
	email     string
	key       crypto.Signer
	reg       *acme.ExtendedAccount
}

func (u *accountUser) GetEmail() string                       { return u.email }
func (u *accountUser) GetRegistration() *acme.ExtendedAccount { return u.reg }
func (u *accountUser) GetPrivateKey() crypto.Signer           { return u.key }

type accountFile struct {
	Directory string `json:"directory"`
	Email     string `json:"email,omitempty"`
	URL       string `json:"url"`
}

// account loads or creates the ACME account key for directory and email.
func (s *Store) account(directory, email string) (*accountUser, error) {
	dir, err := s.accountDir(directory, email)
	if err != nil {
		return nil, err
	}
	if err := s.mkdirs(dir); err != nil {
		return nil, err
	}
	u := &accountUser{dir: dir, directory: directory, email: email}
	keyPath := filepath.Join(dir, KeyFile)
	data, err := os.ReadFile(keyPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		k, err := certcrypto.GeneratePrivateKey(certcrypto.EC256)
		if err != nil {
			return nil, err
		}
		if err := WriteFileAtomic(keyPath, certcrypto.PEMEncode(k), fileMode); err != nil {
			return nil, err
		}
		u.key = k
	case err != nil:
		return nil, fmt.Errorf("certificates: ACME account key: %w", err)
	default:
		b, _ := pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("certificates: %s: no PEM private key", keyPath)
		}
		if u.key, err = parseKey(b); err != nil {
			return nil, fmt.Errorf("certificates: %s: %w", keyPath, err)
		}
	}
	data, err = os.ReadFile(filepath.Join(dir, "account.json"))
	if err == nil {
		var af accountFile
		if err := json.Unmarshal(data, &af); err != nil {
			return nil, fmt.Errorf("certificates: %s: %w", filepath.Join(dir, "account.json"), err)
		}
		if af.URL != "" && af.Directory == directory {
			u.reg = &acme.ExtendedAccount{Location: af.URL}
		}
	}
	return u, nil
}

func (u *accountUser) save() error {
	af := accountFile{Directory: u.directory, Email: u.email, URL: u.reg.Location}
	data, err := json.MarshalIndent(af, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(u.dir, "account.json"), append(data, '\n'), fileMode)
}

// Hosts lists the DNS names a certificate covers, sorted.
func Hosts(c *x509.Certificate) []string {
	h := slices.Clone(c.DNSNames)
	slices.Sort(h)
	return h
}
