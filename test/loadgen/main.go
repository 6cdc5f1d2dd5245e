// Command loadgen is the e2e deploy scenarios' loopback load generator: a few
// workers send GET requests to one URL until a stop file appears (or the
// request/time bound is hit) and it prints
//
//	deploy-load: N requests, F failed, p99 X ms
//
// Any transport error or status other than 200 counts as failed (with
// -maintenance, the maintenance page is counted apart). With -assets
// it also polls two asset URLs together and prints in how many rounds both
// answered 200 (asset bridging during a swap).
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080/", "URL to load")
	workers := flag.Int("c", 4, "concurrent clients")
	maxReq := flag.Int("n", 200000, "stop after this many requests")
	maxTime := flag.Duration("t", 5*time.Minute, "stop after this long")
	stop := flag.String("stop-file", "", "stop once this file exists")
	assets := flag.String("assets", "", "two asset URLs, comma-separated, polled together")
	out := flag.String("out", "", "also write the summary here")
	pause := flag.Duration("pause", 0, "pause between a client's requests")
	caFile := flag.String("ca", "", "PEM bundle of the roots to trust for https:// (default: the system's)")
	resolve := flag.String("resolve", "", "HOST:PORT:ADDR: connect to ADDR for HOST:PORT (like curl --resolve)")
	issuer := flag.String("expect-issuer", "", "count a response as failed unless its certificate's issuer contains this")
	http1 := flag.Bool("http1", false, "speak HTTP/1.1 over TLS too (no HTTP/2)")
	maintenance := flag.String("maintenance", "", "count a 503 with Retry-After whose page holds this text as the maintenance page, not as failed")
	flag.Parse()

	var mu sync.Mutex
	var lat []time.Duration
	var failed, offline, inMaintenance int
	var failures []string
	deadline := time.Now().Add(*maxTime)
	done := func() bool {
		if time.Now().After(deadline) {
			return true
		}
		if *stop != "" {
			if _, err := os.Stat(*stop); err == nil {
				return true
			}
		}
		mu.Lock()
		defer mu.Unlock()
		return len(lat) >= *maxReq
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{}
	if *http1 {
		transport.ForceAttemptHTTP2 = false
		transport.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			fmt.Fprintf(os.Stderr, "%s: no PEM certificate\n", *caFile)
			os.Exit(2)
		}
		transport.TLSClientConfig.RootCAs = roots
	}
	if *resolve != "" {
		f := strings.SplitN(*resolve, ":", 3)
		if len(f) != 3 {
			fmt.Fprintln(os.Stderr, "-resolve wants HOST:PORT:ADDR")
			os.Exit(2)
		}
		from, to := net.JoinHostPort(f[0], f[1]), net.JoinHostPort(f[2], f[1])
		dialer := &net.Dialer{Timeout: 5 * time.Second}
		transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == from {
				addr = to
			}
			return dialer.DialContext(ctx, network, addr)
		}
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: transport}
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done() {
				t := time.Now()
				resp, err := client.Get(*url)
				status := 0
				isOffline, isMaintenance := false, false
				if err == nil && *issuer != "" && (resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 ||
					!strings.Contains(resp.TLS.PeerCertificates[0].Issuer.String(), *issuer)) {
					resp.Body.Close()
					err = fmt.Errorf("server certificate not issued by %q", *issuer)
				}
				if err == nil {
					status = resp.StatusCode
					body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
					resp.Body.Close()
					isOffline = status == http.StatusServiceUnavailable && strings.Contains(string(body), "Back in a moment")
					isMaintenance = *maintenance != "" && status == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "" &&
						strings.Contains(string(body), *maintenance)
				}
				d := time.Since(t)
				mu.Lock()
				lat = append(lat, d)
				if isOffline {
					offline++
				}
				if isMaintenance {
					inMaintenance++
				} else if err != nil || status != http.StatusOK {
					failed++
					if len(failures) < 5 {
						failures = append(failures, fmt.Sprintf("%s: status %d err %v", t.Format("15:04:05.000"), status, err))
					}
				}
				mu.Unlock()
				time.Sleep(*pause)
			}
		}()
	}
	var rounds, both, old, new int
	if *assets != "" {
		urls := strings.SplitN(*assets, ",", 2)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done() {
				ok := [2]bool{}
				for i, u := range urls {
					if resp, err := client.Get(u); err == nil {
						ok[i] = resp.StatusCode == http.StatusOK
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}
				mu.Lock()
				rounds++
				if ok[0] {
					old++
				}
				if ok[1] {
					new++
				}
				if ok[0] && ok[1] {
					both++
				}
				mu.Unlock()
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p99 := time.Duration(0)
	if len(lat) > 0 {
		p99 = lat[(len(lat)*99)/100]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "deploy-load: %d requests, %d failed, p99 %.1f ms\n", len(lat), failed, float64(p99.Microseconds())/1000)
	if *maintenance != "" {
		fmt.Fprintf(&b, "deploy-maintenance: %d requests got the maintenance page, %d the app\n", inMaintenance, len(lat)-inMaintenance-failed)
	}
	if offline > 0 {
		fmt.Fprintf(&b, "deploy-offline: %d of the failed requests got the proxy's offline page\n", offline)
	}
	for _, f := range failures {
		fmt.Fprintf(&b, "  failed: %s\n", f)
	}
	if *assets != "" {
		fmt.Fprintf(&b, "deploy-assets: both answered 200 in %d of %d rounds (first %d, second %d)\n", both, rounds, old, new)
	}
	fmt.Print(b.String())
	if *out != "" {
		// Through a rename: the harness reads the file as soon as it exists.
		if err := writeWhole(*out, b.String()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// writeWhole writes content to path through a temporary file and a rename,
// so a reader never sees the file half written.
func writeWhole(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
