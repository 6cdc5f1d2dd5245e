package export

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// kubeKinds are the kinds the export writes, with their apiVersion and a
// value of the type each decodes into.
var kubeKinds = map[string]struct {
	apiVersion string
	newObject  func() any
}{
	"ServiceAccount":        {"v1", func() any { return &corev1.ServiceAccount{} }},
	"ConfigMap":             {"v1", func() any { return &corev1.ConfigMap{} }},
	"Pod":                   {"v1", func() any { return &corev1.Pod{} }},
	"Secret":                {"v1", func() any { return &corev1.Secret{} }},
	"PersistentVolumeClaim": {"v1", func() any { return &corev1.PersistentVolumeClaim{} }},
	"Service":               {"v1", func() any { return &corev1.Service{} }},
	"Deployment":            {"apps/v1", func() any { return &appsv1.Deployment{} }},
	"Job":                   {"batch/v1", func() any { return &batchv1.Job{} }},
	"Role":                  {"rbac.authorization.k8s.io/v1", func() any { return &rbacv1.Role{} }},
	"RoleBinding":           {"rbac.authorization.k8s.io/v1", func() any { return &rbacv1.RoleBinding{} }},
}

var documentSeparator = regexp.MustCompile(`(?m)^---$`)

// decodeKube splits a multi-document stream and decodes each document
// strictly (an unknown field fails) into the k8s.io/api type of its kind.
func decodeKube(t *testing.T, data []byte) []any {
	t.Helper()
	var objects []any
	for i, doc := range documentSeparator.Split(string(data), -1) {
		if onlyComments(doc) {
			continue
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, doc)
		}
		kind, ok := kubeKinds[head.Kind]
		if !ok {
			t.Fatalf("document %d: unexpected kind %q\n%s", i, head.Kind, doc)
		}
		if head.APIVersion != kind.apiVersion {
			t.Errorf("document %d: %s has apiVersion %q, want %q", i, head.Kind, head.APIVersion, kind.apiVersion)
		}
		obj := kind.newObject()
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("document %d (%s): strict decode: %v\n%s", i, head.Kind, err, doc)
		}
		objects = append(objects, obj)
	}
	return objects
}

