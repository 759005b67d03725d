#!/usr/bin/env bash
# make test: unit tests always; with CI or VIGIA_IT=1 also the integration tests against the real
# services (started here, stopped afterwards, VIGIA_IT=1 so a missing service fails), the Helm
# chart render test (its own module) and a bounded fuzz pass over every parser.
set -uo pipefail
cd "$(dirname "$0")/.."
it=${VIGIA_IT:-}
[ -n "${CI:-}" ] && it=1
rc=0
if [ -n "$it" ]; then
  bash test/services.sh start || exit 1
  set -a
  # shellcheck disable=SC1091
  . "${VIGIA_RUNDIR:-/tmp/vigia-it}/env"
  set +a
  export VIGIA_IT=1
fi
go test -count=1 -timeout 15m ./... || rc=1
# Again with recycled response bodies overwritten (collectors/sei/bodies.go): a prober that reads a
# body after its session closed fails here instead of passing by luck.
go test -count=1 -timeout 10m -tags vigiadebug ./collectors/... ./internal/daemon/... || rc=1
# Nested modules keep heavy dependencies (Helm, Prometheus' PromQL parser) out of vigia's go.mod.
(cd deploy/helm/test && go test -count=1 -timeout 10m ./...) || rc=1
(cd dashboards/internal/check && go test -count=1 -timeout 10m ./...) || rc=1
if [ -n "$it" ]; then
  bash test/services.sh stop || true
  [ $rc -eq 0 ] && { bash scripts/fuzz.sh "${FUZZTIME:-5000x}" || rc=1; }
fi
exit $rc
