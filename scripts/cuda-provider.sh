#!/usr/bin/env bash
# Installs onnxruntime-node's CUDA execution provider from PyPI, for hosts that reach PyPI but not
# NuGet (where onnxruntime-node's own install script fetches it from).
#
# The onnxruntime-gpu wheel of the same version as onnxruntime-node carries the two provider
# libraries onnxruntime-node loads beside its libonnxruntime.so.1. This copies them there and lists
# the CUDA libraries they need that the host lacks. The 1.30 wheel is built for CUDA 13
# (cuBLAS/cuBLASLt 13, cudart 13, cuRAND 10; NVIDIA driver ≥ 580); put their folder on
# LD_LIBRARY_PATH. Then `node bin/foresight.js bench score --providers cuda` says `"provider":"cuda"`.
# Measured this way on an H200: models/bench-score-cuda.json.
#
#   scripts/cuda-provider.sh            # the wheel version matching node_modules/onnxruntime-node
#   ORT_GPU_WHEEL=path/to.whl scripts/cuda-provider.sh   # a wheel you downloaded elsewhere
#   scripts/cuda-provider.sh --force    # on a host without a GPU too (an image builder)
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(node -p "require('onnxruntime-node/package.json').version")
target=node_modules/onnxruntime-node/bin/napi-v6/linux/x64
[[ -f $target/libonnxruntime.so.1 ]] || { echo "cuda-provider: $target/libonnxruntime.so.1 not found (run npm ci first; linux x64 only)" >&2; exit 1; }

if [[ ${1:-} != --force && ! -e /proc/driver/nvidia && ! -e /dev/nvidia0 ]]; then
  echo "cuda-provider: this host has no NVIDIA GPU or driver (no /proc/driver/nvidia, no /dev/nvidia0): the models run on the CPU here, nothing installed; run it on the GPU host (or --force, e.g. to build an image)" >&2
  exit 1
fi

wheel=${ORT_GPU_WHEEL:-}
if [[ -z $wheel ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "cuda-provider: downloading onnxruntime-gpu==$version from PyPI (~250 MB)" >&2
  python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    -d "$tmp" "onnxruntime-gpu==$version"
  wheel=$(ls "$tmp"/onnxruntime_gpu-*.whl)
fi

python3 - "$wheel" "$target" <<'PY'
import shutil, sys, zipfile, os
wheel, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in ("libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so"):
        with z.open("onnxruntime/capi/" + name) as src, open(os.path.join(target, name), "wb") as dst:
            shutil.copyfileobj(src, dst)
        print(f"cuda-provider: {target}/{name}", file=sys.stderr)
PY

if [[ ! -e /proc/driver/nvidia && ! -e /dev/nvidia0 ]]; then
  echo "cuda-provider: installed (--force); this host has no NVIDIA GPU or driver, so the models run on the CPU here" >&2
  exit 0
fi
missing=$(ldd "$target/libonnxruntime_providers_cuda.so" | awk '/not found/ {print $1}' | grep -v '^libcuda\.so' | tr '\n' ' ')
if ! ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1' && ! ldd "$target/libonnxruntime_providers_cuda.so" | grep -q 'libcuda\.so\.1 => /'; then
  echo "cuda-provider: installed; libcuda.so.1 (the NVIDIA driver's own library, not a pip package) is not found: check the driver's installation" >&2
fi
if [[ -n $missing ]]; then
  echo "cuda-provider: installed; this host lacks $missing— add their folder to LD_LIBRARY_PATH (pip's nvidia-cublas, nvidia-cuda-runtime and nvidia-curand for CUDA 13 carry them), or the models keep running on the CPU" >&2
else
  echo "cuda-provider: installed; its CUDA libraries are all found" >&2
fi
