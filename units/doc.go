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
// authority.go (who may claim which name), app.go (one app's render: roles,
// the target), container_settings.go (what every container of an app shares:
// volumes, labels, links, podman arguments), role_unit.go (a role's
// .container), oneshot_units.go (migrate, configure, the Podman secrets),
// env.go and escape.go (how env and values reach systemd and Podman),
// proxy.go (the proxy's setup and names), proxy_units.go (its units and the
// second web slot), nginx_conf.go (its nginx config), front.go (the shared
// 80/443 front), certificates.go (issuance units), launcher_defaults.go (what
// the bash launcher adds), version.go (keys per Quadlet version), unitfile.go
// (the unit file writer), quadlet.go, conversion_memo.go and write.go
// (running quadlet, keeping its output, writing files).
//
// Of quadlaunch it imports generator only: the host packages under runtime/
// and the helper's preview and export sit above it (test/layers).
package units
