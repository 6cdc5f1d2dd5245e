package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/quadlaunch/quadlaunch/generator"
)

// KubeOptions are the cluster-side choices a config cannot make.
type KubeOptions struct {
	// Image every container runs. Default: the image quadlaunch built on
	// this host (localhost/quadlaunch/<app>:current), with a warning: a
	// cluster cannot pull it.
	Image string
	// Namespace of every object. Default "default": the RoleBinding that lets
	// the wait init containers read Jobs must name its ServiceAccount's
	// namespace, so the manifests cannot stay namespace-less.
	Namespace string
	// Replicas of each role's Deployment. Default 1; an app that carries its
	// own database always gets 1.
	Replicas int32
	// VolumeSize requested by each PersistentVolumeClaim. Default 10Gi.
	VolumeSize string
	// StorageClass of the claims; "" leaves the cluster's default.
	StorageClass string
	// WaitImage runs `kubectl wait` in the init containers that order the
	// roles after the Jobs. Default: Kubernetes' own kubectl image of the
	// API release the manifests are written against.
	WaitImage string
	// Target is KubeTargetCluster (default) or KubeTargetPodman: one Pod
	// for `podman kube play` on one host (kube_podman.go says why it
	// differs). Namespace, Replicas and WaitImage are the cluster's only.
	Target string
}

// Defaults of KubeOptions.
const (
	DefaultNamespace  = "default"
	DefaultVolumeSize = "10Gi"
	DefaultWaitImage  = "registry.k8s.io/kubectl:v1.37.2"
)

// Labels the export sets on every object: the recommended app labels, which
// also select each role's pods.
const (
	nameLabel      = "app.kubernetes.io/name"
	componentLabel = "app.kubernetes.io/component"
)

// kubeExporter is one Kube call's state.
type kubeExporter struct {
	*exporter
	o             KubeOptions
	image         string
	base          string            // the app's name as a DNS-1123 label
	labels        map[string]string // app labels that are valid Kubernetes labels
	annotations   map[string]string // app labels that are not
	configMap     string            // name of the plain env ConfigMap; "" without plain env
	secret        string            // name of the secret env Secret; "" without secret env
	waitAccount   string            // ServiceAccount of the pods that wait for Jobs
	waitTimeout   time.Duration
	volumes       []corev1.Volume
	mounts        []corev1.VolumeMount
	claims        []*corev1.PersistentVolumeClaim
	volumeSize    resource.Quantity
	objects       []any // Main, in apply order
	secretObjects []any // Secrets
}

// Kube exports app as Kubernetes manifests: Export.Main holds a ServiceAccount
// with its Role and RoleBinding (the wait init containers read Jobs), a
// ConfigMap of the plain env, the PersistentVolumeClaims, the migrate and
// configure Jobs, a Deployment per role and a Service for the exposed ports;
// Export.Secrets holds a Secret of the secret env. Both are multi-document
// YAML for `kubectl apply -f`.
func Kube(app *generator.App, o KubeOptions) (*Export, error) {
	x, err := newExporter(app)
	if err != nil {
		return nil, fmt.Errorf("export to Kubernetes: %w", err)
	}
	k, err := newKubeExporter(x, o)
	if err != nil {
		return nil, fmt.Errorf("export %s to Kubernetes: %w", app.Name, err)
	}
	build, header := k.build, k.header
	if k.o.Target == KubeTargetPodman {
		build, header = k.buildPodman, k.podmanHeader
	}
	if err := build(); err != nil {
		return nil, fmt.Errorf("export %s to Kubernetes: %w", app.Name, err)
	}
	main, err := documents(header(), k.objects)
	if err != nil {
		return nil, fmt.Errorf("export %s to Kubernetes: %w", app.Name, err)
	}
	var secrets []byte
	if len(k.secretObjects) > 0 {
		secrets, err = documents(commentBlock(
			fmt.Sprintf("Secret env of app %s, exported by quadlaunch from", app.Name), app.ConfigPath,
			"Keep this file mode 0600 and out of version control; apply it before the manifests.",
		), k.secretObjects)
		if err != nil {
			return nil, fmt.Errorf("export %s to Kubernetes: %w", app.Name, err)
		}
	}
	return &Export{Main: main, Secrets: secrets, Warnings: k.warnings}, nil
}

