package main

import (
	"fmt"
	"sort"
	"sync"
)

// Scenario is one named end-to-end check. Run returns nil when every assertion
// held; the error says which one did not and what was seen instead.
type Scenario struct {
	Name string
	Run  func(tb *Testbed) error
}

// Group is a set of scenarios sharing one booted testbed, run in order: a
// scenario may rely on what the ones before it left behind (that is why they
// share a testbed: a boot costs seconds, a group costs one boot).
type Group struct {
	Name string
	// Order sorts groups (lower first, then by name); scenario files of later
	// issues use 100+ so the core demo groups run first.
	Order int
	// Setup runs once after boot (and after the binaries are installed). If it
	// fails, every scenario of the group is reported failed with its error.
	Setup     func(tb *Testbed) error
	Scenarios []Scenario
	// Installer overrides the run's installer (see -install) for this group.
	Installer Installer
}

var (
	registryMu sync.Mutex
	registry   []Group
)

// register adds a group of scenarios; call it from an init function of the
// file that defines them. Group names must be unique.
func register(g Group) {
	registryMu.Lock()
	defer registryMu.Unlock()
	for _, o := range registry {
		if o.Name == g.Name {
			panic(fmt.Sprintf("harness: group %q registered twice", g.Name))
		}
	}
	registry = append(registry, g)
}

// groups returns the registered groups in run order.
func groups() []Group {
	registryMu.Lock()
	defer registryMu.Unlock()
	out := append([]Group(nil), registry...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].Name < out[j].Name
	})
	return out
}
