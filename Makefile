# quadlaunch — see README.md. Every target works on a fresh Debian/Ubuntu host.
# sudo resets PATH (secure_path): fall back to the usual toolchain location.
GO      ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
# Tests and scripts run `go` themselves: keep it on their PATH too.
export PATH := $(patsubst %/,%,$(dir $(GO))):$(PATH)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null | sed 's/^v//' || echo 0.0.0-dev)
# Podman bindings need these tags to build without cgo (DEVELOPERS.md).
TAGS    := remote containers_image_openpgp exclude_graphdriver_btrfs
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN     := bin

.PHONY: all build tools test unit fuzz bench lint e2e demo package clean

all: build

# The helper twice: quadlaunch without the Podman bindings (what starts on every
# command) and quadlaunch-podman with them, which a command continues in at its
# first connection to Podman (runtime/podman/reexec.go says why).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/quadlaunch-generator ./cmd/quadlaunch-generator
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/quadlaunch ./cmd/quadlaunch
	CGO_ENABLED=0 $(GO) build -trimpath -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o $(BIN)/quadlaunch-podman ./cmd/quadlaunch

# Build-only tools come from their own module (tools/go.mod) so the main go.sum stays lean.
tools: $(BIN)/quadlet

$(BIN)/quadlet: tools/go.mod tools/go.sum
	cd tools && CGO_ENABLED=0 $(GO) build -trimpath -o ../$(BIN)/quadlet github.com/containers/podman/v5/cmd/quadlet

$(BIN)/staticcheck: tools/go.mod tools/go.sum
	cd tools && CGO_ENABLED=0 $(GO) build -trimpath -o ../$(BIN)/staticcheck honnef.co/go/tools/cmd/staticcheck

$(BIN)/nfpm: tools/go.mod tools/go.sum
	cd tools && CGO_ENABLED=0 $(GO) build -trimpath -o ../$(BIN)/nfpm github.com/goreleaser/nfpm/v2/cmd/nfpm

# The README's test command: unit tests (with the real quadlet), then e2e where the host can boot
# a testbed (root + systemd-nspawn), else a clear SKIP line.
test: unit
	@if [ "$$(id -u)" = 0 ] && command -v systemd-nspawn >/dev/null; then $(MAKE) e2e; \
	 else echo "make test: e2e skipped (needs root and systemd-nspawn; run 'make e2e' as root)"; fi

# package first: packaging's test checks the built .deb/.rpm (packaging/check.sh).
unit: tools package
	CGO_ENABLED=0 QUADLAUNCH_TEST_QUADLET=$(CURDIR)/$(BIN)/quadlet $(GO) test -tags '$(TAGS)' -count=1 ./...
	@# go test hides a passing package's output: print the differential test's figure against pups.
	@CGO_ENABLED=0 $(GO) test -count=1 -run '^TestPupsConformance$$' -v ./pups/ | grep -e '^pups-conformance:' -e SKIP || true

FUZZTIME ?= 60s
# Both fuzz targets, FUZZTIME each: FuzzLoad (config bytes -> loader) and
# FuzzPlan (config bytes -> load -> plan next to neighbour apps -> units
# through podman's unit parser). Seed corpora: */testdata/fuzz/<target>/.
# Go 1.26's fuzz coordinator can end a timed run with "context deadline exceeded"
# and no failing input (golang/go#75804): that is not a finding; a crash writes
# testdata/fuzz/<target>/<id> and says so, and fails the target.
FUZZ_TARGETS := FuzzLoad:./generator/ FuzzPlan:./units/
fuzz:
	@mkdir -p $(BIN); for t in $(FUZZ_TARGETS); do name=$${t%%:*}; pkg=$${t#*:}; \
	 echo "fuzz: $$name ($$pkg) for $(FUZZTIME)"; \
	 $(GO) test -tags '$(TAGS)' -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg > $(BIN)/fuzz-$$name.out 2>&1; rc=$$?; \
	 tail -5 $(BIN)/fuzz-$$name.out; \
	 if [ $$rc != 0 ] && ! grep -q 'Failing input written' $(BIN)/fuzz-$$name.out && grep -q 'context deadline exceeded' $(BIN)/fuzz-$$name.out; then \
	   echo "fuzz: $$name: coordinator deadline (golang/go#75804), no failing input: ok"; rc=0; fi; \
	 [ $$rc = 0 ] || exit $$rc; done

# Prints the generator's cost for 1/10/100 apps against quadlet alone, its peak RSS,
# `generator/quadlet ratio (1 app): X` and `(100 apps): X`, then the helper's start
# next to a Go hello-world (`helper start: ...`).
bench: tools
	$(GO) test -run '^$$' -bench . -benchmem ./generator/ ./units/
	@QUADLAUNCH_BENCH=1 QUADLAUNCH_TEST_QUADLET=$(CURDIR)/$(BIN)/quadlet $(GO) test -count=1 -run '^TestBenchReport$$' -v ./cmd/quadlaunch-generator/ > $(BIN)/bench.out 2>&1; \
	 rc=$$?; grep -v -e '^=== ' -e '^--- PASS' -e '^PASS$$' -e '^ok ' $(BIN)/bench.out; [ $$rc = 0 ] || exit $$rc; \
	 QUADLAUNCH_BENCH=1 CGO_ENABLED=0 $(GO) test -count=1 -run '^TestHelperStartReport$$' -v ./cmd/quadlaunch/ > $(BIN)/bench-helper.out 2>&1; \
	 rc=$$?; grep -v -e '^=== ' -e '^--- PASS' -e '^PASS$$' -e '^ok ' $(BIN)/bench-helper.out; exit $$rc

lint: $(BIN)/staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$out" ] || { echo "gofmt: $$out"; exit 1; }
	CGO_ENABLED=0 $(GO) vet -tags '$(TAGS)' ./...
	@# Only the Podman adapter (runtime/podman) carries the bindings' tags, and
	@# cmd/quadlaunch/podman.go wires it in (podman_exec.go is its untagged twin):
	@# everything else builds and vets without them.
	@bad=$$(git grep -l -e '^//go:build.*remote' -e 'containers/podman/v5/pkg/bindings' -- '*.go' \
	 ':!runtime/podman/' ':!cmd/quadlaunch/podman.go' ':!cmd/quadlaunch/podman_exec.go'); \
	 [ -z "$$bad" ] || { echo "only runtime/podman may need the Podman tags: $$bad"; exit 1; }
	CGO_ENABLED=0 $(GO) vet ./...
	CGO_ENABLED=0 $(BIN)/staticcheck -tags '$(TAGS)' ./...
	@# Imports run downward only across the code map's floors; the command and
	@# the plan's files stay a readable size (test/layers names each offence).
	CGO_ENABLED=0 $(GO) run ./test/layers

# The testbeds get quadlaunch the way operators do: apt install of the .deb (make package).
e2e: tools package
	$(GO) run ./test/harness -install=deb e2e

# The testbed rootfs and the Discourse-like base image (minutes on a fresh host, cached after)
# are built while the binaries compile.
demo:
	@$(GO) run ./test/harness prepare & prep=$$!; $(MAKE) tools package; rc=$$?; wait $$prep || rc=1; [ $$rc = 0 ]
	$(GO) run ./test/harness -install=deb demo

package: build $(BIN)/nfpm
	./packaging/build.sh $(VERSION)

clean:
	rm -rf $(BIN) dist test/out
