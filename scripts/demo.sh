#!/usr/bin/env bash
# make demo: a simulated 50-instance SEI fleet (seisim) and vigia watching it, with embedded
# defaults only (no external service). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO=${DEMO_DIR:-demo-data}
SEISIM_ADDR=${SEISIM_ADDR:-127.0.0.1:8480}
VIGIA_ADDR=${VIGIA_ADDR:-127.0.0.1:9470}
mkdir -p "$DEMO"

bin/seisim --fleet internal/seisim/testdata/fleet-demo.yaml --listen "$SEISIM_ADDR" \
  --wssei-auth-delay 3s --print-targets "$DEMO/targets.yaml" >"$DEMO/seisim.log" 2>&1 &
seisim_pid=$!
trap 'kill $seisim_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$DEMO/targets.yaml" ] && break; sleep 0.1; done
[ -s "$DEMO/targets.yaml" ] || { echo "seisim did not start; see $DEMO/seisim.log" >&2; exit 1; }

# The demo config: the fleet seisim printed, one monitoring account for all, short intervals so
# something happens within seconds, events to local NDJSON files.
{
  cat <<YAML
global: {interval: 30s, timeout: 10s, state_dir: "$DEMO/state"}
server: {listen: "$VIGIA_ADDR", api_token: "\${VIGIA_API_TOKEN:-demo-token}"}
probes:
  health: {interval: 15s}
  version: {interval: 30s}
  modules: {interval: 30s}
  synthetic: {interval: 60s, timeout: 30s, search: "00000.000001/2024-00"}
desired:
  latest: {sei: 5.0.3, modules: {mod-sei-pen: 4.0.3, mod-wssei: 3.0.1}}
rules:
  - {alert: SEIDown, probe: health, when: failing, for: 30s, severity: critical}
  - {alert: SEIMaintenance, probe: health, when: maintenance, severity: info}
  - {alert: SEISyntheticFailing, probe: synthetic, when: failing, severity: critical}
  - {alert: SEISyntheticSlow, probe: synthetic, value: duration_seconds, above: 5, for: 2m}
  - {alert: SEIVersionDrift, probe: version, drift: [major, minor]}
  - {alert: SEIModuleIncompatible, when: module_incompatible}
  - {alert: SEIProductionModeOff, when: production_mode_off}
routes: {receivers: [log], group_wait: 10s}
receivers:
  log: {log: {}}
fleet:
  defaults:
    credentials: {username: monitor, password: "\${SEI_MON_PASS:-monitor123}", orgao: "0"}
YAML
  sed 's/^/  /' "$DEMO/targets.yaml"
} >"$DEMO/vigia.yaml"

cat <<MSG

  seisim: $(grep -c '    - name:\|  - name:' "$DEMO/targets.yaml") simulated SEI instances on http://$SEISIM_ADDR/<name>/sei/
  vigia:  config $DEMO/vigia.yaml

  Look at:
    http://$VIGIA_ADDR/                     status page
    http://$VIGIA_ADDR/metrics              Prometheus metrics (sei_*, vigia_*)
    http://$VIGIA_ADDR/api/v1/instances     the fleet with the latest results
    http://$VIGIA_ADDR/api/v1/alerts        alerts
    $DEMO/state/events/                     ECS events as NDJSON

  Ctrl-C stops both.

MSG
exec_status=0
bin/vigia run --config "$DEMO/vigia.yaml" || exec_status=$?
exit $exec_status
