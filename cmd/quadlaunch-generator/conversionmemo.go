package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/quadlaunch/quadlaunch/units"
)

// A daemon-reload whose configs did not change gets the services quadlet
// converted at the previous run from units.ConversionMemo, kept next to the
// version memo; an app whose Quadlet files changed is converted again, alone.

// conversionMemo is the memo for plans made for planVersion and converted
// by the quadlet binary at quadlet; nil when there is no runtime dir to keep
// it in or the binary cannot be identified (then quadlet converts everything).
func conversionMemo(quadlet string, user bool, planVersion string) *units.ConversionMemo {
	self, err := os.Executable()
	if err != nil {
		return nil
	}
	return conversionMemoOf(quadlet, self, user, planVersion)
}

// conversionMemoOf is conversionMemo with the generator's binary at self.
func conversionMemoOf(quadlet, self string, user bool, planVersion string) *units.ConversionMemo {
	versionMemo := versionMemoPath(user)
	if versionMemo == "" {
		return nil
	}
	id, err := binaryIdentity(quadlet)
	if err != nil {
		return nil
	}
	// The generator's own binary too: what it does to quadlet's services
	// (SourcePath=, the header) may change with a package upgrade while the
	// Quadlet files stay the same.
	selfID, err := binaryIdentity(self)
	if err != nil {
		return nil
	}
	return units.NewConversionMemo(filepath.Join(filepath.Dir(versionMemo), "conversions"), id+"\n"+selfID, user, planVersion)
}

// conversionGroup is what the memo keeps as one entry: one app's Quadlet
// files, or the shared ones (the link networks other apps' containers join).
type conversionGroup struct {
	files  []units.File
	shared bool
	key    string // "" when not kept (no memo, or not units.Memoizable)
	// restored: the memo's services of files are in the generator dir;
	// otherwise quadlet converts them in this run.
	restored bool
}

// conversionGroups splits the Quadlet files into groups (the shared one
// first) and restores each from memo into outDir if it can. An app's key
// covers the shared files its files name (Network=NAME.network): quadlet
// reads the network's name from them.
//
// The services restored are written before quadlet's version is known: an
// entry is kept under the plan version and the quadlet binary, and only after
// a conversion that binary's version let through.
func conversionGroups(files []units.File, memo *units.ConversionMemo, outDir string) []*conversionGroup {
	shared, apps, byApp := splitByApp(files)
	var groups []*conversionGroup
	if len(shared) > 0 {
		groups = append(groups, &conversionGroup{files: shared, shared: true})
	}
	for _, app := range apps {
		groups = append(groups, &conversionGroup{files: byApp[app]})
	}
	if memo == nil {
		return groups
	}
	for _, g := range groups {
		if !units.Memoizable(g.files) {
			continue
		}
		var with []units.File
		if !g.shared {
			with = referenced(shared, g.files)
		}
		g.key = memo.Key(g.files, with)
		g.restored = memo.Restore(g.key, serviceNames(g.files), outDir)
	}
	return groups
}

// referenced are the shared files whose name one of files mentions: the
// only ones quadlet reads when it converts files. (A link changed elsewhere
// does not convert every app again.)
func referenced(shared, files []units.File) []units.File {
	var out []units.File
	for _, sf := range shared {
		for _, f := range files {
			if bytes.Contains(f.Content, []byte(sf.Name)) {
				out = append(out, sf)
				break
			}
		}
	}
	return out
}

// removeRestored removes the services restored into outDir.
func removeRestored(groups []*conversionGroup, outDir string) {
	for _, g := range groups {
		if g.restored {
			for _, name := range serviceNames(g.files) {
				os.Remove(filepath.Join(outDir, name))
			}
			g.restored = false
		}
	}
}

func serviceNames(files []units.File) []string {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = units.QuadletServiceName(f.Name)
	}
	return names
}

// storeConversions keeps, for every group quadlet converted in this run, the
// services it wrote into outDir, and drops the entries of files no app has
// any more (an edited or removed config). A group quadlet wrote a service
// short of is not kept.
func storeConversions(memo *units.ConversionMemo, groups []*conversionGroup, converted map[string]bool, outDir string, log *logger) {
	keep := map[string]bool{}
	for _, g := range groups {
		if g.key == "" {
			continue
		}
		keep[g.key] = true
		if g.restored {
			continue
		}
		names := serviceNames(g.files)
		complete := true
		for _, name := range names {
			complete = complete && converted[name]
		}
		if !complete {
			continue
		}
		if err := memo.Store(g.key, names, outDir); err != nil {
			log.Printf("%v", err)
			return
		}
	}
	if err := memo.Prune(keep); err != nil && !errors.Is(err, fs.ErrNotExist) {
		log.Printf("%v", err)
	}
}
