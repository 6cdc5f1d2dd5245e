package export

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestKubePodmanEveryApp: for every corpus sample and the demo the podman
// target is one Pod (no Job, Deployment, Service or RBAC, which kube play
// cannot order or has no use for) whose init containers are migrate, then
// configure, whose containers are the running roles, with no secret in Main
// and the secret env in the Secrets file.
func TestKubePodmanEveryApp(t *testing.T) {
	for _, ta := range testApps(t) {
		t.Run(ta.name, func(t *testing.T) {
			app := ta.app
			exp, err := Kube(app, KubeOptions{Image: "localhost/quadlaunch/" + app.Name + ":current", Target: KubeTargetPodman})
			if err != nil {
				t.Fatal(err)
			}
			var pods []*corev1.Pod
			for _, o := range decodeKube(t, exp.Main) {
				switch o := o.(type) {
				case *corev1.Pod:
					pods = append(pods, o)
				case *corev1.ConfigMap, *corev1.PersistentVolumeClaim:
				default:
					t.Errorf("the podman target writes a %T", o)
				}
			}
			if len(pods) != 1 {
				t.Fatalf("%d pods, want 1", len(pods))
			}
			pod := pods[0]
			if pod.Namespace != "" || pod.Annotations[podmanInitContainerTypeKey] != "always" || pod.Spec.RestartPolicy != corev1.RestartPolicyAlways {
				t.Errorf("pod meta %+v restart %s", pod.ObjectMeta, pod.Spec.RestartPolicy)
			}
			var inits, roles []string
			for _, c := range pod.Spec.InitContainers {
				inits = append(inits, c.Name)
			}
			for _, c := range pod.Spec.Containers {
				roles = append(roles, c.Name)
			}
			if !slices.Equal(inits, []string{"migrate", "configure"}) {
				t.Errorf("init containers %v, want migrate then configure", inits)
			}
			var want []string
			for _, r := range app.RunningRoles() {
				want = append(want, dnsLabel(r.Name))
			}
			if !slices.Equal(roles, want) {
				t.Errorf("containers %v, want the running roles %v", roles, want)
			}
			assertNoSecretIn(t, app, exp.Main)
			if len(exp.Secrets) == 0 || !strings.Contains(string(exp.Secrets), "kind: Secret") {
				t.Errorf("no Secret in the Secrets file:\n%s", exp.Secrets)
			}
			if !strings.Contains(string(exp.Main), "podman kube play") {
				t.Error("Main does not say how to play it")
			}
		})
	}
}

// TestKubePodmanDemo: what kube play needs of the demo beyond the shape:
// published ports as hostPorts (exposed-only ones warned), args verbatim
// (Podman does not expand $(VAR)), probes on the primary role only, the
// volumes mounted in every container.
func TestKubePodmanDemo(t *testing.T) {
	app, path := loadDemo(t)
	exp, err := Kube(app, KubeOptions{Target: KubeTargetPodman})
	if err != nil {
		t.Fatal(err)
	}
	var pod *corev1.Pod
	for _, o := range decodeKube(t, exp.Main) {
		if p, ok := o.(*corev1.Pod); ok {
			pod = p
		}
	}
	if pod == nil || pod.Name != "demo" {
		t.Fatalf("no pod demo in\n%s", exp.Main)
	}
	web, worker := pod.Spec.Containers[0], pod.Spec.Containers[1]
	if web.Image != "localhost/quadlaunch/demo:current" {
		t.Errorf("image %q", web.Image)
	}
	var ports []string
	for _, p := range web.Ports {
		ports = append(ports, fmt.Sprintf("%s:%d:%d/%s", p.HostIP, p.HostPort, p.ContainerPort, p.Protocol))
	}
	if !slices.Equal(ports, []string{":8080:8080/TCP", "127.0.0.1:9090:9090/UDP"}) {
		t.Errorf("ports %v", ports)
	}
	if len(worker.Ports) != 0 || worker.LivenessProbe != nil || web.LivenessProbe == nil || web.StartupProbe == nil {
		t.Errorf("ports or probes on the wrong container: web %+v worker %+v", web, worker)
	}
	if !slices.Equal(worker.Args, []string{"/usr/bin/demo", "worker", "--say=$HOME"}) {
		t.Errorf("worker args %q: Podman takes them verbatim", worker.Args)
	}
	if got := pod.Spec.InitContainers[0].Args; !slices.Equal(got, []string{"/usr/bin/demo", "migrate"}) {
		t.Errorf("migrate args %q", got)
	}
	for _, c := range append(pod.Spec.InitContainers, pod.Spec.Containers...) {
		var mounts []string
		for _, m := range c.VolumeMounts {
			mounts = append(mounts, m.Name+":"+m.MountPath)
		}
		if !slices.Contains(mounts, "demo-demo-data:/data") || len(c.EnvFrom) != 2 {
			t.Errorf("container %s: mounts %v envFrom %+v", c.Name, mounts, c.EnvFrom)
		}
	}
	var uploads *corev1.Volume
	for i, v := range pod.Spec.Volumes {
		if v.Name == "demo-host-srv-demo-uploads" {
			uploads = &pod.Spec.Volumes[i]
		}
	}
	if uploads == nil || uploads.HostPath == nil || uploads.HostPath.Path != "/srv/demo/uploads" {
		t.Errorf("the bind mount is not the same host directory: %+v", uploads)
	}
	warned := strings.Join(exp.Warnings, "\n")
	if strings.Contains(warned, "bind mount") {
		t.Errorf("on one host a bind mount carries over, yet warned:\n%s", warned)
	}
	for _, want := range []string{
		fmt.Sprintf("%s:%d: expose[2]: port 9100 is exposed only", path, lineOf(t, demoConfig, `"9100"`)),
		"links[0]: link to app data",
		"podman_args:",
		"push it to a registry the other host pulls from",
	} {
		if !strings.Contains(warned, want) {
			t.Errorf("no warning %q in\n%s", want, warned)
		}
	}
}

// TestKubePodmanRefusesClusterOptions: a namespace or replicas would be
// silently meaningless under kube play: refused, as is an unknown target.
func TestKubePodmanRefusesClusterOptions(t *testing.T) {
	app, _ := loadDemo(t)
	for _, o := range []KubeOptions{
		{Target: KubeTargetPodman, Namespace: "shop"},
		{Target: KubeTargetPodman, Replicas: 3},
		{Target: "nomad"},
	} {
		if _, err := Kube(app, o); err == nil {
			t.Errorf("%+v: no error", o)
		} else {
			t.Logf("%+v: %v", o, err)
		}
	}
}
