// Package exportfiles writes what package export makes of an app (`quadlaunch
// export kube|compose APP`): the main file, and the secret env in a file of
// its own created 0600.
//
// It sits above export and is linked only into quadlaunch-podman
// (cmd/quadlaunch/podman.go wires it in): k8s.io/api, which export carries,
// costs every start of a binary that links it (package initialisation, about
// 5 ms and 8 MB), and the quadlaunch on PATH starts for every command, so
// there `export` re-executes into quadlaunch-podman, as commands do at their
// first connection to Podman.
package exportfiles
