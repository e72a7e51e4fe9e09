#!/usr/bin/env bash
# The GPU check of the trainer, one shot: (1) the built-in demo model's RL step on webgpu (Dawn through Vulkan) and
# wasm next to the same step in PyTorch CUDA; (2) a random model of SmolLM2-135M's shape through src/models (LoRA
# sampling and train step) on webgpu next to transformers + peft on PyTorch CUDA, same batch. Figures go to $OUT (or
# ./test-artifacts/gpu when $OUT is unset); the machine's python3 must hold torch, transformers and peft.
#
# Here, once:   npm ci && npm run build && bash ../shared/device/prepare.sh   (makes the ignored .device/ folder)
# GPU machine:  carry [".device", "dist"], run `bash test/bench/gpu.sh` (about 5 minutes; timeout_s 540)
# On a machine without a GPU it still runs: webgpu reports why it was skipped and PyTorch says it has no CUDA.
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
  python3 -c 'import torch, transformers, peft; print("torch", torch.__version__, "transformers", transformers.__version__, "peft", peft.__version__)' 2>&1
} > "$out/machine.txt"
cat "$out/machine.txt"
status=0
# (1) One bench process: each backend in turn (webgpu first, then wasm), then PyTorch on CUDA for the same model/step.
timeout 240 node dist/cli.js bench --backends webgpu,wasm --torch-device cuda --json "$out/trainer-bench.json" \
  2>&1 | tee "$out/trainer-bench.txt"
s=${PIPESTATUS[0]}; echo "exit status $s" | tee -a "$out/trainer-bench.txt"; [ "$s" = 0 ] || status=$s
# (2) The 135M shape on webgpu, then the same model, LoRA and step in PyTorch CUDA.
timeout 240 node dist/cli.js bench --llama --backends webgpu --torch-device cuda 2>&1 | tee "$out/llama-bench.txt"
s=${PIPESTATUS[0]}; echo "exit status $s" | tee -a "$out/llama-bench.txt"; [ "$s" = 0 ] || status=$s
exit "$status"
