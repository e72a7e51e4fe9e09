#!/usr/bin/env bash
# The GPU check of the trainer: the bench on the webgpu backend (Dawn through Vulkan) next to PyTorch CUDA on the same
# card, and wasm as the reference. Figures go to $OUT (or ./test-artifacts/gpu when $OUT is unset).
#
# Here, once:   npm ci && npm run build && bash ../shared/device/prepare.sh   (makes the ignored .device/ folder)
# GPU machine:  carry [".device", "dist"], run `bash test/bench/gpu.sh`
# On a machine without a GPU it still runs: webgpu reports why it was skipped and PyTorch falls back to no CUDA.
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-test-artifacts/gpu}"
mkdir -p "$out"
if [ -f .device/setup.sh ]; then
  # shellcheck disable=SC1091
  . .device/setup.sh > "$out/setup.txt" 2>&1 || echo "setup.sh failed (see setup.txt)" >&2
fi
{
  echo "date: $(date -u +%FT%TZ)"
  echo "node: $(node --version 2>&1)"
  nvidia-smi -L 2>/dev/null || echo "nvidia-smi: none"
  command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>/dev/null | grep -E 'deviceName|driverName' || true
} > "$out/machine.txt"
cat "$out/machine.txt"
# One bench process: each backend in turn (webgpu first, then wasm), then PyTorch on CUDA for the same model/step.
timeout 480 node dist/cli.js bench --backends webgpu,wasm --torch-device cuda --json "$out/trainer-bench.json" \
  2>&1 | tee "$out/trainer-bench.txt"
status=${PIPESTATUS[0]}
echo "exit status $status" | tee -a "$out/trainer-bench.txt"
exit "$status"
