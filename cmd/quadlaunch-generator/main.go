// Command quadlaunch-generator is a systemd generator (systemd.generator(7)): at
// every boot and daemon-reload it turns the launcher-style configs under
// /etc/quadlaunch/containers (or the user's config dir) into Quadlet units, runs the
// host's quadlet on them, and writes plain oneshot/target units next to them.
//
// It runs in early boot, in parallel with other generators: stdlib flags only, no
// /var, D-Bus or network, logs to /dev/kmsg (system) or stderr (user), one bad
// config never stops the others, and it exits 0 unless nothing could be done.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quadlaunch/quadlaunch/generator"
	"github.com/quadlaunch/quadlaunch/units"
)

type quadletVersion struct {
	version string
	err     error
}

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	user := isUserGenerator(os.Args[0])
	log := newLogger(user)
	if len(os.Args) != 2 && len(os.Args) != 4 {
		log.Printf("usage: %s normal-dir [early-dir late-dir]", filepath.Base(os.Args[0]))
		os.Exit(1)
	}
	if err := run(os.Args[1], user, log); err != nil {
		log.Printf("%v", err)
		os.Exit(1)
	}
}

// isUserGenerator: systemd runs the same binary from user-generators/; the name tells.
func isUserGenerator(argv0 string) bool {
	return strings.Contains(filepath.Base(argv0), "user")
}

// The generator's own deadlines, from its start. systemd kills a generator
// that runs past its timeout (90 s by default) and then has none of its
// units; a generator that blocks delays the whole boot. Configs not read by
// loadBudget are errors of their apps, quadlet is killed at quadletBudget,
// and at hardBudget the process exits whatever it is doing (every file is
// written through a rename, so no unit is left half-written).
const (
	loadBudget    = 5 * time.Second
	quadletBudget = 15 * time.Second
	hardBudget    = 25 * time.Second
)

// run generates into normalDir. Errors about single apps are logged and skipped;
// the returned error means nothing could be done at all.
func run(normalDir string, user bool, log *logger) error {
	start := time.Now()
	hard := time.AfterFunc(hardBudget, func() {
		log.Printf("gave up after %s (the generator's deadline): units written so far stay", hardBudget)
		os.Exit(1)
	})
	defer hard.Stop()
	root := os.Getenv("QUADLAUNCH_ROOT")
	if root == "" {
		root = generator.DefaultRoot(user)
	}
	quadlet := os.Getenv("QUADLAUNCH_QUADLET")
	if quadlet == "" {
		quadlet = units.DefaultQuadlet
	}
	// Most hosts with the package installed have no app yet: then nothing at all
	// is run, not even quadlet.
	paths, skipped, derr := generator.DiscoverWithSkipped(root)
	for _, s := range skipped {
		log.Printf("%s", s)
	}
	if derr == nil && len(paths) == 0 {
		return nil
	}
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(quadletBudget))
	defer cancel()
	// Asking quadlet its version costs a process start (versionmemo.go): it
	// runs beside everything up to the first unit written (planVersion).
	qverc := make(chan quadletVersion, 1)
	go func() {
		v, err := quadletVersionMemo(ctx, quadlet, versionMemoPath(user))
		qverc <- quadletVersion{v, err}
	}()
	// The vendor units (name collisions) are listed while the configs load.
	unitExists := units.VendorUnits(user)
	go unitExists("")
	var apps []*generator.App
	var errs []error
	if derr == nil {
		apps, errs = generator.LoadPathsUntil(root, paths, start.Add(loadBudget))
	} else {
		apps, errs = generator.LoadAll(root) // reports derr as the config dir's error
	}
	for _, err := range errs {
		log.Printf("%v", err)
	}
	for _, app := range apps {
		for _, w := range app.Warnings {
			log.Printf("warning: %s", w)
		}
	}
	if len(apps) == 0 {
		return nil
	}

	bin := os.Getenv("QUADLAUNCH_BIN")
	if bin == "" {
		bin = "/usr/bin/quadlaunch"
	}
	opts := units.Options{
		User:           user,
		QuadletVersion: planVersion,
		QuadlaunchBin:  bin,
		PrivateDir:     filepath.Join(normalDir, "quadlaunch.private"),
		ConfigNames:    units.ConfigNames(append(paths, diagnosticFiles(skipped)...)),
		UnitExists:     unitExists,
		// systemd's own parser judges timers: schedules (one process per timer).
		CheckCalendar: units.CalendarChecker(units.DefaultSystemdAnalyze),
	}
	// The plan is made for planVersion and quadlet converts it while its
	// version is still on the way; nothing is written before the version is
	// known, and a version that gets other units (an older Podman) costs a
	// second plan and conversion.
	var qv quadletVersion
	versionKnown := sync.OnceValue(func() error {
		qv = <-qverc
		if qv.err != nil {
			return fmt.Errorf("quadlet: %w", qv.err)
		}
		if same, err := units.SameUnits(planVersion, qv.version); err != nil || !same {
			return errPlanVersion
		}
		return nil
	})
	plan, err := units.Plan(apps, opts)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	err = write(ctx, plan, normalDir, quadlet, user, log, versionKnown, conversionMemo(quadlet, user, planVersion))
	if !errors.Is(err, errPlanVersion) {
		logDiagnostics(plan, log)
		return err
	}
	opts.QuadletVersion = qv.version
	if plan, err = units.Plan(apps, opts); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	logDiagnostics(plan, log)
	// The first plan's staging files go; its services were never written.
	if err := os.RemoveAll(filepath.Join(normalDir, stagingDirName)); err != nil {
		return fmt.Errorf("staging: %w", err)
	}
	return write(ctx, plan, normalDir, quadlet, user, log, func() error { return nil }, conversionMemo(quadlet, user, qv.version))
}

