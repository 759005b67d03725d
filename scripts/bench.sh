#!/usr/bin/env bash
# make bench: Go benchmarks of every package (CPU and allocations per operation).
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench . -benchmem -benchtime "${BENCHTIME:-1s}" ./... | tee "${BENCH_OUT:-/tmp/vigia-bench.txt}"
