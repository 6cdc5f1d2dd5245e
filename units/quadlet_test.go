package units

import (
	"strings"
	"testing"
)

func TestReadDryRun(t *testing.T) {
	long := "ExecStart=/bin/echo " + strings.Repeat("x", 100<<10) + "\n"
	out := "---a-web.service---\n[Unit]\nA=1\n\n" +
		"---/run/gen/a-data-volume.service---\n[Unit]\nB=2\n" + long + "\n" +
		"---a-migrate.service---\n# ---not a marker\n[Service]\nType=oneshot\n\n"
	got := map[string]string{}
	var order []string
	err := readDryRun(strings.NewReader(out), func(name string, service []byte) error {
		got[name] = string(service)
		order = append(order, name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"a-web.service":         "[Unit]\nA=1\n",
		"a-data-volume.service": "[Unit]\nB=2\n" + long,
		"a-migrate.service":     "# ---not a marker\n[Service]\nType=oneshot\n",
	}
	if strings.Join(order, " ") != "a-web.service a-data-volume.service a-migrate.service" {
		t.Errorf("order %v", order)
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: got %.80q, want %.80q", name, got[name], w)
		}
	}
}

func TestQuadletMessagesDropDryRunDebug(t *testing.T) {
	stderr := "quadlet-generator[12]: Loading source unit file /s/a-web.container\n" +
		"quadlet-generator[12]: Loading source drop-in file /s/a-web.container.d/x.conf\n" +
		"quadlet-generator[12]: converting \"a-web.container\": unsupported key 'Foo' in group 'Container'\n"
	got := quadletMessages(stderr)
	if got != "quadlet-generator[12]: converting \"a-web.container\": unsupported key 'Foo' in group 'Container'" {
		t.Errorf("got %q", got)
	}
	if quadletMessages("quadlet-generator[1]: Loading source unit file /x\n") != "" {
		t.Error("debug lines only should give no message")
	}
}

func TestSetSourcePath(t *testing.T) {
	svc := []byte("[Unit]\nDescription=x\nSourcePath=/run/gen/staging/a-web.container\nRequiresMountsFor=%t/containers\n\n[Service]\nExecStart=/bin/true\n")
	got := string(SetSourcePath(svc, "/etc/quadlaunch/containers/50%.yml"))
	want := "[Unit]\nDescription=x\nSourcePath=/etc/quadlaunch/containers/50%%.yml\nRequiresMountsFor=%t/containers\n\n[Service]\nExecStart=/bin/true\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if string(SetSourcePath([]byte("[Unit]\n"), "/x.yml")) != "[Unit]\n" {
		t.Error("a service without SourcePath= must stay as it is")
	}
}
