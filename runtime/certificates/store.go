package certificates

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Store keeps certificates and ACME account keys under Dir (for example
// /var/lib/quadlaunch/tls, or $XDG_STATE_HOME/quadlaunch/tls rootless).
// Directories are 0700 and files 0600; every file is replaced atomically.
type Store struct {
	Dir string
}

// KeepVersions is how many certificate versions a Save keeps (the current one
// and the one before it, so a bad certificate can be put back by hand).
const KeepVersions = 2

const (
	dirMode  = 0o700
	fileMode = 0o600
	// CurrentLink is the symlink in a certificate's directory that names its
	// version in use.
	CurrentLink = "current"
	// ChainFile and KeyFile are the names inside a version directory.
	ChainFile = "fullchain.pem"
	KeyFile   = "key.pem"
)

var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]*$`)

func checkName(kind, name string) error {
	if !safeName.MatchString(name) || strings.Contains(name, "..") {
		return fmt.Errorf("certificates: %s name %q: only letters, digits and ._@+- (not starting with one of them)", kind, name)
	}
	return nil
}

// CertDir is the directory of the certificate NAME (usually the app name).
func (s *Store) CertDir(name string) string { return filepath.Join(s.Dir, "certificates", name) }

// ChainPath and KeyPath are the stable paths nginx is configured with
// (through the current symlink).
func (s *Store) ChainPath(name string) string {
	return filepath.Join(s.CertDir(name), CurrentLink, ChainFile)
}
func (s *Store) KeyPath(name string) string {
	return filepath.Join(s.CertDir(name), CurrentLink, KeyFile)
}

// Load returns the current pair of NAME, parsed but not checked, or an error
// satisfying errors.Is(err, os.ErrNotExist) when there is none yet.
func (s *Store) Load(name string) (*Pair, error) {
	if err := checkName("certificate", name); err != nil {
		return nil, err
	}
	certPEM, err := os.ReadFile(s.ChainPath(name))
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(s.KeyPath(name))
	if err != nil {
		return nil, err
	}
	return parsePair(certPEM, keyPEM, Ref{Path: s.ChainPath(name)}, Ref{Path: s.KeyPath(name)})
}

// Save stores p as the current pair of NAME: the version directory (named by
// the serial) is written first, then the current symlink is switched with one
// rename, then versions older than KeepVersions are removed.
func (s *Store) Save(name string, p *Pair) error {
	if err := checkName("certificate", name); err != nil {
		return err
	}
	dir := s.CertDir(name)
	if err := s.mkdirs(dir); err != nil {
		return err
	}
	version := p.Serial() + "-" + time.Now().UTC().Format("20060102T150405")
	vdir := filepath.Join(dir, version)
	if err := os.Mkdir(vdir, dirMode); err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	if err := WriteFileAtomic(filepath.Join(vdir, KeyFile), p.KeyPEM, fileMode); err != nil {
		return err
	}
	if err := WriteFileAtomic(filepath.Join(vdir, ChainFile), p.CertPEM, fileMode); err != nil {
		return err
	}
	if err := syncDir(vdir); err != nil {
		return err
	}
	if err := switchLink(dir, CurrentLink, version); err != nil {
		return err
	}
	s.prune(dir, version)
	return nil
}

// prune removes the oldest version directories beyond KeepVersions. The
// current one is never removed. Errors are ignored: a leftover directory only
// costs space.
func (s *Store) prune(dir, current string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type v struct {
		name string
		mod  time.Time
	}
	var vs []v
	for _, e := range ents {
		if !e.IsDir() || e.Name() == current {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		vs = append(vs, v{e.Name(), info.ModTime()})
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].mod.After(vs[j].mod) })
	for i, x := range vs {
		if i+1 >= KeepVersions {
			_ = os.RemoveAll(filepath.Join(dir, x.name))
		}
	}
}

// switchLink points dir/link at target by creating a new symlink beside it and
// renaming it over the old one (atomic on one file system).
func switchLink(dir, link, target string) error {
	tmp := filepath.Join(dir, "."+link+".tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, link)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("certificates: %w", err)
	}
	return syncDir(dir)
}

// mkdirs creates dir and its parents below s.Dir with mode 0700, and tightens
// existing ones.
func (s *Store) mkdirs(dir string) error {
	if s.Dir == "" {
		return errors.New("certificates: no state directory")
	}
	rel, err := filepath.Rel(s.Dir, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("certificates: %s is outside %s", dir, s.Dir)
	}
	// The state directory's parent (/var/lib/quadlaunch) also holds the
	// ACME webroot, which nginx workers read: leave it 0755, not 0700.
	if err := os.MkdirAll(filepath.Dir(s.Dir), 0o755); err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	p := s.Dir
	parts := []string{"."}
	if rel != "." {
		parts = append(parts, strings.Split(rel, string(filepath.Separator))...)
	}
	for _, part := range parts {
		p = filepath.Join(p, part)
		if err := os.MkdirAll(p, dirMode); err != nil {
			return fmt.Errorf("certificates: %w", err)
		}
		if err := os.Chmod(p, dirMode); err != nil {
			return fmt.Errorf("certificates: %w", err)
		}
	}
	return nil
}

// WriteFileAtomic writes data to a temporary file in path's directory, syncs
// it, sets mode and renames it to path: a reader (nginx at a reload) sees the
// whole old file or the whole new one.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	ok = true
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("certificates: sync %s: %w", dir, err)
	}
	return nil
}

// accountDir is accounts/DIRECTORY-HOST[_PORT]/EMAIL ("default" without one).
func (s *Store) accountDir(directory, email string) (string, error) {
	u, err := url.Parse(directory)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("certificates: ACME directory %q is not a URL", directory)
	}
	host := strings.ReplaceAll(u.Host, ":", "_")
	if err := checkName("ACME directory host", host); err != nil {
		return "", err
	}
	who := email
	if who == "" {
		who = "default"
	}
	if err := checkName("ACME account e-mail", who); err != nil {
		return "", err
	}
	return filepath.Join(s.Dir, "accounts", host, who), nil
}
