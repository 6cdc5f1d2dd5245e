package export

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/api/validate/content"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/units"
)

// shmVolume is launcher's --shm-size (units.LauncherShmSize, 512m) as a
// memory-backed /dev/shm: PostgreSQL's parallel workers need more than the
// 64Mi a pod gets.
const shmVolume = "dshm"

var launcherShm = resource.MustParse("512Mi")

// podSpec is the pod of one role or Job: one container named component
// running args (nil: the image's CMD), behind an init container that waits
// for the Jobs in waitFor.
func (k *kubeExporter) podSpec(component string, args []string, waitFor []string, restart corev1.RestartPolicy) corev1.PodSpec {
	c := corev1.Container{
		Name:         component,
		Image:        k.image,
		Args:         dollarEscapedAll(args),
		EnvFrom:      k.envFrom(),
		VolumeMounts: append([]corev1.VolumeMount(nil), k.mounts...),
	}
	if k.app.ReadOnly {
		c.SecurityContext = &corev1.SecurityContext{ReadOnlyRootFilesystem: ptrTo(true)}
	}
	spec := corev1.PodSpec{
		RestartPolicy:                 restart,
		TerminationGracePeriodSeconds: ptrTo(int64(launcherStopTimeout)),
		Containers:                    []corev1.Container{c},
		Volumes:                       append([]corev1.Volume(nil), k.volumes...),
	}
	if len(waitFor) > 0 {
		spec.ServiceAccountName = k.waitAccount
		spec.InitContainers = []corev1.Container{k.waitContainer(waitFor)}
	}
	return spec
}

// waitContainer waits until every Job in jobs has completed. It fails after
// deploy_timeout; the kubelet then starts it again (a Deployment's pod) or
// the Job counts a failed attempt.
func (k *kubeExporter) waitContainer(jobs []string) corev1.Container {
	argv := []string{"kubectl", "wait", "--for=condition=complete",
		"--namespace=" + k.o.Namespace, fmt.Sprintf("--timeout=%ds", seconds(k.waitTimeout))}
	for _, j := range jobs {
		argv = append(argv, "job/"+j)
	}
	return corev1.Container{Name: "wait-for-jobs", Image: k.o.WaitImage, Command: argv}
}

// envObjects makes the ConfigMap of the plain env and the Secret of the
// secret env. Values go in whole (envFrom does no $(VAR) expansion); one that
// is not UTF-8 goes base64 (binaryData/data), since YAML strings cannot hold
// it byte-exact.
func (k *kubeExporter) envObjects() {
	plain, secret := splitEnv(k.app)
	if data, binary := k.envData(plain); len(data)+len(binary) > 0 {
		cm := &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: k.meta(k.name(k.base, "env"), ""),
			Data:       data,
			BinaryData: binary,
		}
		k.configMap = cm.Name
		k.objects = append(k.objects, cm)
	}
	if data, binary := k.envData(secret); len(data)+len(binary) > 0 {
		s := &corev1.Secret{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: k.meta(k.name(k.base, "secret-env"), ""),
			Type:       corev1.SecretTypeOpaque,
			StringData: data,
			Data:       binary,
		}
		k.secret = s.Name
		k.secretObjects = append(k.secretObjects, s)
	}
}

func (k *kubeExporter) envData(env []generator.EnvVar) (data map[string]string, binary map[string][]byte) {
	for _, e := range env {
		if errs := validation.IsConfigMapKey(e.Name); len(errs) > 0 {
			k.warn(e.Pos, "env."+e.Name, "not a valid ConfigMap or Secret key (%s): left out", errs[0])
			continue
		}
		if utf8.ValidString(e.Value) {
			if data == nil {
				data = map[string]string{}
			}
			data[e.Name] = e.Value
			continue
		}
		if binary == nil {
			binary = map[string][]byte{}
		}
		binary[e.Name] = []byte(e.Value)
	}
	return data, binary
}

func (k *kubeExporter) envFrom() []corev1.EnvFromSource {
	var from []corev1.EnvFromSource
	if k.configMap != "" {
		from = append(from, corev1.EnvFromSource{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: k.configMap}}})
	}
	if k.secret != "" {
		from = append(from, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: k.secret}}})
	}
	return from
}

