package export

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The targets of Kube: a Kubernetes cluster, or `podman kube play` (and
// Quadlet's .kube units) on one host.
const (
	KubeTargetCluster = "cluster"
	KubeTargetPodman  = "podman"
)

// podmanInitContainerType is Podman's pod annotation saying when init
// containers run: "always" runs them at every start of the pod, as
// quadlaunch runs A-migrate before every start of A-web; Podman's default,
// "once", would skip the migration after the pod's first start. Podman
// defines it in libpod/define, which the helper does not link for this.
const (
	podmanInitContainerTypeKey = "io.podman.annotations.init.container.type"
	podmanInitContainerAlways  = "always"
)

// Why the cluster export does not run under `podman kube play`, and what
// the podman target does instead: kube play has no Job controller and no
// ordering between the objects of a file (it starts every Job and Deployment
// at once), and the cluster export's wait init containers ask a Kubernetes
// API that is not there. One Pod whose init containers are migrate, then
// configure (Podman runs init containers one after the other and starts the
// roles only when all succeeded) keeps quadlaunch's order on one host.
//
// The price: every role is a container of that one pod, so the roles share
// its network namespace (localhost, and no two roles may listen on one port)
// and it has one replica. For more than one host, export for a cluster.

// buildPodman makes the podman target's objects: the plain env ConfigMap
// (kube play reads it from the same file), the claims (kube play makes each
// a Podman volume) and one Pod.
func (k *kubeExporter) buildPodman() error {
	app := k.app
	k.splitLabels()
	k.unsupportedArgs("Podman pod")
	k.podmanLinkWarnings()
	k.envObjects()
	if err := k.prepareVolumes(); err != nil {
		return err
	}
	for _, c := range k.claims {
		k.objects = append(k.objects, c)
	}
	names := map[string]string{stepMigrate: stepMigrate, stepConfigure: stepConfigure}
	var inits []corev1.Container
	for _, step := range []string{stepMigrate, stepConfigure} {
		inits = append(inits, k.podmanContainer(step, k.oneOffCommand(step, "init container")))
	}
	primary := app.PrimaryRole().Name
	var containers []corev1.Container
	for _, role := range app.RunningRoles() {
		name := dnsLabel(role.Name)
		if name != role.Name {
			k.warn(role.Pos, "roles."+role.Name, "role name %q is not a DNS-1123 label: its container is named %q", role.Name, name)
		}
		if other, taken := names[name]; taken {
			return fmt.Errorf("%s: roles.%s: role becomes container name %q, as does %q", role.Pos, role.Name, name, other)
		}
		names[name] = role.Name
		c := k.podmanContainer(name, app.RoleCommand(role))
		if role.Name == primary {
			c.Ports = k.podmanPorts()
			live, ready, startup, err := probes(app.Healthcheck)
			if err != nil {
				return err
			}
			c.LivenessProbe, c.ReadinessProbe, c.StartupProbe = live, ready, startup
		}
		containers = append(containers, c)
	}
	meta := k.meta(k.base, "")
	if meta.Annotations == nil {
		meta.Annotations = map[string]string{}
	}
	meta.Annotations[podmanInitContainerTypeKey] = podmanInitContainerAlways
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: meta,
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyAlways,
			TerminationGracePeriodSeconds: ptrTo(int64(launcherStopTimeout)),
			InitContainers:                inits,
			Containers:                    containers,
			Volumes:                       append([]corev1.Volume(nil), k.volumes...),
		},
	}
	k.objects = append(k.objects, pod)
	return nil
}

// podmanContainer is one container of the pod. Args go in verbatim: Podman
// does not expand $(VAR) in them as Kubernetes does, so doubling '$' (what
// the cluster target does) would change the command.
func (k *kubeExporter) podmanContainer(name string, args []string) corev1.Container {
	c := corev1.Container{
		Name:         name,
		Image:        k.image,
		Args:         args,
		EnvFrom:      k.envFrom(),
		VolumeMounts: append([]corev1.VolumeMount(nil), k.mounts...),
	}
	if k.app.ReadOnly {
		c.SecurityContext = &corev1.SecurityContext{ReadOnlyRootFilesystem: ptrTo(true)}
	}
	return c
}

// podmanPorts maps expose entries to container ports; a published one gets
// its host port (and host address), which kube play publishes as podman run
// -p does.
func (k *kubeExporter) podmanPorts() []corev1.ContainerPort {
	var ports []corev1.ContainerPort
	seen := map[string]bool{}
	for i, p := range k.app.Expose {
		key := fmt.Sprintf("expose[%d]", i)
		targets, err := portRange(p.Container)
		hosts := targets
		if err == nil && p.HostPort != "" {
			hosts, err = portRange(p.HostPort)
		}
		switch {
		case err != nil:
			k.warn(p.Pos, key, "%v: left out", err)
			continue
		case len(hosts) != len(targets):
			k.warn(p.Pos, key, "host range %s and container range %s differ in size: left out", p.HostPort, p.Container)
			continue
		}
		if p.HostPort == "" {
			k.warn(p.Pos, key, "port %s is exposed only: in the pod it is reachable from the pod's own containers (they share localhost), not from other pods; publish it (HOST:CONTAINER) to reach it from outside", p.Container)
			continue
		}
		for j, target := range targets {
			port := corev1.ContainerPort{ContainerPort: target, HostPort: hosts[j], HostIP: p.HostIP, Protocol: protocol(p.Proto)}
			id := fmt.Sprintf("%s/%s/%d", port.Protocol, port.HostIP, port.HostPort)
			if seen[id] {
				k.warn(p.Pos, key, "host port %d is published twice: left out", port.HostPort)
				continue
			}
			seen[id] = true
			ports = append(ports, port)
		}
	}
	return ports
}

// podmanLinkWarnings: a pod played alone has no links.
func (k *kubeExporter) podmanLinkWarnings() {
	for i, l := range k.app.Links {
		alias := l.Alias
		if alias == "" {
			alias = l.Name
		}
		k.warn(l.Pos, fmt.Sprintf("links[%d]", i), "link to app %s as %q has no equivalent in a pod: export %s too and play both with `podman kube play --network NET` on one Podman network, where Podman's DNS resolves the other pod's containers by name", l.Name, alias, l.Name)
	}
}

// podmanHeader is the comment at the top of the podman target's Main.
func (k *kubeExporter) podmanHeader() string {
	return commentBlock(
		fmt.Sprintf("Podman pod of app %s, exported by quadlaunch (export kube --for podman) from", k.app.Name), k.app.ConfigPath,
		"",
		"Run it on one host: podman kube play --replace the Secrets file (mode 0600) first,",
		"then this file; or name this file in a Quadlet .kube unit (Yaml=).",
		"",
		"Order: migrate and configure are the pod's init containers. Podman runs them one",
		"after the other at every start of the pod (annotation init.container.type",
		"always) and starts the roles only when both succeeded: the order quadlaunch",
		"keeps (A-migrate, A-configure, then the roles). The cluster export does not run",
		"under podman kube play: kube play has no Job controller and no ordering between",
		"objects (it starts every Job and Deployment at once), and its wait init",
		"containers ask a Kubernetes API. Every role is a container of this one pod: the",
		"roles share its localhost, ports and volumes, with one replica.",
	)
}
