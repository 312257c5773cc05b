# Sourced by the Python suites' run.sh (tests/{mlflow,neptune,importers}) and
# scripts/fuzz_python.sh: one cached, pinned virtualenv per requirements file.
#
#   source scripts/lib/venv.sh
#   VENV="$(venv_cached NAME REQUIREMENTS)"  # where it lives (see below)
#   venv_ensure LABEL VENV REQUIREMENTS     # Python: $PYTHON, default python3
#
# The venvs live outside the checkout, in $SEXTANT_CACHE (default
# ${XDG_CACHE_HOME:-~/.cache}/sextant), one folder per name and key, so a
# fresh clone of the repository (CI's) reuses what an earlier run built.
#
# The venv is reused while its key matches: the sha256 of the Python version
# and of REQUIREMENTS with every file it includes (-r, recursively). Else it
# is rebuilt. A venv cannot be moved once built (its scripts name their own
# path), so it is built in place and its key file is what makes it valid:
# the key is removed before anything else is touched and written (by an
# atomic rename) only after pip succeeded. A run killed half way leaves no
# key, and the next run rebuilds. Concurrent runs wait for each other (flock
# on the venv's parent folder, so no lock file is left behind).
# Checked by scripts/lib/venv_test.sh.

source "$(dirname "${BASH_SOURCE[0]}")/cache.sh"

# The requirements file and those it includes, depth first.
_venv_requirement_files() {
  local file="$1" dir line inc
  dir="$(dirname "$file")"
  printf '%s\n' "$file"
  [[ -f "$file" ]] || return 0
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line%%#*}"
    if [[ "$line" =~ ^[[:space:]]*(-r|--requirement)[[:space:]=]*([^[:space:]]+) ]]; then
      inc="${BASH_REMATCH[2]}"
      [[ "$inc" = /* ]] || inc="$dir/$inc"
      _venv_requirement_files "$inc"
    fi
  done <"$file"
}

# venv_key REQUIREMENTS [PYTHON]: prints the key, or fails naming a missing file.
venv_key() {
  local req="$1" py="${2:-${PYTHON:-python3}}" f version
  local -a files
  mapfile -t files < <(_venv_requirement_files "$req")
  for f in "${files[@]}"; do
    [[ -f "$f" ]] || { echo "venv: $f (from $req) does not exist" >&2; return 1; }
  done
  version="$("$py" -c 'import sys; print(sys.version)')" || return 1
  {
    printf '%s\n' "$version"
    for f in "${files[@]}"; do
      printf '== %s\n' "$(basename "$f")"
      cat "$f"
    done
  } | sha256sum | cut -d' ' -f1
}

# venv_cached NAME REQUIREMENTS [PYTHON]: prints the venv's path in the cache.
venv_cached() {
  local key
  key="$(venv_key "$2" "${3:-}")" || return 1
  printf '%s/venvs/%s-%s\n' "$(sextant_cache_dir)" "$1" "${key:0:16}"
}

# venv_link VENV LINK: LINK becomes a symbolic link to VENV (a folder left
# there by an older checkout is removed first).
venv_link() {
  [[ -L "$2" || ! -e "$2" ]] || rm -rf "$2"
  ln -sfn "$1" "$2"
}

_venv_valid() {  # VENV KEY
  [[ -x "$1/bin/python" && "$(cat "$1/.requirements.sha256" 2>/dev/null)" == "$2" ]]
}

venv_ensure() {
  local label="$1" venv="$2" req="$3" py="${PYTHON:-python3}" key
  key="$(venv_key "$req" "$py")" || return 1
  _venv_valid "$venv" "$key" && return 0
  mkdir -p "$(dirname "$venv")" || return 1
  (
    flock 9 || exit 1
    _venv_valid "$venv" "$key" && exit 0  # built by a run this one waited for
    echo "$label: building $venv (requirements or Python changed, or venv missing)" >&2
    start=$SECONDS
    rm -f "$venv/.requirements.sha256" && rm -rf "$venv" || exit 1
    "$py" -m venv "$venv" || exit 1
    "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$req" || exit 1
    echo "$key" >"$venv/.requirements.sha256.tmp" || exit 1
    mv -f "$venv/.requirements.sha256.tmp" "$venv/.requirements.sha256" || exit 1
    echo "$label: venv built in $((SECONDS - start)) s" >&2
  ) 9<"$(dirname "$venv")"
}
