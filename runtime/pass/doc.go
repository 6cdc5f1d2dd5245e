// Package pass plans the three passes of launcher2 over an app's pups steps
// (build, migrate, configure) without touching Podman: which steps run after
// tag filtering, hook injection and $param substitution (PlanPhase), with
// which env (FullEnv, PublicEnv), which values go to Podman as secrets rather
// than env (SplitEnv), and the keys that make layer caching and "already
// configured" decisions (CacheKey, FinalKey, ConfigureKey, ConfigDigest).
// A plan that would write a secret into a layer is refused here, before any
// container exists.
//
// It is pure: it imports generator, units and pups (the step semantics) of
// quadlaunch, never a host package; package podman runs what it plans.
package pass