func onlyComments(doc string) bool {
	for _, l := range strings.Split(doc, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

func TestKubeDecodesStrictly(t *testing.T) {
	for _, ta := range testApps(t) {
		t.Run(ta.name, func(t *testing.T) {
			app := ta.app
			exp, err := Kube(app, KubeOptions{Image: "registry.example/" + app.Name + ":1"})
			if err != nil {
				t.Fatal(err)
			}
			deployments := map[string]*appsv1.Deployment{}
			jobs := map[string]*batchv1.Job{}
			for _, o := range decodeKube(t, exp.Main) {
				switch o := o.(type) {
				case *appsv1.Deployment:
					deployments[o.Name] = o
				case *batchv1.Job:
					jobs[o.Name] = o
				case *corev1.Secret:
					t.Errorf("Secret %s in Main", o.Name)
				}
			}
			base := dnsLabel(app.Name)
			for _, step := range []string{"migrate", "configure"} {
				if jobs[base+"-"+step] == nil {
					t.Errorf("no Job %s-%s; jobs: %v", base, step, jobs)
				}
			}
			for _, role := range app.RunningRoles() {
				d := deployments[base+"-"+dnsLabel(role.Name)]
				if d == nil {
					t.Errorf("role %s has no Deployment; have %v", role.Name, deployments)
					continue
				}
				spec := d.Spec.Template.Spec
				if len(spec.Containers) != 1 || spec.Containers[0].Image != "registry.example/"+app.Name+":1" {
					t.Errorf("role %s: containers %+v", role.Name, spec.Containers)
				}
				if len(spec.InitContainers) != 1 || !slices.Contains(spec.InitContainers[0].Command, "job/"+base+"-migrate") ||
					!slices.Contains(spec.InitContainers[0].Command, "job/"+base+"-configure") {
					t.Errorf("role %s does not wait for both Jobs: %+v", role.Name, spec.InitContainers)
				}
				if !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
					t.Errorf("role %s: selector does not match its pods", role.Name)
				}
			}
			if !strings.Contains(string(exp.Main), "init container") {
				t.Error("Main has no header comment explaining the ordering")
			}

			assertNoSecretIn(t, app, exp.Main)
			stored := map[string]string{}
			for _, o := range decodeKube(t, exp.Secrets) {
				s, ok := o.(*corev1.Secret)
				if !ok {
					t.Fatalf("Secrets holds a %T", o)
				}
				for k, v := range s.StringData {
					stored[k] = v
				}
				for k, v := range s.Data {
					stored[k] = string(v)
				}
			}
			for name, v := range secretEnv(app) {
				if stored[name] != v {
					t.Errorf("secret %s: Secrets holds %q, want %q", name, stored[name], v)
				}
			}
		})
	}
}

// TestKubeDemo checks what the demo config maps to beyond the shape every
// app has: plain env, probes, ports, volumes, labels, commands.
func TestKubeDemo(t *testing.T) {
	app, _ := loadDemo(t)
	exp, err := Kube(app, KubeOptions{Image: "registry.example/demo:1", Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]any{}
	for _, o := range decodeKube(t, exp.Main) {
		byName[fmt.Sprintf("%T/%s", o, o.(interface{ GetName() string }).GetName())] = o
	}
	cm, _ := byName["*v1.ConfigMap/demo-env"].(*corev1.ConfigMap)
	if cm == nil || cm.Data["DEMO_GREETING"] != "hello from demo.yml" || cm.Data["DEMO_PRICE"] != "costs $5 or ${PRICE} or $(PRICE)" {
		t.Fatalf("ConfigMap: %+v (objects %v)", cm, slices.Sorted(maps.Keys(byName)))
	}
	web, _ := byName["*v1.Deployment/demo-web"].(*appsv1.Deployment)
	worker, _ := byName["*v1.Deployment/demo-worker"].(*appsv1.Deployment)
	if web == nil || worker == nil {
		t.Fatalf("no web or worker Deployment: %v", slices.Sorted(maps.Keys(byName)))
	}
	if *web.Spec.Replicas != 3 {
		t.Errorf("replicas %d", *web.Spec.Replicas)
	}
	c := web.Spec.Template.Spec.Containers[0]
	if !slices.Equal(c.Args, []string{"/usr/bin/demo", "serve"}) {
		t.Errorf("web args %q", c.Args)
	}
	// Kubernetes expands $(VAR) in args: every '$' is doubled.
	if got := worker.Spec.Template.Spec.Containers[0].Args; !slices.Equal(got, []string{"/usr/bin/demo", "worker", "--say=$$HOME"}) {
		t.Errorf("worker args %q", got)
	}
	if c.LivenessProbe == nil || c.ReadinessProbe == nil || c.StartupProbe == nil {
		t.Fatalf("web probes: %+v %+v %+v", c.LivenessProbe, c.ReadinessProbe, c.StartupProbe)
	}
	if p := c.LivenessProbe; !slices.Equal(p.Exec.Command, []string{"/usr/bin/demo", "health"}) || p.PeriodSeconds != 2 || p.TimeoutSeconds != 1 || p.FailureThreshold != 5 {
		t.Errorf("liveness %+v", p)
	}
	if p := c.StartupProbe; p.FailureThreshold != 30+5 {
		t.Errorf("startup probe allows %d failures, want 60s/2s + 5", p.FailureThreshold)
	}
	if worker.Spec.Template.Spec.Containers[0].LivenessProbe != nil {
		t.Error("the healthcheck is the primary role's only")
	}
	if web.Labels["app"] != "demo" || web.Annotations["description"] != "not a label value" {
		t.Errorf("labels %v annotations %v", web.Labels, web.Annotations)
	}
	var mounts []string
	for _, m := range c.VolumeMounts {
		mounts = append(mounts, m.Name+":"+m.MountPath)
	}
	for _, want := range []string{"demo-demo-data:/data", "demo-host-srv-demo-uploads:/uploads", "dshm:/dev/shm"} {
		if !slices.Contains(mounts, want) {
			t.Errorf("mount %s missing from %v", want, mounts)
		}
	}
	for _, pvc := range []string{"demo-demo-data", "demo-host-srv-demo-uploads"} {
		if byName["*v1.PersistentVolumeClaim/"+pvc] == nil {
			t.Errorf("no claim %s", pvc)
		}
	}
	svc, _ := byName["*v1.Service/demo"].(*corev1.Service)
	if svc == nil {
		t.Fatal("no Service")
	}
	var ports []string
	for _, p := range svc.Spec.Ports {
		ports = append(ports, p.Name)
	}
	if !slices.Equal(ports, []string{"tcp-8080", "udp-9090", "tcp-9100"}) {
		t.Errorf("service ports %v", ports)
	}
	if svc.Spec.Selector[componentLabel] != "web" {
		t.Errorf("service selects %v", svc.Spec.Selector)
	}
	migrate, _ := byName["*v1.Job/demo-migrate"].(*batchv1.Job)
	if migrate == nil || !slices.Equal(migrate.Spec.Template.Spec.Containers[0].Args, []string{"/usr/bin/demo", "migrate"}) || len(migrate.Spec.Template.Spec.InitContainers) != 0 {
		t.Errorf("migrate Job: %+v", migrate)
	}
}

// selects reports whether a selector's labels all hold in labels.
func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return len(selector) > 0
}
