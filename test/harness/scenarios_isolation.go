package main

import (
	"fmt"
	"strings"
	"time"
)

// The isolation group: links are scoped per app, as launcher's --link is.
// Two sites each link their own database app under the same alias,
// "database"; each site's container reaches its own database by that name,
// and cannot even resolve the other site's database container.

// isolationSites maps each site to its database app.
var isolationSites = map[string]string{"site1": "db1", "site2": "db2"}

// isolationDatabase is a database stand-in: the demo app serving a greeting
// that names it, on the container's port 8080 (not published on the host).
func isolationDatabase(name string) string {
	return fmt.Sprintf(`env:
  DEMO_PORT: "8080"
  DEMO_GREETING: I am %s
roles:
  web: /usr/bin/demo serve
migrate: [/bin/sh, -c, "exit 0"]
configure: [/bin/sh, -c, "exit 0"]
`, name)
}

// isolationSite only has to stay up so that the scenario can look around
// from inside it.
func isolationSite(db string) string {
	return fmt.Sprintf(`roles:
  web: [/bin/sleep, "100000"]
migrate: [/bin/sh, -c, "exit 0"]
configure: [/bin/sh, -c, "exit 0"]
links:
  - link: {name: %s, alias: database}
`, db)
}

func init() {
	register(Group{
		Name:  "isolation",
		Order: 160,
		Setup: func(tb *Testbed) error {
			if err := installDemo(tb, false); err != nil {
				return err
			}
			// Every app runs localhost/quadlaunch/<app>:current: the demo image under four names.
			for site, db := range isolationSites {
				for _, app := range []string{site, db} {
					if _, err := tb.Run("podman", "tag", demoImage, "localhost/quadlaunch/"+app+":current"); err != nil {
						return fmt.Errorf("tag image for %s: %w", app, err)
					}
				}
				if err := tb.WriteFile("/etc/quadlaunch/containers/"+db+".yml", isolationDatabase(db), 0o600); err != nil {
					return err
				}
				if err := tb.WriteFile("/etc/quadlaunch/containers/"+site+".yml", isolationSite(db), 0o600); err != nil {
					return err
				}
			}
			if out, err := tb.Systemctl("daemon-reload"); err != nil {
				return fmt.Errorf("daemon-reload: %v: %s", err, out)
			}
			return nil
		},
		Scenarios: []Scenario{
			{Name: "two sites linking their own database as \"database\" each reach their own", Run: scenarioLinkAliasPerApp},
		},
	})
}

func scenarioLinkAliasPerApp(tb *Testbed) error {
	if out, err := tb.Systemctl("start", "site1.target", "site2.target"); err != nil {
		return fmt.Errorf("start the sites: %v: %s", err, out)
	}
	for site, db := range isolationSites {
		// The site's web starts after its database's (Wants= + After=); the
		// database's web may take a moment to listen.
		var got string
		err := tb.WaitFor(90*time.Second, site+" reaches database", func() error {
			out, err := tb.Run("podman", "exec", site+"-web", "wget", "-qO-", "http://database:8080/")
			got = out
			if err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
			return nil
		})
		if err != nil {
			units, _ := tb.Systemctl("list-units", "--all", "site*", "db*")
			return fmt.Errorf("%s: %v\nunits:\n%s", site, err, units)
		}
		if want := "I am " + db; !strings.Contains(got, want) {
			return fmt.Errorf("%s's \"database\" answered %q, want %q: the alias resolved to another site's database", site, strings.TrimSpace(got), want)
		}
		// The other site's database is not even on this site's network.
		for _, other := range isolationSites {
			if other == db {
				continue
			}
			if out, err := tb.Run("podman", "exec", site+"-web", "wget", "-qO-", "-T", "3", "http://"+other+"-web:8080/"); err == nil {
				return fmt.Errorf("%s reached %s-web, which it does not link: %s", site, other, out)
			}
		}
	}
	// Each database answers to "database" on its linking site's network only.
	for site, db := range isolationSites {
		out, err := tb.Exec("podman", "inspect", "--format", "{{json .NetworkSettings.Networks}}", db+"-web")
		if err != nil {
			return fmt.Errorf("inspect %s-web: %v: %s", db, err, out)
		}
		if !strings.Contains(out, site+"-links") || strings.Count(out, "database") != 1 {
			return fmt.Errorf("%s-web's networks are not just %s-links with alias database: %s", db, site, out)
		}
	}
	return nil
}
