#!/bin/sh
# Imports vigia's Kibana saved objects (dashboards/kibana/*.ndjson) once Kibana answers.
set -eu
until curl -fsS "$KIBANA_URL/api/status" >/dev/null; do
  echo "waiting for Kibana at $KIBANA_URL"
  sleep 5
done
found=0
for f in /kibana/*.ndjson; do
  [ -e "$f" ] || continue
  found=1
  echo "importing $f"
  curl -fsS -X POST "$KIBANA_URL/api/saved_objects/_import?overwrite=true" \
    -H 'kbn-xsrf: true' --form file=@"$f"
  echo
done
[ "$found" = 1 ] || echo "no saved objects under /kibana" >&2
