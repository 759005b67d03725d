#!/usr/bin/env bash
# Runs every Fuzz target in the module for a bounded budget each ($1, default 5000x).
#
# The budget is a count of executions (Nx), not a duration: with a duration, Go 1.26's fuzz
# coordinator can report a spurious "context deadline exceeded" failure when the deadline hits
# while a worker is busy (golang/go#75804, fixed in Go 1.27). A duration still works for long
# local runs (`make fuzz FUZZTIME=10m`).
#
# Minimizing an interesting input is capped (FUZZMINIMIZE, default 100 executions): the default is
# 60 s per input, and the seeds are whole SEI pages of 20 KB, so both workers would otherwise spend
# the whole budget shrinking inputs instead of fuzzing. -timeout turns a hung target into a failure.
set -euo pipefail
budget=${1:-5000x}
minimize=${FUZZMINIMIZE:-100x}
cd "$(dirname "$0")/.."
found=0
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    found=$((found + 1))
    echo "fuzz: $pkg $target ($budget)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$budget" -fuzzminimizetime "$minimize" \
      -timeout "${FUZZTIMEOUT:-5m}" "$pkg"
  done
done
echo "fuzz: $found target(s) passed"
