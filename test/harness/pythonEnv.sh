#!/usr/bin/env bash
# Prints the path of a Python whose venv holds the Python tier's packages (verl, ray, torch, transformers, trl, ...),
# creating that venv on first use. The venv lives outside the clone, keyed by the hash of the interpreter's version
# and of python-requirements.txt + python-constraints.txt, so every clone on a machine shares one install and an edited
# pin gives a new venv rather than a half-upgraded one.
#   BNPO_CACHE   cache root (default ~/.cache/bnpo-studio); the venv is $BNPO_CACHE/venv-<hash>
#   BNPO_PYTHON  interpreter the venv is made from (default python3; 3.10 or later)
# Everything but the final path goes to stderr, so callers can write python="$(bash test/harness/pythonEnv.sh)".
# To move a pin: edit python-requirements.txt, install it into a scratch venv with pip's resolver
# (python3 -m venv v && v/bin/pip install -r python-requirements.txt && v/bin/pip check), then write
# python-constraints.txt from `v/bin/pip freeze` under the two comment lines it starts with.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
requirements="$here/python-requirements.txt"
constraints="$here/python-constraints.txt"
base="${BNPO_PYTHON:-python3}"

log() { printf '[pythonEnv] %s\n' "$*" >&2; }

command -v "$base" >/dev/null 2>&1 || { log "no Python interpreter '$base' (set BNPO_PYTHON)"; exit 1; }
version="$("$base" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
key="$({ echo "$version"; cat "$requirements" "$constraints"; } | sha256sum | cut -c1-16)"
root="${BNPO_CACHE:-$HOME/.cache/bnpo-studio}"
venv="$root/venv-$key"
stamp="$venv/.bnpo-complete"

mkdir -p "$root"
# Two clones starting at once must not both install into one folder: the second waits for the first.
exec 9>"$root/venv-$key.lock"
flock 9

if [ -f "$stamp" ] && [ -x "$venv/bin/python" ]; then
  log "reusing $venv"
else
  # A folder without the stamp is an install that died half-way: start it again from nothing.
  rm -rf "$venv"
  log "creating $venv from Python $version (first time: several minutes, torch alone is ~3 GB with its CUDA wheels)"
  started=$SECONDS
  "$base" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c "$constraints" -r "$requirements" >&2
  "$venv/bin/python" -m pip check >&2
  echo "$version" >"$stamp"
  log "installed in $((SECONDS - started)) s"
fi
echo "$venv/bin/python"
