package generator

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/quadlaunch/quadlaunch/pups/rubyregexp"
)

// checkStepValues refuses, when a config loads, what pups would only fail on
// when it reaches the step: a replace `from` that is not a usable regex
// literal (pups evaluates every `from` starting with / as Ruby code), a `to`
// starting with / (pups evaluates it too, and a Regexp is no replacement),
// and a stop signal no shell `kill` knows. The runtime compiles the same
// pattern with the same code (pups), so what loads also runs.
// Compiled patterns are cached by text, so the generator pays once per
// distinct pattern at boot, not once per app.
func (d *doc) checkStepValues(f map[string]*yaml.Node, key string, s Step) error {
	switch s.Kind {
	case StepReplace:
		if rubyregexp.IsLiteral(s.From) {
			if err := rubyregexp.Check(s.From); err != nil {
				return errAt(d.file, f["from"], key+".from", "%v", err)
			}
		}
		if strings.HasPrefix(s.To, "/") {
			return errAt(d.file, f["to"], key+".to", "pups evaluates a value starting with / as a Ruby regex literal, which cannot be a replacement (it fails at this step); quote it differently, e.g. start with the text before the slash")
		}
	case StepExec:
		if s.StopSignal != "" && !knownSignals[strings.TrimPrefix(strings.ToUpper(s.StopSignal), "SIG")] {
			return errAt(d.file, f["stop_signal"], key+".stop_signal", "unknown signal %q (want a name such as TERM, INT, QUIT, HUP, USR1)", s.StopSignal)
		}
	}
	return nil
}

// knownSignals are the names pups' Process.kill and a POSIX `kill -s` share.
var knownSignals = map[string]bool{
	"HUP": true, "INT": true, "QUIT": true, "KILL": true, "USR1": true, "USR2": true,
	"TERM": true, "ALRM": true, "CONT": true, "STOP": true, "WINCH": true, "ABRT": true,
}
