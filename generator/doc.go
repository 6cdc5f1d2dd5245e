// Package generator discovers launcher-style container configs, loads them with
// their templates, merges them the way the bash launcher and pups do, and turns
// each into a typed App. It does no unit rendering (see package units) and must
// stay cheap: the systemd generator runs it at every boot and daemon-reload.
// Of quadlaunch it imports pups/rubyregexp only (to check replace patterns);
// everything else of ours sits above it (test/layers). The key decoders:
// layer.go (the table of every key), launcher_keys.go, quadlaunch_keys.go,
// deploy.go.
//
// Config reference (what LoadApp accepts; the README's reference follows it).
//
// Files: <root>/containers/<app>.yml|.yaml; <app> is the app name (lower
// case a-z 0-9 _ . -, starting with a letter or digit; launcher's forbidden
// characters and anything that cannot prefix a systemd unit are errors).
// Editor and package-manager leftovers (*~, .*.swp, *.dpkg-*, *.rpmnew, ...)
// and hidden files are skipped.
//
// Launcher keys:
//
//	templates     list (or one string) of files merged before the app file, in
//	              order; looked up under the root, then /usr/share/quadlaunch
//	              (where a leading "templates/" may be omitted). Not nested.
//	base_image    image the app's image is built FROM (without it: a warning; build fails)
//	boot_command  command of the web role (split like a shell, no expansion)
//	docker_args   kept verbatim (App.DockerArgs); prefer podman_args
//	params        name -> value for pups $name substitution; a mapping value is
//	              data for `merge:` steps
//	env           name -> value; values byte-exact (block scalars keep newlines),
//	              numbers/bools as written; {{config}} -> app name
//	labels        name -> value; {{config}} -> app name
//	expose        "80:80", "127.0.0.1:80:80", "[::1]:80:80", bare 90 (exposed
//	              only), each with optional /tcp, /udp, /sctp
//	volumes       - volume: {host: /abs/path or name, guest: /path[:opts]}
//	links         - link: {name: otherapp, alias: hostname}
//	hooks         before_X / after_X -> list of run steps placed around the step
//	              with `hook: X`
//	run           pups steps: exec (string, or {cmd: string|list, cd, tag, hook,
//	              background, raise_on_fail, stop_signal, stdin}), file {path,
//	              contents, chmod, chown}, replace {filename, from, to, global,
//	              direction}, merge "<file> $<param>"
//
// quadlaunch keys:
//
//	roles         name -> command (string or list); null runs the default (web:
//	              boot_command). Default: one role, web. migrate/configure are
//	              reserved names.
//	migrate       command run in a one-off container before the roles; without
//	              it, the pups steps tagged db,migrate (launcher2's migrate)
//	configure     likewise; default: the pups steps tagged db,precompile
//	healthcheck   {cmd: string|list, interval: 30s, timeout: 5s, retries: 3,
//	              start_period: 1m}
//	read_only     true: the role containers get a read-only root file system
//	podman_args   string (split like a shell) or list of extra podman arguments
//	secrets       env names whose values are secret, on top of KnownSecretEnv
//	              and names containing PASSWORD, SECRET, TOKEN, API_KEY, ...
//	proxy         true, false or {slot_ports: [P1, P2], drain_timeout: 30s}:
//	              web behind an nginx unit, deployed by slots (deploy.go)
//	asset_path    URL prefix of assets bridged between versions during a swap
//	deploy_timeout  how long a new web may take to become healthy (10m)
//	deploy_hooks  {pre-build, pre-deploy, post-deploy, post-rollback}: host
//	              commands of quadlaunch deploy (a string runs with sh -c)
//
// A string command (roles, migrate, configure, healthcheck.cmd, boot_command)
// is split like a shell would split it but nothing is expanded and no shell
// runs; shell operators ($, |, &&, ;, redirections) are an error there: write
// ["sh", "-c", "..."] to use a shell.
//
// Merge: templates in order, then the app file. Mappings merge key by key
// (later wins), lists concatenate, a null never overrides (a key that is only
// ever null is set and empty), an empty string does override. Commands are
// replaced, not concatenated. Unknown keys warn; launcher keys without effect
// here (update_pups, base_image_slim, run_image) warn as such.
//
// Limits (read.go, yamlnode.go, merge.go; each an error of the app): only
// regular files off kernel pseudo file systems, at most 1 MiB, read within
// 2 s; templates under the root or /usr/share/quadlaunch, at most 32; per
// file 20000 YAML structural characters, nesting 64, 100000 nodes and 4 MiB
// of keys and values after alias expansion; 8 MiB per app; 32 roles, 64
// volumes, 32 links, 256 expose, 2000 env, 500 labels, 500 podman_args, 2000
// run and hook steps. Names across apps are checked by package units.
package generator