// planVersion is the Quadlet version the generator plans for before the
// host's quadlet has answered: the one quadlaunch is tested with.
const planVersion = units.TestedQuadletVersion

// errPlanVersion: the host's quadlet gets other units than planVersion.
var errPlanVersion = errors.New("the plan was made for another quadlet version")

func logDiagnostics(plan *units.PlanResult, log *logger) {
	for _, d := range plan.Diagnostics {
		log.Printf("%s", d)
	}
}

// configNames are the app names of config paths.
func diagnosticFiles(ds []generator.Diagnostic) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Pos.File
	}
	return out
}

// gcPercent is the generator's GOGC. It lives for tens of milliseconds and
// allocates about 70 KB per app (YAML nodes, unit builders), almost all of it
// garbage at once; the live heap stays under 45 KB per app. Go's default (100)
// lets the heap reach 4 MB before the first collection, which puts the peak
// RSS for 100 apps over 10 MB; 25 keeps it low but collects a dozen times,
// which costs as much CPU as a third of quadlet's work. 60 (first collection
// at 2.4 MB) collects a few times for 100 apps, with a peak RSS of about 8.2 MB
// (a run now and then, when the GC falls behind, reaches 10); 75 was 2% faster
// at 8.7 MB, and reached 10 more often. Like any GOGC it scales with
// the live heap: a memory limit instead would have the GC running all the
// time on a host whose configs are big (100 Discourse apps: 4 MB live).
const gcPercent = 60

// stagingDirName holds the Quadlet files handed to quadlet. It stays in the
// generator dir (systemd ignores it: no unit suffix) so an operator can see what
// quadlet was given; it holds no secret.
const stagingDirName = "quadlaunch.quadlet"

// write puts the plan on disk: the Quadlet files through the host's quadlet
// (or, for files converted before, the memo: conversionmemo.go), and
// meanwhile the private env files and the plain units.
// When quadlet runs, nothing is written before versionKnown returns; when it
// returns an error, write stops every quadlet it started and returns that
// error. memo may be nil (no runtime dir).
func write(ctx context.Context, plan *units.PlanResult, normalDir, quadlet string, user bool, log *logger, versionKnown func() error, memo *units.ConversionMemo) error {
	if memo != nil {
		defer memo.Close()
	}
	groups := conversionGroups(units.Select(plan.Files, units.Quadlet), memo, normalDir)
	var convert []units.File
	sharedFromMemo := false
	for _, g := range groups {
		if !g.restored {
			convert = append(convert, g.files...)
			continue
		}
		sharedFromMemo = sharedFromMemo || g.shared
	}
	if len(convert) > 0 && sharedFromMemo {
		// Containers to convert refer to the shared networks: quadlet is
		// given them, their services come from the memo.
		convert = append(convert, groups[0].files...)
	}
	batches := quadletBatches(convert, runtime.GOMAXPROCS(0))
	if len(convert) == 0 {
		batches = nil
	}
	// Which services quadlet's runs wrote, for the memo to keep.
	var convertedMu sync.Mutex
	converted := map[string]bool{}
	record := func(name string) {
		convertedMu.Lock()
		converted[name] = true
		convertedMu.Unlock()
	}
	if memo == nil {
		record = nil
	}
	// One quadlet per batch, all at once, each on its own staging dir: quadlet's
	// time is mostly on one thread, and at boot the other CPUs are idle. The
	// plain units and env files are written meanwhile: quadlet reads only its
	// staging dir, and systemd reads nothing until every generator is done.
	type batchResult struct {
		msgs string
		err  error
	}
	quadletDone := make(chan batchResult, len(batches))
	for i, batch := range batches {
		staging := filepath.Join(normalDir, stagingDirName)
		if len(batches) > 1 {
			staging = filepath.Join(staging, strconv.Itoa(i))
		}
		if err := writeStaging(staging, batch); err != nil {
			return err
		}
		// Every batch holds the shared files; the first one writes their
		// services, unless the memo had them.
		keep := batch
		if i > 0 || sharedFromMemo {
			keep = slices.DeleteFunc(slices.Clone(batch), func(f units.File) bool { return f.Shared })
		}
		go func() {
			out, err := units.ConvertQuadletGated(ctx, quadlet, staging, normalDir, user, keep, versionKnown, record)
			if out != "" {
				log.Printf("quadlet: %s", strings.TrimSpace(out))
			}
			quadletDone <- batchResult{out, err}
		}()
	}
	// Restored services were kept for this quadlet binary and plan version;
	// a version answer that does not let the plan through (only a version
	// memo changed by hand gets here) takes them back.
	if err := versionKnown(); err != nil {
		for range batches {
			<-quadletDone // each returns err too, having written nothing
		}
		removeRestored(groups, normalDir)
		return err
	}
	// A file that cannot be written is logged and the others are written:
	// one app's problem must not cost the next apps their units.
	werr := units.WriteAtomic(filepath.Join(normalDir, units.PrivateDirName), units.Select(plan.Files, units.Private))
	plain := append(units.Select(plan.Files, units.Plain), units.Select(plan.Files, units.Symlink)...)
	werr = errors.Join(werr, units.WriteAtomic(normalDir, plain))
	clean := true // every quadlet converted without a word
	for range batches {
		r := <-quadletDone
		if r.err != nil {
			// quadlet converts what it can and fails for the rest: the other apps'
			// services are written, so this is logged, not fatal.
			log.Printf("%v", r.err)
		}
		clean = clean && r.err == nil && r.msgs == ""
	}
	if memo != nil && clean {
		storeConversions(memo, groups, converted, normalDir, log)
	}
	return werr
}

