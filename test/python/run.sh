#!/usr/bin/env bash
# The Python tier of `npm test`: the verl plug-in's tests (engines/verl/tests) under Debian's Python, which sees
# python3-torch and python3-numpy (a pyenv `python3` on PATH does not). Rebuilds dist/cli.js first when a source is
# newer, because the tests run the TypeScript CLI (`bnpo advantages`, `bnpo rules serve`, `bnpo verl command`).
# Prints `python: N passed, N failed, N skipped`, writes the counts to $BNPO_TEST_RESULTS when set, exits 1 on failure.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${BNPO_PYTHON:-/usr/bin/python3}"
report_failure() {
  echo "python: 0 passed, 1 failed, 0 skipped"
  if [ -n "${BNPO_TEST_RESULTS:-}" ]; then printf '{"passed":0,"failed":1,"skipped":0}' >"$BNPO_TEST_RESULTS"; fi
  exit 1
}
if [ ! -x "$python" ]; then
  echo "[python] $python not found: apt-get install -y python3 python3-torch python3-numpy (or set BNPO_PYTHON)" >&2
  report_failure
fi
cli="$root/dist/cli.js"
if [ ! -f "$cli" ] || [ -n "$(find "$root/src" -name '*.ts' -newer "$cli" -print -quit)" ]; then
  echo "[python] building dist/cli.js" >&2
  (cd "$root" && node esbuild.js) || report_failure
fi
cd "$root" && exec "$python" engines/verl/tests/run_tier.py
