#!/usr/bin/env bash
# Runs every test of layerlens. Installs what it needs first (idempotently).
# Usage: scripts/test.sh
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

ensure_wasm_target
ensure_web_tools
# The real CNCF distribution registry the integration tests run (tests/support/registry/).
ensure_apt docker-registry
# Independent OCI tools that read the demo layout and make layouts for
# --layout (tests/cli/local_layout.rs), zstd for the demo's zstd layer, and a
# real browser for the page's CSP (tests/browser/csp.rs).
ensure_apt skopeo umoci zstd
# The browser the page's end-to-end tests drive (tests/browser/page.rs).
ensure_apt chromium
# A real shared cache in front of `serve` (tests/proxy/cache.rs), run as the
# tests' own process with a config in a temp dir, never the system service.
ensure_apt nginx
# playwright-core and axe-core for those tests, pinned by tests/e2e/package-lock.json (never
# `npx playwright install`: the Debian chromium is the browser).
if ! npm ls --prefix tests/e2e playwright-core axe-core >/dev/null 2>&1; then
  log "npm ci (tests/e2e)"
  npm ci --prefix tests/e2e --no-audit --no-fund --silent
fi

log "cargo fmt --check"
cargo fmt --all -- --check

log "clippy (native, all targets)"
cargo clippy --quiet --workspace --all-targets -- -D warnings
log "clippy (wasm32, library)"
cargo clippy --quiet --lib --target wasm32-unknown-unknown -- -D warnings

# The page the end-to-end tests serve (dist/).
log "trunk build"
trunk build

log "cargo test"
cargo test --quiet --workspace

# Every cargo-fuzz target for 20 s (issue 18; README "Fuzzing"), so that a
# parser's regression on the committed seeds, or a shallow new crash, fails
# the build. Installs cargo-fuzz once (about 2 minutes); builds and runs take
# about 9 minutes cold, 6 warm.
log "fuzz (20 s per target)"
bash scripts/fuzz.sh 20
