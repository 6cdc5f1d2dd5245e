// Package preview is what the generator would write on this host, seen from
// the helper: Load reads every config under a root as the generator does and
// plans their units for the host's quadlet, collecting each error and warning
// in the generator's words (file:line: key: message); Render gives one app's
// files as systemd would load them (the services quadlet makes of its Quadlet
// files, the plain units, links, and its env files with every value
// redacted). `quadlaunch validate` and `render` print them.
//
// It sits beside the host packages, above the plan: it imports generator,
// units and pups (the replace patterns the generator accepts must also run)
// of quadlaunch, never a host package under runtime/. It runs quadlet, as
// the generator does, and nothing else.
package preview
