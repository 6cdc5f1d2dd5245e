package generator

import (
	"fmt"
	"net/netip"
	"strings"
)

// parsePort reads one launcher `expose:` entry the way docker -p/--expose
// does: "90" (exposed only), "80:80", "127.0.0.1:80:80", "[::1]:80:80",
// each optionally with "/tcp", "/udp" or "/sctp". launcher passes entries
// with a ':' to -p and bare ones to --expose.
func parsePort(s string) (Port, error) {
	var p Port
	rest := strings.TrimSpace(s)
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		p.Proto = strings.ToLower(rest[i+1:])
		rest = rest[:i]
		switch p.Proto {
		case "tcp":
			p.Proto = ""
		case "udp", "sctp":
		default:
			return p, fmt.Errorf("%q: unknown protocol %q (tcp, udp or sctp)", s, p.Proto)
		}
	}
	var parts []string
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]:")
		if end < 0 {
			return p, fmt.Errorf("%q: unterminated [IPv6] address", s)
		}
		p.HostIP = rest[1:end]
		parts = strings.Split(rest[end+2:], ":")
		if len(parts) != 2 {
			return p, fmt.Errorf("%q: want [ip]:hostport:containerport", s)
		}
	} else {
		parts = strings.Split(rest, ":")
		if len(parts) > 3 {
			// An unbracketed IPv6 address: the last two fields are the ports.
			p.HostIP = strings.Join(parts[:len(parts)-2], ":")
			parts = parts[len(parts)-2:]
		} else if len(parts) == 3 {
			p.HostIP = parts[0]
			parts = parts[1:]
		}
	}
	switch len(parts) {
	case 1:
		p.Container = parts[0]
	case 2:
		p.HostPort, p.Container = parts[0], parts[1]
		if p.HostPort == "" {
			return p, fmt.Errorf("%q: empty host port (quadlaunch publishes fixed ports only)", s)
		}
	}
	if p.HostIP != "" {
		if _, err := netip.ParseAddr(p.HostIP); err != nil {
			return p, fmt.Errorf("%q: %q is not an IP address", s, p.HostIP)
		}
	}
	for _, v := range []string{p.HostPort, p.Container} {
		if v != "" && !isPortSpec(v) {
			return p, fmt.Errorf("%q: %q is not a port or port range", s, v)
		}
	}
	if p.Container == "" {
		return p, fmt.Errorf("%q: missing container port", s)
	}
	return p, nil
}
