# sluice — the two commands a newcomer needs are `make demo` and `make test`.
# The only prerequisite is Go 1.26; everything else is built from the Go
# module proxy into $SLUICE_CACHE (default: ~/.cache/sluice) the first time.

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
# The first run builds Kubernetes and Prometheus; give the suite room for it.
TEST_TIMEOUT ?= 60m

CONTROLLER_GEN := sigs.k8s.io/controller-tools/cmd/controller-gen@v0.23.0

.PHONY: all build tools test demo lint bench fuzz generate scale

all: build

## build: build bin/sluice
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/sluice ./cmd/sluice

## tools: build the playground's binaries (etcd, Kubernetes, kwok, Prometheus) into the cache, once
tools:
	$(GO) run ./cmd/sluice playground build

## test: every test, on real components (the playground), building them first if needed
# The longest packages are named first so that go test starts them first
# (it runs two at a time on two cores): the reconciler alone takes about 8
# minutes, and started last it would add them to the rest.
SLOW_PACKAGES := ./reconciler/ ./cmd/sluice/ ./test/e2e/
test: tools
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(SLOW_PACKAGES) ./...

## demo: play the seed story on the embedded playground (DEMO_FLAGS=--keep leaves it up at the end)
demo: build
	./bin/sluice demo $(DEMO_FLAGS)

## scale: issue 17's scale table (1,000 apps, 1,000 Canaries) on the playground, written into docs/performance.md (SCALE_FLAGS="-apps 200 -rows 1,2")
SCALE_FLAGS ?=
scale:
	$(GO) run ./test/scale $(SCALE_FLAGS)

## lint: gofmt check and go vet
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt: these files need formatting:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

## bench: benchmarks
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## fuzz: every fuzzer for FUZZTIME each (default 30s; the seed corpora run in make test too)
FUZZTIME ?= 30s
FUZZPARALLEL ?= 2
FUZZERS := manifests:FuzzCanaryDecode manifests:FuzzRender analysis/fuzz:FuzzRenderQueryVariablesStayInTheirLabelValue \
	analysis/fuzz:FuzzWebhookPayloadRoundTrip gitsync:FuzzMergeLines
fuzz:
	@set -e; for f in $(FUZZERS); do \
		pkg=$${f%%:*}; name=$${f##*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -parallel $(FUZZPARALLEL) ./$$pkg; \
	done

## generate: regenerate deep copies and the CRDs of Canary, MetricTemplate and AlertProvider (api/v1alpha1, deploy/crd.yaml)
generate:
	$(GO) run $(CONTROLLER_GEN) object crd:crdVersions=v1,allowDangerousTypes=true paths=./api/... output:crd:dir=./api/v1alpha1
	cat api/v1alpha1/sluice.dev_canaries.yaml api/v1alpha1/sluice.dev_metrictemplates.yaml api/v1alpha1/sluice.dev_alertproviders.yaml > deploy/crd.yaml
