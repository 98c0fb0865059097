#!/usr/bin/env bash
# Stores Jane's indication, left L4-L5 block, baseline and diary on a running server (PUT: safe to repeat).
set -euo pipefail
base=${1:-http://localhost:8080/fhir}
cd "$(dirname "$0")"
put() { curl -s -o /dev/null -w "%{http_code} $1/$2\n" -X PUT "$base/$1/$2" -H 'Content-Type: application/fhir+json' --data @"$3"; }
put Patient jane patient.json
put Condition jane-low-back indication.json
put Procedure jane-block-1 block.json
for score in jane-baseline jane-diary-1 jane-diary-2 jane-diary-3; do put Observation "$score" "$score.json"; done
