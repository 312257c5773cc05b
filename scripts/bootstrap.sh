#!/usr/bin/env bash
# Installs what Sextant needs from Debian's packages and builds it.
# Usage: scripts/bootstrap.sh            (then: ./build/src/sextant serve --demo)
# Builds the server (build/src/sextant) and the web UI (web/dist).
set -euo pipefail
cd "$(dirname "$0")/.."

# python3-dev: the Python SDK builds its optional C accelerator with it.
# ccache: rebuilds (and the test command's sanitizer and fuzz builds) reuse
# what was compiled before (CMakeLists.txt).
PACKAGES=(build-essential cmake ninja-build pkg-config openssl python3-dev python3-venv
          libsqlite3-dev libssl-dev zlib1g-dev libbrotli-dev
          libboost1.81-dev libargon2-dev libcpp-httplib-dev libsimdjson-dev nlohmann-json3-dev libre2-dev
          libgtest-dev libgmock-dev libbenchmark-dev
          libprotobuf-dev protobuf-compiler libjwt-dev
          libcurl4-openssl-dev libxml2-dev libpq-dev
          ccache)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build

# The web UI (TypeScript + Vite) needs Node.js >= 20.19 and npm; the server
# runs without it and says so at /.
if ! command -v npm >/dev/null; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  npm --prefix web ci --no-audit --no-fund --loglevel=error
fi
npm --prefix web run build --silent
