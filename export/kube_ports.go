package export

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/quadlaunch/quadlaunch/generator"
)

// maxPortRange bounds the ports one expose range becomes: a Service lists
// every port by itself, and a range of thousands would be a wall of YAML.
const maxPortRange = 100

// ports maps the expose entries to the primary container's ports and the
// app Service's. A published port keeps its host port number as the
// Service port, so clients keep the number they used; an exposed-only port
// is reachable by linked containers on one host, which a ClusterIP Service
// matches.
func (k *kubeExporter) ports() ([]corev1.ContainerPort, []corev1.ServicePort) {
	var containerPorts []corev1.ContainerPort
	var servicePorts []corev1.ServicePort
	seenContainer := map[string]bool{}
	serviceTarget := map[string]int32{} // protocol/port -> target port
	published := false
	for i, p := range k.app.Expose {
		key := fmt.Sprintf("expose[%d]", i)
		proto := protocol(p.Proto)
		targets, err := portRange(p.Container)
		hosts := targets
		if err == nil && p.HostPort != "" {
			published = true
			hosts, err = portRange(p.HostPort)
		}
		switch {
		case err != nil:
			k.warn(p.Pos, key, "%v: left out", err)
			continue
		case len(hosts) != len(targets):
			k.warn(p.Pos, key, "host range %s and container range %s differ in size: left out", p.HostPort, p.Container)
			continue
		case len(targets) > maxPortRange:
			k.warn(p.Pos, key, "a range of %d ports is more than the %d a Service lists here: left out", len(targets), maxPortRange)
			continue
		}
		if p.HostIP != "" {
			k.warn(p.Pos, key, "published on host address %s only: a Service has no host address, the port is reachable from the whole cluster", p.HostIP)
		}
		for j, target := range targets {
			ck := fmt.Sprintf("%s/%d", proto, target)
			if !seenContainer[ck] {
				seenContainer[ck] = true
				containerPorts = append(containerPorts, corev1.ContainerPort{ContainerPort: target, Protocol: proto})
			}
			host := hosts[j]
			sk := fmt.Sprintf("%s/%d", proto, host)
			if prev, ok := serviceTarget[sk]; ok {
				if prev != target {
					k.warn(p.Pos, key, "port %d already goes to container port %d: left out", host, prev)
				}
				continue
			}
			serviceTarget[sk] = target
			servicePorts = append(servicePorts, corev1.ServicePort{
				// A Service with several ports must name each one.
				Name:       fmt.Sprintf("%s-%d", strings.ToLower(string(proto)), host),
				Protocol:   proto,
				Port:       host,
				TargetPort: intstr.FromInt32(target),
			})
		}
	}
	if published {
		k.warn(k.app.PosOf("expose"), "expose", "published host ports become ports of the ClusterIP Service %q, reachable inside the cluster only: reach it from outside through an Ingress, a Gateway or type LoadBalancer", serviceName(k.base))
	}
	return containerPorts, servicePorts
}

func protocol(proto string) corev1.Protocol {
	switch proto {
	case "udp":
		return corev1.ProtocolUDP
	case "sctp":
		return corev1.ProtocolSCTP
	}
	return corev1.ProtocolTCP
}

// portRange reads "80" or "8000-8010" (the generator checked the syntax).
func portRange(spec string) ([]int32, error) {
	lo, hi, isRange := strings.Cut(spec, "-")
	if !isRange {
		hi = lo
	}
	first, err1 := strconv.Atoi(lo)
	last, err2 := strconv.Atoi(hi)
	if err1 != nil || err2 != nil || first < 1 || last > 65535 || first > last {
		return nil, fmt.Errorf("port %q is not a port (1-65535) or an ascending range of them", spec)
	}
	ports := make([]int32, 0, last-first+1)
	for n := first; n <= last; n++ {
		ports = append(ports, int32(n))
	}
	return ports, nil
}

// probes maps the healthcheck to the primary container's probes, as
// quadlaunch gives only the primary role a healthcheck. Liveness restarts an
// unhealthy container and readiness takes it out of the Service, both after
// retries failures, as Podman's unhealthy status does. Podman's start period
// (failures do not count yet, a success ends it) is a startup probe allowing
// start_period/interval failures on top of retries; the other two probes
// wait for it.
func probes(h *generator.Healthcheck) (liveness, readiness, startup *corev1.Probe, err error) {
	argv, shell, ok := healthCommand(h)
	if !ok {
		return nil, nil, nil, nil
	}
	t, err := healthTimings(h)
	if err != nil {
		return nil, nil, nil, err
	}
	if shell {
		argv = []string{"/bin/sh", "-c", argv[0]}
	}
	probe := func(failures int) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler:     corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: append([]string(nil), argv...)}},
			PeriodSeconds:    seconds(t.interval),
			TimeoutSeconds:   seconds(t.timeout),
			FailureThreshold: int32(min(failures, 1<<30)),
		}
	}
	liveness, readiness = probe(t.retries), probe(t.retries)
	if t.startPeriod > 0 {
		startup = probe(int(seconds(t.startPeriod)+seconds(t.interval)-1)/int(seconds(t.interval)) + t.retries)
	}
	return liveness, readiness, startup, nil
}
