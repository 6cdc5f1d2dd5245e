package units

import "github.com/quadlaunch/quadlaunch/generator"

// Canary secrets: one multi-line, one with every character the env file escapes.
const (
	canaryMultiline = "-----BEGIN KEY-----\nQ0FOQVJZ 1\n  indented \"quoted\" line\n-----END KEY-----\n"
	canaryQuoted    = `CANARY2"$%\` + "`" + `$HOME ${X} %n end`
)

// discourseApp is a web app with the template-ish features: roles, a migrate
// command, a healthcheck, named and bind volumes, every expose form, labels,
// links to a second app, and env with secrets and podman-affecting names.
func discourseApp() *generator.App {
	cfg := "/etc/quadlaunch/containers/discourse.yml"
	return &generator.App{
		Name:        "discourse",
		ConfigPath:  cfg,
		BootCommand: "/sbin/boot",
		Env: []generator.EnvVar{
			{Name: "DISCOURSE_DB_PASSWORD", Value: canaryQuoted, Secret: true},
			{Name: "DISCOURSE_HOSTNAME", Value: "forum.example.com"},
			{Name: "DISCOURSE_SMTP_KEY", Value: canaryMultiline, Secret: true},
			{Name: "LANG", Value: "en_US.UTF-8"},
			{Name: "TZ", Value: "Europe/Berlin"},
			{Name: "UNICORN_WORKERS", Value: "4"},
		},
		Secrets: []string{"DISCOURSE_DB_PASSWORD", "DISCOURSE_SMTP_KEY"},
		Labels: []generator.Label{
			{Name: "app_name", Value: "discourse"},
			{Name: "note", Value: "100% \"fun\" $HOME\nsecond line \\ done"},
		},
		Expose: []generator.Port{
			{HostPort: "80", Container: "80"},
			{HostIP: "127.0.0.1", HostPort: "2222", Container: "22"},
			{HostIP: "::1", HostPort: "8443", Container: "443"},
			{HostPort: "5353", Container: "53", Proto: "udp"},
			{Container: "90"},
		},
		Volumes: []generator.Volume{
			{Host: "/var/discourse/shared/standalone", Guest: "/shared"},
			{Host: "/var/discourse/shared/standalone/log/var-log", Guest: "/var/log"},
			{Host: "/srv/uploads/100%-$HOME", Guest: "/my uploads/50% \"q\" \\x", Options: "ro"},
			{Host: "cache", Guest: "/var/cache/app", Options: "Z"},
		},
		Links:      []generator.Link{{Name: "data", Alias: "db"}, {Name: "redis", Alias: "redis"}},
		DockerArgs: "--shm-size 512m  --cap-add NET_ADMIN",
		PodmanArgs: []string{"--memory", "2g"},
		Roles: []generator.Role{
			{Name: "web", Primary: true},
			{Name: "sidekiq", Command: []string{"/bin/sh", "-c", "cd /var/www/discourse && exec bundle exec sidekiq -q \"default\" 50% $JOBS"}},
		},
		Migrate:   &generator.Command{Args: []string{"/usr/local/bin/rake", "db:migrate"}},
		Configure: &generator.Command{Args: []string{"sh", "-c", "rake assets:precompile && echo 'done: 100%'"}},
		Healthcheck: &generator.Healthcheck{
			Cmd: []string{"curl", "-fsS", "http://localhost/srv/status"}, Interval: "30s", Timeout: "5s",
			Retries: 3, StartPeriod: "10min",
		},
		ReadOnly: false,
	}
}

// dataApp is a launcher-style app (no migrate/configure command, no roles):
// the linked database.
func dataApp() *generator.App {
	return &generator.App{
		Name:       "data",
		ConfigPath: "/etc/quadlaunch/containers/data.yml",
		Env: []generator.EnvVar{
			{Name: "DB_PASSWORD", Value: canaryQuoted, Secret: true},
			{Name: "LANG", Value: "en_US.UTF-8"},
		},
		Expose:  []generator.Port{{HostIP: "127.0.0.1", HostPort: "5432", Container: "5432"}},
		Volumes: []generator.Volume{{Host: "/var/discourse/shared/data", Guest: "/shared"}},
	}
}

// minimalApp has nothing but a name: every default applies.
func minimalApp(name string) *generator.App {
	return &generator.App{Name: name, ConfigPath: "/etc/quadlaunch/containers/" + name + ".yml"}
}
