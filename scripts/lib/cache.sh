# Sourced by scripts/lib/venv.sh and scripts/minio.sh: the cache folder they
# share outside the checkout (venvs, the MinIO binary), so that a fresh clone
# of the repository (CI's) reuses what an earlier run built. ccache keeps its
# own, ~/.cache/ccache.

# Prints $SEXTANT_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/sextant.
sextant_cache_dir() {
  printf '%s\n' "${SEXTANT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sextant}"
}
