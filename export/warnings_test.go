package export

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/quadlaunch/quadlaunch/generator"
)

// TestWarningsNameFileLineAndKey: what has no equivalent is a warning
// naming the config file:line and the key, in both formats.
func TestWarningsNameFileLineAndKey(t *testing.T) {
	app, path := loadDemo(t)
	// The loader places a list entry at its "- volume:" / "- link:" line,
	// the one before its first key.
	bind := fmt.Sprintf("%s:%d: volumes[1]: bind mount /srv/demo/uploads:/uploads", path, lineOf(t, demoConfig, "host: /srv/demo/uploads")-1)
	link := fmt.Sprintf("%s:%d: links[0]: link to app data", path, lineOf(t, demoConfig, "name: data")-1)
	podmanArgs := fmt.Sprintf("%s:%d: podman_args:", path, lineOf(t, demoConfig, "podman_args:"))

	kube, err := Kube(app, KubeOptions{Image: "x"})
	if err != nil {
		t.Fatal(err)
	}
	compose, err := Compose(app, ComposeOptions{Image: "x"})
	if err != nil {
		t.Fatal(err)
	}
	for format, warnings := range map[string][]string{"kube": kube.Warnings, "compose": compose.Warnings} {
		for _, want := range []string{bind, link, podmanArgs} {
			if !slices.ContainsFunc(warnings, func(w string) bool { return strings.HasPrefix(w, want) }) {
				t.Errorf("%s: no warning %q in\n%s", format, want, strings.Join(warnings, "\n"))
			}
		}
	}
	if !slices.ContainsFunc(kube.Warnings, func(w string) bool {
		return strings.Contains(w, "labels.description: value is not a valid Kubernetes label value")
	}) {
		t.Errorf("kube: no warning for the label kept as an annotation:\n%s", strings.Join(kube.Warnings, "\n"))
	}
}

// TestKubeDefaultImageWarns: the local image cannot be pulled by a cluster.
func TestKubeDefaultImageWarns(t *testing.T) {
	app, _ := loadDemo(t)
	exp, err := Kube(app, KubeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(exp.Main), "image: localhost/quadlaunch/demo:current") {
		t.Error("the default image is not the local current image")
	}
	if !slices.ContainsFunc(exp.Warnings, func(w string) bool { return strings.Contains(w, ": image: localhost/quadlaunch/demo:current") }) {
		t.Errorf("no warning about the local image: %q", exp.Warnings)
	}
}

// TestKubeSanitizesNames: an app name with '_' and '.' (valid for
// quadlaunch, not for Kubernetes) gives DNS-1123 names and a warning.
func TestKubeSanitizesNames(t *testing.T) {
	root := corpusDir(t)
	data := []byte("templates:\n  - templates/redis.template.yml\nroles:\n  web: /sbin/boot\n  bg_jobs: [sidekiq]\nlabels:\n  \"bad key!\": v\n")
	app, err := generator.LoadAppBytes(root, root+"/samples/my_app.v2.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := Kube(app, KubeOptions{Image: "x", Namespace: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range decodeKube(t, exp.Main) {
		m := o.(interface {
			GetName() string
			GetNamespace() string
		})
		if m.GetNamespace() != "prod" {
			t.Errorf("%s in namespace %q", m.GetName(), m.GetNamespace())
		}
		if len(validationIsDNS1123Label(m.GetName())) > 0 {
			t.Errorf("name %q is not a DNS-1123 label", m.GetName())
		}
		names = append(names, m.GetName())
		if j, ok := o.(*batchv1.Job); ok && j.Name == "my-app-v2-migrate" {
			if c := j.Spec.Template.Spec.Containers[0]; c.Args[0] != "sh" {
				t.Errorf("launcher-style migrate runs %q", c.Args)
			}
		}
	}
	for _, want := range []string{"my-app-v2-web", "my-app-v2-bg-jobs", "my-app-v2-migrate"} {
		if !slices.Contains(names, want) {
			t.Errorf("no object %s in %v", want, names)
		}
	}
	for _, want := range []string{`app name "my_app.v2" is not a DNS-1123 label`, `roles.bg_jobs: role name "bg_jobs"`, `labels.bad key!: not a valid`, "migrate: launcher-style"} {
		if !slices.ContainsFunc(exp.Warnings, func(w string) bool { return strings.Contains(w, want) }) {
			t.Errorf("no warning %q in\n%s", want, strings.Join(exp.Warnings, "\n"))
		}
	}
}

func TestDNSLabel(t *testing.T) {
	long := strings.Repeat("a", 70)
	for in, want := range map[string]string{
		"web":        "web",
		"My_App.v2":  "my-app-v2",
		"__x__":      "x",
		"-":          "x-" + shortHash("-"),
		long:         strings.Repeat("a", 54) + "-" + shortHash(long),
		long + "b":   strings.Repeat("a", 54) + "-" + shortHash(long+"b"),
		"1-starts":   "1-starts",
		"ends-dash-": "ends-dash",
	} {
		got := dnsLabel(in)
		if got != want || len(validationIsDNS1123Label(got)) > 0 {
			t.Errorf("dnsLabel(%q) = %q, want %q", in, got, want)
		}
	}
	if serviceName("1app") != "app-1app" || serviceName("web") != "web" {
		t.Errorf("serviceName: %q %q", serviceName("1app"), serviceName("web"))
	}
}

// TestKubeSecretNotUTF8: a value YAML cannot carry byte-exact goes base64.
func TestKubeSecretNotUTF8(t *testing.T) {
	app, _ := loadDemo(t)
	app.Env = append(app.Env, generator.EnvVar{Name: "BINARY_SECRET", Value: "qlcanary\xff\xfe", Secret: true})
	exp, err := Kube(app, KubeOptions{Image: "x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range decodeKube(t, exp.Secrets) {
		if s, ok := o.(*corev1.Secret); ok && string(s.Data["BINARY_SECRET"]) == "qlcanary\xff\xfe" {
			return
		}
	}
	t.Errorf("the non-UTF-8 secret is not in Secrets byte-exact:\n%s", exp.Secrets)
}
