#!/usr/bin/env bash
# Builds the page (Trunk, wasm) and the `layerlens` binary, then serves both on
# http://127.0.0.1:8080 (override with LISTEN=host:port). Installs what it needs first.
# Usage: scripts/run.sh [extra `layerlens serve` flags...]
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

ensure_web_tools

log "trunk build --release"
trunk build --release

log "cargo build --release --bin layerlens"
cargo build --release --bin layerlens

log "layerlens serve"
exec target/release/layerlens serve --listen "${LISTEN:-127.0.0.1:8080}" --dist dist "$@"
