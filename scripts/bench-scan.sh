#!/bin/sh
# Layer scanner benchmark, native and wasm, on the same generated files.
#
#   scripts/bench-scan.sh
#
# 1. `cargo bench --bench scan` generates a ~200 MB tar layer in
#    target/bench-scan/, compresses it with `gzip -6` and `zstd -3`, and
#    prints the native scanner's MB/s and peak heap next to
#    `zcat FILE | sha256sum` and `zstd -dc FILE | sha256sum` (same run).
# 2. The scanner is built for wasm32-unknown-unknown with +simd128 as a bare
#    module (examples/wasm_scan.rs) and node streams the same files through
#    it (benches/wasm_scan.mjs), printing MB/s and the native/wasm ratio.
#
# Needs: gzip, zstd, node (>= 18), the wasm32-unknown-unknown target.
set -eu
cd "$(dirname "$0")/.."

bench_dir="${LAYERLENS_BENCH_DIR:-target/bench-scan}"
export LAYERLENS_BENCH_DIR="$bench_dir"

echo "== native (cargo bench --bench scan)"
cargo bench --quiet --bench scan

echo
echo "== wasm (examples/wasm_scan.rs under node)"
# A separate target dir: RUSTFLAGS would otherwise invalidate the normal
# wasm build cache.
RUSTFLAGS="-C target-feature=+simd128" cargo build --quiet --release \
    --example wasm_scan --target wasm32-unknown-unknown --target-dir target/wasm-bench
node benches/wasm_scan.mjs \
    target/wasm-bench/wasm32-unknown-unknown/release/examples/wasm_scan.wasm "$bench_dir"
