#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine (idempotent): system packages, npm packages,
# the native libtorch addon and the TypeScript build.
#   LIBTORCH=/path/to/libtorch  build against a downloaded libtorch (e.g. CUDA) instead of Debian's.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(libtorch-dev libtcmalloc-minimal4 ffmpeg chromium redis-server cmake g++ make)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci runs the package's install script (native/build.mjs); then the TypeScript build.
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
npm run build --silent
echo "setup: done ($(node -e "import('./dist/src/tensor/index.js').then(t => { const i = t.engineInfo(); console.log('libtorch ' + i.torchVersion + ', ' + i.threads + ' threads, cuda ' + i.cuda) })"))"