// minBatchFiles is the least number of Quadlet files worth a quadlet process of
// their own: below it, a process start costs more than it saves.
const minBatchFiles = 32

// quadletBatches splits the Quadlet files into at most n batches by app, so
// each app's volumes stay with its containers. Shared files (link networks,
// which containers of other apps join) go into every batch: quadlet needs
// them to convert the containers; write keeps their services from one batch.
func quadletBatches(files []units.File, n int) [][]units.File {
	shared, apps, byApp := splitByApp(files)
	n = min(n, len(files)/minBatchFiles, len(apps))
	if n <= 1 {
		return [][]units.File{files}
	}
	batches := make([][]units.File, n)
	for i, app := range apps {
		batches[i%n] = append(batches[i%n], byApp[app]...)
	}
	for i := range batches {
		batches[i] = append(batches[i], shared...)
	}
	return batches
}

// splitByApp returns the shared Quadlet files, and the others by app, the
// apps in their order in files.
func splitByApp(files []units.File) (shared []units.File, apps []string, byApp map[string][]units.File) {
	byApp = map[string][]units.File{}
	for _, f := range files {
		if f.Shared {
			shared = append(shared, f)
			continue
		}
		if _, ok := byApp[f.App]; !ok {
			apps = append(apps, f.App)
		}
		byApp[f.App] = append(byApp[f.App], f)
	}
	return shared, apps, byApp
}

// logger writes prefixed lines to /dev/kmsg (system generators: stderr is not
// kept that early in boot) or stderr (user generators end up in the journal).
type logger struct {
	mu sync.Mutex // quadlet's messages come from another goroutine
	w  io.Writer
}

func newLogger(user bool) *logger {
	if !user {
		if f, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0); err == nil {
			return &logger{w: kmsgWriter{f}}
		}
	}
	return &logger{w: os.Stderr}
}

func (l *logger) Printf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	// One record per line: kmsg splits on writes, and journal readers on newlines.
	for _, line := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
		fmt.Fprintf(l.w, "quadlaunch-generator: %s\n", line)
	}
}

// kmsgWriter writes each line as one kmsg record with priority "warning" (<4>).
type kmsgWriter struct{ f *os.File }

func (k kmsgWriter) Write(p []byte) (int, error) {
	if _, err := k.f.Write(append([]byte("<4>"), p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeStaging writes the Quadlet files for quadlet to read, on two threads:
// quadlet waits for them. They need no temp-file-and-rename: the dir is new,
// and nothing reads it before quadlet, which starts once every write returned.
func writeStaging(dir string, files []units.File) error {
	half := len(files) / 2
	errc := make(chan error, 1)
	go func() { errc <- units.WriteNew(dir, files[half:]) }()
	err := units.WriteNew(dir, files[:half])
	if err2 := <-errc; err == nil {
		err = err2
	}
	if err != nil {
		return fmt.Errorf("staging: %w", err)
	}
	return nil
}
