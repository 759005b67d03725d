#!/usr/bin/env bash
# make bench: (1) Go benchmarks of every package — CPU and allocations per operation of each
# prober, the parsers, rule evaluation, shipping — and (2) the fleet benchmark: seisim and vigia as
# separate processes with 1,000, 10,000 and 30,000 instances, all four probes every 60 s, vigia's
# CPU, RSS, probe rate, start lag and allocations per probe read from /proc and its /metrics.
# About 8 minutes on 2 cores (the issue asks for under 10). Results: bench-results.json and /tmp/vigia-bench.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-/tmp/vigia-bench.txt}
echo "== Go benchmarks" | tee "$out"
# Only the packages that have benchmarks: linking the other test binaries took minutes.
mapfile -t pkgs < <(grep -rl --include='*_test.go' '^func Benchmark' . | xargs -n1 dirname | sort -u)
go test -run '^$' -bench . -benchmem -benchtime "${BENCHTIME:-200ms}" -timeout 10m "${pkgs[@]}" 2>&1 | grep -E '^(Benchmark|ok|FAIL|pkg:)' | tee -a "$out"
echo "== fleet benchmark" | tee -a "$out"
go build -o bin/vigia ./cmd/vigia
go build -o bin/seisim ./cmd/seisim
go build -o bin/vigia-bench ./cmd/vigia-bench
bin/vigia-bench --sizes "${BENCH_SIZES:-1000,10000,30000}" --warmup "${BENCH_WARMUP:-65s}" --window "${BENCH_WINDOW:-40s}" \
  --json "${BENCH_JSON:-bench-results.json}" | tee -a "$out"
