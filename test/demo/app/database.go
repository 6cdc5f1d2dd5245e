package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	_ "github.com/lib/pq" // PostgreSQL driver: the web_only-like app talks to the data app's postgres
)

// The web_only-like side of the e2e `discourse` group: with DISCOURSE_DB_HOST
// set, /db writes a row to PostgreSQL and a key to Redis (both in the data
// app's container, reached through its link alias) and answers with what it
// read back; `demo db-migrate` creates the table.

// databaseURL is Discourse's env for its database, as a libpq URL.
func databaseURL() string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(getenv("DISCOURSE_DB_USERNAME", "discourse"), os.Getenv("DISCOURSE_DB_PASSWORD")),
		Host:     getenv("DISCOURSE_DB_HOST", "localhost") + ":" + getenv("DISCOURSE_DB_PORT", "5432"),
		Path:     getenv("DISCOURSE_DB_NAME", "discourse"),
		RawQuery: "sslmode=disable&connect_timeout=5",
	}
	return u.String()
}

func openDatabase() (*sql.DB, error) {
	db, err := sql.Open("postgres", databaseURL())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2)
	return db, nil
}

// databaseMigrate creates the table /db writes to.
func databaseMigrate() error {
	db, err := openDatabase()
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS quadlaunch_rows (id serial PRIMARY KEY, note text NOT NULL, at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	fmt.Println("demo db-migrate: table quadlaunch_rows ready")
	return nil
}

// handleDatabase writes one row and one Redis key and reports both read back:
// "db rows=N last=NOTE redis=VALUE".
func handleDatabase(w http.ResponseWriter, r *http.Request) {
	note := r.URL.Query().Get("note")
	if note == "" {
		note = "request at " + time.Now().UTC().Format(time.RFC3339Nano)
	}
	db, err := openDatabase()
	if err != nil {
		http.Error(w, "db: "+err.Error(), http.StatusInternalServerError)
		return
	}
	defer db.Close()
	var rows int
	var last string
	if r.URL.Query().Get("write") != "0" {
		if _, err := db.Exec(`INSERT INTO quadlaunch_rows (note) VALUES ($1)`, note); err != nil {
			http.Error(w, "db: insert: "+err.Error(), http.StatusInternalServerError)
			return
		}
	}
	if err := db.QueryRow(`SELECT count(*), coalesce(max(note) FILTER (WHERE id = (SELECT max(id) FROM quadlaunch_rows)), '') FROM quadlaunch_rows`).Scan(&rows, &last); err != nil {
		http.Error(w, "db: select: "+err.Error(), http.StatusInternalServerError)
		return
	}
	redisHost := getenv("DISCOURSE_REDIS_HOST", getenv("DISCOURSE_DB_HOST", "localhost"))
	value, err := redisSetGet(redisHost+":"+getenv("DISCOURSE_REDIS_PORT", "6379"), "quadlaunch:last", note, r.URL.Query().Get("write") != "0")
	if err != nil {
		http.Error(w, "redis: "+err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "db rows=%d last=%s redis=%s\n", rows, last, value)
}

// redisSetGet sets key to value (unless !set) and reads it back over RESP. Written out here
// rather than adding a Redis client module: two commands of a line-based
// protocol, for a test app.
func redisSetGet(addr, key, value string, set bool) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	rd := bufio.NewReader(c)
	if set {
		if _, err := redisCommand(c, rd, "SET", key, value); err != nil {
			return "", err
		}
	}
	return redisCommand(c, rd, "GET", key)
}

func redisCommand(c net.Conn, rd *bufio.Reader, args ...string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	line, err := rd.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	switch {
	case strings.HasPrefix(line, "+"):
		return line[1:], nil
	case strings.HasPrefix(line, "-"):
		return "", fmt.Errorf("%s: %s", args[0], line[1:])
	case strings.HasPrefix(line, "$"):
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", fmt.Errorf("%s: bad reply %q", args[0], line)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("%s: unexpected reply %q", args[0], line)
}
