# Shared install helpers for scripts/run.sh and scripts/test.sh.
# Every function is idempotent: it checks first and installs only what is missing.
# shellcheck shell=bash

set -euo pipefail

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

export PATH="$HOME/.cargo/bin:$PATH"

# Run `apt-get update` at most once per invocation, and only when something is missing.
_apt_updated=0
ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ $_apt_updated -eq 0 ]; then
    log "apt-get update"
    $sudo apt-get update -qq
    _apt_updated=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
}

# ensure_cargo_tool BINARY CRATE VERSION [extra cargo install flags...]
ensure_cargo_tool() {
  local bin=$1 crate=$2 version=$3
  shift 3
  if command -v "$bin" >/dev/null 2>&1 && "$bin" --version 2>/dev/null | grep -q "$version"; then
    return 0
  fi
  log "cargo install $crate $version (once; this takes a few minutes)"
  cargo install "$@" "$crate" --version "$version"
}

ensure_web_tools() {
  ensure_wasm_target
  # The CLI must match the wasm-bindgen crate pinned in Cargo.toml. No --locked: it
  # fails against the registry mirror these machines use.
  ensure_cargo_tool wasm-bindgen wasm-bindgen-cli 0.2.130
  # 0.22 needs a newer rustc; without --locked a dependency drift breaks the build.
  ensure_cargo_tool trunk trunk 0.21.14 --locked
  # brotli copies of the page's assets (scripts/precompress.sh, Trunk's hook).
  ensure_apt brotli
  if ! command -v wasm-opt >/dev/null 2>&1; then
    log "npm install -g binaryen@132.0.0 (wasm-opt for release builds)"
    npm install -g --silent binaryen@132.0.0
  fi
}
