#!/usr/bin/env bash
# Installs what the real-editor test tiers (integration, e2e) need on a fresh Debian machine:
#   apt: chromium (the browser that drives the workbench), libkrb5-dev (code-server's `kerberos` module compiles
#   against it), ripgrep (source of the rg binary @vscode/ripgrep would otherwise fetch from GitHub);
#   (the Python tier has its own venv of PyPI packages: test/harness/pythonEnv.sh);
#   npm: code-server 4.100.3 in its own package (test/harness/code-server) so the extension's `npm ci` stays light.
# Idempotent: when everything is present (apt packages + a stamp matching the code-server lockfile) it only checks.
# The machines reach the npm registry and Debian's mirrors only, hence the offline fixes below.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg="$here/code-server"

log() { printf '[setup] %s\n' "$*"; }

# ---- 1. system packages --------------------------------------------------------------------------------------------
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
for deb in libkrb5-dev; do
  dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q 'install ok installed' || missing+=("$deb")
done
if ((${#missing[@]} > 0)); then
  log "installing apt packages: ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "[setup] need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
else
  log 'apt packages present: chromium ripgrep libkrb5-dev'
fi

# ---- 2. code-server ------------------------------------------------------------------------------------------------
# The stamp records which lockfile the installed tree came from, so an edited lockfile triggers a reinstall.
stamp="$pkg/node_modules/.bnpo-installed"
want="$(cat "$pkg/package.json" "$pkg/package-lock.json" | sha256sum | cut -d' ' -f1)"
server="$pkg/node_modules/code-server/out/node/entry.js"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$server" ]; then
  log 'code-server present'
  exit 0
fi

log 'installing code-server (about a minute)'
# Offline fix 1: @vscode/ripgrep's install step asks GitHub's API for rg unless it finds this cached archive.
# code-server 4.100.3 pins @vscode/ripgrep 1.15.11, which wants tag v13.0.0-10.
tmp="$(node -p 'require("os").tmpdir()')"
cache="$tmp/vscode-ripgrep-cache-1.15.11"
archive="$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -s "$archive" ]; then
  mkdir -p "$cache"
  staging="$(mktemp -d)"
  cp "$(command -v rg)" "$staging/rg"
  tar -czf "$archive.part" -C "$staging" rg
  mv "$archive.part" "$archive"
  rm -rf "$staging"
fi
# Install scripts: code-server/package.json approves the two of its own tree (code-server's postinstall, argon2).
# That postinstall then runs `npm install` in lib/vscode and lib/vscode/extensions, separate npm projects whose
# package.json we do not own; their native modules (node-pty, kerberos, @vscode/ripgrep, @vscode/spdlog,
# @parcel/watcher, native-watchdog, @vscode/deviceid, and two Windows-only ones that build nothing here) run as
# "unreviewed", which npm 11 allows with a notice. They cannot be approved from outside: npm exports any
# .npmrc allow-scripts to the postinstall's environment, and an allow-scripts in the environment makes a
# project install fail (EALLOWSCRIPTS). So strict mode is switched off for this install only: approving
# code-server's postinstall is approving what it installs.
# Offline fix 2: node-pty's install runs `npx node-gyp`, which cancels without a prompt unless told yes.
# Offline fix 3: as root, code-server's postinstall refuses to run its nested installs without unsafe-perm
# (it reads the variable itself; npm 11 warns that it no longer knows the setting).
(cd "$pkg" && npm_config_strict_allow_scripts=false npm_config_yes=true npm_config_unsafe_perm=true \
  npm_config_fund=false npm_config_audit=false npm ci --no-progress --loglevel=error)
# A failed native build can leave npm content with a half tree; check what the server and tests load.
vs="$pkg/node_modules/code-server/lib/vscode/node_modules"
for f in "$server" "$pkg/node_modules/argon2/lib/binding/napi-v3/argon2.node" "$vs/@vscode/ripgrep/bin/rg" \
  "$vs/node-pty/build/Release/pty.node" "$vs/@vscode/spdlog/build/Release/spdlog.node" \
  "$vs/kerberos/build/Release/kerberos.node"; do
  test -e "$f" || { echo "[setup] code-server install finished but $f is missing" >&2; exit 1; }
done
printf '%s' "$want" >"$stamp"
log 'code-server installed'
