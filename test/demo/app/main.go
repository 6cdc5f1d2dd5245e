// Command demo is the e2e test app: a small static HTTP server with the
// commands a launcher-style app has (migrate, configure, a worker), each
// printing what it did so the journal shows it.
//
//	demo serve       HTTP on $DEMO_PORT (8080): "demo <version>: <$DEMO_GREETING>";
//	                 /healthz answers ok, /assets/ serves $DEMO_ASSETS when set;
//	                 with $DEMO_TLS_PORT also HTTPS there, with the PEM files
//	                 $DEMO_TLS_CERT and $DEMO_TLS_KEY (TLS inside the container)
//	demo worker      prints a heartbeat every $DEMO_HEARTBEAT (2s)
//	demo migrate     appends a schema line to $DEMO_DATA/schema (/data); fails when
//	                 DEMO_FAIL_MIGRATION=1
//	demo configure   writes $DEMO_DATA/configured once (idempotent)
//	demo db-migrate  creates the table /db writes to in $DISCOURSE_DB_HOST's postgres
//	                 (/db: a row to postgres and a key to redis, read back; database.go)
//	demo env-sha256 NAME   sha256 of $NAME's exact bytes (compare secrets without printing them)
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

// schemaVersion is the schema this build migrates to.
const schemaVersion = 2

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: demo serve|worker|migrate|configure|env-sha256 NAME|version")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(ctx, getenv("DEMO_PORT", "8080"))
	case "worker":
		err = worker(ctx)
	case "migrate":
		err = migrate(dataDir(), os.Getenv("DEMO_FAIL_MIGRATION") == "1", time.Now())
	case "configure":
		err = configure(dataDir())
	case "db-migrate":
		err = databaseMigrate()
	case "env-sha256":
		if len(os.Args) != 3 {
			err = errors.New("usage: demo env-sha256 NAME")
			break
		}
		v, ok := os.LookupEnv(os.Args[2])
		if !ok {
			err = fmt.Errorf("%s is not set", os.Args[2])
			break
		}
		sum := sha256.Sum256([]byte(v))
		fmt.Println(hex.EncodeToString(sum[:]))
	case "version":
		fmt.Println(version)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo %s: ERROR: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func dataDir() string { return getenv("DEMO_DATA", "/data") }

func greeting() string { return getenv("DEMO_GREETING", "hello") }

func serve(ctx context.Context, port string) error {
	// DEMO_BOOT_DELAY (a duration): how long the app takes to boot before it
	// listens, like a real Rails app loading; deploy scenarios time deploys by it.
	if d, err := time.ParseDuration(os.Getenv("DEMO_BOOT_DELAY")); err == nil && d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "demo %s: %s\n", version, greeting())
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	// Fingerprinted assets from $DEMO_ASSETS (deploy scenarios: each version has its own).
	if dir := os.Getenv("DEMO_ASSETS"); dir != "" {
		mux.Handle("/assets/", http.StripPrefix("/assets/", http.FileServer(http.Dir(dir))))
	}
	mux.HandleFunc("/db", handleDatabase)
	mux.HandleFunc("/schema", func(w http.ResponseWriter, r *http.Request) {
		data, err := os.ReadFile(filepath.Join(dataDir(), "schema"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write(data)
	})
	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Printf("demo serve: version %s listening on :%s\n", version, port)
	servers := []*http.Server{srv}
	if tlsPort := os.Getenv("DEMO_TLS_PORT"); tlsPort != "" {
		tsrv := &http.Server{Addr: ":" + tlsPort, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { errc <- tsrv.ListenAndServeTLS(os.Getenv("DEMO_TLS_CERT"), os.Getenv("DEMO_TLS_KEY")) }()
		fmt.Printf("demo serve: HTTPS on :%s\n", tlsPort)
		servers = append(servers, tsrv)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		fmt.Println("demo serve: stopping")
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		for _, s := range servers {
			if err := s.Shutdown(sctx); err != nil {
				return err
			}
		}
		return nil
	}
}

func worker(ctx context.Context) error {
	every, err := time.ParseDuration(getenv("DEMO_HEARTBEAT", "2s"))
	if err != nil {
		return fmt.Errorf("DEMO_HEARTBEAT: %w", err)
	}
	fmt.Printf("demo worker: version %s started\n", version)
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			fmt.Println("demo worker: stopping")
			return nil
		case <-time.After(every):
			fmt.Printf("demo worker: heartbeat %d\n", n)
		}
	}
}

// migrate appends one line per run to <dir>/schema, so every run of the
// migration is observable and earlier lines show the data survived.
func migrate(dir string, fail bool, now time.Time) error {
	if fail {
		return fmt.Errorf("migration to schema %d failed: DEMO_FAIL_MIGRATION=1 (data in %s left untouched)", schemaVersion, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	p := filepath.Join(dir, "schema")
	old, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("migrate: %w", err)
	}
	run := strings.Count(string(old), "\n") + 1
	f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	line := fmt.Sprintf("schema=%d run=%d version=%s at=%s\n", schemaVersion, run, version, now.UTC().Format(time.RFC3339Nano))
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("migrate: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	fmt.Printf("demo migrate: applied schema %d (run %d) to %s\n", schemaVersion, run, p)
	return nil
}

// configure writes its marker once; later runs only report it.
func configure(dir string) error {
	p := filepath.Join(dir, "configured")
	if data, err := os.ReadFile(p); err == nil {
		fmt.Printf("demo configure: already configured (%s)\n", strings.TrimSpace(string(data)))
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	if err := os.WriteFile(p, []byte("configured by "+version+"\n"), 0o644); err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	fmt.Printf("demo configure: configured %s\n", p)
	return nil
}
