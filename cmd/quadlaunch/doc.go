// Command quadlaunch is the helper CLI: what the systemd generator must not do
// (build images, drive units, keep versions, roll back) happens here. Each
// subcommand lives in its own file and registers itself in commands; it keeps
// its flags and makes one call: the rollouts (deploy, rebuild, bootstrap,
// rollback, build, migrate, configure) run in package runtime/rollout.
package main
