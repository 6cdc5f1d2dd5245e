package generator

import (
	"fmt"
	"strings"
)

// A build step may use a secret only where the value reaches an exec session
// and nothing else (quadlaunch gives it as a Podman env secret of the build's
// work container; see runtime/pups.ExecArgv). A file, replace or merge
// step writes its text into the image layer, so `$$ENV_X` of a secret X there
// would put the value into the image: such a config is refused.

// BuildSecretProblems lists the build steps (those not tagged db, migrate or
// precompile, hooks included) that would write a secret env value into an
// image layer, as errors at the step's line.
func (a *App) BuildSecretProblems() []error {
	secret := map[string]bool{}
	for _, e := range a.Env {
		if e.Secret && e.Value != "" {
			secret[e.Name] = true
		}
	}
	for _, n := range a.Secrets {
		secret[n] = true
	}
	if len(secret) == 0 {
		return nil
	}
	// Expand with a marker in place of each secret value: a marker that
	// survives expansion is a value that would be written.
	names, values := a.pupsParams()
	marked := make(map[string]string, len(values))
	for k, v := range values {
		marked[k] = v
		if n, ok := strings.CutPrefix(k, "$ENV_"); ok && secret[n] {
			marked[k] = buildSecretMarker + n + buildSecretMarker
		}
	}
	var errs []error
	for _, s := range InjectHooks(FilterTags(a.Run, nil, BuildSkipTags), a.Hooks) {
		x := expandStep(s, names, marked)
		var field, text string
		switch x.Kind {
		case StepFile:
			field, text = "file.contents", x.Path+"\x00"+x.Contents
		case StepReplace:
			field, text = "replace.to", x.To
		case StepMerge:
			field, text = "merge", x.Path
		default:
			continue
		}
		_, rest, ok := strings.Cut(text, buildSecretMarker)
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, buildSecretMarker)
		errs = append(errs, &ConfigError{Diagnostic{Pos: s.Pos, Key: field, Msg: fmt.Sprintf(
			"$$ENV_%s is a secret, and this build step would write its value into the image; "+
				"use it in an exec step (it reaches the command only), or tag the step db, migrate or precompile", name)}})
	}
	return errs
}

const buildSecretMarker = "\x00quadlaunch-secret\x00"