func newKubeExporter(x *exporter, o KubeOptions) (*kubeExporter, error) {
	switch o.Target {
	case "":
		o.Target = KubeTargetCluster
	case KubeTargetCluster:
	case KubeTargetPodman:
		// Podman has no namespaces and a pod no replicas: refused rather than
		// dropped, so that nobody believes they were applied.
		if o.Namespace != "" || o.Replicas > 1 || o.WaitImage != "" {
			return nil, fmt.Errorf("namespace, replicas and the wait image are a cluster's: the podman target has one pod and no namespace")
		}
	default:
		return nil, fmt.Errorf("target %q: want %s or %s", o.Target, KubeTargetCluster, KubeTargetPodman)
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if errs := validationIsDNS1123Label(o.Namespace); len(errs) > 0 {
		return nil, fmt.Errorf("namespace %q: %s", o.Namespace, errs[0])
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.VolumeSize == "" {
		o.VolumeSize = DefaultVolumeSize
	}
	size, err := resource.ParseQuantity(o.VolumeSize)
	if err != nil {
		return nil, fmt.Errorf("volume size %q: %w", o.VolumeSize, err)
	}
	if o.WaitImage == "" {
		o.WaitImage = DefaultWaitImage
	}
	timeout, err := x.app.DeployTimeoutDuration()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", x.app.PosOf("deploy_timeout"), err)
	}
	k := &kubeExporter{exporter: x, o: o, volumeSize: size, waitTimeout: timeout}
	k.base = dnsLabel(x.app.Name)
	if k.base != x.app.Name {
		x.warn(generator.Pos{File: x.app.ConfigPath}, "", "app name %q is not a DNS-1123 label: its Kubernetes objects are named after %q", x.app.Name, k.base)
	}
	if o.Target == KubeTargetPodman {
		k.o.Namespace = "" // kube play ignores it; the pod's objects are namespace-less
		k.image = x.image(o.Image, "other host")
	} else {
		k.image = x.image(o.Image, "cluster")
	}
	return k, nil
}

// build makes every object, in the order `kubectl apply` should create them:
// what the pods refer to first, the Jobs before the Deployments that wait
// for them.
func (k *kubeExporter) build() error {
	app := k.app
	k.splitLabels()
	k.unsupportedArgs("Kubernetes")
	k.linkWarnings()
	if app.Standalone() {
		k.warn(app.PosOf("templates"), "templates",
			"the app runs its own database (a postgres template or run steps tagged db): its Deployments get one replica and strategy Recreate, and the Jobs need the database the web pod runs; split it into a data app and a web_only app (as discourse_docker's samples do) before going multi-node")
	}
	k.waitAccount = k.name(k.base, "wait-for-jobs")
	k.objects = append(k.objects, k.waitRBAC()...)
	k.envObjects()
	if err := k.prepareVolumes(); err != nil {
		return err
	}
	for _, c := range k.claims {
		k.objects = append(k.objects, c)
	}
	migrate := k.job(stepMigrate, nil)
	configure := k.job(stepConfigure, []string{migrate.Name})
	k.objects = append(k.objects, migrate, configure)
	jobs := []string{migrate.Name, configure.Name}

	roleNames := map[string]string{}
	primary := app.PrimaryRole().Name
	var servicePorts []corev1.ServicePort
	for _, role := range app.RunningRoles() {
		component := dnsLabel(role.Name)
		if component != role.Name {
			k.warn(role.Pos, "roles."+role.Name, "role name %q is not a DNS-1123 label: its Deployment and container use %q", role.Name, component)
		}
		if other, taken := roleNames[component]; taken || component == stepMigrate || component == stepConfigure {
			return fmt.Errorf("%s: roles.%s: role becomes Kubernetes name %q, as does %q", role.Pos, role.Name, component, other)
		}
		roleNames[component] = role.Name
		d, ports, err := k.deployment(role, component, role.Name == primary, jobs)
		if err != nil {
			return err
		}
		servicePorts = append(servicePorts, ports...)
		k.objects = append(k.objects, d)
	}
	if len(servicePorts) > 0 {
		svc := &corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: k.meta(serviceName(k.base), ""),
			Spec: corev1.ServiceSpec{
				Type:     corev1.ServiceTypeClusterIP,
				Selector: k.selector(dnsLabel(primary)),
				Ports:    servicePorts,
			},
		}
		k.objects = append(k.objects, svc)
	}
	return nil
}

// header is the comment at the top of Main: what the manifests are and the
// choices an operator must know before applying them.
func (k *kubeExporter) header() string {
	return commentBlock(
		fmt.Sprintf("Kubernetes manifests of app %s, exported by quadlaunch from", k.app.Name), k.app.ConfigPath,
		"",
		"Secret env is not in this file: apply the Secrets file (mode 0600) first.",
		"",
		"Order: migrate and configure are Jobs, run once per release. The pods of every",
		"role (and of the configure Job) start with an init container that waits",
		"(kubectl wait --for=condition=complete) for the Jobs before them, the order",
		"quadlaunch keeps on one host. migrate is not an init container of the web",
		"Deployment on purpose: with several replicas every pod would migrate at every",
		"start (scale-up, reschedule, crash loop), several at once, and the other roles",
		"would not wait for it. The waiting needs the ServiceAccount below, which may",
		"read the namespace's Jobs.",
		"",
		"A Job's pod template cannot change: delete both Jobs before applying a new",
		"image, and keep them until the roles run (the init containers look them up).",
		"The claims are ReadWriteOnce: pods sharing one run on one node unless the",
		"storage class offers ReadWriteMany. The Service is ClusterIP: reach it from",
		"outside through an Ingress, a Gateway or type LoadBalancer.",
	)
}

