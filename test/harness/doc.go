// Command harness runs quadlaunch's end-to-end scenarios under real systemd 257
// and Podman 5.4.2: a Debian 13 rootfs booted with systemd as PID 1 under
// systemd-nspawn (see README.md for how to run it and what it needs).
//
// Adding scenarios (issues #4, #5, #6 ...): put them in a file of your own in
// this package, e.g. scenarios_cli.go, and register a group from init:
//
//	func init() {
//		register(Group{
//			Name:  "cli",        // unique; also names test/out/<group>/ and the machine
//			Order: 100,          // groups run in (Order, Name) order; the demo groups use < 100
//			Setup: func(tb *Testbed) error { return installDemo(tb, false) },
//			Scenarios: []Scenario{
//				{Name: "build then versions lists one", Run: func(tb *Testbed) error {
//					out, err := tb.Run("quadlaunch", "build", "demo")
//					...
//					return nil // or an error saying what was expected and what was seen
//				}},
//			},
//		})
//	}
//
// Each group gets one freshly booted testbed; its scenarios run in order and
// share it (a scenario may build on the previous one). A group's testbed is
// always shut down afterwards; on any failure its journal, console log and unit
// lists are saved to test/out/<group>/.
//
// What a scenario can do with *Testbed:
//
//	tb.Run(args...)            command as a transient system unit (systemd-run --pipe --wait): stdout, error
//	tb.RunUser(args...)        the same under the test user's systemd --user (user tester, uid 1000)
//	tb.Exec / tb.ExecUser      command in the testbed's namespaces, not as a unit (clients only)
//	tb.Systemctl(args...)      systemctl (stdout even on error; ExitCode(err) gives the code)
//	tb.SystemctlUser(args...)  systemctl --user as tester
//	tb.Journal(unit)           this boot's messages of a unit (-o cat); tb.JournalUser(unit)
//	tb.JournalSince(t, user, units...)  messages with timestamps, for ordering checks (assertOrder)
//	tb.WriteFile(path, content, mode), tb.WriteFileOwned(..., uid, gid), tb.ReadFile(path)
//	tb.HTTPGet(port, path)     curl http://127.0.0.1:port/path inside the testbed (private network)
//	tb.WaitFor(timeout, what, func() error)
//	tb.Reboot()                power off and boot the same overlay again
//	tb.Root()                  the testbed's / as a host path (/proc/<init>/root)
//
// Demo app helpers: installDemo(tb, rootless) copies test/demo's configs into
// /etc/quadlaunch (or ~tester/.config/quadlaunch) and builds
// localhost/quadlaunch/demo:current inside; demoEnv(repo) gives the expected env.
//
// Binaries reach the testbed through an Installer (install.go): "bind" mounts
// bin/quadlaunch at /usr/bin/quadlaunch and bin/quadlaunch-generator as the
// system generator (linked as the user generator); "deb" (install_deb.go, what
// make e2e uses) apt-installs dist/quadlaunch_*.deb from make package after boot.
package main
