#!/usr/bin/env bash
# `bench scale` on a fresh private stack of its own, the way the README's 100,000-series figures
# were measured: its own folder and ports (so no earlier run's topics, keys or append-only file
# weigh on it, and it does not touch the default stack), a per-process CPU sampler beside it
# (scripts/cpu-sampler.py: which process used the cores in each half second), the progress lines
# timed from the start, the stack stopped at the end.
#
#   scripts/bench-scale.sh OUT_DIR [bench scale flags…]
#   e.g. scripts/bench-scale.sh /tmp/run100k --series 100000 --rounds 1 --spread 300 --burst 10000 --processors 3
#
# OUT_DIR gets out.json (the bench's JSON line), progress.log (stderr, each line prefixed with the
# seconds since the start), cpu.log (the sampler's), start (the start's Unix time) and the stack's
# folder. Ports: FORESIGHT_STACK_{KAFKA,CONTROLLER,REGISTRY,REDIS}_PORT, default 29092, 29093,
# 28081 and 26379. Then, e.g. for the burst's seconds from progress.log:
#   python3 scripts/cpu-sampler.py --window OUT_DIR FROM_S TO_S
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,16p' "$0"; exit 2; }
out=$1
shift
cd "$(dirname "$0")/.."
[ -e "$out" ] && { echo "bench-scale.sh: $out exists; give a new folder" >&2; exit 2; }
mkdir -p "$out"
export FORESIGHT_STACK_DIR="$out/stack"
export FORESIGHT_STACK_KAFKA_PORT=${FORESIGHT_STACK_KAFKA_PORT:-29092} FORESIGHT_STACK_CONTROLLER_PORT=${FORESIGHT_STACK_CONTROLLER_PORT:-29093}
export FORESIGHT_STACK_REGISTRY_PORT=${FORESIGHT_STACK_REGISTRY_PORT:-28081} FORESIGHT_STACK_REDIS_PORT=${FORESIGHT_STACK_REDIS_PORT:-26379}
sampler=
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  node bin/foresight.js stack down >"$out/stack-down.log" 2>&1 || echo "bench-scale.sh: stack down failed: $out/stack-down.log" >&2
}
trap cleanup EXIT
echo "stack up in $out/stack (Kafka $FORESIGHT_STACK_KAFKA_PORT, Redis $FORESIGHT_STACK_REDIS_PORT)..." >&2
node bin/foresight.js stack up >"$out/stack-up.log" 2>&1 || { tail -20 "$out/stack-up.log" >&2; exit 1; }
eval "$(node bin/foresight.js stack env)"
start=$(date +%s.%N)
echo "$start" >"$out/start"
python3 scripts/cpu-sampler.py "$out/cpu.log" &
sampler=$!
set +e
node bin/foresight.js bench scale "$@" >"$out/out.json" 2> >(
  while IFS= read -r line; do printf '%7.1f %s\n' "$(echo "$(date +%s.%N) - $start" | bc)" "$line"; done | tee "$out/progress.log" | grep -v '^ *[0-9.]* {"level"' >&2
)
rc=$?
set -e
tail -1 "$out/out.json"
exit $rc
