#!/usr/bin/env bash
# Quick start, step 1: install everything, then run the pipeline end to end on the local stack.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
node bin/foresight.js demo "$@"
