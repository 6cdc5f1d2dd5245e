package rollout

import "strings"

// Describe is what each step of p would do to t's units, in order, as
// `quadlaunch diff` and `deploy --dry-run` print it: "migrate (skip
// post-deployment migrations): run shop-migrate.service". hooks are the
// deploy hooks the app has ("pre-build", ...): a hook step without one does
// nothing and is left out.
func Describe(p Plan, t Target, hooks map[string]bool) []string {
	u := t.Units
	var out []string
	add := func(step Step, what string) {
		if what == "" {
			out = append(out, string(step))
			return
		}
		out = append(out, string(step)+": "+what)
	}
	for _, step := range p.Steps {
		switch step {
		case StepPreBuild, StepPreDeploy, StepPostDeploy:
			name := strings.TrimSuffix(string(step), " hook")
			if hooks[name] {
				add(step, "run deploy_hooks."+name)
			}
		case StepBuild:
			add(step, "build the image, make it current")
		case StepStopRoles:
			add(step, "stop "+strings.Join(u.Roles, " "))
		case StepMigrateSkip, StepMigrate, StepPostMigrate:
			add(step, "run "+u.Migrate)
		case StepConfigure, StepConfigureWithMigrate:
			add(step, "run "+u.Configure)
		case StepStartNew:
			add(step, "restart "+u.NextSlot+" until healthy")
		case StepReuseKept:
			add(step, u.NextSlot+" already runs it")
		case StepSwitchToNew:
			add(step, "proxy to "+u.NextSlot+", drain "+u.Primary)
		case StepMakeLive:
			add(step, u.NextSlot+" is the live slot")
		case StepRetireOld:
			if t.KeepPrevious > 0 {
				add(step, "stop "+u.Primary+" after "+t.KeepPrevious.String())
			} else {
				add(step, "stop "+u.Primary)
			}
		case StepRestartWeb:
			add(step, "restart "+u.Primary+" until healthy")
		case StepRestartOthers:
			add(step, "restart "+strings.Join(u.Others, ", then ")+", each until healthy")
		case StepStartRoles:
			add(step, "start "+strings.Join(u.Roles, " "))
		case StepRestartRoles:
			add(step, "restart "+strings.Join(u.Roles, " "))
		default:
			add(step, "")
		}
	}
	return out
}
