#!/usr/bin/env bash
# Loads every Synthea bundle in tests/data/synthea-r4 as a transaction, with a progress line, then counts.
set -euo pipefail
base=${1:-http://localhost:8080/fhir}
cd "$(dirname "$0")/../tests/data/synthea-r4"
files=(patient-*.json)
start=$(date +%s%N); failed=0; resources=0
for i in "${!files[@]}"; do
  file=${files[$i]}
  status=$(curl -s -o /tmp/fhirmbb-load.json -w '%{http_code}' -X POST "$base" \
    -H 'Content-Type: application/fhir+json' -H 'Prefer: return=minimal' --data-binary @"$file")
  if [ "$status" = 200 ]; then
    resources=$((resources + $(grep -o '"status":"201' /tmp/fhirmbb-load.json | wc -l)))
  else
    failed=$((failed + 1)); echo; echo "$file: HTTP $status $(head -c 300 /tmp/fhirmbb-load.json)"
  fi
  printf '\r[%-30s] %2d/%d bundles, %5d resources' "$(printf '#%.0s' $(seq 1 $(( (i + 1) * 30 / ${#files[@]} ))))" $((i + 1)) ${#files[@]} $resources
done
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
awk -v r=$resources -v b=${#files[@]} -v ms=$elapsed_ms -v f=$failed \
  'BEGIN { printf "\nloaded %d resources from %d bundles in %.1f s (%.0f resources/s), %d bundle(s) failed\n", r, b, ms / 1000, r * 1000 / ms, f }'
for type in Patient Condition Observation Procedure; do
  printf '%-12s %s\n' $type "$(curl -s "$base/$type?_summary=count" | grep -o '"total":[0-9]*' | cut -d: -f2)"
done