// job is the Job of migrate or configure; after are the Jobs it waits for.
// A failed step is retried twice (a restarted unit on one host runs it again
// too), then the Job fails and the roles keep waiting: a half-done migration
// must not be followed by code that expects it done.
func (k *kubeExporter) job(step string, after []string) *batchv1.Job {
	args := k.oneOffCommand(step, "Job")
	spec := k.podSpec(step, args, after, corev1.RestartPolicyNever)
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: k.meta(k.name(k.base, step), step),
		Spec: batchv1.JobSpec{
			BackoffLimit: ptrTo(int32(2)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: k.podMeta(step),
				Spec:       spec,
			},
		},
	}
}

// deployment is one role's Deployment, and the Service ports of its
// container (the primary role's: it publishes the app's expose ports).
func (k *kubeExporter) deployment(role generator.Role, component string, primary bool, jobs []string) (*appsv1.Deployment, []corev1.ServicePort, error) {
	app := k.app
	// Args, not Command: a role's command replaces the image's CMD, as
	// podman run IMAGE CMD... does, and keeps the image's ENTRYPOINT.
	spec := k.podSpec(component, app.RoleCommand(role), jobs, corev1.RestartPolicyAlways)
	var servicePorts []corev1.ServicePort
	if primary {
		containerPorts, sp := k.ports()
		servicePorts = sp
		c := &spec.Containers[0]
		c.Ports = containerPorts
		live, ready, startup, err := probes(app.Healthcheck)
		if err != nil {
			return nil, nil, err
		}
		c.LivenessProbe, c.ReadinessProbe, c.StartupProbe = live, ready, startup
	}
	replicas := k.o.Replicas
	strategy := appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType}
	if app.Standalone() {
		// Two pods on one database's files corrupt it: the old pod stops
		// before the new one starts, as quadlaunch stops a standalone app.
		replicas = 1
		strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	}
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: k.meta(k.name(k.base, component), component),
		Spec: appsv1.DeploymentSpec{
			Replicas:                ptrTo(replicas),
			Selector:                &metav1.LabelSelector{MatchLabels: k.selector(component)},
			Strategy:                strategy,
			ProgressDeadlineSeconds: ptrTo(seconds(k.waitTimeout)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: k.podMeta(component),
				Spec:       spec,
			},
		},
	}
	return d, servicePorts, nil
}

// waitRBAC lets the wait init containers read the namespace's Jobs, and
// nothing else.
func (k *kubeExporter) waitRBAC() []any {
	sa := &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: k.meta(k.waitAccount, ""),
	}
	role := &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
		ObjectMeta: k.meta(k.waitAccount, ""),
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{"batch"},
			Resources: []string{"jobs"},
			Verbs:     []string{"get", "list", "watch"},
		}},
	}
	binding := &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: k.meta(k.waitAccount, ""),
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: k.waitAccount, Namespace: k.o.Namespace}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: k.waitAccount},
	}
	return []any{sa, role, binding}
}

// meta is an object's metadata: the app's labels and annotations plus the
// export's own labels (component "" for objects the whole app shares).
func (k *kubeExporter) meta(name, component string) metav1.ObjectMeta {
	labels := maps.Clone(k.labels)
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, k.selector(component))
	var annotations map[string]string
	if len(k.annotations) > 0 {
		annotations = maps.Clone(k.annotations)
	}
	return metav1.ObjectMeta{Name: name, Namespace: k.o.Namespace, Labels: labels, Annotations: annotations}
}

// podMeta is a pod template's metadata: meta without name and namespace.
func (k *kubeExporter) podMeta(component string) metav1.ObjectMeta {
	m := k.meta("", component)
	m.Namespace = ""
	return m
}

// selector are the labels that pick the pods of one role.
func (k *kubeExporter) selector(component string) map[string]string {
	s := map[string]string{nameLabel: k.base}
	if component != "" {
		s[componentLabel] = component
	}
	return s
}

// documents renders objects as one multi-document YAML stream after a
// comment header.
func documents(header string, objects []any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(header)
	for _, o := range objects {
		y, err := marshalWithoutStatus(o)
		if err != nil {
			return nil, fmt.Errorf("marshal %T: %w", o, err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return b.Bytes(), nil
}

// marshalWithoutStatus renders o as YAML without its status, which is the
// API server's to write: the empty `status: {}` of every object is noise.
func marshalWithoutStatus(o any) ([]byte, error) {
	j, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var fields map[string]any
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber() // keep integers integers
	if err := dec.Decode(&fields); err != nil {
		return nil, err
	}
	delete(fields, "status")
	return yaml.Marshal(fields)
}

func ptrTo[T any](v T) *T { return &v }
