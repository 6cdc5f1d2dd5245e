package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// systemd-nspawn 252 gives the container no /dev/kmsg, so a system generator's
// log lines (quadlaunch-generator and quadlet write to /dev/kmsg, as they
// should on a real host, where journald reads the kernel log) vanished. The
// harness binds a FIFO as /dev/kmsg and forwards each record into the
// testbed's journal (SYSLOG_IDENTIFIER=kernel, _TRANSPORT=journal), buffering
// what comes before journald runs (generators at boot).
type kmsgBridge struct {
	fifo *os.File
	done chan struct{}
}

var kmsgPrefix = regexp.MustCompile(`<(\d{1,3})>`)

// startKmsgBridge creates dir/kmsg.fifo and returns the nspawn argument binding it.
func startKmsgBridge(tb *Testbed) (*kmsgBridge, []string, error) {
	// journald would read the FIFO too (ReadKMsg=) and drop what it cannot parse as
	// kernel records: seen as generator messages missing at random.
	conf := filepath.Join(tb.merged(), "etc/systemd/journald.conf.d/50-qle2e-kmsg.conf")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(conf, []byte("[Journal]\nReadKMsg=no\n"), 0o644); err != nil {
		return nil, nil, err
	}
	p := filepath.Join(tb.Dir, "kmsg.fifo")
	os.Remove(p)
	if err := syscall.Mkfifo(p, 0o622); err != nil {
		return nil, nil, fmt.Errorf("kmsg fifo: %w", err)
	}
	// O_RDWR: opening never blocks, writers never get EPIPE, reads never see EOF.
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return nil, nil, err
	}
	b := &kmsgBridge{fifo: f, done: make(chan struct{})}
	go b.forward(tb)
	return b, []string{"--bind=" + p + ":/dev/kmsg"}, nil
}

func (b *kmsgBridge) stop() {
	b.fifo.Close()
	<-b.done
}

func (b *kmsgBridge) forward(tb *Testbed) {
	defer close(b.done)
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		buf := make([]byte, 65536)
		for {
			n, err := b.fifo.Read(buf)
			if n > 0 {
				for _, l := range splitKmsg(string(buf[:n])) {
					lines <- l
				}
			}
			if err != nil {
				return
			}
		}
	}()
	var pending []string
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				return
			}
			pending = append(pending, l)
		case <-tick.C:
		}
		if len(pending) > 0 && tb.initPID != 0 {
			pending = sendJournal(fmt.Sprintf("/proc/%d/root/run/systemd/journal/socket", tb.initPID), pending)
		}
	}
}

// splitKmsg splits what was read into records: one per line, and one per
// "<N>" priority prefix when writes ran together.
func splitKmsg(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		idx := kmsgPrefix.FindAllStringIndex(line, -1)
		if len(idx) == 0 || idx[0][0] != 0 {
			if strings.TrimSpace(line) != "" {
				out = append(out, line)
			}
			continue
		}
		for i, m := range idx {
			end := len(line)
			if i+1 < len(idx) {
				end = idx[i+1][0]
			}
			if rec := line[m[0]:end]; strings.TrimSpace(rec) != "" {
				out = append(out, rec)
			}
		}
	}
	return out
}

// sendJournal sends records over journald's native protocol and returns the
// ones it could not send yet.
func sendJournal(socket string, records []string) []string {
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		return records
	}
	defer conn.Close()
	for i, r := range records {
		prio := 6
		if m := kmsgPrefix.FindStringSubmatch(r); m != nil && strings.HasPrefix(r, m[0]) {
			if n, err := strconv.Atoi(m[1]); err == nil {
				prio = n & 7
			}
			r = r[len(m[0]):]
		}
		msg := fmt.Sprintf("SYSLOG_IDENTIFIER=kernel\nSYSLOG_FACILITY=0\nPRIORITY=%d\nQLE2E_KMSG=1\nMESSAGE=%s\n", prio, strings.ReplaceAll(r, "\n", " "))
		if _, err := conn.Write([]byte(msg)); err != nil {
			return records[i:]
		}
	}
	return nil
}
