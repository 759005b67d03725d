# vigia — see README.md. Every target works from a fresh clone.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin
PKGS     := ./...
FUZZTIME ?= 5s
STATICCHECK_VERSION := v0.7.0
# Integration tests talk to real services (test/services.sh) when CI or VIGIA_IT=1 is set.
ifneq ($(CI)$(VIGIA_IT),)
IT := 1
endif

.PHONY: all build test test-unit test-it fuzz bench demo lint clean services-start services-stop

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/vigia ./cmd/vigia
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/seisim ./cmd/seisim

# `make test`: unit tests always; with CI or VIGIA_IT=1 also the integration tests against the real
# services (started here, stopped afterwards) and a bounded fuzz pass over every parser.
ifeq ($(IT),1)
test: build
	bash test/services.sh start
	set -a; . $${VIGIA_RUNDIR:-/tmp/vigia-it}/env; set +a; \
	  VIGIA_IT=1 $(GO) test -count=1 -timeout 15m $(PKGS); rc=$$?; \
	  bash test/services.sh stop; exit $$rc
	$(MAKE) fuzz
else
test: build
	$(GO) test -count=1 -timeout 10m $(PKGS)
endif

# Each fuzz target runs for FUZZTIME on its own (go test allows one target per run).
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

clean:
	rm -rf $(BIN) data demo-data
