#!/usr/bin/env bash
# The backtest goal table: every shared trace's held-out tail (last 20%) replayed under a policy
# (default: 1% SLO risk with the adaptive calibration), one line per trace, then one JSON
# object with all of them. Usage: scripts/backtest-traces.sh [POLICY.yaml] [SCORE_FROM]
set -euo pipefail
cd "$(dirname "$0")/.."
TRACES="${FORESIGHT_TRACES:-../shared/data/traces}"
SCORE_FROM="${2:-0.8}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
POLICY="${1:-$WORK/adaptive.yaml}"
if [[ $# -lt 1 ]]; then
  cat > "$POLICY" <<'YAML'
apiVersion: foresight.dev/v1
kind: Policy
metadata:
  name: backtest-adaptive
spec:
  sloRisk: 0.01
  sloAdaptation: 0.03
YAML
fi
[[ -d dist ]] || npm run build >/dev/null
echo "policy $POLICY, rows from $SCORE_FROM of each trace" >&2
results=()
while read -r file column extra; do
  summary="$(node bin/foresight.js backtest --input "$TRACES/$file" --value-column "$column" $extra \
    --out "$WORK/out.csv" --policy "$POLICY" --score-from "$SCORE_FROM" 2>/dev/null | grep '^{')"
  node -e 'const s = JSON.parse(process.argv[2]); const p = (x) => (100 * x).toFixed(2) + "%";
    console.error(`${process.argv[1].padEnd(36)} under ${p(s.under_provisioned_share)} (VPA-style ${p(s.vpa_under_provisioned_share)})  vs static peak ${p(s.saving_vs_static_peak)}  vs VPA-style ${p(s.saving_vs_vpa)}`)' "$file" "$summary"
  results+=("\"$file\":$summary")
done <<'LIST'
alibaba2018_cluster_avg_5min.csv cpu_util_percent
google2019_cluster_avg_5min.csv avg_cpu
bitbrains_vm_25.csv cpu_usage_mhz --time-column timestamp_unix_s
bitbrains_vm_386.csv cpu_usage_mhz --time-column timestamp_unix_s
bitbrains_vm_41.csv cpu_usage_mhz --time-column timestamp_unix_s
bitbrains_vm_45.csv cpu_usage_mhz --time-column timestamp_unix_s
LIST
(IFS=,; echo "{${results[*]}}")
