#!/usr/bin/env bash
# Installs everything Foresight needs on a fresh Debian machine with Node 20, Java 17 and
# Maven: npm packages (onnxruntime's CUDA download skipped), the TypeScript build, Kafka and
# Apicurio Registry from Maven Central, and Debian's redis-server, git, prometheus,
# prometheus-alertmanager and chromium when missing (the committer's local backend, the policy checkout and
# the demo use git; the alert rules are tested with promtool, the alert bridge with Alertmanager).
# With Go: kustomize into .tools/bin (the tests render the edited overlays with it), and
# otelcol-foresight (the OpenTelemetry Collector recipe's test runs it), built in the background.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

for tool in node npm java mvn; do
  command -v "$tool" >/dev/null || { echo "install.sh: $tool is required but not installed" >&2; exit 1; }
done
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || { echo "install.sh: Node.js 20 or newer is required (found $(node --version))" >&2; exit 1; }

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v git >/dev/null || missing+=(git)
# Alertmanager for the alert bridge's test, promtool for the alert rules' tests
command -v prometheus-alertmanager >/dev/null || command -v alertmanager >/dev/null || missing+=(prometheus-alertmanager)
command -v promtool >/dev/null || missing+=(prometheus)
command -v openssl >/dev/null || missing+=(openssl)   # the secured stack's CA and certificates
command -v chromium >/dev/null || missing+=(chromium)   # the report pages' test renders them headless
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian's ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

say "installing npm packages"
export ONNXRUNTIME_NODE_INSTALL=skip  # its postinstall would download CUDA libraries
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  echo "node_modules is up to date"
fi

# kustomize, built from its Go module: the tests render the edited overlays with it as users' tools do
KUSTOMIZE_VERSION=v5.7.1
if ! .tools/bin/kustomize version 2>/dev/null | grep -qx "$KUSTOMIZE_VERSION"; then
  command -v go >/dev/null || { echo "install.sh: go is required to install kustomize $KUSTOMIZE_VERSION" >&2; exit 1; }
  say "installing kustomize $KUSTOMIZE_VERSION (go install sigs.k8s.io/kustomize/kustomize/v5) into .tools/bin"
  GOBIN="$PWD/.tools/bin" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
fi

# otelcol-foresight, the OpenTelemetry Collector of examples/otel-collector (otlp receiver, batch
# processor, kafka exporter), built from its Go module: the recipe's test runs it. A cold build
# takes minutes (~3 min of CPU; 14 min wall on a loaded 2-core machine), so it runs in the
# background while the rest installs and the tests start; the test waits while
# .tools/otelcol-foresight.building names a live build. Rebuilt when main.go, go.mod or go.sum change.
OTELCOL_SRC=examples/otel-collector/otelcol-foresight
otelcol_stamp=$(cat "$OTELCOL_SRC/main.go" "$OTELCOL_SRC/go.mod" "$OTELCOL_SRC/go.sum" | sha256sum | cut -d' ' -f1)
if [ -f .tools/otelcol-foresight.building ] && kill -0 "$(cat .tools/otelcol-foresight.building)" 2>/dev/null; then
  echo "otelcol-foresight: a build is already running (.tools/otelcol-foresight.build.log)"
elif [ ! -x .tools/bin/otelcol-foresight ] || [ "$(cat .tools/otelcol-foresight.sha256 2>/dev/null)" != "$otelcol_stamp" ]; then
  command -v go >/dev/null || { echo "install.sh: go is required to build otelcol-foresight ($OTELCOL_SRC)" >&2; exit 1; }
  say "building otelcol-foresight ($OTELCOL_SRC) into .tools/bin in the background: log in .tools/otelcol-foresight.build.log"
  mkdir -p .tools/bin
  root=$PWD
  # the subshell is forked in the recipe's folder, so from its first instant `stack down` knows it
  # as this root's build (its command line is install.sh's and its working directory that folder)
  cd "$OTELCOL_SRC"
  (
    trap 'rm -f "$root/.tools/otelcol-foresight.building"' EXIT
    go build -buildvcs=false -trimpath -ldflags='-s -w' -o "$root/.tools/bin/otelcol-foresight.tmp" .
    mv "$root/.tools/bin/otelcol-foresight.tmp" "$root/.tools/bin/otelcol-foresight"
    echo "$otelcol_stamp" >"$root/.tools/otelcol-foresight.sha256"
    echo "otelcol-foresight built"
  ) >"$root/.tools/otelcol-foresight.build.log" 2>&1 &
  echo $! >"$root/.tools/otelcol-foresight.building"
  cd "$root"
fi

say "building"
npm run build --silent

say "resolving Kafka and Apicurio Registry from Maven Central (cached after the first run)"
node bin/foresight.js stack install
