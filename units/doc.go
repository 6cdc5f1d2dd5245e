// Package units turns typed apps (generator.App) into unit files: Quadlet
// .container/.volume/.network files, plain systemd units, and the private env
// files holding the apps' environment. Everything here except quadlet.go and
// write.go is a pure function of its input, so the generator, `quadlaunch
// render` and the tests all see the same files.
//
// units must stay cheap to import: the generator binary imports it and has to
// start in about a millisecond, so nothing here pulls in Podman bindings.
//
// Where things are: naming.go (every name quadlaunch creates: units, files,
// containers, images), plan.go (all apps' files, next to each other),
// authority.go (who may claim which name), app.go (one app's units: roles,
// migrate, configure, target), env.go and escape.go (how env and values
// reach systemd and Podman), proxy.go (the nginx proxy in front of the
// primary role), launcher_defaults.go (what the bash launcher adds),
// version.go (keys per Quadlet version), unitfile.go (the unit file writer),
// quadlet.go and write.go (running quadlet, writing files).
package units
