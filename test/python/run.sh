#!/usr/bin/env bash
# The Python tier of `npm test`: pytest over engines/verl/tests, engines/trl/tests and test/python, inside the venv
# of real packages (verl, ray, torch, transformers, trl) that test/harness/pythonEnv.sh creates once per machine.
# BNPO_PYTHON_TIER=/path/to/python runs another interpreter instead (it must hold the same packages).
# Rebuilds dist/cli.js first when a source is newer, because the tests run the TypeScript CLI (`bnpo advantages`,
# `bnpo rules serve`, `bnpo verl command`). Arguments go to pytest.
# Prints `python: N passed, N failed, N skipped`, writes the counts to $BNPO_TEST_RESULTS when set, exits 1 on failure.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
report_failure() {
  echo "python: 0 passed, 1 failed, 0 skipped"
  if [ -n "${BNPO_TEST_RESULTS:-}" ]; then printf '{"passed":0,"failed":1,"skipped":0}' >"$BNPO_TEST_RESULTS"; fi
  exit 1
}
python="${BNPO_PYTHON_TIER:-}"
if [ -z "$python" ]; then
  python="$(bash "$root/test/harness/pythonEnv.sh")" || { echo "[python] could not create the test venv" >&2; report_failure; }
fi
cli="$root/dist/cli.js"
if [ ! -f "$cli" ] || [ -n "$(find "$root/src" -name '*.ts' -newer "$cli" -print -quit)" ]; then
  echo "[python] building dist/cli.js" >&2
  (cd "$root" && node esbuild.js) || report_failure
fi
cd "$root" && exec "$python" test/python/run_tier.py "$@"
