package generator

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Operator keys (issue #18): notify, timers. Our own keys, so a key this table does
// not know is an error, not a warning (a typo in who gets paged must not
// pass silently).

// NotifyEvents are the events a notify command hears, in the order they
// are documented.
var NotifyEvents = []string{"deploy-succeeded", "deploy-failed", "rollback", "rollback-failed", "unit-failed"}

// Notify is the app's `notify:`: a host command run on each event it is
// subscribed to, with the event in QUADLAUNCH_* env.
type Notify struct {
	Command DeployHook // runs like a deploy hook: on the host, in the config root
	Events  []string   // subscribed events (default: every one of NotifyEvents)
	Pos     Pos
}

// mergeOperator applies one layer's operator keys: the later layer's
// notify: and timers: replace a template's (null turns them off).
func mergeOperator(app *App, l *layer) {
	if l.notifySet {
		app.Notify = l.notify
	}
	if l.timersSet {
		app.Timers = l.timers
	}
	if l.imageSet {
		app.Image = l.image
	}
	if l.autoUpdateSet {
		app.AutoUpdate = l.autoUpdate
	}
}

// Wants reports whether n is subscribed to event.
func (n *Notify) Wants(event string) bool { return n != nil && slices.Contains(n.Events, event) }

// decodeNotify reads `notify: COMMAND` or `notify: {command: ..., on: [...]}`.
func decodeNotify(d *doc, l *layer, p pair) error {
	if isNull(p.value) {
		l.notify, l.notifySet = nil, true
		return nil
	}
	n := &Notify{Pos: posOf(d.file, p.keyN), Events: slices.Clone(NotifyEvents)}
	cmdNode := p.value
	if p.value.Kind == yaml.MappingNode {
		f, err := d.strictFields(p.value, p.key, "command", "on")
		if err != nil {
			return err
		}
		if cmdNode = f["command"]; cmdNode == nil {
			return errAt(d.file, p.value, p.key+".command", "required: the host command to run")
		}
		if on := f["on"]; on != nil {
			events, _, err := d.strList(on, p.key+".on")
			if err != nil {
				return err
			}
			for _, e := range events {
				if !slices.Contains(NotifyEvents, e) {
					return errAt(d.file, on, p.key+".on", "unknown event %q (known: %s)", e, strings.Join(NotifyEvents, ", "))
				}
			}
			n.Events = events
		}
	}
	args, isList, err := d.strList(cmdNode, p.key+".command")
	if err != nil {
		return err
	}
	switch {
	case isList && len(args) == 0, !isList && strings.TrimSpace(args[0]) == "":
		return errAt(d.file, cmdNode, p.key+".command", "empty command")
	case isList:
		n.Command.Args = args
	default:
		n.Command.Shell = args[0]
	}
	for _, a := range append(n.Command.Args, n.Command.Shell) {
		if strings.ContainsRune(a, 0) {
			return errAt(d.file, cmdNode, p.key+".command", "NUL byte in command")
		}
	}
	n.Command.Pos = posOf(d.file, cmdNode)
	l.notify, l.notifySet = n, true
	return nil
}

// strictFields is fields for our own keys: an unknown key is an error
// naming it.
func (d *doc) strictFields(n *yaml.Node, key string, known ...string) (map[string]*yaml.Node, error) {
	ps, err := d.pairs(n, key)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*yaml.Node, len(ps))
	for _, p := range ps {
		if !slices.Contains(known, p.key) {
			return nil, errAt(d.file, p.keyN, joinKey(key, p.key), "unknown key (known: %s)", strings.Join(known, ", "))
		}
		if !isNull(p.value) {
			m[p.key] = p.value
		}
	}
	return m, nil
}

// Timer is one of `timers:`: a command run on a systemd calendar schedule in
// a one-off container of current, with the app's env, volumes and network.
type Timer struct {
	Name        string
	Schedule    string // an OnCalendar= expression (units checks it as systemd-analyze does)
	Command     Command
	Persistent  bool // Persistent=: a run missed while the host was off happens at boot
	Pos         Pos  // where the timer was named
	SchedulePos Pos
}

// decodeTimers reads `timers: {NAME: {schedule: ..., command: ..., persistent: true}}`.
func decodeTimers(d *doc, l *layer, p pair) error {
	l.timersSet = true
	l.timers = nil
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
			return errAt(d.file, q.keyN, key, "%v", strings.Replace(err.Error(), "role name", "timer name", 1))
		}
		f, err := d.strictFields(q.value, key, "schedule", "command", "persistent")
		if err != nil {
			return err
		}
		t := Timer{Name: q.key, Pos: posOf(d.file, q.keyN), Persistent: true}
		n := f["schedule"]
		if n == nil {
			return errAt(d.file, q.value, key+".schedule", "required: an OnCalendar expression (systemd.time(7)), e.g. \"*-*-* 03:00:00\" or daily")
		}
		if t.Schedule, err = d.scalar(n, key+".schedule"); err != nil {
			return err
		}
		if strings.TrimSpace(t.Schedule) == "" || strings.ContainsAny(t.Schedule, "\n%") {
			return errAt(d.file, n, key+".schedule", "not an OnCalendar expression: %q", t.Schedule)
		}
		t.SchedulePos = posOf(d.file, n)
		c := f["command"]
		if c == nil {
			return errAt(d.file, q.value, key+".command", "required: the command to run in a one-off container of current")
		}
		args, err := d.command(c, key+".command")
		if err != nil {
			return err
		}
		t.Command = Command{Args: args, Pos: posOf(d.file, c)}
		if b := f["persistent"]; b != nil {
			if t.Persistent, err = d.boolean(b, key+".persistent"); err != nil {
				return err
			}
		}
		l.timers = append(l.timers, t)
	}
	return nil
}
