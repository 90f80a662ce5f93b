#!/usr/bin/env bash
# The backtest goal table: every shared trace's held-out tail (last 20%) replayed through the
# decision engine under a policy (default: the built-in default policy, the one a user gets
# without writing one, = deploy/gitops-example/policies/defaults.yaml), one line per trace with
# the three goal figures, then one JSON object with all the summaries.
# Usage: scripts/backtest-traces.sh [POLICY.yaml] [SCORE_FROM] [SCORE_TO]   (FORESIGHT_TRACES: the traces folder;
# '' 0.6 0.8: the validation rows the parameters were chosen on)
set -euo pipefail
cd "$(dirname "$0")/.."
TRACES="${FORESIGHT_TRACES:-../shared/data/traces}"
SCORE_FROM="${2:-0.8}"
SCORE_TO="${3:-1}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
if [[ $# -ge 1 && -n "$1" ]]; then POLICY=(--policy "$1"); NAME="$1"; else POLICY=(--default-policy); NAME="the built-in defaults"; fi
[[ -d dist ]] || npm run build >/dev/null
echo "policy: $NAME; rows from $SCORE_FROM to $SCORE_TO of each trace; goals: under-provisioned <= 1%, below the scaled VPA-style baseline, >= 50% of the attainable saving" >&2
results=()
while read -r file column extra; do
  summary="$(node bin/foresight.js backtest --input "$TRACES/$file" --value-column "$column" $extra \
    --out "$WORK/out.csv" "${POLICY[@]}" --score-from "$SCORE_FROM" --score-to "$SCORE_TO" 2>/dev/null | grep '^{')"
  node -e 'const s = JSON.parse(process.argv[2]); const p = (x, d = 1) => (100 * x).toFixed(d) + "%";
    const ok = (b) => (b ? "ok " : "NOT");
    console.error(`${process.argv[1].padEnd(34)} under ${p(s.under_provisioned_share, 2)} ${ok(s.under_provisioned_share <= 0.01)}  vs scaled VPA-style (x${s.vpa_scale}) ${p(s.saving_vs_scaled_vpa)} ${ok(s.saving_vs_scaled_vpa > 0)}  attainable saving ${p(s.attainable_saving_share)} ${ok(s.attainable_saving_share >= 0.5)}  (vs static peak ${p(s.saving_vs_static_peak)}, max capacity/peak so far ${s.max_capacity_over_peak}, ${s.changes_per_day.toFixed(0)} changes/day)`)' "$file" "$summary"
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
