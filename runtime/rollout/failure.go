package rollout

import (
	"fmt"
	"strings"
)

// Failure is a health-gated rollout (deploy, rollback through the proxy) that
// failed at a step, with what was done about it.
type Failure struct {
	Op          Op // OpDeploy (default) or OpRollback
	Step        Step
	Err         error
	Unit        string // the unit that failed, if one did
	Journal     string // its journal excerpt
	Health      string // the new container's health check results, when health was the problem
	RolledBack  bool   // current is back where it was and the old version serves
	RollbackErr error  // the rollback itself failed (needs a human)
}

func (f *Failure) Error() string {
	var b strings.Builder
	op, undo, undone := "deploy", "ROLLBACK", "rolled back: the previous version is current and serving"
	if f.Op == OpRollback {
		op, undo, undone = "rollback", "UNDO", "undone: the version current before is current and serving"
	}
	fmt.Fprintf(&b, "%s failed at %s: %v", op, f.Step, f.Err)
	switch {
	case f.RollbackErr != nil:
		fmt.Fprintf(&b, "; %s FAILED: %v", undo, f.RollbackErr)
	case f.RolledBack:
		b.WriteString("; " + undone)
	}
	if f.Health != "" {
		fmt.Fprintf(&b, "\n%s", f.Health)
	}
	if f.Unit != "" {
		fmt.Fprintf(&b, "\n--- journal of %s (last lines) ---\n%s", f.Unit, strings.TrimRight(f.Journal, "\n"))
	}
	return b.String()
}

func (f *Failure) Unwrap() error { return f.Err }
