#!/usr/bin/env bash
# Quick start, step 2: the whole test suite (lint, unit, integration against the real local
# stack). Installs what is missing, starts the stack, runs the tests, and stops the stack
# again when this script started it (also when tests fail). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh

started_here=0
if node bin/foresight.js stack status | grep -Eq '^(redis|kafka|registry) +(stopped|not-answering)'; then
  started_here=1
fi
# the secured stack (TLS, SASL, ACL user, basic auth) runs beside the plain one, on its own ports
secure_started_here=0
if node bin/foresight.js stack status --secure | grep -Eq '^(redis|kafka|registry) +(stopped|not-answering)'; then
  secure_started_here=1
fi
# the Redis Cluster (three masters) of the second pass, beside the plain Redis, on its own ports
cluster_started_here=0
if node bin/foresight.js stack status --redis-cluster | grep -Eq '^redis-cluster-[0-9] +(stopped|not-answering)'; then
  cluster_started_here=1
fi
cleanup() {
  if [ "$cluster_started_here" = 1 ]; then
    printf '\n== stopping the Redis Cluster\n'
    node bin/foresight.js stack down --redis-cluster || true
  fi
  if [ "$secure_started_here" = 1 ]; then
    printf '\n== stopping the secured stack\n'
    node bin/foresight.js stack down --secure || true
  fi
  if [ "$started_here" = 1 ]; then
    printf '\n== stopping the stack\n'
    node bin/foresight.js stack down || true
  fi
}
trap cleanup EXIT

printf '\n== starting the stack (the secured one starts in the background, during lint)\n'
node bin/foresight.js stack install >/dev/null   # artifacts once, before two stacks start at the same time
mkdir -p .foresight
secure_log=.foresight/stack-secure-up.log
node bin/foresight.js stack up --secure >"$secure_log" 2>&1 &
secure_pid=$!
node bin/foresight.js stack up
# after the plain stack, so that it finds Kafka and the registry answering and starts only its three masters
cluster_log=.foresight/stack-cluster-up.log
node bin/foresight.js stack up --redis-cluster >"$cluster_log" 2>&1 &
cluster_pid=$!

printf '\n== lint\n'
npm run lint --silent

printf '\n== NAB scorer (Python) on its hand-checked case\n'
# (a Debian system Python refuses plain pip installs, PEP 668: then into the user site)
# numpy and onnx: export-history.test.ts retrains a small model with training/train.py
python3 -c 'import numpy, onnx' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check -r training/requirements.txt 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check --user --break-system-packages -r training/requirements.txt
python3 training/test_nab.py
python3 training/test_versioning.py

printf '\n== alert and recording rules (promtool)\n'
promtool check rules deploy/prometheus/foresight-rules.yml
promtool test rules deploy/prometheus/foresight-rules.test.yml
promtool check rules examples/prometheus/workload-rules.yml
promtool test rules examples/prometheus/workload-rules.test.yml
promtool check rules examples/prometheus/model-server-rules.yml
promtool test rules examples/prometheus/model-server-rules.test.yml

printf '\n== waiting for the secured stack\n'
if ! wait "$secure_pid"; then
  cat "$secure_log"
  echo "test.sh: the secured stack did not start (see above)" >&2
  exit 1
fi
tail -n 4 "$secure_log"
export FORESIGHT_TEST_SECURE_STACK=required   # its tests fail, not skip, when it is not reachable

printf '\n== unit tests\n'
node --test --test-concurrency=2 dist/test/unit/

printf '\n== integration tests (two files at a time: each uses its own topics, groups, key prefix and ports)\n'
node --test --test-concurrency=2 dist/test/integration/

printf '\n== windows, restart, scale-out and the recommendation loop again, on the Redis Cluster\n'
if ! wait "$cluster_pid"; then
  cat "$cluster_log"
  echo "test.sh: the Redis Cluster did not start (see above)" >&2
  exit 1
fi
tail -n 2 "$cluster_log"
# one test of each concern of the restart, scale-out and loop files (the whole files would take
# ~4 minutes; the restart and scale-out tests compare every window field by field with an
# uninterrupted run's), and the whole windows file
(
  eval "$(node bin/foresight.js stack env --redis-cluster)"
  node --test --test-concurrency=1 \
    --test-name-pattern='same windows as one uninterrupted instance|SIGKILL mid-stream|raises minReplicas|caps a raise' \
    dist/test/integration/{processor/processor-scale-out,processor/processor-restart,recommend/recommendations}.test.js
  node --test --test-concurrency=1 dist/test/integration/windows/windows.test.js   # every window test, field by field
)