// prepareVolumes turns volumes into claims and mounts. A named volume is a
// PersistentVolumeClaim; a bind mount has no portable equivalent (a hostPath
// ties every pod to one node and its files), so it becomes a claim too, with
// a warning: the data has to be copied in. For the podman target (one host)
// a bind mount stays a hostPath.
func (k *kubeExporter) prepareVolumes() error {
	byName := map[string]string{} // claim name -> the host part it stands for
	for i, v := range k.app.Volumes {
		key := fmt.Sprintf("volumes[%d]", i)
		claim := k.name(k.base, v.Host)
		hostPath := !v.Named() && k.o.Target == KubeTargetPodman
		if !v.Named() {
			claim = k.name(k.base, "host", v.Host)
			if !hostPath {
				k.warn(v.Pos, key, "bind mount %s:%s has no Kubernetes equivalent: exported as PersistentVolumeClaim %s, empty until the host directory's contents are copied in", v.Host, v.Guest, claim)
			}
		}
		if other, ok := byName[claim]; ok && other != v.Host {
			return fmt.Errorf("%s: %s: volume %q becomes claim %q, as does %q", v.Pos, key, v.Host, claim, other)
		}
		readOnly := false
		for _, opt := range strings.Split(v.Options, ",") {
			switch opt {
			case "", "rw":
			case "ro":
				readOnly = true
			default:
				k.warn(v.Pos, key, "volume option %q has no Kubernetes equivalent and is left out", opt)
			}
		}
		k.mounts = append(k.mounts, corev1.VolumeMount{Name: claim, MountPath: v.Guest, ReadOnly: readOnly})
		if _, ok := byName[claim]; ok {
			continue
		}
		byName[claim] = v.Host
		if hostPath {
			// One host: the bind mount stays one (the same directory, its data
			// kept), created when missing as docker -v and launcher do.
			k.volumes = append(k.volumes, corev1.Volume{Name: claim, VolumeSource: corev1.VolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: v.Host, Type: ptrTo(corev1.HostPathDirectoryOrCreate)}}})
			continue
		}
		k.volumes = append(k.volumes, corev1.Volume{Name: claim, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}})
		pvc := &corev1.PersistentVolumeClaim{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
			ObjectMeta: k.meta(claim, ""),
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: k.volumeSize}},
			},
		}
		if k.o.StorageClass != "" {
			pvc.Spec.StorageClassName = ptrTo(k.o.StorageClass)
		}
		k.claims = append(k.claims, pvc)
	}
	if units.ShmSizeArgs(k.app) != nil {
		k.volumes = append(k.volumes, corev1.Volume{Name: shmVolume, VolumeSource: corev1.VolumeSource{
			EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: &launcherShm}}})
		k.mounts = append(k.mounts, corev1.VolumeMount{Name: shmVolume, MountPath: "/dev/shm"})
	}
	return nil
}

// splitLabels sorts the app's labels into Kubernetes labels and, where the
// value is no valid label value, annotations.
func (k *kubeExporter) splitLabels() {
	pos := k.app.PosOf("labels")
	for _, l := range k.app.Labels {
		key := "labels." + l.Name
		switch {
		case l.Name == nameLabel || l.Name == componentLabel:
			k.warn(pos, key, "the export sets %s itself (it selects the pods): the config's value is left out", l.Name)
		case len(content.IsLabelKey(l.Name)) > 0:
			k.warn(pos, key, "not a valid Kubernetes label or annotation key (%s): left out", content.IsLabelKey(l.Name)[0])
		case len(content.IsLabelValue(l.Value)) > 0:
			k.warn(pos, key, "value is not a valid Kubernetes label value: kept as an annotation")
			if k.annotations == nil {
				k.annotations = map[string]string{}
			}
			k.annotations[l.Name] = l.Value
		default:
			if k.labels == nil {
				k.labels = map[string]string{}
			}
			k.labels[l.Name] = l.Value
		}
	}
}

// linkWarnings: a cluster has no links; an app reaches another through the
// other's Service, which the other app's export names after it.
func (k *kubeExporter) linkWarnings() {
	for i, l := range k.app.Links {
		alias := l.Alias
		if alias == "" {
			alias = l.Name
		}
		target := serviceName(dnsLabel(l.Name))
		hint := ""
		if alias != target {
			hint = fmt.Sprintf(" (add an ExternalName Service %q pointing at it for the alias)", alias)
		}
		k.warn(l.Pos, fmt.Sprintf("links[%d]", i), "link to app %s as %q has no Kubernetes equivalent: export %s too and reach it through its Service %q%s", l.Name, alias, l.Name, target, hint)
	}
}

// name joins parts into an object name that is a DNS-1123 label.
func (k *kubeExporter) name(parts ...string) string {
	return dnsLabel(strings.Join(parts, "-"))
}

// dnsLabel turns s into a DNS-1123 label (a-z, 0-9, '-', alphanumeric at
// both ends, at most 63 bytes), the strictest name rule among the objects
// the export writes. A valid s is kept; a name that had to be cut keeps a
// hash of the whole, so two long names stay two names.
func dnsLabel(s string) string {
	if len(validationIsDNS1123Label(s)) == 0 {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if out == "" || len(out) > validation.DNS1123LabelMaxLength {
		h := shortHash(s)
		out = strings.TrimRight(out[:min(len(out), validation.DNS1123LabelMaxLength-len(h)-1)], "-")
		if out == "" {
			return "x-" + h
		}
		out += "-" + h
	}
	return out
}

// serviceName is a DNS-1123 label that is also a DNS-1035 label, as Service
// names must be: it starts with a letter.
func serviceName(label string) string {
	if len(validation.IsDNS1035Label(label)) == 0 {
		return label
	}
	return dnsLabel("app-" + label)
}

// shortHash is 8 hex digits of s's SHA-256.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

func validationIsDNS1123Label(s string) []string { return content.IsDNS1123Label(s) }
