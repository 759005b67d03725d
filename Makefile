# vigia — see README.md. Every target works from a fresh clone.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin
PKGS     := ./...
FUZZTIME ?= 5000x
STATICCHECK_VERSION := v0.7.0
.PHONY: all build test fuzz bench demo lint clean sync-rules

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/vigia ./cmd/vigia
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/seisim ./cmd/seisim

# `make test`: unit tests always; with CI or VIGIA_IT=1 also the integration tests against the real
# services (started and stopped by scripts/test.sh), the Helm chart render test and a bounded fuzz
# pass over every parser.
test: build
	bash scripts/test.sh

# Each fuzz target runs for FUZZTIME (a count, Nx, or a duration) on its own (go test allows one
# target per run).
fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

bench:
	bash scripts/bench.sh

demo: build
	bash scripts/demo.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go') 2>/dev/null); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@command -v staticcheck >/dev/null 2>&1 || [ -x "$$($(GO) env GOPATH)/bin/staticcheck" ] || \
	  $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	PATH="$$($(GO) env GOPATH)/bin:$$PATH" staticcheck $(PKGS)

# The Helm chart ships a copy of the Prometheus rules; its test fails when they differ.
sync-rules:
	cp dashboards/prometheus/vigia.rules.yml deploy/helm/vigia/files/vigia-rules.yaml

clean:
	rm -rf $(BIN) data demo-data
