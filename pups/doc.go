// Package pups runs pups steps (exec, file, replace, merge) with pups'
// semantics against a Target: a Podman work container in quadlaunch (package
// podman, build tag remote), a directory on the host in tests (LocalTarget).
// It holds no Podman code, so the semantics are tested against the real pups
// (testdata/conformance) without a container engine.
//
// It sits beside units, above generator (whose typed steps it runs), and
// imports generator and its own rubyregexp only: it is not part of the host
// layer, so the plan (package pass) and the generator's checks reach it
// without reaching up. The Ruby-regexp translation is its own package
// (pups/rubyregexp) because the generator needs it and this package imports
// the generator.
//
// The facts come from pups' lib/pups/*.rb (exec_command.rb, file_command.rb,
// replace_command.rb, merge_command.rb, config.rb):
//
//   - exec: each command of `cmd` runs with /bin/sh -c, prefixed by
//     "cd <cd> && " when cd is set; `stdin:` is written to it and closed; a
//     failure ends the step, and with raise_on_fail: false it ends only the
//     step (the remaining commands of that step do not run) and the run goes on;
//   - background: true starts the command and goes on; at the end of the run
//     every background process still alive gets its stop_signal (default TERM),
//     then KILL after pups' 10 second wait (StopBackground);
//   - file: mkdir -p of the parent, the contents written over an existing file
//     in place (its mode and owner stay), then chmod/chown with the image's own
//     tools, whose failures pups ignores;
//   - replace: see ReplaceText; merge: see mergeYAML.
package pups
