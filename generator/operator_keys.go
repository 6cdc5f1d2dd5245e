package generator

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Operator keys (issue #18): notify. Our own keys, so a key this table does
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
