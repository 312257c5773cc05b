#!/usr/bin/env bash
# Checks scripts/lib/venv.sh offline (no package is installed): a venv is
# built once and reused while its key matches; a changed requirements file
# (or one it includes) rebuilds it; a build that fails half way leaves a
# venv without a key, which the next run rebuilds instead of using.
#   scripts/lib/venv_test.sh
set -euo pipefail
source "$(dirname "$0")/venv.sh"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1
req="$tmp/requirements.txt"
mkdir -p "$tmp/locks"
printf '# nothing to install\n' >"$tmp/locks/lock.txt"
printf -- '-r locks/lock.txt\n' >"$req"
fail() { echo "venv_test: $*" >&2; exit 1; }
built() { grep -c "building" "$tmp/log" || true; }

venv_ensure test "$tmp/venv" "$req" 2>>"$tmp/log"
[[ "$(built)" == 1 ]] || fail "the first call did not build"
[[ "$(cat "$tmp/venv/.requirements.sha256")" == "$(venv_key "$req")" ]] || fail "no key after a build"
venv_ensure test "$tmp/venv" "$req" 2>>"$tmp/log"
[[ "$(built)" == 1 ]] || fail "an unchanged venv was rebuilt"

printf '# changed\n' >>"$tmp/locks/lock.txt"   # an included file changes the key too
venv_ensure test "$tmp/venv" "$req" 2>>"$tmp/log"
[[ "$(built)" == 2 ]] || fail "a changed included file did not rebuild"

printf 'no-such-package-for-sextant==1.0\n' >>"$req"
if venv_ensure test "$tmp/venv" "$req" 2>>"$tmp/log"; then fail "pip failing did not fail"; fi
[[ -x "$tmp/venv/bin/python" ]] || fail "expected the half-built venv to be there"
[[ ! -e "$tmp/venv/.requirements.sha256" ]] || fail "a half-built venv has a key"
sed -i '$d' "$req"
venv_ensure test "$tmp/venv" "$req" 2>>"$tmp/log"
[[ "$(built)" == 4 ]] || fail "the venv left by a failed build was used, not rebuilt"
echo "venv_test: ok"
