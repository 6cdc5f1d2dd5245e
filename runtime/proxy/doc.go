// Package proxy controls an app's running proxy on the host (the units are
// planned by units/proxy*.go): Control switches traffic between the two web
// slots by rewriting the live nginx config, reloading the proxy unit and
// draining the old workers; LiveSlots records which slot is live (the wants
// and mask links systemctl would write); the certificate reload makes a
// renewed certificate served without a failed request (ReloadForCertificate).
//
// It imports generator, units, certificates and systemd of quadlaunch; never
// podman, rollout or session (they sit above it).
package proxy
