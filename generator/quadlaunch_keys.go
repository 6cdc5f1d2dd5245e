package generator

// The decoders of quadlaunch's own keys about what runs (layer.go's table
// lists every key; the deploy keys are in deploy.go): roles, healthcheck,
// read_only and podman_args.

import (
	"fmt"
	"gopkg.in/yaml.v3"
	"strings"
)

func decodeRoles(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	ps, err := d.pairs(p.value, p.key)
	if err != nil {
		return err
	}
	for _, q := range ps {
		key := joinKey(p.key, q.key)
		if err := validateRoleName(q.key); err != nil {
			return errAt(d.file, q.keyN, key, "%v", err)
		}
		r := roleEntry{name: q.key, pos: posOf(d.file, q.keyN), null: isNull(q.value)}
		switch {
		case r.null:
		case q.value.Kind == yaml.MappingNode:
			// The long form: {command: ..., healthcheck: {...}}.
			f, err := d.strictFields(q.value, key, "command", "healthcheck")
			if err != nil {
				return err
			}
			if c := f["command"]; c != nil {
				if r.args, err = d.command(c, key+".command"); err != nil {
					return err
				}
			} else {
				r.null = true
			}
			if h := f["healthcheck"]; h != nil {
				if r.health, err = d.healthLayer(l, h, h, key+".healthcheck"); err != nil {
					return err
				}
				if len(r.health.cmd) == 0 {
					return errAt(d.file, h, key+".healthcheck.cmd", "a role's healthcheck needs cmd")
				}
			}
		default:
			if r.args, err = d.command(q.value, key); err != nil {
				return err
			}
		}
		l.roles = append(l.roles, r)
	}
	return nil
}

// Healthcheck maps to Podman health checks.
type Healthcheck struct {
	Cmd         []string
	Interval    string // Go/systemd duration strings, e.g. "2s"
	Timeout     string
	Retries     int
	StartPeriod string
	Pos         Pos
}

func decodeHealthcheck(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	h, err := d.healthLayer(l, p.value, p.keyN, p.key)
	if err != nil {
		return err
	}
	l.healthcheck = h
	return nil
}

// healthLayer decodes a health check mapping (the app's healthcheck:, or a
// role's) at key.
func (d *doc) healthLayer(l *layer, n, keyN *yaml.Node, key string) (*healthLayer, error) {
	f, err := d.fields(l, n, key, "cmd", "interval", "timeout", "retries", "start_period")
	if err != nil {
		return nil, err
	}
	h := &healthLayer{pos: posOf(d.file, keyN)}
	if n := f["cmd"]; n != nil {
		if h.cmd, err = d.command(n, key+".cmd"); err != nil {
			return nil, err
		}
	}
	for _, fd := range []struct {
		name string
		dst  *optString
	}{{"interval", &h.interval}, {"timeout", &h.timeout}, {"start_period", &h.startPeriod}} {
		name, dst := fd.name, fd.dst
		n := f[name]
		if n == nil {
			continue
		}
		s, err := d.scalar(n, key+"."+name)
		if err != nil {
			return nil, err
		}
		if !durationRe.MatchString(s) {
			return nil, errAt(d.file, n, key+"."+name, "%q is not a duration like 30s, 1m30s or 500ms", s)
		}
		*dst = optString{set: true, v: s}
	}
	if n := f["retries"]; n != nil {
		s, err := d.scalar(n, key+".retries")
		if err != nil {
			return nil, err
		}
		var r int
		if _, err := fmt.Sscanf(s, "%d", &r); err != nil || fmt.Sprint(r) != s || r < 0 {
			return nil, errAt(d.file, n, key+".retries", "must be a whole number >= 0")
		}
		h.retries = &r
	}
	return h, nil
}

func decodeReadOnly(d *doc, l *layer, p pair) error { return boolKey(d, p, &l.readOnly) }

// decodeBaseImagePull is base_image_pull: true: every build pulls a newer
// base_image first (build --pull), as launcher's bootstrap does.
func decodeBaseImagePull(d *doc, l *layer, p pair) error { return boolKey(d, p, &l.baseImagePull) }

func boolKey(d *doc, p pair, dst **bool) error {
	if isNull(p.value) {
		return nil
	}
	b, err := d.boolean(p.value, p.key)
	if err != nil {
		return err
	}
	*dst = &b
	return nil
}

func decodePodmanArgs(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		return nil
	}
	args, isList, err := d.strList(p.value, p.key)
	if err != nil {
		return err
	}
	if !isList {
		if args, err = splitCommand(args[0], false); err != nil {
			return errAt(d.file, p.value, p.key, "%v", err)
		}
	}
	for _, a := range args {
		if strings.ContainsAny(a, "\n\x00") {
			return errAt(d.file, p.value, p.key, "newlines are not allowed in podman arguments")
		}
	}
	l.podmanArgs = append(l.podmanArgs, args...)
	return nil
}
